package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/host/v3"

	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/sensor/mlx90614"
	"github.com/thermogate/thermogate/sensor/mlxsim"
)

// sensorSpec says which thermometer to open: the chip on a real I²C bus, or
// the simulator.
type sensorSpec struct {
	sim  bool
	bus  string // periph i2creg name; "" is the first bus
	addr uint16
	room string // room-air sensor, "" for none: see sensor.ParseRoomSpec
}

func (s *sensorSpec) register(fs *flag.FlagSet) {
	fs.BoolVar(&s.sim, "sim", false, "use the simulated MLX90614 instead of the I²C bus")
	fs.StringVar(&s.bus, "bus", "", "I²C bus `name` as periph knows it (e.g. I2C1); empty for the first bus")
	fs.Func("addr", "SMBus `address` of the MLX90614 (default 0x5A)", func(v string) error {
		a, err := strconv.ParseUint(v, 0, 7)
		if err != nil {
			return fmt.Errorf("want a 7-bit address such as 0x5A")
		}
		s.addr = uint16(a)
		return nil
	})
	fs.StringVar(&s.room, "room", "", "optional room-air sensor, `kind[@addr]` (mcp9808, e.g. mcp9808@0x18)")
}

// rig is an opened thermometer: the driver, what it runs on, and the room
// sensor if one is configured.
type rig struct {
	dev  *mlx90614.Dev
	bus  i2c.BusCloser
	sim  *mlxsim.Sim // nil on real hardware
	room sensor.AmbientSensor
}

func (r *rig) Close() error { return r.bus.Close() }

// open opens the thermometer. The simulator shows a 22 °C room and a forehead
// at 35.2 °C with the chip's usual noise, so every command shows something.
func (s *sensorSpec) open() (*rig, error) {
	roomSpec, err := sensor.ParseRoomSpec(s.room)
	if err != nil {
		return nil, err
	}
	r := &rig{}
	if s.sim {
		r.sim = mlxsim.New(&mlxsim.Opts{Addr: s.addr})
		r.sim.SetNoise(50 * physic.MilliKelvin)
		// Arrived a second ago: already settled at the first read.
		r.sim.Schedule(mlxsim.Visit{Arrive: time.Now().Add(-time.Second), Object: physic.ZeroCelsius + 35200*physic.MilliKelvin})
		r.bus = r.sim
		if roomSpec.Kind != "" {
			return nil, errors.New("--room needs a real I²C bus; it cannot be used with --sim")
		}
	} else if r.bus, err = openI2C(s.bus); err != nil {
		return nil, err
	}
	if err := r.bus.SetSpeed(100 * physic.KiloHertz); err != nil {
		// Some adapters cannot change speed from user space; the Pi's is set
		// in the boot configuration (deploy/README.md).
		_ = err
	}
	if r.dev, err = mlx90614.New(r.bus, &mlx90614.Opts{Addr: s.addr}); err != nil {
		r.bus.Close()
		return nil, err
	}
	if roomSpec.Kind != "" {
		if r.room, err = sensor.OpenRoomSensor(r.bus, roomSpec); err != nil {
			r.bus.Close()
			return nil, err
		}
	}
	return r, nil
}

// openI2C opens a real I²C bus through periph, with a message that helps on
// a machine where I²C is missing or off.
func openI2C(name string) (i2c.BusCloser, error) {
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
			"without the sensor, use --sim", err)
	}
	return nil, fmt.Errorf("cannot open I²C bus %q (%v); this machine has: %s", name, err, strings.Join(names, ", "))
}

func sensorCommand() *command {
	return &command{
		name:    "sensor",
		summary: "Read and configure the MLX90614 thermometer.",
		subs:    []*command{sensorReadCommand(), sensorInfoCommand(), sensorEmissivityCommand()},
	}
}

func sensorReadCommand() *command {
	return &command{
		name:    "read",
		summary: "Read ambient and object temperatures, once or --count times.",
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			var spec sensorSpec
			spec.register(fs)
			count := fs.Int("count", 1, "number of reads")
			interval := fs.Duration("interval", 500*time.Millisecond, "time between reads")
			asJSON := fs.Bool("json", false, "print one JSON object a line")
			return func(ctx context.Context, args []string) error {
				if *count < 1 {
					return usagef("--count %d: want at least 1", *count)
				}
				if *interval < 0 {
					return usagef("--interval %v: want a positive duration", *interval)
				}
				r, err := spec.open()
				if err != nil {
					return err
				}
				defer r.Close()
				for i := range *count {
					if i > 0 {
						select {
						case <-ctx.Done():
							return nil
						case <-time.After(*interval):
						}
					}
					if err := printRead(e, r, *asJSON); err != nil {
						return err
					}
				}
				return nil
			}
		},
	}
}

