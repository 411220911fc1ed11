package door

import (
	"log/slog"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/gpio"

	"github.com/thermogate/thermogate/internal/clock"
)

// Lamp is a lamp or buzzer: the guard call, or the out-of-service light.
type Lamp struct {
	out     *output
	timeout time.Duration
}

var _ conn.Resource = &Lamp{}

// NewLamp drives pin off and returns the lamp; pin nil is a lamp not wired,
// which does nothing. timeout is how long Call lights it (0: until Clear).
func NewLamp(name string, pin gpio.PinOut, activeHigh bool, timeout time.Duration, clk clock.Clock, log *slog.Logger) (*Lamp, error) {
	out, err := newOutput(name, pin, activeHigh, clk, log)
	if err != nil {
		return nil, err
	}
	return &Lamp{out: out, timeout: timeout}, nil
}

// Call lights the lamp until Clear or the timeout, which a new Call restarts.
func (l *Lamp) Call() error {
	until := time.Time{}
	if l.timeout > 0 {
		until = l.out.clk.Now().Add(l.timeout)
	}
	return l.out.set(until)
}

// Set lights the lamp while on is true, with no timeout.
func (l *Lamp) Set(on bool) error {
	if on {
		return l.out.set(time.Time{})
	}
	return l.out.off()
}

// Clear puts the lamp out.
func (l *Lamp) Clear() error { return l.out.off() }

// Lit says whether the lamp is on, for an indicator.
func (l *Lamp) Lit() bool { return l.out.isOn() }

// Halt puts the lamp out.
func (l *Lamp) Halt() error { return l.out.off() }

// Close puts the lamp out and stops it.
func (l *Lamp) Close() error { return l.out.close() }

// String names the lamp's pin.
func (l *Lamp) String() string {
	if l.out.pin == nil {
		return l.out.name + " lamp (not wired)"
	}
	return l.out.name + " lamp on " + l.out.pin.String()
}
