package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/internal/metrics"
	"github.com/thermogate/thermogate/internal/syncbuf"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/sensor/mlx90614"
	"github.com/thermogate/thermogate/sensor/mlxsim"
	"github.com/thermogate/thermogate/storage"
)

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func celsius(c float64) physic.Temperature {
	return physic.ZeroCelsius + physic.Temperature(c*float64(physic.Celsius))
}

func newMetrics(t *testing.T) *metrics.Metrics {
	t.Helper()
	return metrics.New(metrics.Options{Version: "v1.2.3", Commit: "abc1234", DBPath: filepath.Join(t.TempDir(), "none.db")})
}

// scrape gets /metrics from the handler the daemon serves.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	return string(b)
}

// family returns one gathered family of the kiosk's, or nil.
func family(t *testing.T, m *metrics.Metrics, name string) *dto.MetricFamily {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "thermogate_"+name {
			return mf
		}
	}
	return nil
}

// TestVocabularyMatchesTheKiosk: the closed label lists are the words
// storage and kiosk use, so no real decision, reason or cause lands in
// "other".
func TestVocabularyMatchesTheKiosk(t *testing.T) {
	decisions := []string{string(kiosk.Admit), string(kiosk.Deny), string(kiosk.Refer)}
	reasons := []string{string(kiosk.ReasonOK), string(kiosk.ReasonFever), string(kiosk.ReasonSymptoms), string(kiosk.ReasonUnknownCode),
		string(kiosk.ReasonNotToday), string(kiosk.ReasonTooEarly), string(kiosk.ReasonTooLate), string(kiosk.ReasonUsed), string(kiosk.ReasonCancelled),
		string(kiosk.ReasonNoReading), string(kiosk.ReasonSensorFault), string(kiosk.ReasonStorage), string(kiosk.ReasonGuard)}
	causes := kiosk.OOSCauses
	for _, c := range []struct {
		name      string
		got, want []string
	}{{"Decisions", metrics.Decisions, decisions}, {"Reasons", metrics.Reasons, reasons}, {"Causes", metrics.Causes, causes}} {
		if !slices.Equal(slices.Sorted(slices.Values(c.got)), slices.Sorted(slices.Values(c.want))) {
			t.Errorf("metrics.%s = %v, want the kiosk's %v", c.name, c.got, c.want)
		}
	}
	for _, faultName := range []string{"nack", "pec", "flag"} {
		if !slices.Contains(metrics.SensorErrorKinds, faultName) {
			t.Errorf("SensorErrorKinds lacks %q", faultName)
		}
	}
}

func TestScreeningCounts(t *testing.T) {
	m := newMetrics(t)
	m.Screening("admit", "ok", 1, 2*time.Millisecond)
	m.Screening("admit", "ok", 2, 3*time.Millisecond)
	m.Screening("deny", "fever", 4, 4*time.Millisecond)
	m.Screening("deny", "unknown_code", 0, 0) // decided without measuring

	for _, c := range []struct {
		decision, reason string
		want             float64
	}{{"admit", "ok", 2}, {"deny", "fever", 1}, {"deny", "unknown_code", 1}, {"deny", "symptoms", 0}} {
		mf := family(t, m, "screenings_total")
		got := -1.0
		for _, s := range mf.GetMetric() {
			if labels(s)["decision"] == c.decision && labels(s)["reason"] == c.reason {
				got = s.GetCounter().GetValue()
			}
		}
		if got != c.want {
			t.Errorf("screenings_total{decision=%q,reason=%q} = %v, want %v (-1: series missing)", c.decision, c.reason, got, c.want)
		}
	}
	att := family(t, m, "screening_measurement_attempts").GetMetric()[0].GetHistogram()
	if att.GetSampleCount() != 3 || att.GetSampleSum() != 7 {
		t.Errorf("attempts: count %d sum %v, want 3 and 7 (the screening without a measurement is not observed)", att.GetSampleCount(), att.GetSampleSum())
	}
	lat := family(t, m, "decision_latency_seconds").GetMetric()[0].GetHistogram()
	if lat.GetSampleCount() != 3 || lat.GetSampleSum() < 0.0089 || lat.GetSampleSum() > 0.0091 {
		t.Errorf("decision latency: count %d sum %v s, want 3 and 0.009", lat.GetSampleCount(), lat.GetSampleSum())
	}
	m.StoreCommit(1500 * time.Microsecond)
	commit := family(t, m, "store_commit_duration_seconds").GetMetric()[0].GetHistogram()
	if commit.GetSampleCount() != 1 || commit.GetSampleSum() != 0.0015 {
		t.Errorf("store commit: count %d sum %v, want 1 and 0.0015", commit.GetSampleCount(), commit.GetSampleSum())
	}
}

