package daemon

import (
	"context"
	"io"
	"net"
	"net/http"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/admin"
	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/internal/promtooltest"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/sensor/mlxsim"
	"github.com/thermogate/thermogate/storage"

	"periph.io/x/conn/v3/physic"
)

// freeAddr returns a 127.0.0.1 address with a port nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// promtool finds Prometheus's promtool; in CI a missing one fails the test.
func promtool(t *testing.T) string { return promtooltest.Path(t) }

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// samples reads a text-format scrape into series → value.
func samples(t *testing.T, body string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, l := range strings.Split(body, "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err != nil {
			t.Fatalf("scrape line %q: %v", l, err)
		}
		out[l[:i]] = v
	}
	return out
}

// running is a daemon run in the background, its states on a channel.
type running struct {
	d      *Daemon
	states chan kiosk.State
	done   chan error
	cancel context.CancelFunc
}

func runDaemon(t *testing.T, d *Daemon) *running {
	t.Helper()
	r := &running{d: d, states: make(chan kiosk.State, 10000), done: make(chan error, 1)}
	d.Flow().Observe(func(s kiosk.State) {
		select {
		case r.states <- s:
		default:
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-r.done:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return")
		}
	})
	return r
}

// waitFor waits for a state on screen sc that ok accepts (nil: any).
func (r *running) waitFor(t *testing.T, sc kiosk.Screen, ok func(kiosk.State) bool) kiosk.State {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case st := <-r.states:
			if st.Screen == sc && (ok == nil || ok(st)) {
				return st
			}
		case <-deadline:
			t.Fatalf("no %s screen within 30 s; now %+v", sc, r.d.Flow().State())
		}
	}
}

