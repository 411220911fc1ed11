package kiosk

import (
	"context"
	"sync"
	"time"

	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/storage"
)

// RunOpts tunes Run.
type RunOpts struct {
	// ProbeEvery is how often the sensor, the room and the clock are checked
	// while idle or out of service; 0 means 5 s.
	ProbeEvery time.Duration
	// Watchdog, if set, is called on every turn of the loop, at least every
	// ProbeEvery, while the loop and the sensor answer: a stuck flow or an
	// idle probe that hangs stops calling it (systemd's WatchdogSec).
	Watchdog func()
	// MeasureLimit is how long a measurement may run before the sensor is
	// taken for hung; 0 means the sampler's own timeouts plus 10 s.
	MeasureLimit time.Duration
	// Recorder, if set, is told what the flow does, for metrics.
	Recorder Recorder
	// DataDir, if set, is the database's directory: every probe also
	// checks the free space of the filesystem holding it against
	// Config.MinFree (OOSDiskFull).
	DataDir string
	// FreeSpace reports the bytes free in DataDir; nil is storage.FreeSpace.
	FreeSpace func(dir string) (uint64, error)
}

// jobs is Run's sensor work: one job at a time on its own goroutine (the
// bus is not shared), the next one waiting for it.
type jobs struct {
	wg      sync.WaitGroup // the sensor job and the PIN checks under way
	measure uint64         // a measurement wanted, not started; 0 for none
	probe   bool           // a probe wanted, not started

	running    bool
	runningID  uint64 // the measurement running; 0 for a probe
	since      time.Time
	cancel     context.CancelFunc
	done       chan struct{}
	overrunner *time.Timer
}

// stop abandons measurement id, running or wanted.
func (j *jobs) stop(id uint64) {
	if j.measure == id {
		j.measure = 0
	}
	if j.running && j.runningID == id && j.cancel != nil {
		j.cancel()
	}
}

// Run applies the events on the wall clock until ctx ends: the queued
// input, the timeouts, the sensor's results, and a probe of the hardware
// every ProbeEvery while nobody is at the kiosk. The sensor and PIN checks
// run on goroutines; the store is written from the loop, in order. It
// returns when ctx is done and every goroutine it started has ended.
func (f *Flow) Run(ctx context.Context, o RunOpts) error {
	if o.ProbeEvery <= 0 {
		o.ProbeEvery = 5 * time.Second
	}
	limit := o.MeasureLimit
	if limit <= 0 {
		so := f.sampler.Opts()
		limit = so.WaitTimeout + so.SettleTimeout + time.Duration(so.MaxErrors+1)*so.SlowRead + 10*time.Second
	}
	f.async = true
	f.rec = recording{rec: o.Recorder, cause: "-"}
	f.rec.service(f.published)
	if o.DataDir != "" {
		f.disk = dataDisk{dir: o.DataDir, free: o.FreeSpace}
		if f.disk.free == nil {
			f.disk.free = storage.FreeSpace
		}
	}
	defer func() { f.async, f.rec, f.disk = false, recording{}, dataDisk{} }()
	j := &f.jobs
	defer func() {
		if j.running && j.cancel != nil {
			j.cancel() // a measurement stops; a probe is one read and ends by itself
		}
		j.wg.Wait()
	}()
	probe := time.NewTicker(o.ProbeEvery)
	defer probe.Stop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()

	f.post(ProbeDue{})
	for {
		f.runQueued(ctx)
		f.startJob(ctx, limit)
		if o.Watchdog != nil && !(j.running && j.runningID == 0 && time.Since(j.since) > limit) {
			o.Watchdog() // an idle probe that hangs stops the pings
		}
		timer.Reset(time.Hour)
		if !f.timerAt.IsZero() {
			timer.Reset(max(0, f.timerAt.Sub(f.clock.Now())))
		}
		var done chan struct{}
		if j.running {
			done = j.done
		}
		select {
		case <-ctx.Done():
			return nil
		case <-f.wake:
		case <-timer.C:
			f.post(Tick{})
		case <-probe.C:
			f.post(ProbeDue{})
		case <-done:
			j.running = false
			if j.overrunner != nil {
				j.overrunner.Stop()
			}
		}
	}
}

func (f *Flow) runQueued(ctx context.Context) {
	for ctx.Err() == nil {
		ev, ok := f.next()
		if !ok {
			return
		}
		_ = f.handle(ctx, ev)
	}
}

// startJob starts the sensor work wanted, if the sensor is free: a
// measurement before a probe.
func (f *Flow) startJob(ctx context.Context, limit time.Duration) {
	j := &f.jobs
	if j.running || (j.measure == 0 && !j.probe) {
		return
	}
	j.running, j.since, j.done = true, time.Now(), make(chan struct{})
	done := j.done
	if id := j.measure; id != 0 {
		j.measure, j.runningID = 0, id
		mctx, cancel := context.WithCancel(ctx)
		j.cancel = cancel
		j.overrunner = time.AfterFunc(limit, func() { f.post(MeasureOverran{ID: id}) })
		j.wg.Go(func() {
			defer close(done)
			defer cancel()
			r, err := f.sampler.Measure(mctx, func(p sensor.Progress) { f.post(Progressed{ID: id, Progress: p}) })
			f.post(Measured{ID: id, Reading: r, Err: err})
		})
		return
	}
	j.probe, j.runningID, j.cancel, j.overrunner = false, 0, nil, nil
	disk := f.disk
	j.wg.Go(func() {
		defer close(done)
		f.post(probe(f.sampler, disk))
	})
}

// dataDisk is the filesystem Run watches; zero while it watches none.
type dataDisk struct {
	dir  string
	free func(dir string) (uint64, error)
}

// probe reads the sensor once and, if one is watched, the data disk's
// free space: what an idle probe finds.
func probe(sampler *sensor.Sampler, disk dataDisk) Probed {
	var ds *DiskSpace
	if disk.dir != "" {
		free, err := disk.free(disk.dir)
		ds = &DiskSpace{Dir: disk.dir, Free: free, Err: err}
	}
	r, err := sampler.Probe()
	return Probed{Ambient: r.Ambient, Err: err, Disk: ds}
}
