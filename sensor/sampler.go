// Package sensor turns thermometer reads into a forehead reading the kiosk can
// judge: it waits for a forehead, collects samples until they hold still,
// takes their median and estimates body temperature with a named model.
package sensor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/internal/clock"
)

// Thermometer is a contactless thermometer: the temperature of what it points
// at and of its own die. *mlx90614.Dev is one.
type Thermometer interface {
	Object() (physic.Temperature, error)
	Ambient() (physic.Temperature, error)
}

// AmbientSensor measures the room's air; see OpenRoomSensor.
type AmbientSensor interface {
	Ambient() (physic.Temperature, error)
}

// Errors of Measure, matched with errors.Is.
var (
	// ErrNoForehead: nothing warm enough came in front of the sensor in time.
	ErrNoForehead = errors.New("no forehead in front of the sensor")
	// ErrUnstable: a forehead was there but the readings never held still.
	ErrUnstable = errors.New("readings did not settle")
	// ErrFault: the sensor failed (bus errors, PEC, error flag, slow or stuck
	// answers). The wrapped error says how.
	ErrFault = errors.New("sensor fault")
	// ErrStuck is a fault: the sensor kept returning the very same words
	// while a forehead was in front of it (see SamplerOpts.FrozenReads).
	ErrStuck = fmt.Errorf("%w: readings stuck", ErrFault)
)

// SamplerOpts tunes the sampler. Zero fields take the value of DefaultSamplerOpts.
type SamplerOpts struct {
	// Interval between two reads. The MLX90614 refreshes its RAM at about
	// this rate with the factory filter settings.
	Interval time.Duration
	// Samples in the window whose median is the reading (window = Samples × Interval).
	Samples int
	// MaxSpread is the largest max−min of object temperature in the window
	// for the reading to count as stable.
	MaxSpread physic.Temperature
	// PresenceDelta is how far the object must be above the die temperature
	// to count as a forehead. Skin is 33–36 °C; a room is at most 32 °C by the
	// kiosk's default rule (rule.ambient_max_c), so a 3 K step separates a
	// forehead from a wall.
	PresenceDelta physic.Temperature
	// WaitTimeout is how long to wait for a forehead before ErrNoForehead.
	WaitTimeout time.Duration
	// SettleTimeout is how long a forehead may stay unsteady before ErrUnstable.
	SettleTimeout time.Duration
	// MaxErrors consecutive failed reads make a fault; fewer are skipped, so
	// one corrupted transfer on a long cable does not stop the kiosk.
	MaxErrors int
	// SlowRead: a read that takes longer counts as a failed read.
	SlowRead time.Duration

	// FrozenReads and FrozenFor say when the sensor counts as frozen: its
	// RAM stopped changing, so its words are no measurement at all. That is
	// FrozenReads consecutive successful reads, spanning at least FrozenFor
	// from the first to the last, whose raw object AND ambient words are all
	// identical, while a forehead is present; any such stretch, at any point
	// of a measurement, ends it with ErrStuck instead of a reading. (The
	// driver's conversion is exact, 0.02 K a step, so equal temperatures are
	// equal raw words.)
	//
	// Why this is safe for a live chip: a forehead is never perfectly still
	// and the MLX90614's object word moves in 0.02 K steps, so its noise
	// (about 0.05 K at factory filter settings; a still forehead adds its
	// own) spans several steps. Two reads in a row give the same word with
	// probability about 0.02 K / (2·√π·σ) ≈ 0.11 for σ = 0.05 K; five in a row
	// about 0.11⁴ ≈ 1.6e-4, and the die word must repeat too. A false alarm
	// costs one "step back and come again", never a wrong decision.
	// FrozenFor guards a sampler set to read faster than the chip refreshes
	// its RAM, where repeats are normal; FrozenReads guards a slow one.
	//
	// Why it catches every freeze: a window whose words were all frozen
	// would be a FrozenReads stretch long before it is complete (Validate
	// keeps FrozenReads ≤ Samples and FrozenFor within a window), and the
	// check runs on every read before the window is judged. A reading can
	// thus hold at most FrozenReads−1 copies of one word at its end — a
	// value the chip really measured, before it froze.
	FrozenReads int
	FrozenFor   time.Duration
}

// DefaultSamplerOpts: a one-second window of ten reads that must agree within
// 0.3 K (about twice the MLX90614's noise at factory settings), 15 s to come
// forward and 6 s to hold still.
var DefaultSamplerOpts = SamplerOpts{
	Interval:      100 * time.Millisecond,
	Samples:       10,
	MaxSpread:     300 * physic.MilliKelvin,
	PresenceDelta: 3 * physic.Kelvin,
	WaitTimeout:   15 * time.Second,
	SettleTimeout: 6 * time.Second,
	MaxErrors:     3,
	SlowRead:      500 * time.Millisecond,
	FrozenReads:   5,
	FrozenFor:     400 * time.Millisecond,
}

