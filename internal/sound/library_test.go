package sound

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/syncbuf"
	"github.com/thermogate/thermogate/kiosk"
)

func testLog() (*slog.Logger, *syncbuf.Buffer) {
	var b syncbuf.Buffer
	return slog.New(slog.NewTextHandler(&b, nil)), &b
}

// sharedCache renders every prompt once for the whole package's tests.
var sharedCache = sync.OnceValue(func() string {
	dir, err := os.MkdirTemp("", "thermogate-sound-test-")
	if err != nil {
		panic(err)
	}
	return dir
})

func TestMain(m *testing.M) {
	code := m.Run()
	os.RemoveAll(sharedCache())
	os.Exit(code)
}

func TestEveryKeyRendersInEveryLanguage(t *testing.T) {
	lib := &Library{Params: DefaultParams, Cache: sharedCache()}
	for _, k := range Keys() {
		for _, lang := range kiosk.Strings(kiosk.Languages) {
			p, err := lib.Load(context.Background(), k, lang)
			if err != nil {
				t.Fatalf("%s %s: %v", k, lang, err)
			}
			if p.Peak() < 1000 {
				t.Errorf("%s %s: peak %d: (nearly) silent", k, lang, p.Peak())
			}
			if d := p.Duration(); d <= 0 || d > 5*time.Second {
				t.Errorf("%s %s: %v long: want up to 5 s", k, lang, d)
			}
			if !k.IsTone() {
				// What is cached is a WAV the kiosk itself accepts as a recording.
				f, err := os.Open(filepath.Join(lib.Cache, cacheName(k, lang, Text(k, lang, lib.Params))))
				if err != nil {
					t.Fatalf("%s %s: not cached: %v", k, lang, err)
				}
				_, err = ValidateWAV(f)
				f.Close()
				if err != nil {
					t.Errorf("%s %s: cached file: %v", k, lang, err)
				}
			}
		}
	}
}

func TestEveryPromptHasATextInEveryLanguage(t *testing.T) {
	for _, k := range Keys() {
		for _, lang := range kiosk.Strings(kiosk.Languages) {
			text := Text(k, lang, DefaultParams)
			if k.IsTone() != (text == "") {
				t.Errorf("%s %s: text %q", k, lang, text)
			}
		}
	}
	if len(texts) != len(Keys())-len(tones) {
		t.Errorf("%d texts for %d prompt keys: a text without a key", len(texts), len(Keys())-len(tones))
	}
}

func TestForDecision(t *testing.T) {
	for _, tc := range []struct {
		decision, reason string
		tone, prompt     Key
	}{
		{string(kiosk.Admit), string(kiosk.ReasonOK), ToneAdmit, KeyAdmit},
		{string(kiosk.Admit), string(kiosk.ReasonGuard), ToneAdmit, KeyAdmit},
		{string(kiosk.Deny), string(kiosk.ReasonFever), ToneDeny, "deny.fever"},
		{string(kiosk.Deny), string(kiosk.ReasonSymptoms), ToneDeny, "deny.symptoms"},
		{string(kiosk.Deny), string(kiosk.ReasonUnknownCode), ToneDeny, "deny.unknown_code"},
		{string(kiosk.Deny), string(kiosk.ReasonNotToday), ToneDeny, "deny.not_today"},
		{string(kiosk.Deny), string(kiosk.ReasonTooEarly), ToneDeny, "deny.too_early"},
		{string(kiosk.Deny), string(kiosk.ReasonTooLate), ToneDeny, "deny.too_late"},
		{string(kiosk.Deny), string(kiosk.ReasonUsed), ToneDeny, "deny.already_used"},
		{string(kiosk.Deny), string(kiosk.ReasonCancelled), ToneDeny, "deny.cancelled"},
		{string(kiosk.Deny), string(kiosk.ReasonGuard), ToneDeny, "deny.guard"},
		{string(kiosk.Deny), string(kiosk.ReasonStorage), ToneDeny, KeyDeny},
		{string(kiosk.Deny), "", ToneDeny, KeyDeny},
		{string(kiosk.Refer), string(kiosk.ReasonUnknownCode), ToneDeny, "refer.unknown_code"}, // the third unknown code: to the guard
		{string(kiosk.Refer), string(kiosk.ReasonNoReading), ToneDeny, "refer.no_reading"},
		{string(kiosk.Refer), string(kiosk.ReasonSensorFault), ToneDeny, "refer.sensor_fault"},
		{string(kiosk.Refer), string(kiosk.ReasonStorage), ToneDeny, "refer.storage"},
		{string(kiosk.Refer), string(kiosk.ReasonUsed), ToneDeny, KeyRefer},
		{string(kiosk.Refer), string(kiosk.ReasonFever), ToneDeny, KeyRefer},
		{"", "", ToneDeny, KeyRefer},
		{"ADMIT", string(kiosk.ReasonOK), ToneDeny, KeyRefer}, // not the kiosk's word: never announced as an admit
	} {
		tone, prompt := ForDecision(tc.decision, tc.reason)
		if tone != tc.tone || prompt != tc.prompt {
			t.Errorf("ForDecision(%q, %q) = %s, %s; want %s, %s", tc.decision, tc.reason, tone, prompt, tc.tone, tc.prompt)
		}
		if !prompt.Valid() || !prompt.IsDecision() || !tone.IsDecision() {
			t.Errorf("ForDecision(%q, %q): %s/%s not a valid decision key", tc.decision, tc.reason, tone, prompt)
		}
	}
	// Every decision key is reachable from some decision.
	reached := map[Key]bool{}
	for _, d := range kiosk.Strings(kiosk.Decisions) {
		for _, r := range append(kiosk.Strings(kiosk.Reasons), "", "other") {
			_, k := ForDecision(d, r)
			reached[k] = true
		}
	}
	for _, k := range Keys() {
		if k.IsDecision() && !k.IsTone() && !reached[k] {
			t.Errorf("%s: no decision leads to it", k)
		}
	}
}