// waitHealth polls /healthz until it answers want.
func waitHealth(t *testing.T, base string, code int, body string) {
	t.Helper()
	var gotCode int
	var got string
	for i := 0; i < 300; i++ {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			gotCode, got = resp.StatusCode, string(b)
			if gotCode == code && got == body {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("/healthz = %d %q, want %d %q", gotCode, got, code, body)
}

func goVersion() string { return runtime.Version() }

func celsius(c float64) physic.Temperature {
	return physic.ZeroCelsius + physic.Temperature(c*float64(physic.Celsius))
}

// TestMetricsEndToEnd is issue 15's test: the headless daemon on the
// simulated sensor, metrics on a local port; an admission, a fever denial
// and a sensor fault; /metrics and /healthz say so, promtool accepts the
// scrape, and no visitor's code or temperature is in it.
func TestMetricsEndToEnd(t *testing.T) {
	addr := freeAddr(t)
	c := testConfig(t, func(c *config.Config) {
		c.Metrics.Listen = addr
		c.Rule.Retest = false // one measurement decides a fever: no 10 s pause
	})
	d := open(t, c, &recorder{})
	now := time.Now()
	csv := "code,start\n"
	for _, code := range []string{"ADMIT111", "FEVER222", "FAULT333"} {
		csv += code + "," + now.Format(time.RFC3339) + "\n"
	}
	if _, err := d.DB().ImportBookings(context.Background(), storage.ActorAdmin, "b.csv", []byte(csv), "csv", false); err != nil {
		t.Fatal(err)
	}
	sim := d.Rig().Sim
	r := runDaemon(t, d)
	base := "http://" + addr
	waitHealth(t, base, http.StatusOK, "in service\n")
	for i := 0; ; i++ { // the first probe reads the room
		_, body := httpGet(t, base+"/metrics")
		if _, ok := samples(t, body)["thermogate_room_temperature_celsius"]; ok {
			break
		}
		if i == 300 {
			t.Fatal("no room temperature while in service")
		}
		time.Sleep(20 * time.Millisecond)
	}

	visit := func(code string, obj float64) kiosk.State {
		t.Helper()
		d.Flow().EnterCode(code)
		r.waitFor(t, kiosk.Symptoms, nil)
		d.Flow().AnswerSymptoms(false)
		r.waitFor(t, kiosk.Measure, nil)
		sim.Present(celsius(obj))
		return r.waitFor(t, kiosk.Decided, func(s kiosk.State) bool { return s.Code == code })
	}
	var shown []string // the visitors' temperatures, which must not be in the scrape
	st := visit("ADMIT111", 35.51)
	if st.Outcome.Decision != kiosk.Admit || st.Outcome.Shown == nil {
		t.Fatalf("admit visit: %+v", st.Outcome)
	}
	shown = append(shown, st.Outcome.Shown.String())
	sim.Remove()
	st = visit("FEVER222", 36.51)
	if st.Outcome.Decision != kiosk.Deny || st.Outcome.Reason != kiosk.ReasonFever || st.Outcome.Shown == nil {
		t.Fatalf("fever visit: %+v", st.Outcome)
	}
	shown = append(shown, st.Outcome.Shown.String())
	sim.Remove()

	// The sensor fails in the middle of the third visit.
	d.Flow().EnterCode("FAULT333")
	r.waitFor(t, kiosk.Symptoms, nil)
	sim.SetFault(mlxsim.BadPEC)
	d.Flow().AnswerSymptoms(false)
	r.waitFor(t, kiosk.OutOfService, func(s kiosk.State) bool { return s.OutOfService == kiosk.OOSSensor })
	waitHealth(t, base, http.StatusServiceUnavailable, "out of service: sensor\n")

	// `thermogate status` through the admin socket says the same.
	cl, err := admin.Dial(context.Background(), config.SocketPath(c.Store.Path))
	if err != nil {
		t.Fatal(err)
	}
	status, err := cl.Status(context.Background())
	cl.Close()
	if err != nil || status.Cause != kiosk.OOSSensor || !strings.Contains(status.Text, "OUT OF SERVICE: sensor") ||
		!strings.Contains(status.Text, "3 since start: admit 1, deny 1, refer 1") || !strings.Contains(status.Text, "pec") {
		t.Errorf("status: %v %q\n%s", err, status.Cause, status.Text)
	}
	t.Logf("thermogate status:\n%s", status.Text)

	code, body := httpGet(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d\n%s", code, body)
	}
	s := samples(t, body)
	for series, want := range map[string]float64{
		`thermogate_screenings_total{decision="admit",reason="ok"}`:           1,
		`thermogate_screenings_total{decision="deny",reason="fever"}`:         1,
		`thermogate_screenings_total{decision="refer",reason="sensor_fault"}`: 1,
		`thermogate_screenings_total{decision="deny",reason="unknown_code"}`:  0,
		`thermogate_in_service`:                                                                     0,
		`thermogate_out_of_service{cause="sensor"}`:                                                 1,
		`thermogate_out_of_service{cause="storage"}`:                                                0,
		`thermogate_screening_measurement_attempts_count`:                                           3,
		`thermogate_decision_latency_seconds_count`:                                                 2, // the fault had no reading
		`thermogate_room_temperature_min_celsius`:                                                   c.Rule.AmbientMinC,
		`thermogate_room_temperature_max_celsius`:                                                   c.Rule.AmbientMaxC,
		`thermogate_guard_actions_total{kind="login"}`:                                              0,
		`thermogate_build_info{commit="unknown",goversion="` + goVersion() + `",version="unknown"}`: 1,
	} {
		if got, ok := s[series]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	if got := s[`thermogate_sensor_errors_total{kind="pec"}`]; got < 1 {
		t.Errorf(`sensor_errors_total{kind="pec"} = %v, want at least 1`, got)
	}
	if got := s["thermogate_store_commit_duration_seconds_count"]; got < 3 {
		t.Errorf("store_commit_duration_seconds_count = %v, want at least the 3 screenings", got)
	}
	if got := s["thermogate_decision_latency_seconds_sum"]; got <= 0 || got > 10 {
		t.Errorf("decision_latency_seconds_sum = %v, want a real, short time", got)
	}
	if _, ok := s["thermogate_room_temperature_celsius"]; ok {
		t.Error("room temperature still reported while the sensor fails")
	}
	if got := s["thermogate_database_size_bytes"]; got <= 0 {
		t.Errorf("database_size_bytes = %v", got)
	}
	for _, code := range []string{"ADMIT111", "FEVER222", "FAULT333"} {
		if strings.Contains(body, code) {
			t.Errorf("the scrape contains the booking code %q", code)
		}
	}
	for _, l := range strings.Split(body, "\n") {
		for _, temp := range shown {
			if strings.HasPrefix(l, "thermogate_") && strings.Contains(l, strings.TrimSuffix(temp, " °C")) {
				t.Errorf("the scrape contains a visitor's temperature %s: %s", temp, l)
			}
		}
	}

	cmd := exec.Command(promtool(t), "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics on the daemon's scrape: %v\n%s", err, out)
	}
}

// A metrics port that cannot be bound is logged; the kiosk screens on.
func TestMetricsPortTakenKioskScreensOn(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	c := testConfig(t, func(c *config.Config) { c.Metrics.Listen = busy.Addr().String() })
	d := open(t, c, &recorder{})
	r := runDaemon(t, d)
	for range kiosk.MaxUnknownCodes { // the first ones are typos to correct; the last is decided
		d.Flow().EnterCode("NOSUCH12")
	}
	st := r.waitFor(t, kiosk.Decided, nil)
	if st.Outcome.Decision != kiosk.Refer || st.Outcome.Reason != kiosk.ReasonUnknownCode {
		t.Fatalf("outcome %+v", st.Outcome)
	}
	select {
	case err := <-r.done:
		t.Fatalf("Run returned %v: a taken metrics port stopped the kiosk", err)
	default:
	}
}

// metricValue is the value of the daemon's single-series metric name; ok
// false when it is absent.
func metricValue(t *testing.T, d *Daemon, name string) (float64, bool) {
	t.Helper()
	mfs, err := d.Metrics().Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			m := mf.GetMetric()[0]
			if m.Gauge != nil {
				return m.GetGauge().GetValue(), true
			}
			return m.GetCounter().GetValue(), true
		}
	}
	return 0, false
}

