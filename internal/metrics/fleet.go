package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Fleet is the metrics of a kiosk that syncs with the office's central
// database: registered only when a fleet is configured, so a lone kiosk
// shows none and trips no fleet alert.
type Fleet struct {
	backlog  prometheus.Gauge
	lastPush *prometheus.GaugeVec // no labels: absent until the first push
	lastPull *prometheus.GaugeVec
	sequence prometheus.Gauge
}

// Fleet registers the fleet metrics on first call and returns them; later
// calls return the same.
func (m *Metrics) Fleet() *Fleet {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fleet != nil {
		return m.fleet
	}
	f := factory{m.reg}
	m.fleet = &Fleet{
		backlog: f.gauge("fleet_outbox_backlog",
			"Screenings and audit entries stored on the kiosk and not yet pushed to the central database."),
		lastPush: f.gaugeVec("fleet_last_push_timestamp_seconds",
			"When the outbox was last pushed to the central database successfully, in seconds since the Unix epoch."),
		lastPull: f.gaugeVec("fleet_last_pull_timestamp_seconds",
			"When bookings were last pulled from the central database successfully, in seconds since the Unix epoch."),
		sequence: f.gauge("fleet_booking_sequence",
			"The central database's booking change sequence number the kiosk's copy of the bookings is at."),
	}
	return m.fleet
}

// Backlog publishes how many records wait in the outbox.
func (f *Fleet) Backlog(n int) { f.backlog.Set(float64(n)) }

// Pushed records a successful push at t.
func (f *Fleet) Pushed(t time.Time) { f.lastPush.WithLabelValues().Set(unix(t)) }

// Pulled records a successful pull at t that brought the bookings up to seq.
func (f *Fleet) Pulled(t time.Time, seq int64) {
	f.lastPull.WithLabelValues().Set(unix(t))
	f.sequence.Set(float64(seq))
}
