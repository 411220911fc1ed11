package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the command line in process and returns exit code, stdout, stderr.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := execute(context.Background(), commands(), args, &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb})
	return code, out.String(), errb.String()
}

func TestHelpAndUsage(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{[]string{"help"}, 0, "commands:", ""},
		{[]string{"help", "sensor", "read"}, 0, "-count", ""},
		{[]string{"-h"}, 0, "sensor", ""},
		{[]string{"sensor", "-h"}, 0, "emissivity", ""},
		{[]string{"sensor", "read", "-h"}, 0, "usage: thermogate sensor read [flags]", ""},
		{[]string{}, 2, "", "usage: thermogate <command>"},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"help", "frobnicate"}, 2, "", "no help"},
		{[]string{"sensor", "read", "--nope"}, 2, "", "flag provided but not defined: -nope"},
		{[]string{"sensor", "read", "extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"sensor", "read", "--count", "0", "--sim"}, 2, "", "--count 0"},
		{[]string{"sensor", "read", "--addr", "0x100", "--sim"}, 2, "", "7-bit address"},
		{[]string{"sensor", "emissivity", "--sim", "--set", "1.5"}, 2, "", "between 0.1 and 1.0"},
		{[]string{"version"}, 0, "thermogate dev", ""},
		{[]string{"help", "bookings", "import"}, 0, "-replace", ""},
		{[]string{"guard", "add"}, 2, "", "missing NAME"},
		{[]string{"guard", "add", "Ona", "--db", "x"}, 2, "", "flags come first"},
		{[]string{"export", "extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"audit"}, 2, "", "verify"},
	}
	for _, tt := range tests {
		code, out, errs := runCLI(t, "", tt.args...)
		if code != tt.code || !strings.Contains(out, tt.inStdout) || !strings.Contains(errs, tt.inStderr) {
			t.Errorf("thermogate %s: exit %d, stdout %q, stderr %q; want exit %d with %q / %q",
				strings.Join(tt.args, " "), code, out, errs, tt.code, tt.inStdout, tt.inStderr)
		}
	}
}

func TestSensorReadSim(t *testing.T) {
	code, out, errs := runCLI(t, "", "sensor", "read", "--sim", "--count", "3", "--interval", "1ms", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), out)
	}
	for _, l := range lines {
		var r readLine
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if r.AmbientC < 21.9 || r.AmbientC > 22.1 || r.ObjectC < 34.9 || r.ObjectC > 35.5 {
			t.Fatalf("simulated read %+v, want a 22 °C room and a 35.2 °C forehead", r)
		}
	}
	code, out, _ = runCLI(t, "", "sensor", "read", "--sim")
	if code != 0 || !strings.Contains(out, "ambient  22.01 °C") {
		t.Fatalf("text read: exit %d, %q", code, out)
	}
}

func TestSensorInfoAndEmissivitySim(t *testing.T) {
	code, out, _ := runCLI(t, "", "sensor", "info", "--sim")
	for _, want := range []string{"id          0a1b2c3d4e5f6071", "emissivity  1.000", "config      0x9fb4"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("sensor info: exit %d, output lacks %q:\n%s", code, want, out)
		}
	}
	code, out, _ = runCLI(t, "", "sensor", "emissivity", "--sim", "--set", "0.98")
	if code != 0 || !strings.Contains(out, "emissivity 0.980 (was 1.000)") || !strings.Contains(out, "Power the sensor off and on") {
		t.Fatalf("emissivity --set: exit %d, %q", code, out)
	}
}

func TestSensorWithoutI2C(t *testing.T) {
	if m, _ := filepath.Glob("/dev/i2c-*"); len(m) > 0 {
		t.Skip("this machine has I²C")
	}
	if _, err := os.Stat("/sys/bus/i2c/devices"); err == nil {
		entries, _ := os.ReadDir("/sys/bus/i2c/devices")
		if len(entries) > 0 {
			t.Skip("this machine has I²C devices")
		}
	}
	code, _, errs := runCLI(t, "", "sensor", "read")
	if code != 1 || !strings.Contains(errs, "no I²C bus found") || !strings.Contains(errs, "--sim") {
		t.Fatalf("exit %d, stderr %q; want 1 and a message naming --sim", code, errs)
	}
}

func TestConfigCommands(t *testing.T) {
	code, out, _ := runCLI(t, "", "config", "default")
	if code != 0 || !strings.Contains(out, "threshold_c = 37.3") {
		t.Fatalf("config default: exit %d\n%s", code, out)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.toml")
	os.WriteFile(good, []byte(out), 0o600)
	if code, out, errs := runCLI(t, "", "config", "check", good); code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("config check of the default: exit %d %q %q", code, out, errs)
	}
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[rule]\nthreshold_c = 39.99\nfoo = 1\n"), 0o600)
	code, _, errs := runCLI(t, "", "config", "check", bad)
	if code != 1 || !strings.Contains(errs, "rule.threshold_c") || !strings.Contains(errs, "unknown key rule.foo") {
		t.Fatalf("config check of a bad file: exit %d, %q", code, errs)
	}
	if code, _, _ := runCLI(t, "", "config", "check"); code != 2 {
		t.Fatalf("config check without FILE: exit %d, want 2", code)
	}
}