// The nightly export reports its outcome; a restart reports the last
// export the database holds; a failing post-export command is a failure.
func TestExportMetrics(t *testing.T) {
	c := testConfig(t, nil)
	d := open(t, c, &recorder{})
	if _, ok := metricValue(t, d, "thermogate_export_last_success_timestamp_seconds"); ok {
		t.Fatal("a last export reported before any")
	}
	screen(t, d.db, time.Now().Add(-24*time.Hour), 36.6)
	before := time.Now()
	d.exportDue(context.Background())
	if v, ok := metricValue(t, d, "thermogate_export_last_ok"); !ok || v != 1 {
		t.Fatalf("export_last_ok = %v %v after a good export", v, ok)
	}
	at, ok := metricValue(t, d, "thermogate_export_last_success_timestamp_seconds")
	if !ok || at < float64(before.Unix()) || at > float64(time.Now().Unix()+1) {
		t.Fatalf("export_last_success = %v %v, want about now", at, ok)
	}
	d.Close()

	c.Export.PostCommand = "exit 4"
	d2 := open(t, c, &recorder{})
	if v, ok := metricValue(t, d2, "thermogate_export_last_success_timestamp_seconds"); !ok || int64(v) != int64(at) {
		t.Fatalf("after a restart export_last_success = %v %v, want %v from the database", v, ok, at)
	}
	screen(t, d2.db, time.Now().Add(-48*time.Hour), 36.6) // a day to export again
	d2.exportDue(context.Background())
	if v, ok := metricValue(t, d2, "thermogate_export_last_ok"); !ok || v != 0 {
		t.Fatalf("export_last_ok = %v %v after the post-export command failed", v, ok)
	}
}