// TestNoVisitorData feeds a booking code into every string the API takes,
// then scrapes: it may not appear, and every label value must be one of the
// kiosk's own words. (No method takes a person's temperature: the only
// temperature in the API is the room's.)
func TestNoVisitorData(t *testing.T) {
	const code = "AB12CD"
	m := newMetrics(t)
	m.Screening(code, code, 1, time.Millisecond)
	m.Screening("deny", code, 1, time.Millisecond)
	m.Screening(strings.ToLower(code), "fever", 2, time.Millisecond)
	m.Service(code)
	m.SensorError(code)
	m.GuardAudited("guard." + code)
	m.GuardAudited("guard.admit")
	m.Room(celsius(21.5)) // the room's, the only temperature the API takes
	m.RoomLimits(15, 32)
	m.Fleet().Backlog(3)
	m.Export(t0, nil)

	body := scrape(t, m)
	for _, leak := range []string{code, strings.ToLower(code)} {
		if strings.Contains(body, leak) {
			t.Errorf("the scrape contains %q:\n%s", leak, grepLines(body, leak))
		}
	}
	allowed := map[string][]string{
		"decision": append(slices.Clone(metrics.Decisions), metrics.Other),
		"reason":   append(slices.Clone(metrics.Reasons), metrics.Other),
		"cause":    append(slices.Clone(metrics.Causes), metrics.Other),
		"kind":     append(append(slices.Clone(metrics.SensorErrorKinds), metrics.GuardActions...), metrics.Other),
	}
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, s := range mf.GetMetric() {
			for k, v := range labels(s) {
				if list, ok := allowed[k]; ok && !slices.Contains(list, v) {
					t.Errorf("%s{%s=%q}: not one of the kiosk's words", mf.GetName(), k, v)
				}
				if _, ok := allowed[k]; !ok && mf.GetName() != "thermogate_build_info" && !strings.HasPrefix(mf.GetName(), "go_") {
					t.Errorf("%s has an unexpected label %s=%q", mf.GetName(), k, v)
				}
			}
		}
	}
	if got := gauge(t, m, "screenings_total", map[string]string{"decision": "other", "reason": "other"}); got != 1 {
		t.Errorf("screenings_total{decision=other,reason=other} = %v, want 1", got)
	}
}

func TestServiceAndHealth(t *testing.T) {
	m := newMetrics(t)
	if got := m.Health(); got != metrics.Starting {
		t.Fatalf("Health before any state = %q, want %q", got, metrics.Starting)
	}
	check := func(inService float64, cause string) {
		t.Helper()
		if got := gauge(t, m, "in_service", nil); got != inService {
			t.Errorf("in_service = %v, want %v", got, inService)
		}
		ones := 0
		for _, s := range family(t, m, "out_of_service").GetMetric() {
			if s.GetGauge().GetValue() == 1 {
				ones++
				if labels(s)["cause"] != cause {
					t.Errorf("out_of_service{cause=%q} = 1, want only %q", labels(s)["cause"], cause)
				}
			}
		}
		if want := map[bool]int{true: 1, false: 0}[cause != ""]; ones != want {
			t.Errorf("%d causes at 1, want %d", ones, want)
		}
	}
	check(0, "")
	m.Service("sensor")
	check(0, "sensor")
	if got := m.Health(); got != "sensor" {
		t.Errorf("Health = %q, want sensor", got)
	}
	m.Service("ambient")
	check(0, "ambient")
	m.Service("something new")
	check(0, metrics.Other)
	m.Service("")
	check(1, "")
	if got := m.Health(); got != "" {
		t.Errorf("Health in service = %q, want empty", got)
	}
	if n := len(family(t, m, "out_of_service").GetMetric()); n != len(metrics.Causes) {
		t.Errorf("%d out_of_service series after going back in service, want %d (other withdrawn)", n, len(metrics.Causes))
	}
}

