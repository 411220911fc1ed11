package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/thermogate/thermogate/internal/sound"
)

func writeConfig(t *testing.T, extra string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(extra), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSoundList(t *testing.T) {
	rec := t.TempDir()
	os.MkdirAll(filepath.Join(rec, "pl"), 0o755)
	os.MkdirAll(filepath.Join(rec, "en"), 0o755)
	good := sound.PCM{Rate: 22050, Channels: 1, Samples: make([]int16, 22050)}
	for i := range good.Samples {
		good.Samples[i] = int16(i%40) * 500
	}
	os.WriteFile(filepath.Join(rec, "pl", "admit.wav"), good.WAV(), 0o644)
	os.WriteFile(filepath.Join(rec, "en", "admit.wav"), []byte("not a wav"), 0o644)
	cfg := writeConfig(t, "[rule]\nthreshold_c = 37.5\n")

	code, out, errOut := runCLI(t, "", "sound", "list", "--config", cfg, "--recordings", rec)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, k := range sound.Keys() {
		if !strings.Contains(out, string(k)+" ") {
			t.Errorf("key %s missing", k)
		}
	}
	for _, want := range []string{
		`(?m)^deny\.fever +ru +synthetic +Вход не разрешён\. Температура выше 37,5 градуса\.$`,
		`(?m)^admit +pl +recorded +Zapraszamy\.`,
		`(?m)^admit +en +synthetic\* +Please enter\.`,
		`(?m)^\* a recording exists but is not used:\n  ` + regexp.QuoteMeta(filepath.Join(rec, "en", "admit.wav")) + `: not a WAV`,
		`(?m)^tone\.deny +\* +tone`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("list lacks %s:\n%s", want, out)
		}
	}
}

func TestSoundRender(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "", "sound", "render", "--config", writeConfig(t, ""), "--dir", dir, "--lang", "pl")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	prompts := 0
	for _, k := range sound.Keys() {
		path := filepath.Join(dir, "pl", string(k)+".wav")
		if k.IsTone() {
			path = filepath.Join(dir, string(k)+".wav")
		} else {
			prompts++
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if k.IsTone() {
			if p, err := sound.DecodeWAV(b); err != nil || p.Peak() == 0 {
				t.Errorf("%s: %v", path, err)
			}
			continue
		}
		// What render writes is what an office may put back as a recording.
		if _, err := sound.ValidateWAV(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "lt")); err == nil {
		t.Error("--lang pl wrote Lithuanian too")
	}
	if !strings.Contains(out, "files written") {
		t.Errorf("output: %s", out)
	}
	if code, _, errOut := runCLI(t, "", "sound", "render", "--dir", dir, "--lang", "de"); code != 2 || !strings.Contains(errOut, `--lang "de"`) {
		t.Errorf("--lang de: exit %d, %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "", "sound", "render"); code != 2 || !strings.Contains(errOut, "--dir is required") {
		t.Errorf("no --dir: exit %d, %s", code, errOut)
	}
}

func TestSoundPlay(t *testing.T) {
	cfg := writeConfig(t, "")
	out := filepath.Join(t.TempDir(), "out.raw")
	code, stdout, errOut := runCLI(t, "", "sound", "play", "--config", cfg, "--device", "file:'"+out+"',raw", "tone.admit")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if st, err := os.Stat(out); err != nil || st.Size() == 0 {
		t.Errorf("nothing reached the device: %v", err)
	}
	if !strings.Contains(stdout, "tone.admit (lt, tone") {
		t.Errorf("stdout: %s", stdout)
	}
	code, _, errOut = runCLI(t, "", "sound", "play", "--config", cfg, "--device", "nonexistent", "--lang", "en", "hold_still")
	if code != 1 || !strings.Contains(errOut, `sound device "nonexistent"`) {
		t.Errorf("missing device: exit %d, %s", code, errOut)
	}
	code, _, errOut = runCLI(t, "", "sound", "play", "--config", cfg, "beep")
	if code != 2 || !strings.Contains(errOut, `unknown sound "beep"`) {
		t.Errorf("unknown key: exit %d, %s", code, errOut)
	}
	code, _, errOut = runCLI(t, "", "sound", "play", "--config", cfg, "--device", "--rm", "admit")
	if code != 1 || !strings.Contains(errOut, "cannot start with '-'") {
		t.Errorf("device as an option: exit %d, %s", code, errOut)
	}
}

func TestGPIOTestNeedsAPin(t *testing.T) {
	cfg := writeConfig(t, "")
	code, _, errOut := runCLI(t, "", "gpio", "test", "--config", cfg, "door")
	if code != 1 || !strings.Contains(errOut, "gpio.door_pin is empty") {
		t.Errorf("exit %d, %s", code, errOut)
	}
	code, _, errOut = runCLI(t, "", "gpio", "test", "--config", cfg, "window")
	if code != 2 || !strings.Contains(errOut, `unknown output "window"`) {
		t.Errorf("exit %d, %s", code, errOut)
	}
	// On a host without GPIO (this machine), a named pin is an error naming it, not a panic.
	code, _, errOut = runCLI(t, "", "gpio", "test", "--config", cfg, "--pin", "GPIO17", "door")
	if code != 1 || !strings.Contains(errOut, `gpio.door_pin = "GPIO17"`) {
		t.Errorf("exit %d, %s", code, errOut)
	}
	code, _, errOut = runCLI(t, "", "gpio", "test", "--config", cfg, "--pin", "GPIO2", "guard")
	if code != 1 || !strings.Contains(errOut, "I²C") {
		t.Errorf("exit %d, %s", code, errOut)
	}
	// gpio off with nothing wired is fine.
	if code, _, errOut := runCLI(t, "", "gpio", "off", "--config", cfg); code != 0 {
		t.Errorf("gpio off: exit %d, %s", code, errOut)
	}
}
