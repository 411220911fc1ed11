package kiosk

import (
	"context"
	"fmt"
	"strings"
)

// Signals: what the kiosk makes heard and what it switches, beyond the
// screen. step derives them from the state it leaves and the state it
// reaches (signals, below), so the screens' logic knows nothing of them; the
// runner hands them to its Outputs, and with none they do nothing.

// Signal effects.
type (
	// Sound makes Cues heard in order, in Lang, then, when Decision is
	// set, the decision with its Reason. internal/sound turns them into
	// tones and spoken prompts.
	Sound struct {
		Lang     Lang
		Cues     []Cue
		Decision Decision
		Reason   Reason
	}
	// OpenDoor pulses the door relay for the stored ADMIT ScreeningID.
	OpenDoor struct{ ScreeningID uint64 }
	// CallGuard tells the guard lamp of a stored decision that is not an
	// ADMIT; the outputs light it for REFER (and DENY, if so configured).
	CallGuard struct{ Decision Decision }
	// GuardCame puts the guard lamp out: the guard menu is open.
	GuardCame struct{}
	// ServiceLamp follows whether the kiosk is out of service; the door
	// stays shut while it is on.
	ServiceLamp struct{ On bool }
)

// Cue is one thing the kiosk makes heard besides a decision. Its value is
// the name of the tone or prompt that internal/sound plays for it.
type Cue string

// Cues.
const (
	CueCode         Cue = "tone.code"     // a booking code was accepted
	CueReading      Cue = "tone.reading"  // a reading was taken
	CueStart        Cue = "start"         // what to do, on the start screen (spoken only with sound.start_prompt)
	CueForehead     Cue = "forehead"      // hold your forehead to the sensor
	CueHoldStill    Cue = "hold_still"    // hold still
	CueMeasureAgain Cue = "measure_again" // let us measure once more
	CueEarly        Cue = "early"         // the booking's check opens later: see the time on screen
)

// Cues lists every cue, for the outputs to check they can play each.
var Cues = []Cue{CueCode, CueReading, CueStart, CueForehead, CueHoldStill, CueMeasureAgain, CueEarly}

