package sound

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Default places of the sound files.
const (
	DefaultRecordings = "/etc/thermogate/sounds"       // <lang>/<key>.wav, an office's own voice
	DefaultCache      = "/var/cache/thermogate/sounds" // rendered synthetic prompts
)

// voice is how espeak-ng speaks each language: its voice and words a
// minute. espeak-ng's Lithuanian and Polish voices are slow at its default
// 175 (about 5 syllables a second) and their sentences long, so they speak
// at 190, an everyday pace, to keep every prompt within 5 s; English and
// Russian keep a calm 165 and 175. Changing a voice renders its prompts
// again (it is part of the cache hash).
var voice = map[string]struct {
	Name  string
	Speed int
}{
	"lt": {"lt", 190},
	"pl": {"pl", 190},
	"ru": {"ru", 175},
	"en": {"en-gb", 165},
}

// renderVersion is part of the cache hash: bump it when rendering changes.
const renderVersion = "1"

// Library finds the PCM for a key in a language: the generated tone, an
// office's valid recording, or the synthetic prompt (rendered once and cached).
type Library struct {
	Params     Params       // values sentences carry
	Recordings string       // directory of recordings; "" for none
	Cache      string       // directory for rendered prompts; "" keeps them in memory only
	Espeak     string       // espeak-ng binary; "" finds it on $PATH
	Log        *slog.Logger // nil logs nothing

	mu     sync.Mutex
	memory map[string]PCM   // rendered prompts when the cache directory is unusable
	warned map[string]error // recordings and cache problems already logged
}

// Source says where a key's sound comes from.
type Source string

const (
	SourceTone      Source = "tone"      // generated here
	SourceRecorded  Source = "recorded"  // a valid file under Recordings
	SourceSynthetic Source = "synthetic" // espeak-ng
)

// RecordingPath is where a recording of k in lang would be.
func (l *Library) RecordingPath(k Key, lang string) string {
	if l.Recordings == "" {
		return ""
	}
	return filepath.Join(l.Recordings, lang, string(k)+".wav")
}

// Recording returns the office's recording of k in lang. ok is false when
// there is none; err says why a file that exists cannot be used.
func (l *Library) Recording(k Key, lang string) (p PCM, ok bool, err error) {
	path := l.RecordingPath(k, lang)
	if path == "" || k.IsTone() {
		return PCM{}, false, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return PCM{}, false, nil
	}
	if err != nil {
		return PCM{}, false, err
	}
	defer f.Close()
	p, err = ValidateWAV(f)
	if err != nil {
		return PCM{}, false, fmt.Errorf("%s: %w", path, err)
	}
	return p, true, nil
}

// Source says where the sound for k in lang comes from now, with the
// reason a recording that exists is not used.
func (l *Library) Source(k Key, lang string) (Source, error) {
	if k.IsTone() {
		return SourceTone, nil
	}
	_, ok, err := l.Recording(k, lang)
	if ok {
		return SourceRecorded, nil
	}
	return SourceSynthetic, err
}

// Load returns the PCM for k in lang: a tone, a valid recording, or the
// synthetic prompt, rendering it now if it is not cached yet. A bad
// recording is logged once and the synthetic prompt used.
func (l *Library) Load(ctx context.Context, k Key, lang string) (PCM, error) {
	if p, ok := Tone(k); ok {
		return p, nil
	}
	text := Text(k, lang, l.Params)
	if text == "" {
		return PCM{}, fmt.Errorf("no sound %q in language %q", k, lang)
	}
	p, ok, err := l.Recording(k, lang)
	if ok {
		return p, nil
	}
	if err != nil {
		l.warnOnce(l.RecordingPath(k, lang), err, "recording not used; speaking the synthetic prompt instead")
	}
	return l.synthetic(ctx, k, lang, text)
}

// Prepare renders every prompt of the given languages that is not cached
// yet, so the first visitor does not wait for espeak-ng. The kiosk calls it
// in the background at start.
func (l *Library) Prepare(ctx context.Context, langs ...string) error {
	var errs []error
	for _, lang := range langs {
		for _, k := range Keys() {
			if k.IsTone() {
				continue
			}
			if _, err := l.Load(ctx, k, lang); err != nil {
				errs = append(errs, err)
				if ctx.Err() != nil {
					return ctx.Err()
				}
			}
		}
	}
	return errors.Join(errs...)
}

