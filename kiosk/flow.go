package kiosk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/storage"
)

// Screen is what the kiosk shows.
type Screen int

// Screens.
const (
	Idle Screen = iota
	Code
	Symptoms
	Measure
	Retest
	Decision
	GuardPIN
	GuardMenu
	OutOfService
)

var screenNames = [...]string{"idle", "code", "symptoms", "measure", "retest", "decision", "guard-pin", "guard-menu", "out-of-service"}

// String returns the screen's name, e.g. "guard-pin".
func (s Screen) String() string {
	if s >= 0 && int(s) < len(screenNames) {
		return screenNames[s]
	}
	return fmt.Sprintf("Screen(%d)", int(s))
}

// Why the kiosk is out of service.
const (
	OOSSensor  = "sensor"  // the sensor fails; back by itself when it answers
	OOSAmbient = "ambient" // the room is outside the range the sensor can judge in
	OOSClock   = "clock"   // the clock is plainly wrong (no RTC, no NTP yet)
	OOSStorage = "storage" // a screening could not be stored; a guard puts it back
	OOSGuard   = "guard"   // a guard took it out of service
)

// Notices: a message on the current screen. The UI translates the key.
const (
	NoticeCodeFormat = "code_format" // Code: not a booking code (characters, length)
	NoticeNoForehead = "no_forehead" // Measure: nothing came in front of the sensor
	NoticeUnstable   = "unstable"    // Measure: the forehead did not hold still
	NoticeTooCold    = "too_cold"    // Measure: below the plausible range: closer
	NoticeTooHot     = "too_hot"     // Measure: above the plausible range
	NoticeStepBack   = "step_back"   // Measure: the reading did not change at all: step back and come again
	NoticeWrongPIN   = "wrong_pin"   // GuardPIN
	NoticeLocked     = "locked"      // GuardPIN: too many wrong PINs, see Until
)

// Errors of the event methods, matched with errors.Is.
var (
	// ErrCodeFormat: what was entered cannot be a booking code.
	ErrCodeFormat = errors.New("not a booking code")
	// ErrNotNow: the event does not apply to the current screen.
	ErrNotNow = errors.New("not possible on this screen")
	// ErrLocked: too many wrong PINs; try again after State.Until.
	ErrLocked = errors.New("PIN entry locked")
	// ErrNoVisitor: a guard action needs a visitor and there is none.
	ErrNoVisitor = errors.New("no current visitor")
)

// Outcome is a decision as shown.
type Outcome struct {
	Decision    string  // storage.DecisionAdmit, DecisionDeny or DecisionRefer
	Reason      string  // storage.Reason…
	Shown       *Tenths // nil when there was no reading
	Retest      bool    // decided by the retest
	Guard       string  // the guard who decided, if one did
	Override    string  // the guard's reason
	ScreeningID uint64  // the stored record; 0 if storing failed
}

// State is everything a screen needs. Observers get a copy on every change.
type State struct {
	Seq          uint64 // increases with every published state
	Screen       Screen
	Lang         string          // language of the screens
	Code         string          // the visitor's normalised code
	Service      string          // the booking's service, if any
	Slot         time.Time       // the booking's slot start, if any
	Notice       string          // Notice…, or ""
	Attempt      int             // measurement attempt, from 1
	Retest       bool            // this measurement is the retest
	Progress     sensor.Progress // latest progress of the measurement
	Until        time.Time       // when the screen times out, a countdown ends or a lockout lifts
	Outcome      *Outcome        // on Decision (and OutOfService after a failed store)
	OutOfService string          // OOS…, when Screen is OutOfService
	Guard        string          // the guard logged in, on GuardMenu
	HasVisitor   bool            // on GuardMenu: a visitor the guard can admit or deny
	Resume       Screen          // on the guard screens: where closing returns to
}

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

