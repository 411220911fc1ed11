// Package metrics is what a kiosk tells Prometheus and the IT person: how
// many screenings it decided and why, whether it is in service and if not
// why, sensor errors, the room, how long decisions and commits take, the
// nightly export, the database's size, its disk's free space against
// store.min_free, guard actions and build info. It
// serves them on /metrics, answers /healthz, and renders the same facts as
// one screen for `thermogate status`.
//
// No visitor data can reach a metric: the API takes no booking code and no
// person's temperature, and every label value is checked against a closed
// list of the kiosk's own words; anything else is counted as "other". A
// booking code (upper-case after normalising) can never equal one of them.
package metrics

import (
	"errors"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"periph.io/x/conn/v3/physic"
)

// Namespace prefixes every metric of the kiosk's own.
const Namespace = "thermogate"

// Other is the label value for anything outside a label's closed list.
const Other = "other"

// Label vocabularies: the kiosk's words for decisions, reasons,
// out-of-service causes, sensor errors and guard actions. They match the
// values in storage and kiosk (a test checks it); metrics imports neither so
// that either may change without a cycle.
var (
	// Decisions of a screening.
	Decisions = []string{"admit", "deny", "refer"}
	// Reasons of a screening's decision.
	Reasons = []string{"ok", "fever", "symptoms", "unknown_code", "not_today", "too_early", "too_late",
		"already_used", "cancelled", "no_reading", "sensor_fault", "storage", "guard"}
	// Causes for being out of service.
	Causes = []string{"sensor", "ambient", "clock", "storage", "guard", "database_corrupt", "disk_full"}
	// SensorErrorKinds: nack is any failed or timed-out bus transfer (NACK,
	// no sensor, a read slower than the limit), pec a checksum mismatch, flag
	// the chip's error flag, frozen readings stuck on the same words, range a
	// value outside the chip's range.
	SensorErrorKinds = []string{"nack", "pec", "flag", "frozen", "range"}
	// GuardActions: what a guard did at the kiosk, as audited.
	GuardActions = []string{"login", "login_failed", "logout", "admit", "deny", "refer",
		"out_of_service", "in_service"}
)

// Starting is the health answer before the flow has published a state.
const Starting = "starting"

// Options says what the kiosk is.
type Options struct {
	Version string // build version, e.g. "v1.2.0"
	Commit  string // build commit
	// DBPath is the database file whose size is reported at each scrape;
	// "" reports none.
	DBPath string
	// DataDir is the directory the database file really is in (symlinks
	// resolved), whose filesystem's free space FreeSpace reports at each
	// scrape, beside MinFree; "" reports neither.
	DataDir string
	// FreeSpace measures the bytes free for DataDir, as the kiosk's idle
	// probe does (the daemon passes storage.FreeSpace, which metrics does
	// not import); nil reports no free space, MinFree still.
	FreeSpace func(dir string) (uint64, error)
	// MinFree is store.min_free in bytes: below it the kiosk stops
	// screening (out of service, disk_full).
	MinFree uint64
	// Log receives scrape errors; nil discards them.
	Log *slog.Logger
}

// Metrics holds the kiosk's metrics in its own registry (never the global
// one, so tests and two kiosks in one process never mix). Its methods are
// safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	screenings   *prometheus.CounterVec
	attempts     prometheus.Histogram
	decisionTime prometheus.Histogram
	commitTime   prometheus.Histogram
	inService    prometheus.Gauge
	outOfService *prometheus.GaugeVec
	sensorErrors *prometheus.CounterVec
	room         *prometheus.GaugeVec // no labels: absent until a reading arrives
	roomMin      prometheus.Gauge
	roomMax      prometheus.Gauge
	exportOK     *prometheus.GaugeVec // no labels: absent until the first attempt
	exportLast   *prometheus.GaugeVec // no labels: absent until an export is known
	exportTried  *prometheus.GaugeVec
	guard        *prometheus.CounterVec
	lockouts     prometheus.Counter

	mu     sync.Mutex
	health string // "" in service, else the cause; Starting before the first state
	fleet  *Fleet
}

// Histogram buckets. A decision is a stable reading plus one fsync: about a
// millisecond on an SSD, tens of milliseconds on a tired SD card.
var (
	latencyBuckets  = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}
	attemptsBuckets = []float64{1, 2, 3, 4, 5, 6, 8, 10, 15, 20}
)

