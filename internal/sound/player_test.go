package sound

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thermogate/thermogate/kiosk"
)

// recSink records what it plays; hold makes each Play wait for release or
// for its ctx, like a sound that takes time.
type recSink struct {
	mu      sync.Mutex
	played  []PCM // played to the end
	cut     []PCM // cut off
	started chan PCM
	release chan struct{}
	fail    error
}

func newRecSink() *recSink { return &recSink{started: make(chan PCM, 100)} }

func (s *recSink) Play(ctx context.Context, p PCM) error {
	s.started <- p
	s.mu.Lock()
	fail, release := s.fail, s.release
	s.mu.Unlock()
	if fail != nil {
		return fail
	}
	if release != nil {
		select {
		case <-release:
		case <-ctx.Done():
			s.mu.Lock()
			s.cut = append(s.cut, p)
			s.mu.Unlock()
			return ctx.Err()
		}
	}
	s.mu.Lock()
	s.played = append(s.played, p)
	s.mu.Unlock()
	return nil
}

// next waits for the sink to start a sound.
func (s *recSink) next(t *testing.T) PCM {
	t.Helper()
	select {
	case p := <-s.started:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no sound started")
		return PCM{}
	}
}

// quiet checks the sink starts nothing more for a while.
func (s *recSink) quiet(t *testing.T) {
	t.Helper()
	select {
	case p := <-s.started:
		t.Fatalf("unexpected sound of %v", p.Duration())
	case <-time.After(100 * time.Millisecond):
	}
}

// is tells whether p is key k in lang as the player plays it (scaled by cfg's volume).
func is(t *testing.T, lib *Library, cfg Config, p PCM, k Key, lang string) bool {
	t.Helper()
	want, err := lib.Load(context.Background(), k, lang)
	if err != nil {
		t.Fatal(err)
	}
	return slicesEqual(p.Samples, want.Scaled(cfg.Gain()).Samples)
}

func testLibrary() *Library { return &Library{Params: DefaultParams, Cache: sharedCache()} }

func TestEachDecisionPlaysItsToneAndSentence(t *testing.T) {
	lib := testLibrary()
	cfg := Default()
	sink := newRecSink()
	p := NewPlayer(cfg, lib, sink, nil)
	defer p.Close()
	for _, d := range kiosk.Strings(kiosk.Decisions) {
		for _, r := range kiosk.Strings(kiosk.Reasons) {
			for _, lang := range []string{"ru", "en"} {
				tone, prompt := ForDecision(d, r)
				p.PlayDecision(lang, d, r)
				if got := sink.next(t); !is(t, lib, cfg, got, tone, lang) {
					t.Fatalf("%s/%s: first sound is not %s", d, r, tone)
				}
				if got := sink.next(t); !is(t, lib, cfg, got, prompt, lang) {
					t.Fatalf("%s/%s %s: second sound is not %s", d, r, lang, prompt)
				}
			}
		}
	}
	if err := p.Health(); err != nil {
		t.Errorf("Health: %v", err)
	}
}

func TestVoiceOffPlaysTonesOnlyAndStartPromptIsOptIn(t *testing.T) {
	lib := testLibrary()
	cfg := Default()
	cfg.Voice = false
	sink := newRecSink()
	p := NewPlayer(cfg, lib, sink, nil)
	defer p.Close()
	p.PlayDecision("lt", string(kiosk.Deny), string(kiosk.ReasonFever))
	if got := sink.next(t); !is(t, lib, cfg, got, ToneDeny, "lt") {
		t.Fatal("not the DENY tone")
	}
	p.Play("lt", KeyForehead)
	sink.quiet(t)

	cfg = Default()
	p2 := NewPlayer(cfg, lib, sink, nil)
	defer p2.Close()
	p2.Play("lt", KeyStart)
	sink.quiet(t)
	cfg.StartPrompt = true
	p3 := NewPlayer(cfg, lib, sink, nil)
	defer p3.Close()
	p3.Play("lt", KeyStart)
	if got := sink.next(t); !is(t, lib, cfg, got, KeyStart, "lt") {
		t.Fatal("start prompt not played with start_prompt = true")
	}

	for _, off := range []Config{{Enabled: false, Volume: 80, Voice: true, Device: "default"}, {Enabled: true, Volume: 0, Voice: true, Device: "default"}} {
		p := NewPlayer(off, lib, sink, nil)
		p.PlayDecision("en", string(kiosk.Admit), string(kiosk.ReasonOK))
		sink.quiet(t)
		p.Close()
	}
}

