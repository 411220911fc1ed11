// Package daemon is the kiosk's long-running process: it opens the store and
// the sensor, runs the screening flow, serves the admin socket, exports every
// night and tells systemd it is alive. The touchscreen, when there is one,
// sits on top of the flow it runs.
package daemon

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/thermogate/thermogate/internal/admin"
	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/internal/fleet"
	"github.com/thermogate/thermogate/internal/hw"
	"github.com/thermogate/thermogate/internal/metrics"
	"github.com/thermogate/thermogate/internal/signals"
	"github.com/thermogate/thermogate/internal/sound"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

// Options tunes a daemon beyond its configuration.
type Options struct {
	ConfigPath string       // the file the configuration came from, for the audit log; "" for the defaults
	Logger     *slog.Logger // nil logs nothing
	NotBefore  time.Time    // a clock earlier than this is wrong: the build date
	Rig        *hw.Rig      // the thermometer; nil opens what the configuration names
	Notify     Notifier     // systemd's notify socket; nil reads NOTIFY_SOCKET
	ProbeEvery time.Duration
	// Version and Commit name the build in the metrics (and the version
	// in the fleet heartbeat).
	Version, Commit string
	// Signals are the speaker, the door relay and the lamps; nil opens
	// what the [sound] and [gpio] sections name. The daemon closes only
	// what it opened.
	Signals *signals.Outputs
	// FreeSpace reports the bytes free in the database's directory, for
	// the idle probe (store.min_free); nil is storage.FreeSpace, statfs.
	FreeSpace func(dir string) (uint64, error)
}

// Daemon is an opened kiosk.
type Daemon struct {
	cfg    config.Config
	opts   Options
	log    *slog.Logger
	db     *storage.DB
	rig    *hw.Rig
	flow   *kiosk.Flow
	sig    *signals.Outputs
	notify Notifier
	clock  clock.Clock
	// metrics: what the kiosk tells Prometheus and `thermogate status`.
	metrics *metrics.Metrics
	fleet   *fleet.Agent // nil: a standalone kiosk
}