// String shows the sound as its cues and decision, e.g. "[tone.reading admit/ok]".
func (s Sound) String() string {
	parts := make([]string, 0, len(s.Cues)+1)
	for _, c := range s.Cues {
		parts = append(parts, string(c))
	}
	if s.Decision != "" {
		parts = append(parts, fmt.Sprintf("%s/%s", s.Decision, s.Reason))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func (Sound) isEffect()       {}
func (OpenDoor) isEffect()    {}
func (CallGuard) isEffect()   {}
func (GuardCame) isEffect()   {}
func (ServiceLamp) isEffect() {}

// Outputs carry out the signal effects: a speaker, the door relay and the
// lamps. Every method must return at once: the flow never waits for a sound
// or a relay, and a failing output never changes a screening.
type Outputs interface {
	// Play plays a sound, cutting off what is playing as it sees fit.
	Play(s Sound)
	// OpenDoor opens the door for one stored ADMIT; ctx ends the pulse early.
	OpenDoor(ctx context.Context) error
	// CallGuard lights the guard lamp if decision calls the guard.
	CallGuard(decision Decision) error
	// GuardCame puts the guard lamp out.
	GuardCame() error
	// OutOfService lights the service lamp and keeps the door shut while on.
	OutOfService(on bool) error
	// Health is nil while every output works, or what fails, for the guard.
	Health() error
}

// SetOutputs gives the flow its speaker, door and lamps (nil: none). Call
// it before any event is applied; the service lamp is set at once to the
// flow's current state, so a kiosk that starts out of service shows it.
func (f *Flow) SetOutputs(o Outputs) {
	f.out = o
	if o != nil {
		// The service lamp needs no context: only the door's pulse waits.
		if err := o.OutOfService(outOfService(f.m)); err != nil {
			f.log.Warn("output failed; the screening is not affected", "output", "service lamp", "err", err)
		}
		st := f.withSettings(f.published)
		locked(&f.pubMu, func() { f.view = st })
	}
}

// execSignal carries out a signal effect; false if e is not one.
func (f *Flow) execSignal(ctx context.Context, e Effect) bool {
	var err error
	what := ""
	switch e := e.(type) {
	case Sound:
		if f.out != nil {
			f.out.Play(e)
		}
		return true
	case OpenDoor:
		if f.out != nil {
			err, what = f.out.OpenDoor(ctx), "door"
		}
	case CallGuard:
		if f.out != nil {
			err, what = f.out.CallGuard(e.Decision), "guard lamp"
		}
	case GuardCame:
		if f.out != nil {
			err, what = f.out.GuardCame(), "guard lamp"
		}
	case ServiceLamp:
		if f.out != nil {
			err, what = f.out.OutOfService(e.On), "service lamp"
		}
	default:
		return false
	}
	if err != nil {
		f.log.Warn("output failed; the screening is not affected", "output", what, "effect", e, "err", err)
	}
	return true
}

// outOfService says whether the kiosk is out of service in m, also while a
// guard's screens or a guard's decision cover the out-of-service screen.
func outOfService(m machine) bool {
	switch m.view.Screen {
	case OutOfService:
		return true
	case GuardPIN, GuardMenu:
		return m.resume.Screen == OutOfService || m.storageBroken
	case Decided:
		return m.returnOOS != "" || m.storageBroken
	}
	return m.storageBroken
}

// signals are the signal effects of the step from prev to next by ev.
func signals(prev, next machine, ev Event) (effs []Effect) {
	var snd Sound // one request: a second would replace the first before it plays
	pv, nv := prev.view, next.view
	play := func(c ...Cue) { snd.Cues = append(snd.Cues, c...) }
	defer func() {
		if len(snd.Cues) > 0 || snd.Decision != "" {
			snd.Lang = nv.Lang
			effs = append(effs, snd)
		}
	}()

	if po, no := outOfService(prev), outOfService(next); po != no {
		effs = append(effs, ServiceLamp{On: no})
	}
	if nv.Screen == GuardMenu && pv.Screen != GuardMenu {
		effs = append(effs, GuardCame{})
	}

	switch ev := ev.(type) {
	case Stored:
		p := prev.pending
		if prev.busy != "store" || p == nil {
			break
		}
		d, r := p.out.Decision, p.out.Reason
		if ev.Err != nil {
			d, r = Refer, ReasonStorage // the visitor is referred; nothing opens
		}
		if ev.Err == nil && pv.Screen == Measure && p.out.Shown != nil && p.out.Guard == "" {
			play(CueReading) // the reading that decides: heard before the decision, in one request
		}
		snd.Decision, snd.Reason = d, r
		switch {
		case d != Admit:
			effs = append(effs, CallGuard{Decision: d})
		case ev.Err == nil && p.thenOOS == "" && !outOfService(next):
			effs = append(effs, OpenDoor{ScreeningID: ev.ID})
		}
		return effs
	case BookingFound:
		if prev.busy == "lookup" && next.busy == "" && (nv.Screen == Symptoms || nv.Screen == Measure || nv.Ready) {
			play(CueCode)
		}
	}

	switch {
	case nv.Screen == Early && pv.Screen != Early && !nv.Ready:
		play(CueEarly) // no decision: nothing is stored for coming early
	case nv.Screen == Retest && pv.Screen != Retest:
		play(CueReading, CueMeasureAgain) // a reading was taken; a second one decides
	case nv.Screen == Measure && (pv.Screen != Measure || nv.Attempt != pv.Attempt):
		switch nv.Notice {
		case "", NoticeNoForehead:
			play(CueForehead)
		case NoticeUnstable:
			play(CueHoldStill)
		default:
			play(CueMeasureAgain)
		}
	case nv.Screen == Idle && pv.Screen != Idle:
		play(CueStart) // spoken only with sound.start_prompt
	}
	return effs
}