func TestVolumeScalesTheSamples(t *testing.T) {
	lib := testLibrary()
	sink := newRecSink()
	cfg := Default()
	cfg.Volume = 50
	p := NewPlayer(cfg, lib, sink, nil)
	defer p.Close()
	p.Play("en", ToneCode)
	got := sink.next(t)
	full, _ := Tone(ToneCode)
	if g, f := got.Peak(), full.Peak(); g < f/4-2 || g > f/4+2 {
		t.Errorf("volume 50: peak %d of %d, want a quarter (−12 dB)", g, f)
	}
}

func TestNewestRequestWins(t *testing.T) {
	lib := testLibrary()
	cfg := Default()
	sink := newRecSink()
	sink.release = make(chan struct{})
	p := NewPlayer(cfg, lib, sink, nil)
	defer p.Close()

	// A prompt that is speaking is cut off by the next prompt.
	p.Play("en", KeyForehead)
	first := sink.next(t)
	start := time.Now()
	p.Play("en", KeyHoldStill)
	if time.Since(start) > 50*time.Millisecond {
		t.Errorf("Play blocked for %v while the device was busy", time.Since(start))
	}
	if got := sink.next(t); !is(t, lib, cfg, got, KeyHoldStill, "en") {
		t.Fatal("the newer prompt did not play")
	}
	sink.mu.Lock()
	cut := len(sink.cut) == 1 && slicesEqual(sink.cut[0].Samples, first.Samples)
	sink.mu.Unlock()
	if !cut {
		t.Fatal("the stale prompt was not cut off")
	}

	// A playing tone is not cut by a prompt: the prompt waits for it.
	sink.release <- struct{}{} // hold_still ends
	p.Play("en", ToneReading)
	sink.next(t)
	p.Play("en", KeyMeasureAgain)
	sink.quiet(t)
	sink.release <- struct{}{} // the tone ends
	if got := sink.next(t); !is(t, lib, cfg, got, KeyMeasureAgain, "en") {
		t.Fatal("the prompt did not follow the tone")
	}

	// A decision cuts off anything, a tone too; a request waiting behind is replaced.
	sink.release <- struct{}{}
	p.Play("en", ToneCode)
	sink.next(t)
	p.Play("en", KeyForehead)                                                // waits for the tone
	p.PlayDecision("en", string(kiosk.Refer), string(kiosk.ReasonNoReading)) // replaces it and cuts the tone
	if got := sink.next(t); !is(t, lib, cfg, got, ToneDeny, "en") {
		t.Fatal("the decision did not cut in")
	}
	sink.release <- struct{}{}
	if got := sink.next(t); !is(t, lib, cfg, got, "refer.no_reading", "en") {
		t.Fatal("the decision's sentence did not follow its tone")
	}
	sink.release <- struct{}{}
	sink.quiet(t) // the replaced forehead prompt never plays
}

func TestFailingDeviceIsReportedOnceAndNeverBlocks(t *testing.T) {
	lib := testLibrary()
	log, logs := testLog()
	sink := newRecSink()
	broken := errors.New("audio open error: No such device")
	sink.fail = broken
	p := NewPlayer(Default(), lib, sink, log)
	defer p.Close()
	for range 5 {
		start := time.Now()
		p.PlayDecision("pl", string(kiosk.Deny), string(kiosk.ReasonSymptoms))
		if d := time.Since(start); d > 50*time.Millisecond {
			t.Errorf("Play took %v with a broken device", d)
		}
		sink.next(t) // the tone fails; its sentence is not tried on a failed device
		sink.quiet(t)
	}
	if err := p.Health(); !errors.Is(err, broken) {
		t.Errorf("Health = %v, want the device's error", err)
	}
	if n := strings.Count(logs.String(), "sound device failed"); n != 1 {
		t.Errorf("failure logged %d times, want once:\n%s", n, logs)
	}
	sink.mu.Lock()
	sink.fail = nil
	sink.mu.Unlock()
	p.Play("pl", ToneCode)
	sink.next(t)
	waitFor(t, func() bool { return strings.Contains(logs.String(), "plays again") })
	if err := p.Health(); err != nil {
		t.Errorf("Health after recovery: %v", err)
	}
	p.Play("pl", ToneCode)
	sink.next(t)
	sink.quiet(t)
	if n := strings.Count(logs.String(), "plays again"); n != 1 {
		t.Errorf("recovery logged %d times:\n%s", n, logs)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatal("condition not met in 5 s")
}

func TestCloseCutsOffWhatPlays(t *testing.T) {
	sink := newRecSink()
	sink.release = make(chan struct{})
	p := NewPlayer(Default(), testLibrary(), sink, nil)
	p.Play("en", KeyForehead)
	sink.next(t)
	done := make(chan struct{})
	go func() { p.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for the sound to end")
	}
	p.Play("en", KeyForehead) // after Close: nothing, no panic
	sink.quiet(t)
}

// The real ALSA sink, through aplay, on devices ALSA has in userspace.

func needAplay(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/aplay"); err != nil {
		t.Fatal("aplay is missing: install alsa-utils (scripts/deps.sh does)")
	}
}