// readLine is one line of `sensor read --json`.
type readLine struct {
	Time     time.Time `json:"time"`
	AmbientC float64   `json:"ambient_c"`
	ObjectC  float64   `json:"object_c"`
	Object2C *float64  `json:"object2_c"` // null on single-zone parts
	RoomC    *float64  `json:"room_c,omitempty"`
}

func printRead(e *env, r *rig, asJSON bool) error {
	amb, err := r.dev.Ambient()
	if err != nil {
		return err
	}
	obj, err := r.dev.Object()
	if err != nil {
		return err
	}
	l := readLine{Time: time.Now().UTC().Truncate(time.Millisecond), AmbientC: round2(amb), ObjectC: round2(obj)}
	if obj2, err := r.dev.Object2(); err == nil {
		v := round2(obj2)
		l.Object2C = &v
	}
	if r.room != nil {
		t, err := r.room.Ambient()
		if err != nil {
			return err
		}
		v := round2(t)
		l.RoomC = &v
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(l)
	}
	fmt.Fprintf(e.stdout, "%s  ambient %6.2f °C  object %6.2f °C", l.Time.Format("15:04:05.000"), l.AmbientC, l.ObjectC)
	if l.Object2C != nil {
		fmt.Fprintf(e.stdout, "  object2 %6.2f °C", *l.Object2C)
	}
	if l.RoomC != nil {
		fmt.Fprintf(e.stdout, "  room %6.2f °C", *l.RoomC)
	}
	fmt.Fprintln(e.stdout)
	return nil
}

// round2 is a temperature in °C to two decimals, the chip's resolution.
func round2(t physic.Temperature) float64 { return math.Round(t.Celsius()*100) / 100 }

func sensorInfoCommand() *command {
	return &command{
		name:    "info",
		summary: "Show the sensor's ID, emissivity, configuration register and a reading.",
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			var spec sensorSpec
			spec.register(fs)
			return func(ctx context.Context, args []string) error {
				r, err := spec.open()
				if err != nil {
					return err
				}
				defer r.Close()
				id, err := r.dev.ID()
				if err != nil {
					return fmt.Errorf("no answer from the MLX90614: %w", err)
				}
				em, err := r.dev.Emissivity()
				if err != nil {
					return err
				}
				cfg, err := r.dev.Config()
				if err != nil {
					return err
				}
				amb, err := r.dev.Ambient()
				if err != nil {
					return err
				}
				obj, err := r.dev.Object()
				if err != nil {
					return err
				}
				zones := "single"
				if cfg&(1<<6) != 0 {
					zones = "dual"
				}
				fmt.Fprintf(e.stdout, "sensor      %s\n", r.dev)
				fmt.Fprintf(e.stdout, "id          %016x\n", id)
				fmt.Fprintf(e.stdout, "emissivity  %.3f\n", em)
				fmt.Fprintf(e.stdout, "config      %#04x (%s IR zone)\n", cfg, zones)
				fmt.Fprintf(e.stdout, "ambient     %.2f °C\n", round2(amb))
				fmt.Fprintf(e.stdout, "object      %.2f °C\n", round2(obj))
				return nil
			}
		},
	}
}

func sensorEmissivityCommand() *command {
	return &command{
		name:    "emissivity",
		summary: "Show the emissivity, or store a new one with --set (0.1–1.0; skin is 0.98).",
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			var spec sensorSpec
			spec.register(fs)
			set := fs.Float64("set", 0, "store this emissivity in the sensor's EEPROM")
			return func(ctx context.Context, args []string) error {
				setGiven := false
				fs.Visit(func(f *flag.Flag) { setGiven = setGiven || f.Name == "set" })
				if setGiven && (*set < 0.1 || *set > 1) {
					return usagef("--set %v: emissivity must be between 0.1 and 1.0", *set)
				}
				r, err := spec.open()
				if err != nil {
					return err
				}
				defer r.Close()
				old, err := r.dev.Emissivity()
				if err != nil {
					return err
				}
				if !setGiven {
					fmt.Fprintf(e.stdout, "emissivity %.3f\n", old)
					return nil
				}
				if err := r.dev.SetEmissivity(*set); err != nil {
					return err
				}
				now, err := r.dev.Emissivity()
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "emissivity %.3f (was %.3f)\n", now, old)
				if now != old {
					fmt.Fprintln(e.stdout, "Power the sensor off and on (or restart the Pi) for the chip to use it, then compare a reading with a clinical thermometer.")
				}
				return nil
			}
		},
	}
}
