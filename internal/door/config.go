package door

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Config is the [gpio] section of the configuration. An empty pin name
// means that output is not wired.
type Config struct {
	DoorPin        string        `toml:"door_pin"`         // e.g. "GPIO17"
	DoorActiveHigh bool          `toml:"door_active_high"` // true: the pin goes high to open
	DoorPulse      time.Duration `toml:"door_pulse"`       // how long the door opens for one ADMIT

	GuardPin           string        `toml:"guard_pin"`            // lamp or buzzer calling the guard
	GuardActiveHigh    bool          `toml:"guard_active_high"`    //
	GuardOnDeny        bool          `toml:"guard_on_deny"`        // call the guard on DENY too, not only on REFER
	GuardSignalTimeout time.Duration `toml:"guard_signal_timeout"` // the call ends after this if the guard has not come

	ServicePin        string `toml:"service_pin"` // lamp lit while the kiosk is out of service
	ServiceActiveHigh bool   `toml:"service_active_high"`
}

// Default returns the defaults, the same as deploy/config.example.toml:
// nothing wired.
func Default() Config {
	return Config{
		DoorActiveHigh: true, DoorPulse: 3 * time.Second,
		GuardActiveHigh: true, GuardSignalTimeout: 2 * time.Minute,
		ServiceActiveHigh: true,
	}
}

// Limits of the durations.
const (
	MinPulse         = 200 * time.Millisecond // a door strike needs this much to release
	MaxPulse         = 30 * time.Second       // a door held open longer is a propped door
	MinSignalTimeout = 5 * time.Second
	MaxSignalTimeout = time.Hour
)

// pinName is what periph's gpioreg knows: a name such as GPIO17 or P1_11, or a number.
var pinName = regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`)

// i2cPins carry the thermometer's bus (I²C1 on the Raspberry Pi header):
// an output there would break every reading.
var i2cPins = map[string]bool{"GPIO2": true, "GPIO3": true, "2": true, "3": true, "P1_3": true, "P1_5": true}

// Validate names every key whose value is out of range.
func (c Config) Validate() error {
	var errs []error
	pins := map[string]string{}
	for _, p := range []struct{ key, name string }{
		{"gpio.door_pin", c.DoorPin}, {"gpio.guard_pin", c.GuardPin}, {"gpio.service_pin", c.ServicePin},
	} {
		if p.name == "" {
			continue
		}
		upper := strings.ToUpper(p.name)
		switch {
		case !pinName.MatchString(p.name):
			errs = append(errs, fmt.Errorf("%s = %q: want a pin name such as \"GPIO17\"", p.key, p.name))
		case i2cPins[upper]:
			errs = append(errs, fmt.Errorf("%s = %q: that pin carries the thermometer's I²C bus", p.key, p.name))
		case pins[upper] != "":
			errs = append(errs, fmt.Errorf("%s = %q: already used by %s", p.key, p.name, pins[upper]))
		default:
			pins[upper] = p.key
		}
	}
	if c.DoorPulse < MinPulse || c.DoorPulse > MaxPulse {
		errs = append(errs, fmt.Errorf("gpio.door_pulse = %v: want %v–%v", c.DoorPulse, MinPulse, MaxPulse))
	}
	if c.GuardSignalTimeout < MinSignalTimeout || c.GuardSignalTimeout > MaxSignalTimeout {
		errs = append(errs, fmt.Errorf("gpio.guard_signal_timeout = %v: want %v–%v", c.GuardSignalTimeout, MinSignalTimeout, MaxSignalTimeout))
	}
	return errors.Join(errs...)
}