func TestRoom(t *testing.T) {
	m := newMetrics(t)
	if family(t, m, "room_temperature_celsius") != nil {
		t.Fatal("room temperature exposed before any reading: an alert would see 0 °C")
	}
	m.Room(celsius(21.25))
	if got := gauge(t, m, "room_temperature_celsius", nil); got < 21.2499 || got > 21.2501 {
		t.Errorf("room = %v, want 21.25", got)
	}
	m.RoomUnknown()
	if family(t, m, "room_temperature_celsius") != nil {
		t.Error("room temperature still exposed after RoomUnknown")
	}
	m.RoomLimits(15, 32)
	if lo, hi := gauge(t, m, "room_temperature_min_celsius", nil), gauge(t, m, "room_temperature_max_celsius", nil); lo != 15 || hi != 32 {
		t.Errorf("room limits %v–%v, want 15–32", lo, hi)
	}
}

func TestExport(t *testing.T) {
	m := newMetrics(t)
	if family(t, m, "export_last_success_timestamp_seconds") != nil || family(t, m, "export_last_ok") != nil {
		t.Fatal("export metrics exposed before any export is known")
	}
	m.ExportKnown(t0.Add(-24 * time.Hour))
	if got := gauge(t, m, "export_last_success_timestamp_seconds", nil); got != float64(t0.Add(-24*time.Hour).Unix()) {
		t.Errorf("last success after ExportKnown = %v", got)
	}
	m.Export(t0, nil)
	if got := gauge(t, m, "export_last_success_timestamp_seconds", nil); got != float64(t0.Unix()) {
		t.Errorf("last success = %v, want %v", got, t0.Unix())
	}
	if got := gauge(t, m, "export_last_ok", nil); got != 1 {
		t.Errorf("last ok = %v, want 1", got)
	}
	m.Export(t0.Add(24*time.Hour), errors.New("disk full"))
	if got := gauge(t, m, "export_last_ok", nil); got != 0 {
		t.Errorf("last ok after a failure = %v, want 0", got)
	}
	if got := gauge(t, m, "export_last_success_timestamp_seconds", nil); got != float64(t0.Unix()) {
		t.Errorf("a failure moved the last success to %v", got)
	}
	if got := gauge(t, m, "export_last_attempt_timestamp_seconds", nil); got != float64(t0.Add(24*time.Hour).Unix()) {
		t.Errorf("last attempt = %v", got)
	}
}

func TestGuardAudited(t *testing.T) {
	m := newMetrics(t)
	for _, c := range []struct {
		action string
		counts bool
	}{
		{"guard.login", true}, {"guard.login_failed", true}, {"guard.login_failed", true}, {"guard.lockout", true},
		{"guard.admit", true}, {"kiosk.out_of_service", true}, {"kiosk.in_service", true}, {"guard.logout", true},
		{"guard.add", false}, {"guard.remove", false}, {"bookings.import", false}, {"export.done", false}, {"guard.", false},
	} {
		if got := m.GuardAudited(c.action); got != c.counts {
			t.Errorf("GuardAudited(%q) = %v, want %v", c.action, got, c.counts)
		}
	}
	want := map[string]float64{"login": 1, "login_failed": 2, "admit": 1, "out_of_service": 1, "in_service": 1, "logout": 1, "deny": 0}
	for _, s := range family(t, m, "guard_actions_total").GetMetric() {
		k := labels(s)["kind"]
		if w, ok := want[k]; ok && s.GetCounter().GetValue() != w {
			t.Errorf("guard_actions_total{kind=%q} = %v, want %v", k, s.GetCounter().GetValue(), w)
		}
		delete(want, k)
	}
	if len(want) > 0 {
		t.Errorf("guard action series missing: %v", want)
	}
	if got := family(t, m, "pin_lockouts_total").GetMetric()[0].GetCounter().GetValue(); got != 1 {
		t.Errorf("pin_lockouts_total = %v, want 1", got)
	}
}