// Validate checks that the options make sense together.
func (o SamplerOpts) Validate() error {
	switch {
	case o.Interval <= 0:
		return fmt.Errorf("sampler interval %v must be positive", o.Interval)
	case o.Samples < 3:
		return fmt.Errorf("sampler window of %d samples: at least 3 needed for a median", o.Samples)
	case o.MaxSpread <= 0:
		return fmt.Errorf("sampler max spread %s must be positive", o.MaxSpread)
	case o.PresenceDelta <= 0:
		return fmt.Errorf("sampler presence delta %s must be positive", o.PresenceDelta)
	case o.WaitTimeout <= 0 || o.SettleTimeout <= 0:
		return errors.New("sampler timeouts must be positive")
	case o.SettleTimeout < time.Duration(o.Samples)*o.Interval:
		return fmt.Errorf("settle timeout %v is shorter than the %v window", o.SettleTimeout, time.Duration(o.Samples)*o.Interval)
	case o.MaxErrors < 1:
		return fmt.Errorf("sampler max errors %d must be at least 1", o.MaxErrors)
	case o.SlowRead <= 0:
		return fmt.Errorf("sampler slow-read limit %v must be positive", o.SlowRead)
	case o.FrozenReads < 2 || o.FrozenReads > o.Samples:
		return fmt.Errorf("sampler frozen reads %d: want 2 to the window's %d samples, so a frozen window is always caught", o.FrozenReads, o.Samples)
	case o.FrozenFor <= 0 || o.FrozenFor > time.Duration(o.Samples-1)*o.Interval:
		return fmt.Errorf("sampler frozen time %v: want more than 0 and at most the window's %v, so a frozen window is always caught", o.FrozenFor, time.Duration(o.Samples-1)*o.Interval)
	}
	return nil
}

// Reading is a stable forehead reading.
type Reading struct {
	Object  physic.Temperature // median object temperature of the window
	Ambient physic.Temperature // room air if a room sensor is set, else the median die temperature
	Die     physic.Temperature // median die temperature of the thermometer
	Samples int                // reads in the window
	Spread  physic.Temperature // max−min of object temperature in the window
	At      time.Time          // when the window closed
}

// Progress reports how a measurement goes, for a progress indicator.
type Progress struct {
	Present  bool               // a forehead is in front of the sensor
	Fraction float64            // 0…1: how much of a stable window is collected
	Object   physic.Temperature // the latest object temperature
}

// Sampler takes forehead readings from a Thermometer.
type Sampler struct {
	t     Thermometer
	room  AmbientSensor
	clock clock.Clock
	opts  SamplerOpts
}

