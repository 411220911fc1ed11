package door

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/gpio"

	"github.com/thermogate/thermogate/internal/clock"
)

// Errors of Door.Pulse.
var (
	ErrOutOfService = errors.New("door: the kiosk is out of service; the door stays closed")
	ErrClosed       = errors.New("door: closed")
	ErrNotWired     = errors.New("door: no door pin configured")
)

// Door is the door or turnstile relay.
type Door struct {
	out   *output
	pulse time.Duration

	mu           sync.Mutex
	outOfService bool
	stopCtx      func() bool // stops the ctx watch of the current pulse
}

var _ conn.Resource = &Door{}

// NewDoor drives pin off and returns the door. pin nil is a kiosk without a
// door relay: Pulse then does nothing and says so (ErrNotWired). clk is the
// clock the pulse is timed on (nil: the wall clock).
func NewDoor(pin gpio.PinOut, activeHigh bool, pulse time.Duration, clk clock.Clock, log *slog.Logger) (*Door, error) {
	if pulse <= 0 || pulse > MaxPulse {
		return nil, fmt.Errorf("door pulse %v: want up to %v", pulse, MaxPulse)
	}
	out, err := newOutput("door", pin, activeHigh, clk, log)
	if err != nil {
		return nil, err
	}
	return &Door{out: out, pulse: pulse}, nil
}

// Pulse opens the door for the pulse, for one stored ADMIT, and returns at
// once. A pulse already running restarts from now. The door closes early
// when ctx ends (give it the kiosk's run context), on Halt and on Close.
// It refuses while the kiosk is out of service.
func (d *Door) Pulse(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.out.pin == nil {
		return ErrNotWired
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.outOfService {
		return ErrOutOfService
	}
	if err := d.out.set(d.out.clk.Now().Add(d.pulse)); err != nil {
		return err
	}
	if d.stopCtx != nil {
		d.stopCtx()
	}
	d.stopCtx = context.AfterFunc(ctx, func() { d.out.off() })
	return nil
}

// SetOutOfService tells the door whether the kiosk screens. Going out of
// service closes a door that is open.
func (d *Door) SetOutOfService(out bool) {
	d.mu.Lock()
	d.outOfService = out
	d.mu.Unlock()
	if out {
		d.out.off()
	}
}

// Open says whether the relay is energised now, for an indicator.
func (d *Door) Open() bool { return d.out.isOn() }

// Err is the last failure to drive the pin, nil while it works.
func (d *Door) Err() error {
	d.out.mu.Lock()
	defer d.out.mu.Unlock()
	return d.out.err
}

// Halt closes the door now; a later Pulse opens it again.
func (d *Door) Halt() error { return d.out.off() }

// Close closes the door and stops; later pulses fail with ErrClosed. Defer
// it where the door is made, so a panic unwinding through releases it.
func (d *Door) Close() error { return d.out.close() }

// String names the door's pin.
func (d *Door) String() string {
	if d.out.pin == nil {
		return "door (not wired)"
	}
	return "door on " + d.out.pin.String()
}
