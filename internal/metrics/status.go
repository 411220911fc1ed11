package metrics

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// causeWords says what each out-of-service cause means to the person at
// the kiosk, and what to do.
var causeWords = map[string]string{
	"sensor":           "the sensor fails (back by itself when it answers; check its cable)",
	"ambient":          "the room is too cold or too warm for the sensor",
	"clock":            "the clock is wrong (no network time yet?)",
	"storage":          "a screening could not be stored (fix the disk, then a guard puts it back)",
	"guard":            "a guard took it out of service",
	"database_corrupt": "the database file is damaged (thermogate db check; restore it from a backup, then restart)",
	"disk_full":        "the data disk is (nearly) full: less free than store.min_free (make room; back by itself)",
	Other:              "an unknown cause (see the journal)",
}

// WriteStatus writes one screen of the kiosk's state for `thermogate
// status`: the same facts /metrics serves, read from g (the daemon's
// registry), with times relative to now. Counts are since the daemon
// started.
func WriteStatus(w io.Writer, g prometheus.Gatherer, now time.Time) error {
	mfs, err := g.Gather()
	if err != nil && len(mfs) == 0 {
		return fmt.Errorf("read metrics: %w", err)
	}
	s := snapshot{}
	for _, mf := range mfs {
		s[mf.GetName()] = mf
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(k, format string, a ...any) { fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, a...)) }

	if b := s.metrics("build_info"); len(b) > 0 {
		line("Build:", "thermogate %s (commit %s)", label(b[0], "version"), label(b[0], "commit"))
	}
	if v, ok := s.value("process_start_time_seconds"); ok {
		start := fromUnix(v)
		line("Running since:", "%s (%s)", start.In(now.Location()).Format("2006-01-02 15:04:05"), ago(now, start))
	}

	if v, _ := s.value(Namespace + "_in_service"); v == 1 {
		line("Service:", "IN SERVICE")
	} else {
		cause := ""
		for _, m := range s.metrics("out_of_service") {
			if m.GetGauge().GetValue() == 1 {
				cause = label(m, "cause")
			}
		}
		if cause == "" {
			line("Service:", "NOT SCREENING: starting")
		} else {
			line("Service:", "OUT OF SERVICE: %s — %s", cause, causeWords[cause])
		}
	}

	room := "unknown (no reading)"
	if v, ok := s.value(Namespace + "_room_temperature_celsius"); ok {
		room = fmt.Sprintf("%.1f °C", v)
	}
	lo, okLo := s.value(Namespace + "_room_temperature_min_celsius")
	hi, okHi := s.value(Namespace + "_room_temperature_max_celsius")
	if okLo && okHi && lo < hi {
		room += fmt.Sprintf(" (screens in %.1f–%.1f °C)", lo, hi)
	}
	line("Room:", "%s", room)

	// Screenings: totals by decision, then every non-zero reason.
	byDecision := map[string]float64{}
	var reasons []string
	total := 0.0
	for _, m := range s.metrics("screenings_total") {
		v := m.GetCounter().GetValue()
		if v == 0 {
			continue
		}
		total += v
		byDecision[label(m, "decision")] += v
		reasons = append(reasons, fmt.Sprintf("%s/%s %s", label(m, "decision"), label(m, "reason"), count(v)))
	}
	slices.Sort(reasons)
	line("Screenings:", "%s since start: admit %s, deny %s, refer %s", count(total),
		count(byDecision["admit"]), count(byDecision["deny"]), count(byDecision["refer"]))
	if len(reasons) > 0 {
		line("", "%s", strings.Join(reasons, ", "))
	}
	if h := s.histogram("decision_latency_seconds"); h != nil && h.GetSampleCount() > 0 {
		line("Decision time:", "%s average, 95%% within %s (stable reading to stored)",
			seconds(h.GetSampleSum()/float64(h.GetSampleCount())), quantileBound(h, 0.95))
	}
	if h := s.histogram("store_commit_duration_seconds"); h != nil && h.GetSampleCount() > 0 {
		line("Store commit:", "%s average, 95%% within %s", seconds(h.GetSampleSum()/float64(h.GetSampleCount())), quantileBound(h, 0.95))
	}

	line("Sensor errors:", "%s", s.counts("sensor_errors_total", "kind", SensorErrorKinds))
	guard := s.counts("guard_actions_total", "kind", GuardActions)
	if v, ok := s.value(Namespace + "_pin_lockouts_total"); ok {
		guard += fmt.Sprintf("; PIN lockouts %s", count(v))
	}
	line("Guard:", "%s", guard)

	export := "none known"
	if v, ok := s.value(Namespace + "_export_last_success_timestamp_seconds"); ok {
		t := fromUnix(v)
		export = fmt.Sprintf("last success %s (%s)", t.In(now.Location()).Format("2006-01-02 15:04"), ago(now, t))
	}
	if v, ok := s.value(Namespace + "_export_last_ok"); ok && v == 0 {
		export += "; THE LAST ATTEMPT FAILED (see the journal)"
	}
	line("Export:", "%s", export)
	if v, ok := s.value(Namespace + "_database_size_bytes"); ok {
		line("Database:", "%s", bytes(v))
	}
	if v, ok := s.value(Namespace + "_data_disk_free_bytes"); ok {
		d := decimalBytes(v) + " free"
		if m, ok := s.value(Namespace + "_data_disk_min_free_bytes"); ok {
			d += "; out of service below " + decimalBytes(m) + " (store.min_free)"
		}
		line("Data disk:", "%s", d)
	}

	if _, fleet := s[Namespace+"_fleet_outbox_backlog"]; fleet {
		backlog, _ := s.value(Namespace + "_fleet_outbox_backlog")
		f := fmt.Sprintf("outbox %s waiting", count(backlog))
		for _, p := range []struct{ name, what string }{{"fleet_last_push_timestamp_seconds", "push"}, {"fleet_last_pull_timestamp_seconds", "pull"}} {
			if v, ok := s.value(Namespace + "_" + p.name); ok {
				f += fmt.Sprintf("; last %s %s", p.what, ago(now, fromUnix(v)))
			} else {
				f += fmt.Sprintf("; no %s yet", p.what)
			}
		}
		if v, ok := s.value(Namespace + "_fleet_booking_sequence"); ok {
			f += fmt.Sprintf("; bookings at sequence %s", count(v))
		}
		line("Fleet:", "%s", f)
	}
	return tw.Flush()
}