// TestDecisionSentencesMatchScreen holds speech to the touchscreen's words:
// a decision sentence is the screen's title and, for a reason with a
// sentence of its own, the screen's reason line.
func TestDecisionSentencesMatchScreen(t *testing.T) {
	for _, lang := range kiosk.Strings(kiosk.Languages) {
		b, err := os.ReadFile(filepath.Join("..", "..", "kiosk", "ui", "i18n", lang+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var cat map[string]string
		if err := json.Unmarshal(b, &cat); err != nil {
			t.Fatal(err)
		}
		p := Params{ThresholdC: 38.0}
		for _, k := range Keys() {
			if k.IsTone() || !k.IsDecision() {
				continue
			}
			decision, reason, _ := strings.Cut(string(k), ".")
			title := cat["decision."+decision]
			got := Text(k, lang, p)
			want := title + "."
			if reason != "" {
				// A no-break space keeps words together on screen; speech has no lines.
				line := strings.ReplaceAll(strings.ReplaceAll(cat["reason."+reason], "\u00a0", " "), "{threshold} °C", degrees(p.ThresholdC, lang))
				want = title + ". " + line
			}
			if k == KeyAdmit || shortened[lang+" "+string(k)] {
				if !strings.HasPrefix(got, title+". ") {
					t.Errorf("%s %s: %q does not start with the screen's %q", lang, k, got, title)
				}
				continue
			}
			if got != want {
				t.Errorf("%s %s:\n got %q\nwant %q (the screen's words)", lang, k, got, want)
			}
		}
	}
}

// shortened are decision sentences cut to be spoken within 5 s: they keep
// the screen's title.
var shortened = map[string]bool{"lt deny.fever": true, "pl deny.fever": true}

func TestDegreesAreWrittenForEspeak(t *testing.T) {
	for lang, want := range map[string]string{"lt": "37,3 laipsnio", "pl": "37,3 stopnia", "ru": "37,3 градуса", "en": "37.3 degrees"} {
		if got := degrees(37.3, lang); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
	if got := degrees(38, "en"); got != "38.0 degrees" {
		t.Errorf("38: %q", got)
	}
}

// TestEspeakSaysTheNumber reads espeak-ng's phonemes: the threshold must be
// spoken as a decimal number ("point", "kablelis", "przecinek", "десятых"),
// not as a date, a time or two numbers.
func TestEspeakSaysTheNumber(t *testing.T) {
	for lang, want := range map[string]string{"en": "pOInt", "lt": "kabl", "pl": "pSEts", "ru": "d;Is;'AtYx"} {
		out, err := espeakPhonemes(lang, Text("deny.fever", lang, DefaultParams))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, want) {
			t.Errorf("%s: phonemes %q lack %q", lang, out, want)
		}
	}
}

func TestTonesDifferInPitchAndRhythm(t *testing.T) {
	type shape struct {
		notes  int
		firstZ int // zero crossings in the first note's first 50 ms: its pitch
		length time.Duration
	}
	shapes := map[Key]shape{}
	for k := range tones {
		p, _ := Tone(k)
		var sh shape
		sh.length = p.Duration()
		inNote := false
		quiet := 0
		for i, s := range p.Samples {
			if s != 0 {
				quiet = 0
				if !inNote {
					inNote = true
					sh.notes++
					if sh.notes == 1 {
						n := ToneRate / 20
						for j := i + 1; j < i+n && j < len(p.Samples); j++ {
							if (p.Samples[j-1] < 0) != (p.Samples[j] < 0) {
								sh.firstZ++
							}
						}
					}
				}
			} else if quiet++; quiet > ToneRate/100 {
				inNote = false
			}
		}
		if sh.length > 400*time.Millisecond {
			t.Errorf("%s: %v long: a tone is at most 0.4 s", k, sh.length)
		}
		shapes[k] = sh
	}
	for a, sa := range shapes {
		for b, sb := range shapes {
			if a < b && sa.notes == sb.notes && absDiff(sa.firstZ, sb.firstZ) < 10 {
				t.Errorf("%s and %s sound alike: %+v, %+v", a, b, sa, sb)
			}
		}
	}
	if shapes[ToneAdmit].notes == shapes[ToneDeny].notes {
		t.Errorf("ADMIT and DENY have the same rhythm: %d notes", shapes[ToneAdmit].notes)
	}
	if shapes[ToneDeny].firstZ >= shapes[ToneAdmit].firstZ {
		t.Errorf("DENY (%d crossings) is not lower than ADMIT (%d)", shapes[ToneDeny].firstZ, shapes[ToneAdmit].firstZ)
	}
}

func absDiff(a, b int) int {
	if a > b {
		return a - b
	}
	return b - a
}

func TestWAVRoundTrip(t *testing.T) {
	p, _ := Tone(ToneAdmit)
	q, err := DecodeWAV(p.WAV())
	if err != nil {
		t.Fatal(err)
	}
	if q.Rate != p.Rate || q.Channels != 1 || !slicesEqual(q.Samples, p.Samples) {
		t.Fatalf("round trip changed the sound: %d Hz %d ch %d samples", q.Rate, q.Channels, len(q.Samples))
	}
}

func slicesEqual(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// wavWith returns a valid one-second 22050 Hz mono recording, changed by edit.
func wavWith(edit func(b []byte) []byte) []byte {
	p := PCM{Rate: 22050, Channels: 1, Samples: make([]int16, 22050)}
	for i := range p.Samples {
		p.Samples[i] = int16((i % 50) * 400)
	}
	return edit(p.WAV())
}

func TestValidateWAV(t *testing.T) {
	put16 := func(off int, v uint16) func([]byte) []byte {
		return func(b []byte) []byte { binary.LittleEndian.PutUint16(b[off:], v); return b }
	}
	put32 := func(off int, v uint32) func([]byte) []byte {
		return func(b []byte) []byte { binary.LittleEndian.PutUint32(b[off:], v); return b }
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want string // "" for valid
	}{
		{"valid", wavWith(func(b []byte) []byte { return b }), ""},
		{"mp3", []byte("ID3\x04\x00\x00\x00\x00\x00\x00"), "not a WAV"},
		{"8-bit", wavWith(put16(34, 8)), "16 bits"},
		{"float", wavWith(put16(20, 3)), "PCM (1)"},
		{"six channels", wavWith(put16(22, 6)), "channels"},
		{"96 kHz", wavWith(put32(24, 96000)), "sample rate 96000"},
		{"4 kHz", wavWith(put32(24, 4000)), "sample rate 4000"},
		{"truncated", wavWith(func(b []byte) []byte { return b[:len(b)/2] }), "truncated"},
		{"too short", wavWith(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[40:], 2000); return b[:44+2000] }), "length 0.05 s"},
		{"too long", func() []byte {
			return PCM{Rate: 8000, Channels: 1, Samples: append(make([]int16, 9*8000), 5000)}.WAV()
		}(), "length 9.00 s"},
		{"silent", PCM{Rate: 22050, Channels: 1, Samples: make([]int16, 22050)}.WAV(), "silent"},
	} {
		_, err := ValidateWAV(bytes.NewReader(tc.b))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one with %q", tc.name, err, tc.want)
		}
	}
}

