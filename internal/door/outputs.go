package door

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/kiosk"
)

// Outputs are the kiosk's GPIO outputs, made from the [gpio] configuration.
// Every field is there, wired or not: an output without a pin does nothing.
type Outputs struct {
	Door    *Door
	Guard   *Lamp
	Service *Lamp

	guardOnDeny bool
}

// Pins are the pins of the outputs; nil for an output not wired.
type Pins struct {
	Door, Guard, Service gpio.PinOut
}

// Open finds the configured pins on the host (periph's gpioreg) and makes
// the outputs, each driven off. An unknown pin is an error naming its key.
func Open(cfg Config, clk clock.Clock, log *slog.Logger) (*Outputs, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var pins Pins
	var errs []error
	need := cfg.DoorPin != "" || cfg.GuardPin != "" || cfg.ServicePin != ""
	if need {
		if _, err := host.Init(); err != nil {
			return nil, fmt.Errorf("GPIO: %w", err)
		}
	}
	find := func(key, name string) gpio.PinOut {
		if name == "" {
			return nil
		}
		p := gpioreg.ByName(name)
		if p == nil {
			errs = append(errs, fmt.Errorf("%s = %q: no such pin on this host%s", key, name, known()))
			return nil
		}
		return p
	}
	pins.Door = find("gpio.door_pin", cfg.DoorPin)
	pins.Guard = find("gpio.guard_pin", cfg.GuardPin)
	pins.Service = find("gpio.service_pin", cfg.ServicePin)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return New(cfg, pins, clk, log)
}

// known lists a few pin names the host has, for an error message.
func known() string {
	var names []string
	for _, p := range gpioreg.All() {
		names = append(names, p.Name())
	}
	if len(names) == 0 {
		return " (periph found no GPIO pins: is this a Raspberry Pi, and may the user open /dev/gpiomem?)"
	}
	sort.Strings(names)
	if len(names) > 8 {
		names = append(names[:8], "…")
	}
	return " (it has " + strings.Join(names, ", ") + ")"
}

// New makes the outputs on the given pins, each driven off first.
func New(cfg Config, pins Pins, clk clock.Clock, log *slog.Logger) (*Outputs, error) {
	o := &Outputs{guardOnDeny: cfg.GuardOnDeny}
	var err error
	if o.Door, err = NewDoor(pins.Door, cfg.DoorActiveHigh, cfg.DoorPulse, clk, log); err != nil {
		return nil, err
	}
	if o.Guard, err = NewLamp("guard", pins.Guard, cfg.GuardActiveHigh, cfg.GuardSignalTimeout, clk, log); err != nil {
		o.Door.Close()
		return nil, err
	}
	if o.Service, err = NewLamp("service", pins.Service, cfg.ServiceActiveHigh, 0, clk, log); err != nil {
		o.Door.Close()
		o.Guard.Close()
		return nil, err
	}
	return o, nil
}

// CallsGuard says whether a decision lights the guard lamp: REFER always,
// DENY when guard_on_deny.
func CallsGuard(decision string, onDeny bool) bool {
	return decision == string(kiosk.Refer) || (onDeny && decision == string(kiosk.Deny))
}

// Decided lights the guard lamp for a decision that calls the guard. It
// never opens the door: that is Admitted, once the ADMIT is stored.
func (o *Outputs) Decided(decision string) error {
	if CallsGuard(decision, o.guardOnDeny) {
		return o.Guard.Call()
	}
	return nil
}

// Admitted opens the door for a stored ADMIT; see Door.Pulse. A kiosk
// without a door relay is not an error here.
func (o *Outputs) Admitted(ctx context.Context) error {
	err := o.Door.Pulse(ctx)
	if errors.Is(err, ErrNotWired) {
		return nil
	}
	return err
}

// GuardOpened puts the guard lamp out: the guard has come.
func (o *Outputs) GuardOpened() error { return o.Guard.Clear() }

// SetOutOfService lights the service lamp and keeps the door closed while
// the kiosk is out of service.
func (o *Outputs) SetOutOfService(out bool) error {
	o.Door.SetOutOfService(out)
	return o.Service.Set(out)
}

// Health is nil while every wired output works, or the failures.
func (o *Outputs) Health() error {
	var errs []error
	for _, x := range []*output{o.Door.out, o.Guard.out, o.Service.out} {
		x.mu.Lock()
		if x.err != nil {
			errs = append(errs, fmt.Errorf("%s output: %w", x.name, x.err))
		}
		x.mu.Unlock()
	}
	return errors.Join(errs...)
}

// Close drives every output off and stops them. Defer it where the outputs
// are made: it runs while a panic unwinds, too.
func (o *Outputs) Close() error {
	return errors.Join(o.Door.Close(), o.Guard.Close(), o.Service.Close())
}
