// Package kiosk is the screening flow with no GUI: the booking check, the
// fever rule, measurement attempts and retests, guard overrides, and when
// the kiosk must stop screening. The touchscreen, the headless daemon and
// `thermogate simulate` all drive the same Flow.
//
// The flow is a pure function, step(state, event) → (state, effects), over
// plain data (step.go, guard.go). The Flow here is its runner: it stamps
// each event with the time, applies it, carries the effects out (the
// store, the sensor, timers, the log) with the caller's context and outside
// any lock, feeds their results back as events, and publishes the state to
// the observers — the one place that does.
package kiosk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/storage"
)

// Store is what the flow needs from storage. *storage.DB provides it.
type Store interface {
	// Booking returns the booking with that normalised code, or an error
	// matching storage.ErrNotFound.
	Booking(ctx context.Context, code string) (storage.Booking, error)
	// Append stores a screening durably (fsync) and returns its ID. In the
	// same transaction it marks the booking used (BookingUsed) and audits a
	// guard's decision (Guard set).
	Append(ctx context.Context, s storage.Screening) (uint64, error)
	// VerifyGuardPIN checks a guard's PIN: an error matching
	// storage.ErrBadPIN or storage.ErrNotFound if it is not theirs.
	VerifyGuardPIN(ctx context.Context, name, pin string) (storage.Guard, error)
	// Guards lists the guards, for the PIN screen.
	Guards(ctx context.Context) ([]storage.Guard, error)
	// Audit appends an entry to the audit log.
	Audit(ctx context.Context, actor, action, detail string) (storage.AuditEntry, error)
}

var _ Store = (*storage.DB)(nil)

// A store that can tell it is damaged (Err() error, as *storage.DB does)
// puts a new Flow out of service from the start with OOSCorrupt.

// Flow is the screening flow. Its event methods (Start, EnterCode, …) only
// queue the event and return at once: the touchscreen's thread never waits
// for the disk or the sensor. Run applies the queued events on the wall
// clock; Do, Drain and Measure apply them on the caller's goroutine, for
// `simulate` and tests on a virtual clock. Use one or the other.
type Flow struct {
	cfg     Config
	store   Store
	sampler *sensor.Sampler
	clock   clock.Clock
	log     *slog.Logger
	out     Outputs // speaker, door, lamps; nil for none (signals.go)

	// Owned by the goroutine that applies events (Run's, or the caller of
	// Do, Drain and Measure).
	m         machine
	published State // the last state published, with its Seq
	async     bool  // Run is running: the sensor and PIN checks run on goroutines
	timerAt   time.Time
	wantMeas  uint64 // without Run: the measurement Measure is to take, 0 for none
	jobs      jobs
	rec       recording // RunOpts.Recorder and what it needs to know
	disk      dataDisk  // RunOpts.DataDir, while Run runs

	inMu  sync.Mutex // guards inbox
	inbox []Event
	wake  chan struct{}

	pubMu     sync.Mutex // guards view and observers: observers see states in order
	view      State
	observers []func(State)
}

// locked runs fn holding mu: the one place the flow locks and unlocks.
func locked(mu *sync.Mutex, fn func()) {
	mu.Lock()
	defer mu.Unlock()
	fn()
}