func TestRecordingReplacesSyntheticPrompt(t *testing.T) {
	rec := t.TempDir()
	log, logs := testLog()
	lib := &Library{Params: DefaultParams, Cache: sharedCache(), Recordings: rec, Log: log}
	good := wavWith(func(b []byte) []byte { return b })
	os.MkdirAll(filepath.Join(rec, "pl"), 0o755)
	os.MkdirAll(filepath.Join(rec, "lt"), 0o755)
	os.WriteFile(filepath.Join(rec, "pl", "admit.wav"), good, 0o644)
	os.WriteFile(filepath.Join(rec, "lt", "admit.wav"), []byte("RIFF\x00\x00\x00\x00WAVEjunk"), 0o644)

	p, err := lib.Load(context.Background(), KeyAdmit, "pl")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := DecodeWAV(good)
	if !slicesEqual(p.Samples, want.Samples) {
		t.Error("pl admit: the recording was not used")
	}
	if src, err := lib.Source(KeyAdmit, "pl"); src != SourceRecorded || err != nil {
		t.Errorf("pl admit source %s, %v", src, err)
	}

	synthetic, err := (&Library{Params: DefaultParams, Cache: sharedCache()}).Load(context.Background(), KeyAdmit, "lt")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		p, err = lib.Load(context.Background(), KeyAdmit, "lt")
		if err != nil {
			t.Fatal(err)
		}
		if !slicesEqual(p.Samples, synthetic.Samples) {
			t.Fatal("lt admit: a broken recording was played instead of the synthetic prompt")
		}
	}
	if n := strings.Count(logs.String(), "recording not used"); n != 1 {
		t.Errorf("a broken recording logged %d times, want once:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), filepath.Join(rec, "lt", "admit.wav")) {
		t.Errorf("the log does not name the file:\n%s", logs)
	}
	if src, err := lib.Source(KeyAdmit, "lt"); src != SourceSynthetic || err == nil {
		t.Errorf("lt admit source %s, %v: want synthetic with the reason", src, err)
	}
	if src, _ := lib.Source(ToneAdmit, "lt"); src != SourceTone {
		t.Errorf("tone source %s", src)
	}
}

