package metrics_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/metrics"
	"github.com/thermogate/thermogate/internal/promtooltest"
)

func TestConfigValidate(t *testing.T) {
	if err := metrics.Default().Validate(); err != nil || metrics.Default().Listen != "" {
		t.Fatalf("Default() = %+v, %v: want no listener, valid", metrics.Default(), err)
	}
	for _, ok := range []string{"", "127.0.0.1:9479", "192.168.1.20:9479", ":9479", "[::1]:9479", "[fe80::1%eth0]:9479", "localhost:9479", "0.0.0.0:1"} {
		if err := (metrics.Config{Listen: ok}).Validate(); err != nil {
			t.Errorf("listen %q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"127.0.0.1", "9479", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:http", "kiosk.lan:9479", "127.0.0.1:94 79", "::1:9479", "http://127.0.0.1:9479"} {
		err := (metrics.Config{Listen: bad}).Validate()
		if err == nil {
			t.Errorf("listen %q accepted", bad)
			continue
		}
		if !strings.Contains(err.Error(), "metrics.listen") || !strings.Contains(err.Error(), bad) {
			t.Errorf("listen %q: error %q does not name the key and the value", bad, err)
		}
	}
}

func TestListen(t *testing.T) {
	ln, err := metrics.Listen(metrics.Config{})
	if ln != nil || err != nil {
		t.Fatalf("Listen with no address = %v, %v: want nothing", ln, err)
	}
	if _, err := metrics.Listen(metrics.Config{Listen: "nowhere"}); err == nil || !strings.Contains(err.Error(), "metrics.listen") {
		t.Errorf("Listen(nowhere) err = %v, want one naming metrics.listen", err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if _, err := metrics.Listen(metrics.Config{Listen: busy.Addr().String()}); err == nil || !strings.Contains(err.Error(), "metrics.listen") {
		t.Errorf("Listen on a taken port err = %v, want one naming metrics.listen", err)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestServe runs the real listener and server: /healthz follows the
// published state, /metrics answers, and the server stops with its context.
func TestServe(t *testing.T) {
	m := newMetrics(t)
	ln, err := metrics.Listen(metrics.Config{Listen: "127.0.0.1:" + freePort(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- metrics.Serve(ctx, ln, m.Handler()) }()
	base := "http://" + ln.Addr().String()

	for _, c := range []struct {
		cause string // "-" publishes nothing
		code  int
		body  string
	}{
		{"-", 503, "starting\n"},
		{"", 200, "in service\n"},
		{"sensor", 503, "out of service: sensor\n"},
		{"storage", 503, "out of service: storage\n"},
		{"", 200, "in service\n"},
	} {
		if c.cause != "-" {
			m.Service(c.cause)
		}
		if code, body := get(t, base+"/healthz"); code != c.code || body != c.body {
			t.Errorf("after Service(%q): /healthz = %d %q, want %d %q", c.cause, code, body, c.code, c.body)
		}
	}
	if code, body := get(t, base+"/metrics"); code != 200 || !strings.Contains(body, "thermogate_in_service 1") {
		t.Errorf("/metrics = %d, in_service line %q", code, grepLines(body, "thermogate_in_service"))
	}
	if code, _ := get(t, base+"/"); code != 404 {
		t.Errorf("/ = %d, want 404: nothing else is served", code)
	}
	resp, err := http.Post(base+"/healthz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %d, want 405", resp.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after cancel = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the listener still answers after Serve returned")
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// promtool finds Prometheus's promtool; in CI a missing one fails the test.
func promtool(t *testing.T) string { return promtooltest.Path(t) }

// TestPromtoolCheckMetrics lints a real scrape of the handler, with every
// metric populated, fleet included, the way Prometheus's own linter sees it.
func TestPromtoolCheckMetrics(t *testing.T) {
	tool := promtool(t)
	m := newMetrics(t)
	populate(m)
	body := scrape(t, m)
	cmd := exec.Command(tool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}

// populate gives every metric a value.
func populate(m *metrics.Metrics) {
	m.Service("")
	m.Screening("admit", "ok", 1, 900*time.Microsecond)
	m.Screening("deny", "fever", 4, 1200*time.Microsecond)
	m.Screening("refer", "no_reading", 3, 0)
	m.StoreCommit(700 * time.Microsecond)
	m.SensorError("pec")
	m.Room(celsius(21.5))
	m.RoomLimits(15, 32)
	m.Export(t0, nil)
	m.GuardAudited("guard.login")
	m.GuardAudited("guard.lockout")
	f := m.Fleet()
	f.Backlog(2)
	f.Pushed(t0)
	f.Pulled(t0, 17)
}
