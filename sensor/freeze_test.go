package sensor_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/sensor/mlx90614"
	"github.com/thermogate/thermogate/sensor/mlxsim"
)

// freezeRig is the real driver on the simulator with a forehead of obj
// arriving 1 s after t0, rising over rise, with Gaussian noise sd.
func freezeRig(t *testing.T, rise time.Duration, sd physic.Temperature, obj float64) (*mlxsim.Sim, *sensor.Sampler, time.Time) {
	t.Helper()
	clk := clock.NewVirtual(t0)
	sim := mlxsim.New(&mlxsim.Opts{Clock: clk, Ambient: c(22.01), Rise: rise, Seed: 7})
	sim.SetNoise(sd)
	dev, err := mlx90614.New(sim, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sensor.NewSampler(dev, nil, clk, nil)
	if err != nil {
		t.Fatal(err)
	}
	arrive := t0.Add(time.Second)
	sim.Schedule(mlxsim.Visit{Arrive: arrive, Object: c(obj)})
	return sim, s, arrive
}

// TestFreezeMidMeasurementNeverDecides: the chip's RAM stops changing X ms
// after the forehead arrives, for X from 0 to 1500 ms, on a forehead that
// rises as fast as the chip's filters allow (300 ms) and on one that rises
// slowly (3 s, the report's 35 → 37 °C visitor), with and without noise.
// Whatever X, the sampler either reports the sensor stuck (or, frozen before
// the forehead counted as present, no forehead) or returns a reading it
// finished before a frozen stretch could form — one that matches what the
// healthy chip gives. It never judges the frozen words.
func TestFreezeMidMeasurementNeverDecides(t *testing.T) {
	o := sensor.DefaultSamplerOpts
	for _, rise := range []time.Duration{300 * time.Millisecond, 3 * time.Second} {
		for _, sd := range []physic.Temperature{0, 50 * physic.MilliKelvin} {
			// The healthy chip's reading, for comparison.
			_, s, _ := freezeRig(t, rise, sd, 36.51)
			live, err := s.Measure(context.Background(), nil)
			if err != nil {
				t.Fatalf("rise %v noise %s, no freeze: %v", rise, sd, err)
			}
			for x := time.Duration(0); x <= 1500*time.Millisecond; x += 50 * time.Millisecond {
				t.Run(fmt.Sprintf("rise=%v/noise=%s/freeze=%v", rise, sd, x), func(t *testing.T) {
					sim, s, arrive := freezeRig(t, rise, sd, 36.51)
					sim.SetFreeze(x)
					frozeAt := arrive.Add(x)
					// The first measurement, then the next one on the same chip
					// (a retest, or the next attempt): frozen, it stays frozen.
					for range 2 {
						got, err := s.Measure(context.Background(), nil)
						switch {
						case err == nil:
							if !got.At.Before(frozeAt.Add(o.FrozenFor)) {
								t.Fatalf("a reading of %s at +%v, %v after the freeze: decided on frozen words", got.Object, got.At.Sub(arrive), got.At.Sub(frozeAt))
							}
							if d := got.Object - live.Object; d < -o.MaxSpread || d > o.MaxSpread {
								t.Fatalf("reading %s, the healthy chip's %s", got.Object, live.Object)
							}
						case errors.Is(err, sensor.ErrStuck):
						case errors.Is(err, sensor.ErrNoForehead):
							// Frozen on words from before the forehead counted.
						default:
							t.Fatalf("err = %v, want ErrStuck, ErrNoForehead or a reading from before the freeze", err)
						}
					}
				})
			}
		}
	}
}

// TestFreezeDuringTheWindowIsStuck pins the case of the report: the RAM
// freezes 350 or 650 ms after the forehead arrives, before the window of ten
// reads is complete.
func TestFreezeDuringTheWindowIsStuck(t *testing.T) {
	for _, x := range []time.Duration{350 * time.Millisecond, 650 * time.Millisecond} {
		sim, s, _ := freezeRig(t, 300*time.Millisecond, 50*physic.MilliKelvin, 36.51)
		sim.SetFreeze(x)
		got, err := s.Measure(context.Background(), nil)
		if !errors.Is(err, sensor.ErrStuck) || !errors.Is(err, sensor.ErrFault) {
			t.Fatalf("freeze at %v: %s, %v; want ErrStuck, a kind of ErrFault", x, got.Object, err)
		}
	}
}

// TestStillForeheadIsNotStuck: a forehead held still in front of a live
// chip, there from the first read or arriving, with the chip's own noise or
// none beyond its last-bit flicker, is measured — never called stuck.
func TestStillForeheadIsNotStuck(t *testing.T) {
	for _, sd := range []physic.Temperature{0, 50 * physic.MilliKelvin} {
		r := newRig(t, nil)
		r.sim.SetNoise(sd)
		for i := range 200 {
			if i%2 == 0 {
				r.sim.Present(c(35.51)) // there before the measurement
			} else {
				r.sim.Schedule(mlxsim.Visit{Arrive: r.clk.Now().Add(500 * time.Millisecond), Object: c(35.51)})
			}
			if _, err := r.s.Measure(context.Background(), nil); err != nil {
				t.Fatalf("noise %s, measurement %d: %v", sd, i, err)
			}
			r.sim.Remove()
			r.clk.Advance(time.Second)
		}
	}
}

func TestFrozenOptsValidate(t *testing.T) {
	s, err := sensor.NewSampler(nil, nil, nil, &sensor.SamplerOpts{Interval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if o := s.Opts(); o.FrozenReads != 5 || o.FrozenFor != 20*time.Millisecond {
		t.Fatalf("reading every 5 ms: frozen after %d reads over %v, want 5 over 20ms", o.FrozenReads, o.FrozenFor)
	}
	for _, o := range []sensor.SamplerOpts{
		{FrozenReads: 1},
		{FrozenReads: 11}, // more than the window: a frozen window would decide
		{FrozenFor: 950 * time.Millisecond},
		{FrozenFor: -time.Millisecond},
	} {
		if _, err := sensor.NewSampler(nil, nil, nil, &o); err == nil {
			t.Errorf("NewSampler(%+v) accepted", o)
		}
	}
}