// NewSampler returns a sampler reading t on clk. room, if not nil, gives the
// ambient temperature of readings instead of the thermometer's die. A nil
// opts means DefaultSamplerOpts; zero fields take their default.
func NewSampler(t Thermometer, room AmbientSensor, clk clock.Clock, opts *SamplerOpts) (*Sampler, error) {
	o := DefaultSamplerOpts
	if opts != nil {
		o = mergeDefaults(*opts)
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if clk == nil {
		clk = clock.Real{}
	}
	return &Sampler{t: t, room: room, clock: clk, opts: o}, nil
}

func mergeDefaults(o SamplerOpts) SamplerOpts {
	d := DefaultSamplerOpts
	o.Interval = cmp.Or(o.Interval, d.Interval)
	o.Samples = cmp.Or(o.Samples, d.Samples)
	o.MaxSpread = cmp.Or(o.MaxSpread, d.MaxSpread)
	o.PresenceDelta = cmp.Or(o.PresenceDelta, d.PresenceDelta)
	o.WaitTimeout = cmp.Or(o.WaitTimeout, d.WaitTimeout)
	o.SettleTimeout = cmp.Or(o.SettleTimeout, d.SettleTimeout)
	o.MaxErrors = cmp.Or(o.MaxErrors, d.MaxErrors)
	o.SlowRead = cmp.Or(o.SlowRead, d.SlowRead)
	o.FrozenReads = cmp.Or(o.FrozenReads, d.FrozenReads)
	// A sampler set to read at another pace gets the same count of reads.
	o.FrozenFor = cmp.Or(o.FrozenFor, time.Duration(o.FrozenReads-1)*o.Interval)
	return o
}

// Opts returns the options in force.
func (s *Sampler) Opts() SamplerOpts { return s.opts }

type sample struct{ obj, die physic.Temperature }

// Measure waits for a forehead and returns the median of the first window of
// samples that agree within MaxSpread. A forehead that leaves mid-window
// starts the window again. progress, if not nil, is called after every read.
//
// Errors: ErrNoForehead after WaitTimeout without a forehead, ErrUnstable
// after SettleTimeout of a forehead that does not hold still, ErrFault
// (wrapping the cause) after MaxErrors consecutive failed reads, ErrStuck (a
// kind of ErrFault) as soon as the words stop changing while a forehead is
// present (FrozenReads, FrozenFor), and ctx's error when it is done.
func (s *Sampler) Measure(ctx context.Context, progress func(Progress)) (Reading, error) {
	o := s.opts
	start := s.clock.Now()
	win := make([]sample, 0, o.Samples)
	var (
		presentSince time.Time
		errs         int
		lastSpread   physic.Temperature
		// same: the current stretch of identical words while present.
		same struct {
			w     sample
			n     int
			since time.Time
		}
	)
	for {
		if err := ctx.Err(); err != nil {
			return Reading{}, err
		}
		smp, err := s.read()
		now := s.clock.Now()
		if err != nil {
			if errs++; errs >= o.MaxErrors {
				return Reading{}, fmt.Errorf("%w: %d reads failed in a row, the last: %w", ErrFault, errs, err)
			}
		} else {
			errs = 0
			present := smp.obj-smp.die >= o.PresenceDelta
			if !present {
				win, presentSince, same.n = win[:0], time.Time{}, 0
				if now.Sub(start) >= o.WaitTimeout {
					return Reading{}, fmt.Errorf("%w after %v", ErrNoForehead, o.WaitTimeout)
				}
			} else {
				if presentSince.IsZero() {
					presentSince = now
				}
				// A failed read between two equal words does not break the
				// stretch: it proves nothing about the RAM.
				if same.n > 0 && smp == same.w {
					same.n++
				} else {
					same.w, same.n, same.since = smp, 1, now
				}
				if same.n >= o.FrozenReads && now.Sub(same.since) >= o.FrozenFor {
					return Reading{}, fmt.Errorf("%w: object %s and die %s the same in %d reads over %v with a forehead present: the sensor stopped measuring",
						ErrStuck, smp.obj, smp.die, same.n, now.Sub(same.since))
				}
				if len(win) == o.Samples {
					win = append(win[:0], win[1:]...)
				}
				win = append(win, smp)
				if len(win) == o.Samples {
					if lastSpread = spread(win); lastSpread <= o.MaxSpread {
						return s.reading(win, lastSpread, now)
					}
				}
				if now.Sub(presentSince) >= o.SettleTimeout {
					return Reading{}, fmt.Errorf("%w: spread %s over %v, more than %s", ErrUnstable, lastSpread, o.SettleTimeout, o.MaxSpread)
				}
			}
			if progress != nil {
				progress(Progress{Present: present, Fraction: float64(len(win)) / float64(o.Samples), Object: smp.obj})
			}
		}
		if err := s.clock.Sleep(ctx, o.Interval); err != nil {
			return Reading{}, err
		}
	}
}

// Probe reads the thermometer once, for health checks while idle: the die
// (ambient) temperature, or the error that stops the kiosk.
func (s *Sampler) Probe() (Reading, error) {
	smp, err := s.read()
	if err != nil {
		return Reading{}, fmt.Errorf("%w: %w", ErrFault, err)
	}
	r := Reading{Object: smp.obj, Ambient: smp.die, Die: smp.die, Samples: 1, At: s.clock.Now()}
	if s.room != nil {
		if r.Ambient, err = s.room.Ambient(); err != nil {
			return Reading{}, fmt.Errorf("%w: room sensor: %w", ErrFault, err)
		}
	}
	return r, nil
}

func (s *Sampler) read() (sample, error) {
	t0 := s.clock.Now()
	die, err := s.t.Ambient()
	if err != nil {
		return sample{}, err
	}
	obj, err := s.t.Object()
	if err != nil {
		return sample{}, err
	}
	if d := s.clock.Now().Sub(t0); d > s.opts.SlowRead {
		return sample{}, fmt.Errorf("the sensor took %v to answer, more than %v", d, s.opts.SlowRead)
	}
	return sample{obj: obj, die: die}, nil
}

func (s *Sampler) reading(win []sample, spr physic.Temperature, at time.Time) (Reading, error) {
	objs := make([]physic.Temperature, len(win))
	dies := make([]physic.Temperature, len(win))
	for i, w := range win {
		objs[i], dies[i] = w.obj, w.die
	}
	r := Reading{Object: median(objs), Die: median(dies), Samples: len(win), Spread: spr, At: at}
	r.Ambient = r.Die
	if s.room != nil {
		amb, err := s.room.Ambient()
		if err != nil {
			return Reading{}, fmt.Errorf("%w: room sensor: %w", ErrFault, err)
		}
		r.Ambient = amb
	}
	return r, nil
}

// median sorts v in place and returns its median (the mean of the middle two
// for an even count).
func median(v []physic.Temperature) physic.Temperature {
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return v[n/2-1] + (v[n/2]-v[n/2-1])/2
}

func spread(win []sample) physic.Temperature {
	lo, hi := win[0].obj, win[0].obj
	for _, w := range win[1:] {
		lo, hi = min(lo, w.obj), max(hi, w.obj)
	}
	return hi - lo
}
