package kiosk

import (
	"context"
	"time"
)

// RunOpts tunes Run.
type RunOpts struct {
	// ProbeEvery is how often the sensor, the room and the clock are checked
	// while idle or out of service; 0 means 5 s.
	ProbeEvery time.Duration
	// Watchdog, if set, is called on every turn of the loop, at least every
	// ProbeEvery: a stuck flow stops calling it (systemd's WatchdogSec).
	Watchdog func()
	// MeasureLimit is how long a measurement may run before the sensor is
	// taken for hung; 0 means the sampler's own timeouts plus 10 s.
	MeasureLimit time.Duration
}

// Run drives the flow on the wall clock until ctx ends: it starts each
// measurement the flow waits for on its own goroutine, fires the timeouts,
// and probes the hardware while nobody is at the kiosk. It returns when ctx
// is done and every goroutine it started has ended.
func (f *Flow) Run(ctx context.Context, o RunOpts) error {
	if o.ProbeEvery <= 0 {
		o.ProbeEvery = 5 * time.Second
	}
	probe := time.NewTicker(o.ProbeEvery)
	defer probe.Stop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()

	var measuring chan struct{} // closed when the measurement goroutine ends
	defer func() {
		if measuring != nil {
			<-measuring
		}
	}()

	f.Probe()
	overrun := o.MeasureLimit
	if overrun <= 0 {
		so := f.sampler.Opts()
		overrun = so.WaitTimeout + so.SettleTimeout + time.Duration(so.MaxErrors+1)*so.SlowRead + 10*time.Second
	}
	for {
		if o.Watchdog != nil {
			o.Watchdog()
		}
		f.checkOverrun(overrun)
		if measuring == nil && f.WantsMeasurement() {
			measuring = make(chan struct{})
			go func(done chan struct{}) {
				defer close(done)
				_ = f.Measure(ctx) // its result is applied to the flow; ctx's end is handled below
			}(measuring)
		}
		timer.Reset(time.Hour)
		if d := f.NextDeadline(); !d.IsZero() {
			timer.Reset(max(0, d.Sub(f.clock.Now())))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-f.wake:
		case <-timer.C:
			f.Tick()
		case <-probe.C:
			f.Probe()
		case <-measuring:
			measuring = nil
		}
	}
}

// checkOverrun takes the kiosk out of service when the measurement under way
// has run longer than every timeout of the sampler allows: a bus read that
// hangs must not leave the kiosk on Measure for good. (A hang in an idle
// probe blocks Run's loop itself; the watchdog then stops and systemd
// restarts the kiosk.)
func (f *Flow) checkOverrun(limit time.Duration) {
	f.mu.Lock()
	if f.cancelM == nil || f.st.Screen != Measure || f.clock.Now().Sub(f.measureAt) <= limit {
		f.mu.Unlock()
		return
	}
	f.log.Error("measurement overran: the sensor hangs", "limit", limit)
	f.faultLocked()
	f.commit()
}