func TestALSAPlaysToAFileDevice(t *testing.T) {
	needAplay(t)
	out := filepath.Join(t.TempDir(), "out.raw")
	tone, _ := Tone(ToneAdmit)
	if err := (ALSA{Device: "file:'" + out + "',raw"}).Play(context.Background(), tone); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := tone.Bytes()
	if len(b) < len(want) || string(b[:len(want)]) != string(want) {
		t.Fatalf("device got %d bytes, not the tone's %d", len(b), len(want))
	}
	if err := (ALSA{Device: "null"}).Play(context.Background(), tone); err != nil {
		t.Fatalf("null device: %v", err)
	}
}

func TestALSAMissingDevice(t *testing.T) {
	needAplay(t)
	tone, _ := Tone(ToneCode)
	err := (ALSA{Device: "nonexistent"}).Play(context.Background(), tone)
	if err == nil || !strings.Contains(err.Error(), `"nonexistent"`) || !strings.Contains(err.Error(), "open") {
		t.Fatalf("err = %v, want one naming the device and the open error", err)
	}
	err = (ALSA{Device: "default", Aplay: "/nonexistent/aplay"}).Play(context.Background(), tone)
	if err == nil || !strings.Contains(err.Error(), "alsa-utils") {
		t.Fatalf("no aplay: %v", err)
	}
}

func TestPlayerOnMissingALSADevice(t *testing.T) {
	needAplay(t)
	log, logs := testLog()
	cfg := Default()
	cfg.Device = "nonexistent"
	p := NewPlayer(cfg, testLibrary(), ALSA{Device: cfg.Device}, log)
	defer p.Close()
	for range 3 {
		start := time.Now()
		p.PlayDecision("en", string(kiosk.Admit), string(kiosk.ReasonOK))
		if d := time.Since(start); d > 50*time.Millisecond {
			t.Errorf("Play took %v", d)
		}
		waitFor(t, func() bool { return p.Health() != nil })
	}
	time.Sleep(200 * time.Millisecond)
	if n := strings.Count(logs.String(), "sound device failed"); n != 1 {
		t.Errorf("logged %d times:\n%s", n, logs)
	}
	if !strings.Contains(p.Health().Error(), "nonexistent") {
		t.Errorf("Health: %v", p.Health())
	}
}

// stallingAplay is an aplay that accepts the sound and never finishes, as
// on a wedged driver.
func stallingAplay(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "aplay")
	if err := os.WriteFile(path, []byte("#!/bin/sh\nexec sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestALSACutOffAndStall(t *testing.T) {
	tone, _ := Tone(ToneCode)
	a := ALSA{Device: "default", Aplay: stallingAplay(t)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Play(ctx, tone) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cut off: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cut-off sound was not stopped")
	}

	start := time.Now()
	err := a.Play(context.Background(), tone)
	if err == nil || !strings.Contains(err.Error(), "stalled") {
		t.Fatalf("stalled device: %v", err)
	}
	if d := time.Since(start); d > tone.Duration()+4*time.Second {
		t.Errorf("a stalled device held the player for %v", d)
	}
}

func TestMissingEspeakPlaysTonesAndIsReportedOnce(t *testing.T) {
	lib := &Library{Params: DefaultParams, Cache: t.TempDir(), Espeak: "/nonexistent/espeak-ng"}
	log, logs := testLog()
	sink := newRecSink()
	p := NewPlayer(Default(), lib, sink, log)
	defer p.Close()
	for range 3 {
		p.PlayDecision("lt", string(kiosk.Deny), string(kiosk.ReasonFever))
		if got := sink.next(t); !is(t, lib, Default(), got, ToneDeny, "lt") {
			t.Fatal("the tone did not play without espeak-ng")
		}
		sink.quiet(t)
	}
	p.Play("lt", ToneCode) // a tone that plays does not hide the missing voices
	sink.next(t)
	time.Sleep(20 * time.Millisecond)
	if err := p.Health(); err == nil || !strings.Contains(err.Error(), "espeak-ng is not installed") {
		t.Errorf("Health: %v", err)
	}
	if n := strings.Count(logs.String(), "sound not available"); n != 1 {
		t.Errorf("logged %d times:\n%s", n, logs)
	}
}
