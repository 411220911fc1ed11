package sensor_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/sensor/mlx90614"
	"github.com/thermogate/thermogate/sensor/mlxsim"
)

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func c(deg float64) physic.Temperature {
	return physic.ZeroCelsius + physic.Temperature(math.Round(deg*1e9))
}

// rig is the real driver on the simulator, on a virtual clock.
type rig struct {
	sim *mlxsim.Sim
	clk *clock.Virtual
	s   *sensor.Sampler
}

func newRig(t *testing.T, room sensor.AmbientSensor) rig {
	t.Helper()
	clk := clock.NewVirtual(t0)
	sim := mlxsim.New(&mlxsim.Opts{Clock: clk, Ambient: c(22.01), Seed: 1})
	dev, err := mlx90614.New(sim, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sensor.NewSampler(dev, room, clk, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rig{sim, clk, s}
}

func TestMeasureSteadyForehead(t *testing.T) {
	r := newRig(t, nil)
	r.sim.Schedule(mlxsim.Visit{Arrive: t0.Add(2 * time.Second), Object: c(35.51)})
	var fractions []float64
	got, err := r.s.Measure(context.Background(), func(p sensor.Progress) { fractions = append(fractions, p.Fraction) })
	if err != nil {
		t.Fatal(err)
	}
	if got.Object != c(35.51) || got.Die != c(22.01) || got.Ambient != c(22.01) {
		t.Fatalf("reading = object %s die %s ambient %s, want 35.51, 22.01, 22.01", got.Object, got.Die, got.Ambient)
	}
	// The chip's last bit flickers by one step (0.02 K) either way.
	if got.Samples != sensor.DefaultSamplerOpts.Samples || got.Spread != 40*physic.MilliKelvin {
		t.Fatalf("samples %d spread %s, want %d and 0.04 K", got.Samples, got.Spread, sensor.DefaultSamplerOpts.Samples)
	}
	// The forehead arrives at 2 s, rises for 0.3 s, then one clean window.
	if el := got.At.Sub(t0); el < 3*time.Second || el > 4*time.Second {
		t.Fatalf("reading took %v, want 3–4 s", el)
	}
	if fractions[0] != 0 || fractions[len(fractions)-1] != 1 {
		t.Fatalf("progress from %v to %v, want 0 to 1", fractions[0], fractions[len(fractions)-1])
	}
}

func TestMeasureMedianIgnoresTheRise(t *testing.T) {
	r := newRig(t, nil)
	r.sim.SetNoise(50 * physic.MilliKelvin) // about the chip's own noise
	r.sim.Schedule(mlxsim.Visit{Arrive: t0.Add(time.Second), Object: c(36.21)})
	got, err := r.s.Measure(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := got.Object - c(36.21); d < -60*physic.MilliKelvin || d > 60*physic.MilliKelvin {
		t.Fatalf("median %s is %s off the forehead's 36.21°C", got.Object, d)
	}
	if got.Spread > sensor.DefaultSamplerOpts.MaxSpread {
		t.Fatalf("spread %s above the limit", got.Spread)
	}
}

func TestMeasureNoForehead(t *testing.T) {
	r := newRig(t, nil)
	_, err := r.s.Measure(context.Background(), nil)
	if !errors.Is(err, sensor.ErrNoForehead) {
		t.Fatalf("err = %v, want ErrNoForehead", err)
	}
	if el := r.clk.Now().Sub(t0); el < sensor.DefaultSamplerOpts.WaitTimeout {
		t.Fatalf("gave up after %v, before the %v timeout", el, sensor.DefaultSamplerOpts.WaitTimeout)
	}
}

func TestMeasureUnstable(t *testing.T) {
	r := newRig(t, nil)
	r.sim.SetNoise(physic.Kelvin)
	r.sim.Schedule(mlxsim.Visit{Arrive: t0, Object: c(35.51)})
	if _, err := r.s.Measure(context.Background(), nil); !errors.Is(err, sensor.ErrUnstable) {
		t.Fatalf("err = %v, want ErrUnstable", err)
	}
}

func TestMeasureForeheadLeavesMidWindow(t *testing.T) {
	r := newRig(t, nil)
	// First 0.6 s at 34.01 (not a full window), away, then back at 35.91.
	r.sim.Schedule(mlxsim.Visit{Arrive: t0.Add(time.Second), Hold: 900 * time.Millisecond, Object: c(34.01)})
	r.sim.Schedule(mlxsim.Visit{Arrive: t0.Add(3 * time.Second), Object: c(35.91)})
	got, err := r.s.Measure(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Object != c(35.91) {
		t.Fatalf("reading %s mixes in the first, interrupted visit; want 35.91°C", got.Object)
	}
}

func TestMeasureFaults(t *testing.T) {
	for _, f := range []mlxsim.Fault{mlxsim.NACK, mlxsim.Absent, mlxsim.BadPEC, mlxsim.Flag} {
		t.Run(f.String(), func(t *testing.T) {
			r := newRig(t, nil)
			r.sim.Present(c(35.51))
			r.sim.SetFault(f)
			_, err := r.s.Measure(context.Background(), nil)
			if !errors.Is(err, sensor.ErrFault) {
				t.Fatalf("err = %v, want ErrFault", err)
			}
			if el := r.clk.Now().Sub(t0); el > time.Second {
				t.Fatalf("took %v to report a dead sensor", el)
			}
		})
	}
}

func TestMeasureSurvivesOneGlitch(t *testing.T) {
	r := newRig(t, nil)
	r.sim.Schedule(mlxsim.Visit{Arrive: t0.Add(time.Second), Object: c(35.51)})
	r.sim.Glitch(mlxsim.BadPEC, 1)
	got, err := r.s.Measure(context.Background(), nil)
	if err != nil || got.Object != c(35.51) {
		t.Fatalf("after one bad PEC: %s, %v", got.Object, err)
	}
}

func TestMeasureSlowSensorIsAFault(t *testing.T) {
	r := newRig(t, nil)
	r.sim.Present(c(35.51))
	r.sim.SetSlow(400 * time.Millisecond) // two transactions a read: 800 ms
	if _, err := r.s.Measure(context.Background(), nil); !errors.Is(err, sensor.ErrFault) {
		t.Fatalf("err = %v, want ErrFault", err)
	}
}

func TestMeasureStuckSensor(t *testing.T) {
	r := newRig(t, nil)
	r.sim.Present(c(36.51))
	r.clk.Advance(time.Second)
	r.sim.SetFault(mlxsim.Stuck) // frozen with the last visitor's forehead
	r.sim.Remove()
	_, err := r.s.Measure(context.Background(), nil)
	if !errors.Is(err, sensor.ErrStuck) || !errors.Is(err, sensor.ErrFault) {
		t.Fatalf("err = %v, want ErrStuck, a kind of ErrFault", err)
	}
}

func TestMeasureCancelled(t *testing.T) {
	r := newRig(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	_, err := r.s.Measure(ctx, func(sensor.Progress) {
		if calls++; calls == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

type roomAt physic.Temperature

func (r roomAt) Ambient() (physic.Temperature, error) { return physic.Temperature(r), nil }

func TestMeasureRoomSensorGivesAmbient(t *testing.T) {
	r := newRig(t, roomAt(c(20.5)))
	r.sim.Schedule(mlxsim.Visit{Arrive: t0.Add(time.Second), Object: c(35.51)})
	got, err := r.s.Measure(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Ambient != c(20.5) || got.Die != c(22.01) {
		t.Fatalf("ambient %s die %s, want the room's 20.5 and the die's 22.01", got.Ambient, got.Die)
	}
}

func TestProbe(t *testing.T) {
	r := newRig(t, nil)
	got, err := r.s.Probe()
	if err != nil || got.Ambient != c(22.01) {
		t.Fatalf("Probe = %s, %v", got.Ambient, err)
	}
	r.sim.SetFault(mlxsim.Absent)
	if _, err := r.s.Probe(); !errors.Is(err, sensor.ErrFault) {
		t.Fatalf("Probe of an absent sensor = %v, want ErrFault", err)
	}
}

func TestSamplerOptsValidate(t *testing.T) {
	bad := []sensor.SamplerOpts{
		{Interval: -time.Second},
		{Samples: 2},
		{SettleTimeout: 500 * time.Millisecond}, // shorter than the 1 s window
		{MaxErrors: -1},
	}
	for _, o := range bad {
		if _, err := sensor.NewSampler(nil, nil, nil, &o); err == nil {
			t.Errorf("NewSampler(%+v) accepted", o)
		}
	}
	s, err := sensor.NewSampler(nil, nil, nil, &sensor.SamplerOpts{Samples: 5})
	if err != nil {
		t.Fatal(err)
	}
	if o := s.Opts(); o.Samples != 5 || o.Interval != sensor.DefaultSamplerOpts.Interval {
		t.Fatalf("zero fields not defaulted: %+v", o)
	}
}

func TestRoomSensorMCP9808(t *testing.T) {
	// mcp9808.New sets resolution and configuration, then a read of the
	// ambient register 0x05: 0x0148 = 20.5 °C.
	bus := &i2ctest.Playback{Ops: []i2ctest.IO{
		{Addr: 0x19, W: []byte{0x08, 0x03}},
		{Addr: 0x19, W: []byte{0x01, 0x00, 0x00}},
		{Addr: 0x19, W: []byte{0x05}, R: []byte{0x01, 0x48}},
	}, DontPanic: true}
	spec, err := sensor.ParseRoomSpec("mcp9808@0x19")
	if err != nil {
		t.Fatal(err)
	}
	room, err := sensor.OpenRoomSensor(bus, spec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := room.Ambient()
	if err != nil || got != c(20.5) {
		t.Fatalf("room = %s, %v; want 20.5°C", got, err)
	}
	for _, bad := range []string{"bme999", "mcp9808@zz", "mcp9808@0x80"} {
		if _, err := sensor.ParseRoomSpec(bad); err == nil {
			t.Errorf("ParseRoomSpec(%q) accepted", bad)
		}
	}
}

func BenchmarkMeasure(b *testing.B) {
	clk := clock.NewVirtual(t0)
	sim := mlxsim.New(&mlxsim.Opts{Clock: clk})
	dev, _ := mlx90614.New(sim, nil)
	s, _ := sensor.NewSampler(dev, nil, clk, nil)
	b.ReportAllocs()
	for b.Loop() {
		sim.Present(c(35.51))
		if _, err := s.Measure(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
		sim.Remove()
		clk.Advance(time.Second)
	}
}