func TestCacheRendersOnceAndAgainWhenTheTextChanges(t *testing.T) {
	cache := t.TempDir()
	lib := &Library{Params: DefaultParams, Cache: cache}
	first, err := lib.Load(context.Background(), "deny.fever", "en")
	if err != nil {
		t.Fatal(err)
	}
	// Without espeak-ng the cached prompt still plays.
	lib.Espeak = filepath.Join(t.TempDir(), "no-espeak")
	again, err := lib.Load(context.Background(), "deny.fever", "en")
	if err != nil || !slicesEqual(first.Samples, again.Samples) {
		t.Fatalf("cached prompt not used: %v", err)
	}
	// A new threshold is a new sentence: it renders, and the old file goes.
	lib.Params.ThresholdC = 37.5
	if _, err := lib.Load(context.Background(), "deny.fever", "en"); err == nil || !strings.Contains(err.Error(), "espeak-ng") {
		t.Fatalf("a changed text was served from the cache: %v", err)
	}
	lib.Espeak = ""
	if _, err := lib.Load(context.Background(), "deny.fever", "en"); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(cache, "en", "deny.fever.*.wav"))
	if len(files) != 1 || files[0] != filepath.Join(cache, cacheName("deny.fever", "en", Text("deny.fever", "en", lib.Params))) {
		t.Errorf("cache holds %v", files)
	}
	// The plain "deny" key's files are not taken for old renderings of deny.fever, nor the other way round.
	if _, err := lib.Load(context.Background(), KeyDeny, "en"); err != nil {
		t.Fatal(err)
	}
	lib.Params.ThresholdC = 37.3
	if _, err := lib.Load(context.Background(), "deny.fever", "en"); err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(cache, "en", "deny.????????????.wav")); len(files) != 1 {
		t.Errorf("deny.<hash>.wav: %v", files)
	}
	if files, _ := filepath.Glob(filepath.Join(cache, "en", "deny.fever.*.wav")); len(files) != 1 {
		t.Errorf("deny.fever.*.wav: %v", files)
	}
}

func TestUnwritableCacheKeepsPromptsInMemory(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, nil, 0o644)
	log, logs := testLog()
	lib := &Library{Params: DefaultParams, Cache: notDir, Log: log}
	for range 2 {
		if _, err := lib.Load(context.Background(), KeyHoldStill, "ru"); err != nil {
			t.Fatal(err)
		}
	}
	lib.Espeak = "/nonexistent/espeak-ng"
	if _, err := lib.Load(context.Background(), KeyHoldStill, "ru"); err != nil {
		t.Fatalf("rendered prompt not kept in memory: %v", err)
	}
	if n := strings.Count(logs.String(), "not writable"); n != 1 {
		t.Errorf("cache problem logged %d times:\n%s", n, logs)
	}
}

func TestConfig(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.Volume = 101
	c.Device = "-D/dev/null"
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "sound.volume = 101") || !strings.Contains(err.Error(), "sound.device") {
		t.Errorf("Validate: %v", err)
	}
	for _, d := range []string{"", "a b", "x\ny"} {
		c := Default()
		c.Device = d
		if c.Validate() == nil {
			t.Errorf("device %q accepted", d)
		}
	}
	for _, d := range []string{"default", "plughw:CARD=Headphones,DEV=0", "hdmi:CARD=vc4hdmi0,DEV=0", "null"} {
		c := Default()
		c.Device = d
		if err := c.Validate(); err != nil {
			t.Errorf("device %q: %v", d, err)
		}
	}
}