// Open opens the store, the sensor and the flow. It fails with a message
// that names what is wrong; nothing is left open then.
func Open(cfg config.Config, opts Options) (_ *Daemon, err error) {
	d := &Daemon{cfg: cfg, opts: opts, log: opts.Logger, notify: opts.Notify, clock: clock.Real{}}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.notify == nil {
		d.notify = SystemdNotifier()
	}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if err := os.MkdirAll(filepath.Dir(cfg.Store.Path), 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if d.db, err = storage.Open(cfg.Store.Path, storage.Options{Vocabulary: kiosk.Vocabulary(), Location: cfg.Location(), Logger: d.log}); errors.Is(err, storage.ErrCorrupt) {
		// Exiting would only make systemd restart us into the same file:
		// run on, every store call failing with the cause, out of service.
		d.log.Error("database corrupt: the kiosk stays out of service; restore from a backup", "path", cfg.Store.Path, "err", err)
		d.db = storage.Failed(cfg.Store.Path, err, cfg.Location())
	} else if err != nil {
		return nil, err
	}
	if d.rig = opts.Rig; d.rig == nil {
		spec := hw.Spec{Sim: cfg.Sensor.Driver == config.DriverSim, Bus: cfg.Sensor.Bus, Addr: uint16(cfg.Sensor.Addr), Room: cfg.Sensor.Room}
		if d.rig, err = hw.Open(spec, nil); err != nil {
			return nil, fmt.Errorf("sensor: %w", err)
		}
	}
	sampler, err := d.rig.Sampler(d.clock, nil)
	if err != nil {
		return nil, err
	}
	d.metrics = d.newMetrics()
	if cfg.Fleet.Enabled() {
		// Before anything is stored: from here on every screening and
		// audit entry is queued for the office in its own transaction.
		d.fleet, err = fleet.New(context.Background(), fleet.Options{
			DB: d.db, Config: cfg.Fleet, KioskID: cfg.KioskID, Version: opts.Version,
			Status: d.inService, Logger: d.log, Observer: d.metrics.Fleet(),
		})
		if errors.Is(err, storage.ErrCorrupt) {
			// The kiosk stays out of service on a corrupt file (above);
			// there is nothing to send from it either.
			d.log.Error("fleet: not syncing a corrupt database", "err", err)
			d.fleet, err = nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("fleet: %w", err)
		}
	} else if d.db.OutboxEnabled() {
		// [fleet] url was emptied: the outbox is kept (and keeps queuing)
		// so that nothing is lost if the kiosk joins again.
		d.log.Warn("fleet: [fleet] url is empty but this kiosk still keeps an outbox for the central database; it goes out if the kiosk joins again, or thermogate fleet leave drops it",
			"kiosk", d.db.FleetKiosk(), "queued", d.db.OutboxLen())
	}
	store := timedStore{Store: d.db, db: d.db, m: d.metrics}
	if d.flow, err = kiosk.New(cfg.Kiosk(opts.NotBefore), store, sampler, d.clock, d.log); err != nil {
		return nil, err
	}
	// The outputs never stop the kiosk: one that cannot be opened is logged
	// and shown to the guard, and the door stays shut.
	if d.sig = opts.Signals; d.sig == nil {
		d.sig = signals.Open(cfg.Sound, cfg.GPIO, signals.Options{
			Params: sound.Params{ThresholdC: cfg.Rule.ThresholdC}, Clock: d.clock, Log: d.log})
	}
	d.flow.SetOutputs(d.sig)
	detail := "defaults"
	if opts.ConfigPath != "" {
		if b, err := os.ReadFile(opts.ConfigPath); err == nil {
			detail = fmt.Sprintf("%s sha256 %x", opts.ConfigPath, sha256.Sum256(b))
		}
	}
	if _, err := d.db.Audit(context.Background(), storage.ActorSystem, "config.loaded", detail); errors.Is(err, storage.ErrCorrupt) {
		d.log.Error("audit entry not stored", "err", err)
	} else if err != nil {
		return nil, err
	}
	return d, nil
}

// Flow is the screening flow, for the touchscreen to show.
func (d *Daemon) Flow() *kiosk.Flow { return d.flow }

// Signals are the speaker, the door relay and the lamps.
func (d *Daemon) Signals() *signals.Outputs { return d.sig }

// DB is the store.
func (d *Daemon) DB() *storage.DB { return d.db }

// Rig is the thermometer; its Sim is set when it is the simulator.
func (d *Daemon) Rig() *hw.Rig { return d.rig }

// Run runs the kiosk until ctx ends: the flow, the admin socket and the
// nightly export. It tells systemd READY=1 once the socket listens and pings
// its watchdog from the flow's loop. It returns when everything it started
// has stopped.
func (d *Daemon) Run(ctx context.Context) error {
	l, err := admin.Listen(config.SocketPath(d.cfg.Store.Path), admin.ListenOptions{Logger: d.log})
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: admin.Handler(adminService{admin.Local{DB: d.db}, d.metrics}), ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Go(func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("admin socket stopped", "err", err)
		}
	})
	wg.Go(func() { d.nightly(ctx) })
	wg.Go(func() { d.serveMetrics(ctx) })
	if d.fleet != nil {
		wg.Go(func() { d.fleet.Run(ctx) })
	}

	d.log.Info("kiosk running", "kiosk", d.cfg.KioskID, "sensor", d.rig.Dev.String(), "store", d.cfg.Store.Path,
		"socket", l.Addr().String(), "threshold_c", d.cfg.Rule.ThresholdC)
	_ = d.notify.Notify("READY=1")
	ping := d.notify.Watchdog()
	err = d.flow.Run(ctx, kiosk.RunOpts{ProbeEvery: d.opts.ProbeEvery, Watchdog: ping, Recorder: flowRecorder{d.metrics},
		DataDir: dataDir(d.cfg.Store.Path), FreeSpace: d.opts.FreeSpace})
	if d.sig.GPIO != nil {
		_ = d.sig.GPIO.Door.Halt() // the pulse ends with ctx too; never leave it to a timer
	}

	_ = d.notify.Notify("STOPPING=1")
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	_ = srv.Shutdown(sctx)
	cancel()
	wg.Wait()
	d.log.Info("kiosk stopped")
	return err
}

// inService is the kiosk's service state for the fleet heartbeat.
func (d *Daemon) inService() (bool, string) {
	if d.flow == nil {
		return false, "starting"
	}
	st := d.flow.State()
	return st.Screen != kiosk.OutOfService, st.OutOfService
}

// Close releases the door and the lamps (driven off), the speaker, the
// store and the sensor. Defer it where the daemon is opened: it runs while
// a panic unwinds, too.
func (d *Daemon) Close() error {
	var errs []error
	if d.sig != nil && d.opts.Signals == nil {
		errs = append(errs, d.sig.Close())
	}
	if d.db != nil {
		errs = append(errs, d.db.Close())
	}
	if d.rig != nil && d.opts.Rig == nil {
		errs = append(errs, d.rig.Close())
	}
	return errors.Join(errs...)
}

// dataDir is the directory the database file is really in, for the idle
// probe's free space: with store.path a symlink (the data partition mounted
// elsewhere) the link's own directory may be on another, roomier disk. The
// database is open, so the link resolves; if it does not, the link's
// directory is all there is to measure.
func dataDir(path string) string {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		path = p
	}
	return filepath.Dir(path)
}