// Config is the flow's configuration.
type Config struct {
	KioskID      string
	Location     *time.Location // days and booking windows are counted here
	Rule         Rule
	Booking      BookingRules
	Model        sensor.Model
	Lang         string        // the default language, back on Idle
	InputTimeout time.Duration // Code and Symptoms return to Idle after this without input
	DecisionTime time.Duration // how long the decision stays on screen
	GuardTimeout time.Duration // the guard screens close after this without input
	// NotBefore: a clock earlier than this is plainly wrong (a Pi without a
	// real-time clock before NTP); the kiosk stops instead of judging
	// booking windows. Zero disables the check.
	NotBefore time.Time
}

// DefaultConfig returns the defaults of every field but KioskID.
func DefaultConfig() Config {
	return Config{
		KioskID:      "door-1",
		Location:     time.Local,
		Rule:         DefaultRule,
		Booking:      DefaultBookingRules,
		Model:        sensor.DefaultModel(),
		Lang:         "lt",
		InputTimeout: 60 * time.Second,
		DecisionTime: 10 * time.Second,
		GuardTimeout: 90 * time.Second,
	}
}

// Validate checks the configuration; errors name the configuration key.
func (c Config) Validate() error {
	var errs []error
	if c.KioskID == "" {
		errs = append(errs, errors.New("kiosk_id is empty"))
	}
	if c.Location == nil {
		errs = append(errs, errors.New("timezone is not set"))
	}
	errs = append(errs, c.Rule.Validate(), c.Booking.Validate())
	if _, err := sensor.NewModel(c.Model.Name, c.Model.Param); err != nil {
		errs = append(errs, fmt.Errorf("estimate: %w", err))
	}
	if !slices.Contains(storage.Languages, c.Lang) {
		errs = append(errs, fmt.Errorf("ui.lang = %q: want one of %v", c.Lang, storage.Languages))
	}
	for _, d := range []struct {
		key    string
		v      time.Duration
		lo, hi time.Duration
	}{
		{"ui.input_timeout", c.InputTimeout, 10 * time.Second, 10 * time.Minute},
		{"ui.decision_time", c.DecisionTime, 2 * time.Second, 2 * time.Minute},
		{"ui.guard_timeout", c.GuardTimeout, 10 * time.Second, 30 * time.Minute},
	} {
		if d.v < d.lo || d.v > d.hi {
			errs = append(errs, fmt.Errorf("%s = %v: want %v–%v", d.key, d.v, d.lo, d.hi))
		}
	}
	return errors.Join(errs...)
}

// reading is a judged forehead reading.
type reading struct {
	est   sensor.Estimate
	shown Tenths
}

// visitor is the person at the kiosk, from code entry to the decision.
type visitor struct {
	code     string
	booking  storage.Booking
	attempts int      // failed measurements so far, in this round (first or retest)
	first    *reading // the reading that asked for a retest
	last     *reading // the latest plausible reading
	// blocked is why the visitor was denied for something other than
	// temperature (symptoms, the booking); a clinical reading cannot lift it.
	blocked string
}

// GuardRecall is how long after leaving the screen a visitor can still be
// admitted or denied by a guard: a visitor sent to the guard may wait a
// while before the guard comes.
const GuardRecall = 10 * time.Minute

// Flow is the screening flow. Its methods are the events; each applies a
// transition and publishes the new State to the observers. It is safe for
// concurrent use.
type Flow struct {
	cfg     Config
	store   Store
	sampler *sensor.Sampler
	clock   clock.Clock
	log     *slog.Logger

	mu        sync.Mutex
	st        State
	v         *visitor // nil when nobody is being screened
	last      *visitor // the visitor who just left the screen, for the guard
	lastAt    time.Time
	measureID uint64             // bumped whenever a measurement starts or is abandoned
	cancelM   context.CancelFunc // cancels the measurement under way; nil when none runs
	measureAt time.Time          // when the measurement under way started
	// storageBroken: a screening or an audit entry could not be stored. The
	// kiosk stays out of service, whatever else happens, until a guard puts
	// it back.
	storageBroken bool

	resume       State  // the state the guard screens return to
	returnOOS    string // after a guard's decision, go back out of service for this cause
	guardSession uint64 // bumped whenever the PIN pad opens
	pinChecking  bool   // a PIN is being verified
	pinFails     int
	lockUntil    time.Time
	wake         chan struct{}

	pub       sync.Mutex // observers see states in the order they happened
	observers []func(State)
}

