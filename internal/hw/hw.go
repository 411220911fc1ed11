// Package hw opens the thermometer the configuration names: an MLX90614 on a
// real I²C bus through periph, or the simulator, and puts the sampler on
// it. The `sensor` commands, the daemon, the demo, `simulate` and the tests
// all wire the chip, the driver and the sampler here.
package hw

import (
	"errors"
	"fmt"
	"strings"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/host/v3"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/sensor/mlx90614"
	"github.com/thermogate/thermogate/sensor/mlxsim"
)

// Spec says which thermometer to open.
type Spec struct {
	Sim  bool   // the simulator instead of the I²C bus
	Bus  string // periph i2creg name; "" is the first bus
	Addr uint16 // 0 is mlx90614.DefaultAddr
	Room string // room-air sensor, see sensor.ParseRoomSpec; "" for none
}

// Rig is an opened thermometer: the driver, the bus it runs on, the
// simulator behind that bus if it is one, and the room sensor if any.
type Rig struct {
	Dev  *mlx90614.Dev
	Bus  i2c.BusCloser
	Sim  *mlxsim.Sim // nil on real hardware
	Room sensor.AmbientSensor
}

// Close releases the bus.
func (r *Rig) Close() error { return r.Bus.Close() }

// Sampler returns a sampler on the rig's thermometer and room sensor, on
// clk (nil for the wall clock) with opts (nil for the defaults).
func (r *Rig) Sampler(clk clock.Clock, opts *sensor.SamplerOpts) (*sensor.Sampler, error) {
	if clk == nil {
		clk = clock.Real{}
	}
	return sensor.NewSampler(r.Dev, r.Room, clk, opts)
}

// Simulated is the simulator behind the real driver, with a sampler on it:
// what `simulate`, the demo and the tests screen with. The simulator runs on
// o.Clock, and so does the sampler; o.Ambient sets its room.
func Simulated(o mlxsim.Opts, so *sensor.SamplerOpts) (*Rig, *sensor.Sampler, error) {
	r := &Rig{Sim: mlxsim.New(&o)}
	r.Bus = r.Sim
	var err error
	if r.Dev, err = mlx90614.New(r.Bus, &mlx90614.Opts{Addr: o.Addr}); err != nil {
		return nil, nil, fmt.Errorf("the simulated sensor: %w", err)
	}
	s, err := r.Sampler(o.Clock, so)
	if err != nil {
		return nil, nil, err
	}
	return r, s, nil
}

// SimNoise is the simulator's object noise, about the MLX90614's own at its
// factory filter settings.
const SimNoise = 50 * physic.MilliKelvin

// Open opens what spec names. The simulator shows an empty 22 °C room with
// the chip's usual noise, on clk (nil for the wall clock).
func Open(spec Spec, clk clock.Clock) (*Rig, error) {
	roomSpec, err := sensor.ParseRoomSpec(spec.Room)
	if err != nil {
		return nil, err
	}
	r := &Rig{}
	if spec.Sim {
		if roomSpec.Kind != "" {
			return nil, errors.New("a room sensor needs a real I²C bus; it cannot be used with the simulator")
		}
		r.Sim = mlxsim.New(&mlxsim.Opts{Addr: spec.Addr, Clock: clk})
		r.Sim.SetNoise(SimNoise)
		r.Bus = r.Sim
	} else if r.Bus, err = OpenI2C(spec.Bus); err != nil {
		return nil, err
	}
	// Some adapters cannot change speed from user space; the Pi's is set in
	// the boot configuration (deploy/README.md), so a refusal is no error.
	_ = r.Bus.SetSpeed(100 * physic.KiloHertz)
	if r.Dev, err = mlx90614.New(r.Bus, &mlx90614.Opts{Addr: spec.Addr}); err != nil {
		r.Bus.Close()
		return nil, err
	}
	if roomSpec.Kind != "" {
		if r.Room, err = sensor.OpenRoomSensor(r.Bus, roomSpec); err != nil {
			r.Bus.Close()
			return nil, err
		}
	}
	return r, nil
}

// OpenI2C opens a real I²C bus through periph, with a message that helps on
// a machine where I²C is missing or off.
func OpenI2C(name string) (i2c.BusCloser, error) {
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("initialise the hardware drivers: %w", err)
	}
	bus, err := i2creg.Open(name)
	if err == nil {
		return bus, nil
	}
	var names []string
	for _, ref := range i2creg.All() {
		names = append(names, ref.Name)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no I²C bus found on this machine (%v). On a Raspberry Pi enable I²C "+
			"(sudo raspi-config nonint do_i2c 0, or dtparam=i2c_arm=on in /boot/firmware/config.txt) and reboot; "+
			"without the sensor, use the simulator (--sim, or driver = \"sim\" in the configuration)", err)
	}
	return nil, fmt.Errorf("cannot open I²C bus %q (%v); this machine has: %s", name, err, strings.Join(names, ", "))
}
