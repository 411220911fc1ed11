package daemon

import (
	"context"
	"strings"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/internal/admin"
	"github.com/thermogate/thermogate/internal/metrics"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

// newMetrics makes the kiosk's metrics: the build, the room range of the
// rule, the last export the database knows of, and the data disk's free
// space beside store.min_free, measured as the idle probe measures it (the
// same directory, the same FreeSpace) so that the warning and the stop
// agree.
func (d *Daemon) newMetrics() *metrics.Metrics {
	free := d.opts.FreeSpace
	if free == nil {
		free = storage.FreeSpace
	}
	m := metrics.New(metrics.Options{Version: d.opts.Version, Commit: d.opts.Commit, DBPath: d.cfg.Store.Path, Log: d.log,
		DataDir: dataDir(d.cfg.Store.Path), FreeSpace: free, MinFree: d.cfg.Kiosk(d.opts.NotBefore).MinFree})
	m.RoomLimits(d.cfg.Rule.AmbientMinC, d.cfg.Rule.AmbientMaxC)
	if at, err := d.db.LastExport(context.Background()); err != nil {
		d.log.Warn("metrics: last export unknown", "err", err)
	} else {
		m.ExportKnown(at)
	}
	return m
}

// Metrics is the kiosk's metrics, for `thermogate status` and tests.
func (d *Daemon) Metrics() *metrics.Metrics { return d.metrics }

// serveMetrics serves /metrics and /healthz where [metrics] listen says,
// until ctx ends. A port that cannot be bound is logged: the kiosk screens
// on without metrics rather than stopping at the door.
func (d *Daemon) serveMetrics(ctx context.Context) {
	ln, err := metrics.Listen(d.cfg.Metrics)
	if err != nil {
		d.log.Error("metrics not served; the kiosk screens on", "err", err)
		return
	}
	if ln == nil {
		return
	}
	d.log.Info("metrics served", "addr", ln.Addr().String())
	if err := metrics.Serve(ctx, ln, d.metrics.Handler()); err != nil {
		d.log.Error("metrics server stopped", "err", err)
	}
}

// recorder hands what the flow does to the metrics, in their words.
type flowRecorder struct{ m *metrics.Metrics }

var _ kiosk.Recorder = flowRecorder{}

func (r flowRecorder) Service(cause string) { r.m.Service(cause) }

func (r flowRecorder) Screening(decision kiosk.Decision, reason kiosk.Reason, attempts int, latency time.Duration) {
	r.m.Screening(string(decision), string(reason), attempts, latency)
}

func (r flowRecorder) Audited(action string) { r.m.GuardAudited(action) }

// SensorError counts the sensor's own failures (not a visitor who did not
// hold still) and withdraws the room temperature it can no longer vouch for.
func (r flowRecorder) SensorError(err error) {
	if kind := metrics.SensorErrorKind(err); kind != "" {
		r.m.SensorError(kind)
		r.m.RoomUnknown()
	}
}

func (r flowRecorder) Room(t physic.Temperature) { r.m.Room(t) }

func (r flowRecorder) RoomUnknown() { r.m.RoomUnknown() }

// timedStore is the flow's store with each write transaction's commit
// time (fsync included) recorded.
type timedStore struct {
	kiosk.Store
	db *storage.DB
	m  *metrics.Metrics
}

// Err is the database's damage, if it is known to be damaged: the flow
// starts out of service then.
func (s timedStore) Err() error { return s.db.Err() }

func (s timedStore) Append(ctx context.Context, sc storage.Screening) (uint64, error) {
	t0 := time.Now()
	id, err := s.Store.Append(ctx, sc)
	if err == nil {
		s.m.StoreCommit(time.Since(t0))
	}
	return id, err
}

func (s timedStore) Audit(ctx context.Context, actor, action, detail string) (storage.AuditEntry, error) {
	t0 := time.Now()
	e, err := s.Store.Audit(ctx, actor, action, detail)
	if err == nil {
		s.m.StoreCommit(time.Since(t0))
	}
	return e, err
}

// adminService is the admin socket's operations on the kiosk's database,
// and its status screen.
type adminService struct {
	admin.Local
	m *metrics.Metrics
}

var _ admin.StatusReporter = adminService{}

// Status implements admin.StatusReporter: the metrics as one screen.
func (s adminService) Status(context.Context) (admin.Status, error) {
	var b strings.Builder
	if err := metrics.WriteStatus(&b, s.m.Registry(), time.Now()); err != nil {
		return admin.Status{}, err
	}
	return admin.Status{Text: b.String(), Cause: s.m.Health()}, nil
}
