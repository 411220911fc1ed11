// Package signals connects the kiosk's signal effects to the hardware:
// sounds through internal/sound's player, the door relay and the lamps
// through internal/door's outputs. The daemon, the demo and `simulate`
// make one with Open and hand it to kiosk.Flow.SetOutputs.
package signals

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/internal/door"
	"github.com/thermogate/thermogate/internal/sound"
	"github.com/thermogate/thermogate/kiosk"
)

// Outputs are the kiosk's speaker, door relay and lamps. A nil Sound is a
// silent kiosk, a nil GPIO one that switches nothing. Every method returns
// at once: a sound plays on the player's goroutine, a pulse ends on the
// door's.
type Outputs struct {
	Sound *sound.Player
	GPIO  *door.Outputs

	mu      sync.Mutex
	startup error // what could not be opened at start, for Health
	stop    context.CancelFunc
	closed  bool
}

var _ kiosk.Outputs = (*Outputs)(nil)

// Options are what Open needs beyond the configuration.
type Options struct {
	Params     sound.Params // values the sentences carry: the threshold in force
	Recordings string       // "" is sound.DefaultRecordings
	Cache      string       // "" is sound.DefaultCache
	Sink       sound.Sink   // nil plays through ALSA's aplay on the configured device
	Clock      clock.Clock  // times the pulses; nil is the wall clock
	Log        *slog.Logger // nil logs nothing
	NoPrepare  bool         // do not render the prompts in the background at start
	// Pins, if set, are the outputs' pins instead of the host's that the
	// [gpio] section names: the demo's gpiotest pins.
	Pins *door.Pins
}

// Open makes the outputs from the [sound] and [gpio] sections. It does not
// fail: an output that cannot be opened (GPIO not permitted, no aplay) is
// logged once and left out, and Health says so to the guard; the kiosk
// screens on, the door shut. Close it on every exit path: it releases the
// door.
func Open(sc sound.Config, gc door.Config, o Options) *Outputs {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	out := &Outputs{}
	var errs []error
	open := func() (*door.Outputs, error) {
		if o.Pins != nil {
			return door.New(gc, *o.Pins, o.Clock, log)
		}
		return door.Open(gc, o.Clock, log)
	}
	if g, err := open(); err != nil {
		log.Error("GPIO outputs not available: the door stays shut, no lamps", "err", err)
		errs = append(errs, fmt.Errorf("GPIO: %w", err))
	} else {
		out.GPIO = g
	}
	if sc.Enabled && sc.Volume > 0 {
		sink := o.Sink
		if sink == nil {
			if _, err := exec.LookPath("aplay"); err != nil {
				err = fmt.Errorf("aplay is not installed (Debian package alsa-utils): %w", err)
				log.Error("no sound: the kiosk carries on silently", "err", err)
				errs = append(errs, fmt.Errorf("sound: %w", err))
			}
			sink = sound.ALSA{Device: sc.Device}
		}
		lib := &sound.Library{Params: o.Params, Recordings: o.Recordings, Cache: o.Cache, Log: log}
		if lib.Recordings == "" {
			lib.Recordings = sound.DefaultRecordings
		}
		if lib.Cache == "" {
			lib.Cache = sound.DefaultCache
			if d := os.Getenv("CACHE_DIRECTORY"); d != "" { // systemd's CacheDirectory=thermogate
				lib.Cache = filepath.Join(d, "sounds")
			}
		}
		out.Sound = sound.NewPlayer(sc, lib, sink, log)
		if sc.Voice && !o.NoPrepare {
			ctx, cancel := context.WithCancel(context.Background())
			out.stop = cancel
			go func() {
				if err := lib.Prepare(ctx, langs()...); err != nil && ctx.Err() == nil {
					log.Warn("some prompts could not be rendered; they are tried again when played", "err", err)
				}
			}()
		}
	}
	out.startup = errors.Join(errs...)
	return out
}

// Play plays a sound of the kiosk: its cues, then its decision's tone and
// sentence.
func (o *Outputs) Play(s kiosk.Sound) {
	if o.Sound != nil {
		o.Sound.Play(string(s.Lang), Keys(s)...)
	}
}

// Keys are the tones and prompts that play s: each cue is the key of its
// name, and a decision its tone and sentence (sound.ForDecision).
func Keys(s kiosk.Sound) []sound.Key {
	keys := make([]sound.Key, 0, len(s.Cues)+2)
	for _, c := range s.Cues {
		keys = append(keys, sound.Key(c))
	}
	if s.Decision != "" {
		tone, prompt := sound.ForDecision(string(s.Decision), string(s.Reason))
		keys = append(keys, tone, prompt)
	}
	return keys
}

// OpenDoor pulses the door for one stored ADMIT.
func (o *Outputs) OpenDoor(ctx context.Context) error {
	if o.GPIO == nil {
		return nil
	}
	return o.GPIO.Admitted(ctx)
}

// CallGuard lights the guard lamp for a REFER (and a DENY, with guard_on_deny).
func (o *Outputs) CallGuard(d kiosk.Decision) error {
	if o.GPIO == nil {
		return nil
	}
	return o.GPIO.Decided(string(d))
}

// GuardCame puts the guard lamp out.
func (o *Outputs) GuardCame() error {
	if o.GPIO == nil {
		return nil
	}
	return o.GPIO.GuardOpened()
}

// OutOfService lights the service lamp and keeps the door shut while on.
func (o *Outputs) OutOfService(on bool) error {
	if o.GPIO == nil {
		return nil
	}
	return o.GPIO.SetOutOfService(on)
}

// Health is nil while every output works; otherwise what fails.
func (o *Outputs) Health() error {
	errs := []error{o.startup}
	if o.Sound != nil {
		if err := o.Sound.Health(); err != nil {
			errs = append(errs, fmt.Errorf("sound: %w", err))
		}
	}
	if o.GPIO != nil {
		errs = append(errs, o.GPIO.Health())
	}
	return errors.Join(errs...)
}

// DoorOpen and GuardLit say whether the door relay and the guard lamp are
// energised now, for the demo's indicators.
func (o *Outputs) DoorOpen() bool { return o.GPIO != nil && o.GPIO.Door.Open() }

// GuardLit says whether the guard lamp is lit.
func (o *Outputs) GuardLit() bool { return o.GPIO != nil && o.GPIO.Guard.Lit() }

// ServiceLit says whether the service lamp is lit.
func (o *Outputs) ServiceLit() bool { return o.GPIO != nil && o.GPIO.Service.Lit() }

// Close releases the door and the lamps (driven off) and stops the player.
// It is safe to call more than once.
func (o *Outputs) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil
	}
	o.closed = true
	if o.stop != nil {
		o.stop()
	}
	var errs []error
	if o.GPIO != nil {
		errs = append(errs, o.GPIO.Close())
	}
	if o.Sound != nil {
		errs = append(errs, o.Sound.Close())
	}
	return errors.Join(errs...)
}

// langs are the kiosk's languages, as the sound library names them.
func langs() []string {
	l := make([]string, len(kiosk.Languages))
	for i, x := range kiosk.Languages {
		l[i] = string(x)
	}
	return l
}
