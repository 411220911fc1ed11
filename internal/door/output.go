package door

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/thermogate/thermogate/internal/clock"
)

// output is one GPIO output that is on until a deadline, until told off, or
// (zero deadline) until told off only. A goroutine of its own turns it off
// at the deadline on the injected clock.
type output struct {
	name       string
	pin        gpio.PinOut // nil: not wired
	activeHigh bool
	clk        clock.Clock
	log        *slog.Logger

	ctx    context.Context // ends at close
	cancel context.CancelFunc
	done   chan struct{}
	wake   chan struct{}

	mu     sync.Mutex
	on     bool
	until  time.Time // zero: no deadline
	closed bool
	err    error // the last failure to drive the pin
}

func newOutput(name string, pin gpio.PinOut, activeHigh bool, clk clock.Clock, log *slog.Logger) (*output, error) {
	if clk == nil {
		clk = clock.Real{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	o := &output{name: name, pin: pin, activeHigh: activeHigh, clk: clk, log: log,
		ctx: ctx, cancel: cancel, done: make(chan struct{}), wake: make(chan struct{}, 1)}
	// Off at start: a relay left energised by a crashed process is released here.
	if err := o.drive(false); err != nil {
		cancel()
		return nil, fmt.Errorf("%s output %s: %w", name, pin, err)
	}
	go o.loop()
	return o, nil
}

// level is the pin level for on or off.
func (o *output) level(on bool) gpio.Level {
	return gpio.Level(on == o.activeHigh)
}

// drive sets the pin; the caller holds mu or owns o alone.
func (o *output) drive(on bool) error {
	if o.pin == nil {
		o.on = on
		return nil
	}
	err := o.pin.Out(o.level(on))
	if err != nil {
		if o.err == nil {
			o.log.Error("GPIO output failed", "output", o.name, "pin", o.pin.String(), "on", on, "err", err)
		}
		o.err = err
		if !on {
			o.on = false // we asked for off: never believe it is still meant to be on
		}
		return err
	}
	o.err = nil
	o.on = on
	return nil
}

// set turns the output on until the deadline (zero: until turned off).
func (o *output) set(until time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return ErrClosed
	}
	o.until = until
	if !o.on {
		if err := o.drive(true); err != nil {
			o.drive(false)
			return err
		}
	}
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return nil
}

// off turns the output off now.
func (o *output) off() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.until = time.Time{}
	if !o.on && o.err == nil {
		return nil
	}
	return o.drive(false)
}

// isOn says whether the output is driven on.
func (o *output) isOn() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.on
}

// close turns the output off and stops its goroutine; later sets fail.
func (o *output) close() error {
	o.mu.Lock()
	o.closed = true
	err := o.drive(false)
	o.mu.Unlock()
	o.cancel()
	<-o.done
	return err
}

// loop turns the output off when its deadline passes.
func (o *output) loop() {
	defer close(o.done)
	for {
		o.mu.Lock()
		var wait time.Duration
		if o.on && !o.until.IsZero() {
			if now := o.clk.Now(); !now.Before(o.until) {
				o.until = time.Time{}
				o.drive(false)
			} else {
				wait = o.until.Sub(now)
			}
		}
		o.mu.Unlock()
		if wait > 0 {
			if o.clk.Sleep(o.ctx, wait) != nil {
				return
			}
			continue
		}
		select {
		case <-o.wake:
		case <-o.ctx.Done():
			return
		}
	}
}