// snapshot is gathered metric families by full name.
type snapshot map[string]*dto.MetricFamily

// metrics returns the samples of one of the kiosk's families (name without
// the namespace).
func (s snapshot) metrics(name string) []*dto.Metric {
	if mf := s[Namespace+"_"+name]; mf != nil {
		return mf.GetMetric()
	}
	return nil
}

// value returns the single sample of a gauge or counter family (full name).
func (s snapshot) value(name string) (float64, bool) {
	mf := s[name]
	if mf == nil || len(mf.GetMetric()) == 0 {
		return 0, false
	}
	m := mf.GetMetric()[0]
	switch {
	case m.Gauge != nil:
		return m.GetGauge().GetValue(), true
	case m.Counter != nil:
		return m.GetCounter().GetValue(), true
	}
	return 0, false
}

func (s snapshot) histogram(name string) *dto.Histogram {
	ms := s.metrics(name)
	if len(ms) == 0 {
		return nil
	}
	return ms[0].GetHistogram()
}

// counts lists a counter family's non-zero values in the order of kinds
// ("pec 2, frozen 1"), or "none".
func (s snapshot) counts(name, labelName string, kinds []string) string {
	v := map[string]float64{}
	for _, m := range s.metrics(name) {
		v[label(m, labelName)] = m.GetCounter().GetValue()
	}
	var parts []string
	for _, k := range append(slices.Clip(kinds), Other) {
		if v[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", k, count(v[k])))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// quantileBound returns the upper bound of the first bucket holding
// fraction q of the observations: "95 % within 5 ms" is exact about what a
// histogram knows.
func quantileBound(h *dto.Histogram, q float64) string {
	want := q * float64(h.GetSampleCount())
	for _, b := range h.GetBucket() {
		if float64(b.GetCumulativeCount()) >= want {
			return seconds(b.GetUpperBound())
		}
	}
	return "more than " + seconds(h.GetBucket()[len(h.GetBucket())-1].GetUpperBound())
}

func count(v float64) string { return fmt.Sprintf("%.0f", v) }

func seconds(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "∞"
	case v < 1:
		return fmt.Sprintf("%.3g ms", v*1000)
	}
	return fmt.Sprintf("%.3g s", v)
}

func bytes(v float64) string {
	const mib = 1 << 20
	if v < mib {
		return fmt.Sprintf("%.0f KiB", math.Ceil(v/1024))
	}
	return fmt.Sprintf("%.1f MiB", v/mib)
}

// decimalBytes writes a disk's size in decimal MB or GB, as store.min_free
// and df -H count it.
func decimalBytes(v float64) string {
	if v >= 1e9 {
		return fmt.Sprintf("%.1f GB", v/1e9)
	}
	return fmt.Sprintf("%.1f MB", v/1e6)
}

func fromUnix(v float64) time.Time {
	sec, frac := math.Modf(v)
	return time.Unix(int64(sec), int64(frac*1e9))
}

// ago says how long before now t was, to the minute: "3 h 05 min ago".
func ago(now, t time.Time) string {
	d := now.Sub(t)
	if d < 0 {
		return "in the future: check the clock"
	}
	d = d.Truncate(time.Minute)
	switch {
	case d < time.Minute:
		return "less than a minute ago"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %02d min ago", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}