// TestSensorErrorKind classifies the errors the real driver and sampler
// return for each fault of the byte-level simulator.
func TestSensorErrorKind(t *testing.T) {
	for _, c := range []struct {
		fault mlxsim.Fault
		want  string
	}{{mlxsim.NACK, "nack"}, {mlxsim.Absent, "nack"}, {mlxsim.BadPEC, "pec"}, {mlxsim.Flag, "flag"}} {
		clk := clock.NewVirtual(t0)
		sim := mlxsim.New(&mlxsim.Opts{Clock: clk, Seed: 1})
		s := sampler(t, sim, clk)
		sim.SetFault(c.fault)
		_, err := s.Probe()
		if got := metrics.SensorErrorKind(err); got != c.want {
			t.Errorf("fault %s: kind of %v = %q, want %q", c.fault, err, got, c.want)
		}
	}

	clk := clock.NewVirtual(t0)
	sim := mlxsim.New(&mlxsim.Opts{Clock: clk, Seed: 1})
	s := sampler(t, sim, clk)
	sim.Present(celsius(36.5))
	clk.Advance(time.Second)
	sim.SetFault(mlxsim.Stuck)
	sim.Remove()
	_, err := s.Measure(context.Background(), nil)
	if got := metrics.SensorErrorKind(err); got != "frozen" {
		t.Errorf("stuck sensor: kind of %v = %q, want frozen", err, got)
	}

	// An out-of-range word: a die temperature the chip cannot report.
	if got := metrics.SensorErrorKind(fmt.Errorf("%w: %w", sensor.ErrFault, mlx90614.ErrRange)); got != "range" {
		t.Errorf("range error: kind %q, want range", got)
	}
	for _, err := range []error{nil, sensor.ErrNoForehead, sensor.ErrUnstable, context.Canceled} {
		if got := metrics.SensorErrorKind(err); got != "" {
			t.Errorf("kind of %v = %q, want none: not a sensor fault", err, got)
		}
	}
}

func TestDatabaseSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "thermogate.db")
	m := metrics.New(metrics.Options{DBPath: path})
	if family(t, m, "database_size_bytes") != nil {
		t.Fatal("database size reported for a missing file")
	}
	if err := os.WriteFile(path, make([]byte, 32768), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := gauge(t, m, "database_size_bytes", nil); got != 32768 {
		t.Errorf("database size = %v, want 32768", got)
	}
	if err := os.WriteFile(path, make([]byte, 65536), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := gauge(t, m, "database_size_bytes", nil); got != 65536 {
		t.Errorf("database size after growth = %v, want 65536 (read at scrape time)", got)
	}
}

func TestFleetOnlyWhenConfigured(t *testing.T) {
	m := newMetrics(t)
	if strings.Contains(scrape(t, m), "thermogate_fleet_") {
		t.Fatal("fleet metrics without a fleet")
	}
	f := m.Fleet()
	if m.Fleet() != f {
		t.Fatal("Fleet registered twice")
	}
	f.Backlog(7)
	f.Pushed(t0)
	f.Pulled(t0.Add(time.Second), 4242)
	for name, want := range map[string]float64{
		"fleet_outbox_backlog": 7, "fleet_last_push_timestamp_seconds": float64(t0.Unix()),
		"fleet_last_pull_timestamp_seconds": float64(t0.Unix() + 1), "fleet_booking_sequence": 4242,
	} {
		if got := gauge(t, m, name, nil); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}

func TestBuildInfo(t *testing.T) {
	m := newMetrics(t)
	body := scrape(t, m)
	if !strings.Contains(body, `thermogate_build_info{commit="abc1234",goversion="go`) || !strings.Contains(body, `version="v1.2.3"} 1`) {
		t.Errorf("build info missing:\n%s", grepLines(body, "build_info"))
	}
}

// TestDataDiskFree: the free space of the database's real filesystem is
// read at each scrape with the same statfs the kiosk's disk check uses,
// beside store.min_free, so an alert can warn before the kiosk stops.
func TestDataDiskFree(t *testing.T) {
	dir := t.TempDir()
	m := metrics.New(metrics.Options{DataDir: dir, FreeSpace: storage.FreeSpace, MinFree: 16 * kiosk.MB})
	before, err := storage.FreeSpace(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := gauge(t, m, "data_disk_free_bytes", nil)
	after, err := storage.FreeSpace(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Other processes write to this disk meanwhile: the scrape's reading
	// lies between the two taken around it, give or take a megabyte.
	lo, hi := float64(min(before, after))-1e6, float64(max(before, after))+1e6
	if got < lo || got > hi || got <= 0 {
		t.Errorf("data_disk_free_bytes = %.0f, want statfs's %d..%d", got, before, after)
	}
	if got := gauge(t, m, "data_disk_min_free_bytes", nil); got != 16_000_000 {
		t.Errorf("data_disk_min_free_bytes = %.0f, want store.min_free's 16000000", got)
	}

	// Read at scrape time: a FreeSpace that changes is seen at the next scrape.
	var free atomic.Uint64
	free.Store(40_000_000)
	m = metrics.New(metrics.Options{DataDir: dir, MinFree: 8 * kiosk.MB,
		FreeSpace: func(d string) (uint64, error) {
			if d != dir {
				return 0, fmt.Errorf("asked %q, want %q", d, dir)
			}
			return free.Load(), nil
		}})
	if got := gauge(t, m, "data_disk_free_bytes", nil); got != 40_000_000 {
		t.Errorf("data_disk_free_bytes = %.0f, want 40000000", got)
	}
	free.Store(12_000_000)
	if got := gauge(t, m, "data_disk_free_bytes", nil); got != 12_000_000 {
		t.Errorf("data_disk_free_bytes after filling = %.0f, want 12000000 (read at scrape time)", got)
	}
	if got := gauge(t, m, "data_disk_min_free_bytes", nil); got != 8_000_000 {
		t.Errorf("data_disk_min_free_bytes = %.0f, want 8000000", got)
	}
}

// TestDataDiskFreeUnreadable: a directory that cannot be measured gives no
// sample (not a wrong 0, which would look like a full disk) and one
// warning, not one per scrape; the threshold stays. Once readable again
// the sample is back.
func TestDataDiskFreeUnreadable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	var logs syncbuf.Buffer
	m := metrics.New(metrics.Options{DataDir: dir, FreeSpace: storage.FreeSpace, MinFree: 16 * kiosk.MB,
		Log: slog.New(slog.NewTextHandler(&logs, nil))})
	for range 3 {
		if family(t, m, "data_disk_free_bytes") != nil {
			t.Fatal("free space reported for a missing directory")
		}
	}
	if n := strings.Count(logs.String(), "data disk free space"); n != 1 || !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), dir) {
		t.Errorf("%d warnings in three scrapes, want 1 naming %s:\n%s", n, dir, logs.String())
	}
	if got := gauge(t, m, "data_disk_min_free_bytes", nil); got != 16_000_000 {
		t.Errorf("data_disk_min_free_bytes = %.0f without a reading, want 16000000", got)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if got := gauge(t, m, "data_disk_free_bytes", nil); got <= 0 {
		t.Errorf("data_disk_free_bytes = %.0f once the directory exists, want its free space", got)
	}

	// Without a data directory, neither series.
	m = newMetrics(t)
	for _, name := range []string{"data_disk_free_bytes", "data_disk_min_free_bytes"} {
		if family(t, m, name) != nil {
			t.Errorf("%s without a data directory", name)
		}
	}
}