// cacheName is the cached file of a prompt: the hash covers everything the
// rendering depends on, so a new threshold or wording renders again.
func cacheName(k Key, lang, text string) string {
	h := sha256.Sum256([]byte(renderVersion + "\x00" + voice[lang].Name + "\x00" + fmt.Sprint(voice[lang].Speed) + "\x00" + text))
	return filepath.Join(lang, string(k)+"."+hex.EncodeToString(h[:6])+".wav")
}

func (l *Library) synthetic(ctx context.Context, k Key, lang, text string) (PCM, error) {
	name := cacheName(k, lang, text)
	l.mu.Lock()
	p, ok := l.memory[name]
	l.mu.Unlock()
	if ok {
		return p, nil
	}
	if l.Cache != "" {
		if b, err := os.ReadFile(filepath.Join(l.Cache, name)); err == nil {
			if p, err := DecodeWAV(b); err == nil && len(p.Samples) > 0 {
				return p, nil
			}
		}
	}
	p, err := l.Render(ctx, k, lang)
	if err != nil {
		return PCM{}, err
	}
	if err := l.store(name, k, p); err != nil {
		l.warnOnce(l.Cache, err, "sound cache not writable; keeping rendered prompts in memory")
		l.mu.Lock()
		if l.memory == nil {
			l.memory = map[string]PCM{}
		}
		l.memory[name] = p
		l.mu.Unlock()
	}
	return p, nil
}

// store writes a rendered prompt into the cache (temporary name, rename)
// and removes the key's older renderings.
func (l *Library) store(name string, k Key, p PCM) error {
	if l.Cache == "" {
		return errors.New("no cache directory")
	}
	path := filepath.Join(l.Cache, name)
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".render-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(p.WAV()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(dir, globEscape(string(k))+".*.wav"))
	for _, o := range old {
		if o != path && strings.Count(filepath.Base(o), ".") == strings.Count(filepath.Base(path), ".") {
			os.Remove(o)
		}
	}
	return nil
}

func globEscape(s string) string {
	r := strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`)
	return r.Replace(s)
}

// Render speaks the prompt k in lang with espeak-ng now, bypassing
// recordings and the cache.
func (l *Library) Render(ctx context.Context, k Key, lang string) (PCM, error) {
	text := Text(k, lang, l.Params)
	if text == "" {
		return PCM{}, fmt.Errorf("no prompt %q in language %q", k, lang)
	}
	bin := l.Espeak
	if bin == "" {
		bin = "espeak-ng"
	}
	// The text goes on stdin, never on the command line; --stdout writes WAV.
	cmd := exec.CommandContext(ctx, bin, "-v", voice[lang].Name, "-s", fmt.Sprint(voice[lang].Speed), "--stdin", "--stdout")
	cmd.Stdin = strings.NewReader(text)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			return PCM{}, fmt.Errorf("espeak-ng is not installed (Debian package espeak-ng): %w", err)
		}
		return PCM{}, fmt.Errorf("espeak-ng %s %q: %v: %s", lang, k, err, strings.TrimSpace(errb.String()))
	}
	p, err := DecodeWAV(out.Bytes())
	if err != nil {
		return PCM{}, fmt.Errorf("espeak-ng %s %q: %w", lang, k, err)
	}
	p = p.Trimmed(30 * time.Millisecond)
	if p.Peak() < silent {
		return PCM{}, fmt.Errorf("espeak-ng %s %q: rendered silence (is the %s voice installed?)", lang, k, voice[lang].Name)
	}
	return p, nil
}

// warnOnce logs a problem with what once; the same error again stays quiet.
func (l *Library) warnOnce(what string, err error, msg string) {
	l.mu.Lock()
	prev, seen := l.warned[what]
	if l.warned == nil {
		l.warned = map[string]error{}
	}
	l.warned[what] = err
	l.mu.Unlock()
	if seen && prev.Error() == err.Error() {
		return
	}
	if l.Log != nil {
		l.Log.Warn(msg, "path", what, "err", err)
	}
}