// New returns a flow on Idle. log may be nil.
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
	f.st = State{Screen: Idle, Lang: cfg.Lang}
	if f.clockWrong() {
		f.st = State{Screen: OutOfService, Lang: cfg.Lang, OutOfService: OOSClock}
	}
	return f, nil
}

// Config returns the configuration in force.
func (f *Flow) Config() Config { return f.cfg }

// Observe registers fn to receive every new state, and the current one at
// once. fn runs on the goroutine that caused the change, in order; it must
// not block and must not call back into the Flow (the UI hands the state to
// its own goroutine).
func (f *Flow) Observe(fn func(State)) {
	f.mu.Lock() // mu before pub, as in commit
	f.pub.Lock()
	st := f.st
	f.mu.Unlock()
	defer f.pub.Unlock()
	f.observers = append(f.observers, fn)
	fn(st)
}

// State returns the current state.
func (f *Flow) State() State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st
}

// commit publishes f.st. It is called with f.mu held and releases it.
func (f *Flow) commit() {
	f.st.Seq++
	st := f.st
	f.pub.Lock()
	f.mu.Unlock()
	for _, fn := range f.observers {
		fn(st)
	}
	f.pub.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *Flow) clockWrong() bool {
	return !f.cfg.NotBefore.IsZero() && f.clock.Now().Before(f.cfg.NotBefore)
}

// toIdle shows Idle in the default language. The visitor leaves the screen
// but a guard can still act for them for GuardRecall.
func (f *Flow) toIdle() {
	f.leaveLocked()
	f.st = State{Seq: f.st.Seq, Screen: Idle, Lang: f.cfg.Lang}
}

// leaveLocked takes the visitor off the screen, keeping them for the guard.
func (f *Flow) leaveLocked() {
	if f.v != nil && f.v.code != "" {
		f.last, f.lastAt = f.v, f.clock.Now()
	}
	f.v = nil
	f.abandonMeasureLocked()
}

// guardVisitorLocked is the visitor a guard acts for: the one on screen, or
// the one who left it less than GuardRecall ago.
func (f *Flow) guardVisitorLocked() *visitor {
	if f.v != nil && f.v.code != "" {
		return f.v
	}
	if f.last != nil && f.clock.Now().Sub(f.lastAt) <= GuardRecall {
		return f.last
	}
	return nil
}

// show moves to screen s keeping the language and the visitor's code.
func (f *Flow) show(s Screen) {
	st := State{Seq: f.st.Seq, Screen: s, Lang: f.st.Lang}
	if f.v != nil {
		st.Code, st.Service, st.Slot = f.v.code, f.v.booking.Service, f.v.booking.Start
	}
	f.st = st
}

// outOfService stops screening for cause. Broken storage outranks any other
// cause: it never clears by itself.
func (f *Flow) outOfService(cause string) {
	if f.storageBroken {
		cause = OOSStorage
	}
	outcome := f.st.Outcome
	f.leaveLocked()
	f.st = State{Seq: f.st.Seq, Screen: OutOfService, Lang: f.st.Lang, OutOfService: cause}
	if cause == OOSStorage {
		f.st.Outcome = outcome // the refer/storage the visitor is shown
	}
	f.log.Warn("out of service", "cause", cause)
}

// selfHealing reports whether an out-of-service cause clears by itself once
// the sensor, room and clock are fine.
func selfHealing(cause string) bool {
	return cause == OOSSensor || cause == OOSAmbient || cause == OOSClock
}

// Start opens the code screen: the visitor touched the Idle screen.
func (f *Flow) Start() error {
	f.mu.Lock()
	if f.st.Screen != Idle && f.st.Screen != Decision {
		f.mu.Unlock()
		return ErrNotNow
	}
	lang := f.st.Lang
	if f.st.Screen == Decision {
		lang = f.cfg.Lang
	}
	f.v = nil
	f.show(Code)
	f.st.Lang = lang
	f.st.Until = f.clock.Now().Add(f.cfg.InputTimeout)
	f.commit()
	return nil
}

