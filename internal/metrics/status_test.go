package metrics_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/metrics"
)

func status(t *testing.T, m *metrics.Metrics, now time.Time) string {
	t.Helper()
	var b bytes.Buffer
	if err := metrics.WriteStatus(&b, m.Registry(), now); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("THERMOGATE_SHOW_STATUS") != "" {
		t.Logf("\n%s", b.String())
	}
	return b.String()
}

// wantLines checks that each want appears on a line starting with its key.
func wantLines(t *testing.T, got string, want map[string]string) {
	t.Helper()
	for key, sub := range want {
		line := ""
		for _, l := range strings.Split(got, "\n") {
			if strings.HasPrefix(l, key) {
				line = l
			}
		}
		if !strings.Contains(line, sub) {
			t.Errorf("line %q = %q, want it to contain %q\n%s", key, line, sub, got)
		}
	}
}

func TestStatusInService(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "thermogate.db")
	if err := os.WriteFile(db, make([]byte, 3<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	m := metrics.New(metrics.Options{Version: "v1.2.3", Commit: "abc1234", DBPath: db,
		DataDir: dir, MinFree: 16_000_000, FreeSpace: func(string) (uint64, error) { return 27_841_300_000, nil }})
	now := t0.Add(26 * time.Hour)
	populate(m)
	m.Screening("admit", "ok", 1, 2*time.Millisecond)
	m.GuardAudited("guard.admit")

	got := status(t, m, now)
	wantLines(t, got, map[string]string{
		"Build:":         "thermogate v1.2.3 (commit abc1234)",
		"Service:":       "IN SERVICE",
		"Room:":          "21.5 °C (screens in 15.0–32.0 °C)",
		"Screenings:":    "4 since start: admit 2, deny 1, refer 1",
		"   ":            "admit/ok 2, deny/fever 1, refer/no_reading 1",
		"Decision time:": "95% within 2.5 ms",
		"Store commit:":  "0.7 ms average",
		"Sensor errors:": "pec 1",
		"Guard:":         "login 1, admit 1; PIN lockouts 1",
		"Export:":        "last success 2026-11-24 09:00 (26 h 00 min ago)",
		"Database:":      "3.0 MiB",
		"Data disk:":     "27.8 GB free; out of service below 16.0 MB (store.min_free)",
		"Fleet:":         "outbox 2 waiting; last push 26 h 00 min ago; last pull 26 h 00 min ago; bookings at sequence 17",
	})
	for _, l := range strings.Split(got, "\n") {
		if n := len([]rune(l)); n > 120 {
			t.Errorf("line of %d characters, too wide for a terminal: %q", n, l)
		}
	}
	if n := strings.Count(got, "\n"); n > 24 {
		t.Errorf("%d lines: more than one screen\n%s", n, got)
	}
}

func TestStatusOutOfService(t *testing.T) {
	m := newMetrics(t)
	got := status(t, m, t0)
	wantLines(t, got, map[string]string{
		"Service:":       "NOT SCREENING: starting",
		"Room:":          "unknown (no reading)",
		"Screenings:":    "0 since start",
		"Export:":        "none known",
		"Sensor errors:": "none",
		"Guard:":         "none; PIN lockouts 0",
	})
	if strings.Contains(got, "Fleet:") || strings.Contains(got, "Decision time:") {
		t.Errorf("fleet or timings shown with none:\n%s", got)
	}

	m.Service("sensor")
	m.SensorError("nack")
	m.SensorError("nack")
	m.Export(t0.Add(-time.Hour), errors.New("disk full"))
	got = status(t, m, t0)
	wantLines(t, got, map[string]string{
		"Service:":       "OUT OF SERVICE: sensor — the sensor fails",
		"Sensor errors:": "nack 2",
		"Export:":        "none known; THE LAST ATTEMPT FAILED",
	})
	m.Service("storage")
	wantLines(t, status(t, m, t0), map[string]string{"Service:": "OUT OF SERVICE: storage — a screening could not be stored"})
}
