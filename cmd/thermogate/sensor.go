package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"strconv"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/internal/hw"
	"github.com/thermogate/thermogate/sensor/mlxsim"
)

// sensorSpec is the flags that say which thermometer to open.
type sensorSpec struct{ hw.Spec }

func (s *sensorSpec) register(fs *flag.FlagSet) {
	fs.BoolVar(&s.Sim, "sim", false, "use the simulated MLX90614 instead of the I²C bus")
	fs.StringVar(&s.Bus, "bus", "", "I²C bus `name` as periph knows it (e.g. I2C1); empty for the first bus")
	fs.Func("addr", "SMBus `address` of the MLX90614 (default 0x5A)", func(v string) error {
		a, err := strconv.ParseUint(v, 0, 7)
		if err != nil {
			return fmt.Errorf("want a 7-bit address such as 0x5A")
		}
		s.Addr = uint16(a)
		return nil
	})
	fs.StringVar(&s.Room, "room", "", "optional room-air sensor, `kind[@addr]` (mcp9808, e.g. mcp9808@0x18)")
}

// open opens the thermometer. The simulator gets a forehead at 35.2 °C that
// arrived a second ago, so every command shows something.
func (s *sensorSpec) open() (*hw.Rig, error) {
	r, err := hw.Open(s.Spec, nil)
	if err != nil {
		return nil, err
	}
	if r.Sim != nil {
		r.Sim.Schedule(mlxsim.Visit{Arrive: time.Now().Add(-time.Second), Object: physic.ZeroCelsius + 35200*physic.MilliKelvin})
	}
	return r, nil
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

func printRead(e *env, r *hw.Rig, asJSON bool) error {
	amb, err := r.Dev.Ambient()
	if err != nil {
		return err
	}
	obj, err := r.Dev.Object()
	if err != nil {
		return err
	}
	l := readLine{Time: time.Now().UTC().Truncate(time.Millisecond), AmbientC: round2(amb), ObjectC: round2(obj)}
	if obj2, err := r.Dev.Object2(); err == nil {
		v := round2(obj2)
		l.Object2C = &v
	}
	if r.Room != nil {
		t, err := r.Room.Ambient()
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
				id, err := r.Dev.ID()
				if err != nil {
					return fmt.Errorf("no answer from the MLX90614: %w", err)
				}
				em, err := r.Dev.Emissivity()
				if err != nil {
					return err
				}
				cfg, err := r.Dev.Config()
				if err != nil {
					return err
				}
				amb, err := r.Dev.Ambient()
				if err != nil {
					return err
				}
				obj, err := r.Dev.Object()
				if err != nil {
					return err
				}
				zones := "single"
				if cfg&(1<<6) != 0 {
					zones = "dual"
				}
				fmt.Fprintf(e.stdout, "sensor      %s\n", r.Dev)
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
				old, err := r.Dev.Emissivity()
				if err != nil {
					return err
				}
				if !setGiven {
					fmt.Fprintf(e.stdout, "emissivity %.3f\n", old)
					return nil
				}
				if err := r.Dev.SetEmissivity(*set); err != nil {
					return err
				}
				now, err := r.Dev.Emissivity()
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