// Touch tells the flow the visitor is still there (typing on the keypad),
// so the input timeout starts again. Only the runner needs to know: nothing
// on screen changes, so no state is published (the keypad redraws itself).
func (f *Flow) Touch() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.st.Screen != Code && f.st.Screen != Symptoms {
		return
	}
	f.st.Until = f.clock.Now().Add(f.cfg.InputTimeout)
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// SetLang switches the language of the screens. It is possible on every screen.
func (f *Flow) SetLang(lang string) error {
	if !slices.Contains(storage.Languages, lang) {
		return fmt.Errorf("unknown language %q", lang)
	}
	f.mu.Lock()
	f.st.Lang = lang
	f.commit()
	return nil
}

// Cancel returns to Idle from the visitor's screens. A visitor who walks
// away from a retest is decided by the fever reading that asked for it.
func (f *Flow) Cancel() error {
	f.mu.Lock()
	switch f.st.Screen {
	case Code, Symptoms, Measure, Retest:
	default:
		f.mu.Unlock()
		return ErrNotNow
	}
	if f.v != nil && f.v.first != nil {
		f.judgeLocked(f.v.first, false)
		f.commit()
		return nil
	}
	f.toIdle()
	f.commit()
	return nil
}

// EnterCode takes a booking code from the keypad or the scanner, on Idle,
// Code or Decision (the next visitor may scan while the last decision is
// still shown). Input that cannot be a code stays on Code with
// NoticeCodeFormat and returns ErrCodeFormat; nothing is stored for it. A
// well-formed code is checked against the bookings: a refused one is a
// stored denial; an accepted one moves to Symptoms (or Measure).
func (f *Flow) EnterCode(raw string) error {
	f.mu.Lock()
	switch f.st.Screen {
	case Idle, Code, Decision:
	default:
		f.mu.Unlock()
		return ErrNotNow
	}
	if f.clockWrong() {
		f.outOfService(OOSClock)
		f.commit()
		return ErrNotNow
	}
	lang := f.st.Lang
	if f.st.Screen == Decision {
		lang = f.cfg.Lang
	}
	code, err := storage.NormalizeCode(raw)
	if err != nil {
		f.v = nil
		f.show(Code)
		f.st.Lang, f.st.Notice = lang, NoticeCodeFormat
		f.st.Until = f.clock.Now().Add(f.cfg.InputTimeout)
		f.commit()
		return fmt.Errorf("%w: %w", ErrCodeFormat, err)
	}
	f.v, f.last = &visitor{code: code}, nil
	f.st.Lang = lang
	bk, err := f.store.Booking(context.Background(), code)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		f.decideLocked(storage.DecisionDeny, storage.ReasonUnknownCode, nil, decideOpts{})
	case err != nil:
		f.log.Error("booking lookup failed", "code", code, "err", err)
		f.storageBroken = true
		f.decideLocked(storage.DecisionRefer, storage.ReasonStorage, nil, decideOpts{})
		f.outOfService(OOSStorage)
	default:
		f.v.booking = bk
		if bk.Lang != "" && slices.Contains(storage.Languages, bk.Lang) {
			f.st.Lang = bk.Lang
		}
		if reason := f.cfg.Booking.CheckBooking(bk, f.clock.Now(), f.cfg.Location); reason != storage.ReasonOK {
			f.decideLocked(storage.DecisionDeny, reason, nil, decideOpts{})
		} else if f.cfg.Rule.Symptoms {
			f.show(Symptoms)
			f.st.Until = f.clock.Now().Add(f.cfg.InputTimeout)
		} else {
			f.startMeasureLocked(false, "")
		}
	}
	f.commit()
	return nil
}

// AnswerSymptoms takes the answer to "do you have a cough, a runny nose or a
// fever?": yes is a stored denial, no goes on to the measurement.
func (f *Flow) AnswerSymptoms(yes bool) error {
	f.mu.Lock()
	if f.st.Screen != Symptoms || f.v == nil {
		f.mu.Unlock()
		return ErrNotNow
	}
	if yes {
		f.decideLocked(storage.DecisionDeny, storage.ReasonSymptoms, nil, decideOpts{consumes: true})
	} else {
		f.startMeasureLocked(false, "")
	}
	f.commit()
	return nil
}