// New makes the metrics and registers them, with the Go runtime's and the
// process's own, in a new registry.
func New(o Options) *Metrics {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{reg: prometheus.NewRegistry(), log: log, health: Starting}
	f := factory{m.reg}

	m.screenings = f.counterVec("screenings_total",
		"Screenings decided and stored, by decision (admit, deny, refer) and reason; guard decisions have reason guard.",
		"decision", "reason")
	m.attempts = f.histogram("screening_measurement_attempts",
		"Measurements a screening took, retests included; screenings decided without measuring are not counted.",
		attemptsBuckets)
	m.decisionTime = f.histogram("decision_latency_seconds",
		"Time from a stable reading to its decision stored (fsync), in seconds.", latencyBuckets)
	m.commitTime = f.histogram("store_commit_duration_seconds",
		"Time to commit one write transaction to the database (fsync included), in seconds.", latencyBuckets)
	m.inService = f.gauge("in_service", "1 while the kiosk screens visitors, 0 while it is out of service or starting.")
	m.outOfService = f.gaugeVec("out_of_service",
		"1 for the cause the kiosk is out of service for (sensor, ambient, clock, storage, guard, database_corrupt, disk_full), 0 for the others.",
		"cause")
	m.sensorErrors = f.counterVec("sensor_errors_total",
		"Sensor errors by kind: nack (bus transfer failed or timed out), pec (checksum), flag (chip's error flag), frozen (stuck readings), range (value outside the chip's range).",
		"kind")
	m.room = f.gaugeVec("room_temperature_celsius",
		"Room temperature the kiosk judges its sensor's conditions by, in degrees Celsius; absent until read, and while the sensor fails.")
	m.roomMin = f.gauge("room_temperature_min_celsius", "Lowest room temperature the kiosk screens in (rule.ambient_min_c), in degrees Celsius.")
	m.roomMax = f.gauge("room_temperature_max_celsius", "Highest room temperature the kiosk screens in (rule.ambient_max_c), in degrees Celsius.")
	m.exportOK = f.gaugeVec("export_last_ok", "1 if the last nightly export attempt succeeded, 0 if it failed; absent before the first attempt since start.")
	m.exportLast = f.gaugeVec("export_last_success_timestamp_seconds",
		"When the last successful export finished, in seconds since the Unix epoch; absent if none is known.")
	m.exportTried = f.gaugeVec("export_last_attempt_timestamp_seconds",
		"When the last export attempt finished, successful or not, in seconds since the Unix epoch.")
	m.guard = f.counterVec("guard_actions_total",
		"Guard actions at the kiosk by kind: login, login_failed, logout, admit, deny, refer, out_of_service, in_service.",
		"kind")
	m.lockouts = f.counter("pin_lockouts_total", "Times PIN entry was locked after repeated wrong PINs.")

	build := f.gaugeVec("build_info", "Always 1; the labels say which build runs.", "version", "commit", "goversion")
	build.WithLabelValues(orUnknown(o.Version), orUnknown(o.Commit), runtime.Version()).Set(1)

	if o.DBPath != "" {
		m.reg.MustRegister(&scraped{
			what: "database size", log: log,
			desc: prometheus.NewDesc(Namespace+"_database_size_bytes", "Size of the database file, in bytes, read at each scrape.", nil, nil),
			read: func() (float64, error) {
				fi, err := os.Stat(o.DBPath)
				if err != nil {
					return 0, err
				}
				return float64(fi.Size()), nil
			},
		})
	}
	if o.DataDir != "" {
		if o.FreeSpace != nil {
			m.reg.MustRegister(&scraped{
				what: "data disk free space", log: log,
				desc: prometheus.NewDesc(Namespace+"_data_disk_free_bytes",
					"Free space, in bytes, of the filesystem the database file is on, as the kiosk's disk check counts it (available to the kiosk's user), read at each scrape.", nil, nil),
				read: func() (float64, error) {
					n, err := o.FreeSpace(o.DataDir)
					return float64(n), err
				},
			})
		}
		f.gauge("data_disk_min_free_bytes",
			"The free space, in bytes, the database's filesystem must keep (store.min_free): below it the kiosk stops screening (out of service, disk_full).").
			Set(float64(o.MinFree))
	}
	m.reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())

	// Every series the alerts and the status screen read exists from the
	// start at 0, so increase() sees the first event.
	for _, c := range Causes {
		m.outOfService.WithLabelValues(c).Set(0)
	}
	for _, k := range SensorErrorKinds {
		m.sensorErrors.WithLabelValues(k)
	}
	for _, k := range GuardActions {
		m.guard.WithLabelValues(k)
	}
	for _, p := range commonScreenings {
		m.screenings.WithLabelValues(p[0], p[1])
	}
	return m
}

// commonScreenings are the decision and reason pairs a kiosk produces
// every day; others appear when they first happen.
var commonScreenings = [][2]string{
	{"admit", "ok"}, {"deny", "fever"}, {"deny", "symptoms"}, {"deny", "unknown_code"},
	{"refer", "no_reading"}, {"refer", "sensor_fault"}, {"admit", "guard"}, {"deny", "guard"},
}

// Registry is the kiosk's registry, for the HTTP handler and the status screen.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Screening counts one stored screening. attempts is how many measurements
// it took (retests included; 0 when it was decided without measuring), and
// latency the time from the deciding stable reading to the decision stored
// (0 when there was none). A decision or reason outside Decisions and
// Reasons is counted as "other".
func (m *Metrics) Screening(decision, reason string, attempts int, latency time.Duration) {
	m.screenings.WithLabelValues(known(Decisions, decision), known(Reasons, reason)).Inc()
	if attempts > 0 {
		m.attempts.Observe(float64(attempts))
	}
	if latency > 0 {
		m.decisionTime.Observe(latency.Seconds())
	}
}