// New returns a flow on Idle (or out of service, if the clock is before
// cfg.NotBefore). A nil clk is the wall clock; a nil log discards.
func New(cfg Config, store Store, sampler *sensor.Sampler, clk clock.Clock, log *slog.Logger) (*Flow, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if clk == nil {
		clk = clock.Real{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &Flow{cfg: cfg, store: store, sampler: sampler, clock: clk, log: log, wake: make(chan struct{}, 1)}
	f.m = newMachine(&f.cfg, clk.Now())
	if d, ok := store.(interface{ Err() error }); ok && errors.Is(d.Err(), storage.ErrCorrupt) {
		log.Error("database corrupt: out of service", "err", d.Err())
		f.m = corrupted(f.m)
	}
	f.published = f.m.view
	f.view = f.withSettings(f.m.view)
	return f, nil
}

func (f *Flow) withSettings(st State) State {
	st.Kiosk = f.cfg.settings()
	if f.sampler != nil {
		st.Kiosk.AttemptTime = f.sampler.Opts().WaitTimeout
	}
	if f.out != nil {
		if err := f.out.Health(); err != nil {
			st.Signals = err.Error()
		}
	}
	return st
}

// Observe registers fn to receive every new state, and the current one at
// once. fn runs on the goroutine that applies events, in order; it must not
// block (the UI hands the state to its own goroutine). It may queue events.
func (f *Flow) Observe(fn func(State)) {
	locked(&f.pubMu, func() {
		f.observers = append(f.observers, fn)
		fn(f.view)
	})
}

// State returns the state last published.
func (f *Flow) State() State {
	var st State
	locked(&f.pubMu, func() { st = f.view })
	return st
}

// NextDeadline returns when the current screen times out; zero for never.
func (f *Flow) NextDeadline() time.Time { return f.State().Until }

// publish hands the machine's state to the observers if it changed.
func (f *Flow) publish() {
	st := f.m.view
	st.Seq = f.published.Seq
	if reflect.DeepEqual(st, f.published) {
		return
	}
	st.Seq++
	f.m.view.Seq, f.published = st.Seq, st
	st = f.withSettings(st)
	f.rec.service(st)
	locked(&f.pubMu, func() {
		f.view = st
		for _, fn := range f.observers {
			fn(st)
		}
	})
}

// post queues ev for the goroutine that applies events.
func (f *Flow) post(ev Event) {
	locked(&f.inMu, func() { f.inbox = append(f.inbox, ev) })
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *Flow) next() (ev Event, ok bool) {
	locked(&f.inMu, func() {
		if len(f.inbox) > 0 {
			ev, ok = f.inbox[0], true
			f.inbox[0] = nil
			f.inbox = f.inbox[1:]
		}
	})
	return ev, ok
}

// handle applies ev and everything it leads to that the runner can answer
// at once (the store, the log), then publishes the state once. It returns
// the first refusal on the way.
func (f *Flow) handle(ctx context.Context, ev Event) error {
	var refused error
	queue := []Event{ev}
	for len(queue) > 0 {
		ev, queue = queue[0], queue[1:]
		f.rec.event(ev)
		var effs []Effect
		f.m, effs = step(f.m, f.clock.Now(), ev)
		for _, e := range effs {
			f.rec.effect(e)
			if r, ok := e.(Refused); ok {
				if refused == nil {
					refused = r.Err
				}
				continue
			}
			if res := f.exec(ctx, e); res != nil {
				queue = append(queue, res)
			}
		}
	}
	f.publish()
	return refused
}

// exec carries out one effect. An effect answered at once returns its
// result; one that takes time (the sensor; a PIN check while Run runs)
// posts it later and returns nil.
func (f *Flow) exec(ctx context.Context, e Effect) Event {
	switch e := e.(type) {
	case LookupBooking:
		b, err := f.store.Booking(ctx, e.Code)
		return BookingFound{Code: e.Code, Booking: b, Err: err}
	case StoreScreening:
		id, err := f.store.Append(ctx, e.Record)
		if err == nil {
			f.rec.stored(e.Record)
		}
		return Stored{ID: id, Err: err}
	case WriteAudit:
		_, err := f.store.Audit(ctx, e.Actor, e.Action, e.Detail)
		if err == nil {
			f.rec.audited(e.Action)
		}
		return Audited{Action: e.Action, Then: e.Then, Err: err}
	case ListGuards:
		gs, err := f.store.Guards(ctx)
		names := make([]string, len(gs))
		for i, g := range gs {
			names[i] = g.Name
		}
		return GuardsListed{Session: e.Session, Names: names, Err: err}
	case CheckPIN:
		check := func() Event {
			g, err := f.store.VerifyGuardPIN(ctx, e.Name, e.PIN)
			return PINChecked{Session: e.Session, Name: e.Name, Guard: g.Name, Err: err}
		}
		if !f.async {
			return check()
		}
		f.jobs.wg.Go(func() { f.post(check()) }) // argon2id: slow on purpose, off the loop
	case ProbeSensor:
		if !f.async {
			return probe(f.sampler, f.disk)
		}
		f.jobs.probe = true
	case MeasureForehead:
		if !f.async {
			f.wantMeas = e.ID
			return nil
		}
		f.jobs.measure = e.ID
	case StopMeasuring:
		if !f.async {
			if f.wantMeas == e.ID {
				f.wantMeas = 0
			}
			return nil
		}
		f.jobs.stop(e.ID)
	case Timer:
		f.timerAt = e.At
	case Log:
		f.log.Log(ctx, e.Level, e.Msg, e.Args...)
	default:
		if f.execSignal(ctx, e) {
			return nil
		}
		panic("BUG: the runner has no case for effect " + reflect.TypeOf(e).String())
	}
	return nil
}

// Event methods: each queues the event and returns at once. The few that
// take input check it first and return the error; whether the event
// applies to the screen is the flow's to decide, and shows in the state.

// Start opens the code screen: the visitor touched the Idle screen.
func (f *Flow) Start() { f.post(Start{}) }

// Touch tells the flow the visitor is still there (typing on the keypad),
// so the input timeout starts again.
func (f *Flow) Touch() { f.post(Touch{}) }

// SetLang switches the language of the screens, on any screen.
func (f *Flow) SetLang(lang Lang) error {
	if _, err := ParseLang(string(lang)); err != nil {
		return err
	}
	f.post(SetLang{Lang: lang})
	return nil
}

// Cancel returns to Idle from the visitor's screens. A visitor who walks
// away from a retest is decided by the fever reading that asked for it.
func (f *Flow) Cancel() { f.post(Cancel{}) }

// EnterCode takes a booking code from the keypad or the scanner. Input that
// cannot be a code is refused on the spot with an error matching
// ErrCodeFormat (and the Code screen says so); nothing is stored for it.
func (f *Flow) EnterCode(raw string) error {
	f.post(EnterCode{Raw: raw})
	if _, err := NormalizeCode(raw); err != nil {
		return fmt.Errorf("%w: %w", ErrCodeFormat, err)
	}
	return nil
}

// AnswerSymptoms takes the answer to "do you have a cough, a runny nose or
// a fever?": yes asks the visitor to confirm (ConfirmSymptoms, a stored
// denial, or ChangeAnswer), no goes on to the measurement.
func (f *Flow) AnswerSymptoms(yes bool) { f.post(AnswerSymptoms{Yes: yes}) }

// ConfirmSymptoms confirms a Yes to the symptoms question: no entry today.
func (f *Flow) ConfirmSymptoms() { f.post(ConfirmSymptoms{}) }

// Done ends the decision on screen before its time is up.
func (f *Flow) Done() { f.post(Done{}) }

// ChangeAnswer takes a Yes to the symptoms question back.
func (f *Flow) ChangeAnswer() { f.post(ChangeAnswer{}) }

// OpenGuard shows the guard's PIN pad.
func (f *Flow) OpenGuard() { f.post(OpenGuard{}) }

// GuardLogin checks a guard's PIN and opens the guard menu.
func (f *Flow) GuardLogin(name, pin string) { f.post(GuardLogin{Name: name, PIN: pin}) }

// GuardClose leaves the guard screens for what was on screen before.
func (f *Flow) GuardClose() { f.post(GuardClose{}) }

// GuardPick picks the visitor (from State.Visitors) the guard's next
// decision is for; "" picks nobody.
func (f *Flow) GuardPick(code string) { f.post(GuardPick{Code: code}) }

// GuardAdmit admits the picked visitor for reason (one of AdmitReasons).
// replaces is the visitor's GuardVisitor.Replaces: 0 unless a guard has
// decided for them already, and then the confirmation that this decision
// replaces that one.
func (f *Flow) GuardAdmit(reason string, replaces uint64) error {
	return f.postChecked(GuardAdmit{Reason: reason, Replaces: replaces}, checkGuardReason(reason, AdmitReasons))
}

// GuardDeny denies the picked visitor for reason (one of DenyReasons);
// replaces as for GuardAdmit.
func (f *Flow) GuardDeny(reason string, replaces uint64) error {
	return f.postChecked(GuardDeny{Reason: reason, Replaces: replaces}, checkGuardReason(reason, DenyReasons))
}

// GuardWalkIn admits a visitor without a booking for reason (one of AdmitReasons).
func (f *Flow) GuardWalkIn(reason string) error {
	return f.postChecked(GuardWalkIn{Reason: reason}, checkGuardReason(reason, AdmitReasons))
}

// GuardClinical records a clinical-thermometer reading, °C, for the
// picked visitor (or a walk-in); replaces as for GuardAdmit.
func (f *Flow) GuardClinical(c float64, replaces uint64) error {
	return f.postChecked(GuardClinical{C: c, Replaces: replaces}, checkClinical(c))
}

// GuardOutOfService takes the kiosk out of service.
func (f *Flow) GuardOutOfService() { f.post(GuardOutOfService{}) }

// GuardBackInService puts the kiosk back on Idle, whatever took it out of
// service (after a storage failure: once the disk is fixed); if the sensor
// or the room is still wrong the next probe says so.
func (f *Flow) GuardBackInService() { f.post(GuardBackInService{}) }

func (f *Flow) postChecked(ev Event, err error) error {
	if err != nil {
		return err
	}
	f.post(ev)
	return nil
}

// Do applies ev, and all that was queued before it, on the caller's
// goroutine, with everything they lead to but a measurement (see Measure).
// It returns ev's refusal, if the flow refused it: ErrNotNow, ErrBadPIN, …
// For `simulate` and tests; not while Run runs.
func (f *Flow) Do(ctx context.Context, ev Event) error {
	f.Drain(ctx)
	err := f.handle(ctx, ev)
	f.Drain(ctx)
	return err
}

// Drain applies every queued event on the caller's goroutine, as Do does.
func (f *Flow) Drain(ctx context.Context) {
	for {
		ev, ok := f.next()
		if !ok {
			return
		}
		_ = f.handle(ctx, ev)
	}
}

// Measure takes, on the caller's goroutine, the forehead reading the flow
// waits for and applies it; it returns at once when none is wanted. The
// progress is applied as it comes. It returns ctx's error if ctx ended
// first; the measurement is then still wanted. Not while Run runs.
func (f *Flow) Measure(ctx context.Context) error {
	f.Drain(ctx)
	id := f.wantMeas
	if id == 0 {
		return nil
	}
	f.wantMeas = 0
	r, err := f.sampler.Measure(ctx, func(p sensor.Progress) { _ = f.handle(ctx, Progressed{ID: id, Progress: p}) })
	if ctx.Err() != nil {
		if f.m.measuring && f.m.measure == id {
			f.wantMeas = id
		}
		return ctx.Err()
	}
	_ = f.handle(ctx, Measured{ID: id, Reading: r, Err: err})
	f.Drain(ctx)
	return nil
}

// Tick applies the timeouts that are due, on the caller's goroutine.
func (f *Flow) Tick(ctx context.Context) { _ = f.Do(ctx, Tick{}) }

// Probe checks the sensor, the room and the clock while nobody is being
// screened, on the caller's goroutine.
func (f *Flow) Probe(ctx context.Context) { _ = f.Do(ctx, ProbeDue{}) }
