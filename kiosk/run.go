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
	for {
		if o.Watchdog != nil {
			o.Watchdog()
		}
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