// startMeasureLocked shows Measure and makes the flow wait for a reading;
// notice says why the last attempt failed, if one did.
func (f *Flow) startMeasureLocked(retest bool, notice string) {
	f.show(Measure)
	f.st.Retest, f.st.Attempt, f.st.Notice = retest, f.v.attempts+1, notice
	f.abandonMeasureLocked()
}

// abandonMeasureLocked drops the measurement under way, if any: it is
// cancelled and its result, should it still come, is ignored.
func (f *Flow) abandonMeasureLocked() {
	f.measureID++
	if f.cancelM != nil {
		f.cancelM()
		f.cancelM = nil
	}
}

// WantsMeasurement reports whether the flow waits for Measure to be called.
func (f *Flow) WantsMeasurement() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st.Screen == Measure && f.cancelM == nil
}

// Measure takes a forehead reading for the measurement the flow waits for
// and applies it: a decision, a retest, another attempt, or out of service
// on a sensor fault. It blocks for as long as the sampler does and returns
// at once when no measurement is wanted. A reading that arrives after the
// flow moved on (the guard opened, the visitor cancelled) is dropped. It
// returns ctx's error if ctx ended first.
func (f *Flow) Measure(ctx context.Context) error {
	f.mu.Lock()
	if f.st.Screen != Measure || f.cancelM != nil {
		f.mu.Unlock()
		return nil
	}
	id := f.measureID
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f.cancelM, f.measureAt = cancel, f.clock.Now()
	f.mu.Unlock()

	r, err := f.sampler.Measure(mctx, func(p sensor.Progress) { f.progress(id, p) })

	f.mu.Lock()
	if id != f.measureID || f.st.Screen != Measure {
		f.mu.Unlock()
		return ctx.Err()
	}
	f.cancelM = nil
	if ctx.Err() != nil {
		f.mu.Unlock()
		return ctx.Err()
	}
	f.applyMeasurement(r, err)
	f.commit()
	return nil
}

func (f *Flow) progress(id uint64, p sensor.Progress) {
	f.mu.Lock()
	if id != f.measureID || f.st.Screen != Measure {
		f.mu.Unlock()
		return
	}
	f.st.Progress = p
	f.commit()
}

// applyMeasurement turns a sampler result into the next state; f.mu is held.
func (f *Flow) applyMeasurement(r sensor.Reading, err error) {
	v := f.v
	switch {
	case errors.Is(err, sensor.ErrStuck):
		// Ten identical words from a forehead already there: a sensor that
		// stopped measuring, or a visitor holding very still. Stepping back
		// and coming again tells them apart; if it persists, it is a fault.
		if v.attempts+1 < f.cfg.Rule.MaxAttempts {
			f.measureAgain(NoticeStepBack)
			return
		}
		f.log.Error("sensor fault", "err", err)
		f.faultLocked()
		return
	case errors.Is(err, sensor.ErrFault):
		f.log.Error("sensor fault", "err", err)
		f.faultLocked()
		return
	case errors.Is(err, sensor.ErrNoForehead):
		f.measureAgain(NoticeNoForehead)
		return
	case errors.Is(err, sensor.ErrUnstable):
		f.measureAgain(NoticeUnstable)
		return
	case err != nil:
		f.log.Error("measurement failed", "err", err)
		f.faultLocked()
		return
	}
	est := f.cfg.Model.Estimate(r)
	rd := &reading{est: est, shown: ShownTenths(est.Body)}
	if !f.cfg.Rule.ambientOK(r.Ambient) {
		f.log.Warn("room temperature out of range", "ambient", r.Ambient)
		f.decideLocked(storage.DecisionRefer, storage.ReasonSensorFault, rd, decideOpts{})
		f.outOfService(OOSAmbient)
		return
	}
	if !f.cfg.Rule.plausible(rd.shown) {
		notice := NoticeTooCold
		if rd.shown > TenthsOf(f.cfg.Rule.PlausibleMaxC) {
			notice = NoticeTooHot
		}
		f.measureAgain(notice)
		return
	}
	v.last = rd
	if v.first == nil && f.cfg.Rule.wantsRetest(rd.shown) {
		v.first, v.attempts = rd, 0 // the retest gets its own attempts
		f.show(Retest)
		f.st.Until = f.clock.Now().Add(f.cfg.Rule.RetestPause)
		f.abandonMeasureLocked()
		return
	}
	f.judgeLocked(rd, v.first != nil)
}