// StoreCommit records how long one database write transaction took.
func (m *Metrics) StoreCommit(d time.Duration) { m.commitTime.Observe(d.Seconds()) }

// Service publishes whether the kiosk screens: cause "" is in service,
// anything else out of service for that cause (outside Causes: "other").
// The flow's one publishing place calls it with every state.
func (m *Metrics) Service(cause string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cause != "" {
		cause = known(Causes, cause)
	}
	m.health = cause
	if cause == "" {
		m.inService.Set(1)
	} else {
		m.inService.Set(0)
	}
	for _, c := range Causes {
		v := 0.0
		if c == cause {
			v = 1
		}
		m.outOfService.WithLabelValues(c).Set(v)
	}
	if cause == Other {
		m.outOfService.WithLabelValues(Other).Set(1)
	} else {
		m.outOfService.DeleteLabelValues(Other)
	}
}

// Health returns "" in service, else the out-of-service cause (Starting
// before the first Service call).
func (m *Metrics) Health() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.health
}

// SensorError counts one sensor error of kind (see SensorErrorKinds;
// SensorErrorKind classifies an error).
func (m *Metrics) SensorError(kind string) {
	m.sensorErrors.WithLabelValues(known(SensorErrorKinds, kind)).Inc()
}

// Room publishes the room temperature (the ambient the kiosk judges by: the
// room sensor's, else the MLX90614's own). Never a person's.
func (m *Metrics) Room(t physic.Temperature) {
	m.room.WithLabelValues().Set(t.Celsius())
}

// RoomUnknown withdraws the room temperature, e.g. while the sensor fails,
// so that no stale value is scraped.
func (m *Metrics) RoomUnknown() { m.room.DeleteLabelValues() }

// RoomLimits publishes the configured range of room temperatures the kiosk
// screens in, which the room alert compares against.
func (m *Metrics) RoomLimits(minC, maxC float64) {
	m.roomMin.Set(minC)
	m.roomMax.Set(maxC)
}

// Export records a nightly export attempt that finished at: err nil is a
// success. At start, call ExportKnown with the last export storage holds.
func (m *Metrics) Export(at time.Time, err error) {
	m.exportTried.WithLabelValues().Set(unix(at))
	if err != nil {
		m.exportOK.WithLabelValues().Set(0)
		return
	}
	m.exportOK.WithLabelValues().Set(1)
	m.exportLast.WithLabelValues().Set(unix(at))
}

// ExportKnown sets the last successful export from storage's record at
// start, so a restart does not look like a missed export.
func (m *Metrics) ExportKnown(at time.Time) {
	if !at.IsZero() {
		m.exportLast.WithLabelValues().Set(unix(at))
	}
}

// GuardAudited counts a guard action by its audit action name
// ("guard.login", "guard.admit", "kiosk.out_of_service", ...); a
// "guard.lockout" counts a PIN lockout. It reports whether the action was
// one of the guard's: other audit actions (imports, exports, admin guard
// changes) are not counted. Actor names never reach a metric.
func (m *Metrics) GuardAudited(action string) bool {
	if action == "guard.lockout" {
		m.lockouts.Inc()
		return true
	}
	kind, ok := strings.CutPrefix(action, "guard.")
	if !ok {
		kind, ok = strings.CutPrefix(action, "kiosk.")
	}
	if !ok || !slices.Contains(GuardActions, kind) {
		return false
	}
	m.guard.WithLabelValues(kind).Inc()
	return true
}

// known returns v if it is in list, else Other.
func known(list []string, v string) string {
	if slices.Contains(list, v) {
		return v
	}
	return Other
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// scraped reports a value read at scrape time (a file's size, a disk's
// free space); nothing when it cannot be read (a missing series, not a
// wrong one), with a warning: every time for an unexpected error, once in
// a row for a missing file or directory.
type scraped struct {
	what string // for the log
	desc *prometheus.Desc
	read func() (float64, error)
	log  *slog.Logger

	mu     sync.Mutex
	logged bool
}

func (c *scraped) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *scraped) Collect(ch chan<- prometheus.Metric) {
	v, err := c.read()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if !c.logged || !errors.Is(err, os.ErrNotExist) {
			c.log.Warn("metrics: "+c.what, "err", err)
		}
		c.logged = true
		return
	}
	c.logged = false
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v)
}

// factory makes metrics in the kiosk's namespace and registers them.
type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help})
	f.reg.MustRegister(g)
	return g
}

func (f factory) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	f.reg.MustRegister(g)
	return g
}

func (f factory) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: name, Help: help, Buckets: buckets})
	f.reg.MustRegister(h)
	return h
}
