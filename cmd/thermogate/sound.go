package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/internal/sound"
	"github.com/thermogate/thermogate/kiosk"
)

// soundSpec is the flags every sound command shares.
type soundSpec struct {
	configPath string
	recordings string
}

func (s *soundSpec) register(fs *flag.FlagSet) {
	fs.StringVar(&s.configPath, "config", config.DefaultPath, "configuration `file`: the threshold spoken, [sound]'s device and volume")
	fs.StringVar(&s.recordings, "recordings", sound.DefaultRecordings, "`directory` of recordings, <lang>/<key>.wav")
}

// load reads the configuration (the defaults when the default file is
// missing) and makes the sound library on it.
func (s *soundSpec) load(fs *flag.FlagSet) (config.Config, *sound.Library, error) {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "config" })
	cfg, err := loadConfig(s.configPath, given)
	if err != nil {
		return cfg, nil, err
	}
	return cfg, &sound.Library{Params: sound.Params{ThresholdC: cfg.Rule.ThresholdC}, Recordings: s.recordings}, nil
}

func langFlag(fs *flag.FlagSet, def string) *string {
	return fs.String("lang", def, "`language`: "+strings.Join(kiosk.Strings(kiosk.Languages), ", "))
}

func checkLang(l string) error {
	if !slices.Contains(kiosk.Strings(kiosk.Languages), l) {
		return usagef("--lang %q: want one of %s", l, strings.Join(kiosk.Strings(kiosk.Languages), ", "))
	}
	return nil
}

func soundCommand() *command {
	return &command{
		name:    "sound",
		summary: "List, render and play the kiosk's tones and spoken prompts.",
		subs:    []*command{soundListCommand(), soundRenderCommand(), soundPlayCommand()},
	}
}

func soundListCommand() *command {
	return &command{
		name: "list",
		summary: "Print every sound key with its text in each language and where it comes from:\n" +
			"a tone, an office's recording, or the synthetic voice (with why a recording is not used).",
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			var spec soundSpec
			spec.register(fs)
			return func(ctx context.Context, args []string) error {
				_, lib, err := spec.load(fs)
				if err != nil {
					return err
				}
				var unused []string
				w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(w, "KEY\tLANG\tSOURCE\tTEXT")
				for _, k := range sound.Keys() {
					if k.IsTone() {
						p, _ := sound.Tone(k)
						fmt.Fprintf(w, "%s\t*\t%s\t(%.2f s)\n", k, sound.SourceTone, p.Duration().Seconds())
						continue
					}
					for _, l := range kiosk.Strings(kiosk.Languages) {
						src, why := lib.Source(k, l)
						s := string(src)
						if why != nil {
							s += "*"
							unused = append(unused, why.Error())
						}
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", k, l, s, sound.Text(k, l, lib.Params))
					}
				}
				if err := w.Flush(); err != nil {
					return err
				}
				if len(unused) > 0 {
					fmt.Fprintln(e.stdout, "\n* a recording exists but is not used:")
					for _, u := range unused {
						fmt.Fprintln(e.stdout, "  "+u)
					}
				}
				return nil
			}
		},
	}
}

func soundRenderCommand() *command {
	return &command{
		name: "render",
		summary: "Write every sound as WAV into --dir: <lang>/<key>.wav for the synthetic prompts (the\n" +
			"names a recording takes) and <key>.wav for the tones. Needs espeak-ng.",
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			var spec soundSpec
			spec.register(fs)
			dir := fs.String("dir", "", "output `directory` (required)")
			lang := langFlag(fs, "")
			return func(ctx context.Context, args []string) error {
				if *dir == "" {
					return usagef("--dir is required")
				}
				langs := kiosk.Strings(kiosk.Languages)
				if *lang != "" {
					if err := checkLang(*lang); err != nil {
						return err
					}
					langs = []string{*lang}
				}
				_, lib, err := spec.load(fs)
				if err != nil {
					return err
				}
				n := 0
				write := func(path string, p sound.PCM) error {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						return err
					}
					if err := os.WriteFile(path, p.WAV(), 0o644); err != nil {
						return err
					}
					n++
					return nil
				}
				for _, k := range sound.Keys() {
					if p, ok := sound.Tone(k); ok {
						if err := write(filepath.Join(*dir, string(k)+".wav"), p); err != nil {
							return err
						}
						continue
					}
					for _, l := range langs {
						p, err := lib.Render(ctx, k, l)
						if err != nil {
							return err
						}
						if err := write(filepath.Join(*dir, l, string(k)+".wav"), p); err != nil {
							return err
						}
					}
				}
				fmt.Fprintf(e.stdout, "%d files written to %s\n", n, *dir)
				return nil
			}
		},
	}
}

func soundPlayCommand() *command {
	return &command{
		name:    "play",
		args:    "KEY",
		nargs:   [2]int{1, 1},
		summary: "Play one sound on the configured device (or --device), as the kiosk would; see 'sound list'.",
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			var spec soundSpec
			spec.register(fs)
			lang := langFlag(fs, "")
			device := fs.String("device", "", "ALSA `device` instead of [sound] device, e.g. plughw:CARD=Headphones")
			return func(ctx context.Context, args []string) error {
				k := sound.Key(args[0])
				if !k.Valid() {
					return usagef("unknown sound %q: 'thermogate sound list' shows them", k)
				}
				cfg, lib, err := spec.load(fs)
				if err != nil {
					return err
				}
				l := *lang
				if l == "" {
					l = string(cfg.UI.Lang)
				}
				if err := checkLang(l); err != nil {
					return err
				}
				dev := cfg.Sound.Device
				if *device != "" {
					dev = *device
				}
				if lib.Log == nil {
					lib.Log = newLogger(e.stderr)
				}
				p, err := lib.Load(ctx, k, l)
				if err != nil {
					return err
				}
				src, _ := lib.Source(k, l)
				fmt.Fprintf(e.stdout, "%s (%s, %s, %.2f s) on %s at volume %d\n", k, l, src, p.Duration().Seconds(), dev, cfg.Sound.Volume)
				return sound.ALSA{Device: dev}.Play(ctx, p.Scaled(cfg.Sound.Gain()))
			}
		},
	}
}