// faultLocked handles a sensor that failed during a measurement: the
// visitor is referred to the guard, or, if a fever reading already asked for
// a retest, denied by it; then the kiosk goes out of service.
func (f *Flow) faultLocked() {
	if f.v.first != nil {
		f.judgeLocked(f.v.first, false)
	} else {
		f.decideLocked(storage.DecisionRefer, storage.ReasonSensorFault, f.v.last, decideOpts{})
	}
	f.outOfService(OOSSensor)
}

// judgeLocked decides by a plausible reading: fever is a denial, else admit.
func (f *Flow) judgeLocked(rd *reading, retest bool) {
	if f.cfg.Rule.Fever(rd.shown) {
		f.decideLocked(storage.DecisionDeny, storage.ReasonFever, rd, decideOpts{consumes: true, retest: retest})
		return
	}
	f.decideLocked(storage.DecisionAdmit, storage.ReasonOK, rd, decideOpts{consumes: true, retest: retest})
}

// measureAgain counts a failed attempt: measure again, or after
// Rule.MaxAttempts refer the visitor to the guard (or, in a retest, let the
// fever reading that asked for it decide).
func (f *Flow) measureAgain(notice string) {
	v := f.v
	v.attempts++
	if v.attempts >= f.cfg.Rule.MaxAttempts {
		if v.first != nil {
			f.judgeLocked(v.first, false)
			return
		}
		f.decideLocked(storage.DecisionRefer, storage.ReasonNoReading, nil, decideOpts{})
		return
	}
	f.startMeasureLocked(f.st.Retest, notice)
}

type decideOpts struct {
	consumes bool // the screening uses up the booking
	retest   bool
	guard    string
	override string
	clinical *float64
}

// decideLocked stores a screening and then shows it. If storing fails the
// visitor is referred and the kiosk goes out of service: a decision that is
// not stored is never shown.
func (f *Flow) decideLocked(decision, reason string, rd *reading, o decideOpts) {
	now := f.clock.Now()
	v := f.v
	if v == nil {
		v = &visitor{}
	}
	rec := storage.Screening{
		Version:        storage.ScreeningVersion,
		Time:           now,
		Kiosk:          f.cfg.KioskID,
		Code:           v.code,
		Decision:       decision,
		Reason:         reason,
		Model:          fmt.Sprintf("%s/%d", f.cfg.Model.Name, f.cfg.Model.Version),
		Params:         f.cfg.Model.Params(),
		ThresholdC:     f.cfg.Rule.ThresholdC,
		Retest:         o.retest,
		ClinicalC:      o.clinical,
		Guard:          o.guard,
		OverrideReason: o.override,
		BookingUsed:    o.consumes && v.booking.Code != "",
	}
	var shown *Tenths
	if rd != nil {
		s := rd.shown
		shown = &s
		rec.ShownC = ptr(s.Celsius())
		rec.ObjectC = ptr(round2(rd.est.Object.Celsius()))
		rec.AmbientC = ptr(round2(rd.est.Ambient.Celsius()))
	}
	if o.clinical != nil {
		s := TenthsOf(*o.clinical)
		shown = &s
		rec.ShownC = ptr(s.Celsius())
	}
	if decision == storage.DecisionDeny && blocking(reason) {
		v.blocked = reason
	}
	out := &Outcome{Decision: decision, Reason: reason, Shown: shown, Retest: o.retest, Guard: o.guard, Override: o.override}
	id, err := f.store.Append(context.Background(), rec)
	if err != nil {
		f.log.Error("screening not stored: referring to the guard", "code", rec.Code, "decision", decision, "reason", reason, "err", err)
		f.storageBroken = true
		f.st.Outcome = &Outcome{Decision: storage.DecisionRefer, Reason: storage.ReasonStorage}
		f.outOfService(OOSStorage)
		return
	}
	out.ScreeningID = id
	shownLog := "none"
	if shown != nil {
		shownLog = shown.String()
	}
	f.log.Info("screening", "id", id, "code", rec.Code, "decision", decision, "reason", reason,
		"shown_c", shownLog, "retest", o.retest, "guard", o.guard)
	f.show(Decision)
	f.st.Outcome = out
	f.st.Until = now.Add(f.cfg.DecisionTime)
	f.abandonMeasureLocked()
}

// blocking reports whether a denial is for something a temperature reading
// cannot change: symptoms, or the booking.
func blocking(reason string) bool {
	switch reason {
	case storage.ReasonSymptoms, storage.ReasonUnknownCode, storage.ReasonNotToday, storage.ReasonTooEarly,
		storage.ReasonTooLate, storage.ReasonUsed, storage.ReasonCancelled:
		return true
	}
	return false
}

func ptr[T any](v T) *T { return &v }

func round2(c float64) float64 { return math.Round(c*100) / 100 }

// Tick applies the timeouts that are due: an abandoned code or symptoms
// screen returns to Idle, a retest pause ends in the retest, a decision
// leaves the screen (for Idle, or out of service again if a guard decided
// on an out-of-service kiosk), the guard screens close.
func (f *Flow) Tick() {
	f.mu.Lock()
	now := f.clock.Now()
	if f.st.Until.IsZero() || now.Before(f.st.Until) {
		f.mu.Unlock()
		return
	}
	switch f.st.Screen {
	case Code, Symptoms:
		f.toIdle()
	case Decision:
		if cause := f.returnOOS; cause != "" {
			f.returnOOS = ""
			f.outOfService(cause)
		} else {
			f.toIdle()
		}
	case Retest:
		f.startMeasureLocked(true, "")
	case GuardPIN:
		if f.st.Notice == NoticeLocked {
			f.st.Notice, f.st.Until = "", now.Add(f.cfg.GuardTimeout)
			break
		}
		f.closeGuardLocked()
	case GuardMenu:
		if f.auditLocked(f.st.Guard, "guard.logout", "timeout") {
			f.closeGuardLocked()
		}
	default:
		f.st.Until = time.Time{} // nothing times out here: never due again
	}
	f.commit()
}

// NextDeadline returns when Tick next has something to do; zero for never.
func (f *Flow) NextDeadline() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st.Until
}

// Probe checks the sensor, the room and the clock while nobody is being
// screened: a failure takes the kiosk out of service, and a kiosk out of
// service for a sensor, room or clock reason comes back to Idle once all
// three are fine again. It does nothing during a visit.
func (f *Flow) Probe() {
	f.mu.Lock()
	idle := f.st.Screen == Idle
	auto := f.st.Screen == OutOfService && selfHealing(f.st.OutOfService)
	f.mu.Unlock()
	if !idle && !auto {
		return
	}
	cause := ""
	if f.clockWrong() {
		cause = OOSClock
	} else if r, err := f.sampler.Probe(); err != nil {
		f.log.Warn("sensor probe failed", "err", err)
		cause = OOSSensor
	} else if !f.cfg.Rule.ambientOK(r.Ambient) {
		cause = OOSAmbient
	}

	f.mu.Lock()
	switch {
	case f.st.Screen == Idle && cause != "":
		f.outOfService(cause)
	case f.st.Screen == OutOfService && f.st.OutOfService == cause:
		f.mu.Unlock()
		return
	case f.st.Screen == OutOfService && selfHealing(f.st.OutOfService):
		if cause != "" {
			f.outOfService(cause)
		} else {
			f.log.Info("back in service")
			f.toIdle()
		}
	default:
		f.mu.Unlock()
		return
	}
	f.commit()
}

var _ Store = (*storage.DB)(nil)
