package kiosk

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"time"

	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/storage"
)

// reading is a judged forehead reading. It is never changed once made.
type reading struct {
	est   sensor.Estimate
	shown Tenths
}

// visitor is the person at the kiosk, from code entry to the decision.
type visitor struct {
	here     bool // someone is being screened (a walk-in has no code)
	code     string
	booking  storage.Booking
	attempts int      // failed measurements so far, in this round (first or retest)
	first    *reading // the reading that asked for a retest
	last     *reading // the latest plausible reading
	// blocked is why the visitor was denied for something other than
	// temperature (symptoms, the booking); a clinical reading cannot lift it.
	blocked Reason
	// waited: the booking was read again when its window opened, while the
	// Early screen counted down. The visitor may have walked away since.
	waited bool
}

// pending is a decision waiting for its record to be stored.
type pending struct {
	out     Outcome
	at      time.Time
	thenOOS string // go out of service for this cause once it is shown
}

// MaxUnknownCodes is how many unknown codes in a row a visitor may type:
// the earlier ones are typos to correct, the last sends them to the guard.
const MaxUnknownCodes = 3

// EarlyWait is how long before a booking's window opens a visitor who
// comes too early waits at the kiosk: the Early screen counts down and the
// check goes on by itself when the window opens. Earlier than that, the
// screen tells the time to come back and returns to Idle after
// Config.DenyTime. Nothing is stored either way: coming early is no refusal.
const EarlyWait = 3 * time.Minute

// GuardRecall is how long after their latest decision a referred or
// denied visitor can still be admitted or denied by a guard: a visitor sent
// to the guard may wait a while before the guard comes.
const GuardRecall = 10 * time.Minute

// machine is the flow's whole state: what the screen shows and what the
// flow remembers behind it. It is plain data; step turns one into the next.
type machine struct {
	cfg  *Config // never changed after New
	view State   // what the screen shows

	v visitor // the visitor on screen
	// langChosen: the visitor chose the language; a booking's does not override it.
	langChosen bool
	// unknownInRow counts the unknown codes the visitor on Code has typed.
	unknownInRow int
	recent       []recent // whom the guard can still act for (see remember)

	measure   uint64 // the current measurement's ID, bumped whenever one starts or is abandoned
	measuring bool   // MeasureForehead{measure} is out and its result not back
	// busy names the result the flow waits for before anything else:
	// "lookup", "store" or "audit". Other events are refused meanwhile.
	busy    string
	pending *pending // the decision being stored

	// storageBroken: a screening or an audit entry could not be stored. The
	// kiosk stays out of service, whatever else happens, until a guard puts
	// it back.
	storageBroken bool
	// corrupt: the database file is damaged; it outranks every cause and
	// nothing clears it (the file stays damaged until it is restored).
	corrupt bool
	// diskLow: the idle probe last found the data disk below MinFree (or
	// could not tell) and it has not had a tenth more room since. It
	// outlives another cause shown meanwhile, so the hysteresis holds.
	diskLow bool

	resume       State  // the state the guard screens return to
	returnOOS    string // after a guard's decision, go back out of service for this cause
	guardSession uint64 // bumped whenever the PIN pad opens
	pinChecking  bool   // a PIN is being verified
	pinFails     int
	lockUntil    time.Time

	deadline time.Time // the timer as last armed
}

// newMachine is the flow at its start, at.
func newMachine(cfg *Config, at time.Time) machine {
	m := machine{cfg: cfg, view: State{Screen: Idle, Lang: cfg.Lang}}
	if clockWrong(cfg, at) {
		m.view = State{Screen: OutOfService, Lang: cfg.Lang, OutOfService: OOSClock}
	}
	return m
}

func clockWrong(cfg *Config, at time.Time) bool {
	return !cfg.NotBefore.IsZero() && at.Before(cfg.NotBefore)
}

// step applies ev, which happened at at, to m: it returns the next state
// and the effects the runner is to carry out, in order. It is pure: no
// locks, no clock, no I/O; the same (m, at, ev) always gives the same result.
func step(m machine, at time.Time, ev Event) (machine, []Effect) {
	s := &stepper{m: m, at: at}
	s.apply(ev)
	// On Measure, a measurement runs.
	if s.m.view.Screen == Measure && !s.m.measuring && s.m.busy == "" {
		s.m.measuring = true
		s.m.view.AttemptFrom = s.at
		s.emit(MeasureForehead{ID: s.m.measure})
	}
	s.m.view.Checking = s.m.view.Screen == GuardPIN && s.m.pinChecking
	s.m.view.TriesLeft = 0
	if s.m.view.Screen == GuardPIN {
		// After a lockout every further wrong PIN locks again: one try.
		s.m.view.TriesLeft = max(MaxPINFails-s.m.pinFails, 1)
	}
	if d := s.m.view.Until; !d.Equal(s.m.deadline) {
		s.m.deadline = d
		s.emit(Timer{At: d})
	}
	s.effs = append(s.effs, signals(m, s.m, ev)...) // sounds, door, lamps: signals.go
	return s.m, s.effs
}

// stepper is one step under way: the state it changes and the effects it
// has asked for.
type stepper struct {
	m    machine
	at   time.Time
	effs []Effect
}

func (s *stepper) emit(e Effect) { s.effs = append(s.effs, e) }

func (s *stepper) refuse(err error) { s.emit(Refused{Err: err}) }

func (s *stepper) log(level slog.Level, msg string, args ...any) {
	s.emit(Log{Level: level, Msg: msg, Args: args})
}

func (s *stepper) apply(ev Event) {
	if b := s.m.busy; b != "" {
		switch ev.(type) {
		case BookingFound, Stored, Audited:
		default:
			s.refuse(fmt.Errorf("%w (%s)", ErrBusy, b))
			return
		}
	}
	switch ev := ev.(type) {
	case Start:
		s.start()
	case Touch:
		if sc := s.m.view.Screen; sc == Code || sc == Symptoms {
			s.m.view.Until = s.at.Add(s.m.cfg.InputTimeout)
		}
	case SetLang:
		if !slices.Contains(Languages, ev.Lang) {
			s.refuse(fmt.Errorf("unknown language %q", ev.Lang))
			return
		}
		s.m.view.Lang = ev.Lang
		if !guardScreen(s.m.view.Screen) {
			s.m.langChosen = true
		}
	case Cancel:
		s.cancel()
	case EnterCode:
		s.enterCode(ev.Raw)
	case BookingFound:
		s.bookingFound(ev)
	case AnswerSymptoms:
		if s.m.view.Screen != Symptoms || !s.m.v.here {
			s.refuse(ErrNotNow)
			return
		}
		if ev.Yes {
			// One tap would use up the booking: the visitor confirms first.
			s.m.view.Notice, s.m.view.Until = NoticeConfirmYes, s.at.Add(s.m.cfg.InputTimeout)
		} else {
			s.startMeasure(false, "")
		}
	case ConfirmSymptoms:
		if s.m.view.Screen != Symptoms || !s.m.v.here || s.m.view.Notice != NoticeConfirmYes {
			s.refuse(ErrNotNow)
			return
		}
		s.decide(Deny, ReasonSymptoms, nil, decideOpts{consumes: true})
	case ChangeAnswer:
		if s.m.view.Screen != Symptoms || s.m.view.Notice != NoticeConfirmYes {
			s.refuse(ErrNotNow)
			return
		}
		s.m.view.Notice, s.m.view.Until = "", s.at.Add(s.m.cfg.InputTimeout)
	case Progressed:
		if ev.ID == s.m.measure && s.m.view.Screen == Measure {
			s.m.view.Progress = ev.Progress
		}
	case Measured:
		if ev.ID != s.m.measure || !s.m.measuring || s.m.view.Screen != Measure {
			return // abandoned: the flow moved on
		}
		s.m.measuring = false
		s.applyMeasurement(ev.Reading, ev.Err)
	case MeasureOverran:
		if ev.ID != s.m.measure || !s.m.measuring || s.m.view.Screen != Measure {
			return
		}
		s.log(slog.LevelError, "measurement overran: the sensor hangs")
		s.fault()
	case Stored:
		s.stored(ev)
	case Audited:
		s.audited(ev)
	case Done:
		switch s.m.view.Screen {
		case Decided:
			s.leaveDecision()
		case Early:
			s.toIdle()
		default:
			s.refuse(ErrNotNow)
		}
	case Tick:
		s.tick()
	case ProbeDue:
		s.probeDue()
	case Probed:
		s.probed(ev)
	default:
		s.guardEvent(ev)
	}
}

// toIdle shows Idle in the default language. The visitor leaves the screen
// but a guard can still act for them for GuardRecall.
func (s *stepper) toIdle() {
	s.leave()
	s.m.langChosen = false
	s.m.view = State{Seq: s.m.view.Seq, Screen: Idle, Lang: s.m.cfg.Lang}
}

// leave takes the visitor off the screen; a decided one stays on the
// guard's list (see remember).
func (s *stepper) leave() {
	s.m.v = visitor{}
	s.abandonMeasure()
}

// show moves to screen sc keeping the language and the visitor's code.
func (s *stepper) show(sc Screen) {
	st := State{Seq: s.m.view.Seq, Screen: sc, Lang: s.m.view.Lang}
	if v := s.m.v; v.here {
		st.Code, st.Service, st.Slot = v.code, v.booking.Service, v.booking.Start
	}
	s.m.view = st
}

// outOfService stops screening for cause. Broken storage outranks any other
// cause: it never clears by itself.
func (s *stepper) outOfService(cause string) {
	if s.m.storageBroken {
		cause = OOSStorage
	}
	if s.m.corrupt {
		cause = OOSCorrupt
	}
	outcome := s.m.view.Outcome
	s.leave()
	s.m.view = State{Seq: s.m.view.Seq, Screen: OutOfService, Lang: s.m.view.Lang, OutOfService: cause}
	if cause == OOSStorage || cause == OOSCorrupt {
		s.m.view.Outcome = outcome // the refer/storage the visitor is shown
	}
	s.log(slog.LevelWarn, "out of service", "cause", cause)
}

// start opens the code screen: the visitor touched the Idle screen (or
// the decision's); on a ready Early screen it starts the waiting visitor's
// check.
func (s *stepper) start() {
	sc := s.m.view.Screen
	if sc == Early && s.m.view.Ready && s.m.v.here {
		s.startMeasure(false, "") // the early visitor is there: the check goes on
		return
	}
	if sc != Idle && sc != Decided {
		s.refuse(ErrNotNow)
		return
	}
	lang := s.m.view.Lang
	if sc == Decided {
		lang, s.m.langChosen = s.m.cfg.Lang, false // the next visitor
	}
	s.m.v, s.m.unknownInRow = visitor{}, 0
	s.show(Code)
	s.m.view.Lang = lang
	s.m.view.Until = s.at.Add(s.m.cfg.InputTimeout)
}

// cancel returns to Idle from the visitor's screens. A visitor who walks
// away from a retest is decided by the fever reading that asked for it.
func (s *stepper) cancel() {
	switch s.m.view.Screen {
	case Code, Symptoms, Measure, Retest, Early:
	default:
		s.refuse(ErrNotNow)
		return
	}
	if s.m.v.here && s.m.v.first != nil {
		s.judge(s.m.v.first, false)
		return
	}
	s.toIdle()
}

// enterCode takes a booking code on Idle, Code, Early or Decided (the next
// visitor may scan while the last decision or an early one's time is still
// shown). Input that cannot be a
// code stays on Code with NoticeCodeFormat; nothing is stored for it. A
// well-formed code is looked up.
func (s *stepper) enterCode(raw string) {
	switch s.m.view.Screen {
	case Idle, Code, Decided, Early:
	default:
		s.refuse(ErrNotNow)
		return
	}
	if clockWrong(s.m.cfg, s.at) {
		s.outOfService(OOSClock)
		s.refuse(ErrNotNow)
		return
	}
	lang := s.m.view.Lang
	if s.m.view.Screen == Decided {
		lang, s.m.langChosen = s.m.cfg.Lang, false // the next visitor
	}
	if s.m.view.Screen != Code {
		s.m.unknownInRow = 0 // a new visitor
	}
	code, err := NormalizeCode(raw)
	if err != nil {
		s.m.v = visitor{}
		s.show(Code)
		s.m.view.Lang, s.m.view.Notice, s.m.view.Typed = lang, NoticeCodeFormat, typed(raw)
		s.m.view.Until = s.at.Add(s.m.cfg.InputTimeout)
		s.refuse(fmt.Errorf("%w: %w", ErrCodeFormat, err))
		return
	}
	s.m.v = visitor{here: true, code: code}
	// A new visit for the code: the guard's list shows it, not the last one.
	s.m.recent = slices.DeleteFunc(slices.Clone(s.m.recent), func(r recent) bool { return r.v.code == code })
	s.m.view.Lang = lang
	s.m.busy = "lookup"
	s.emit(LookupBooking{Code: code})
}

// bookingFound checks the booking: a refused one is a stored denial; an
// accepted one moves to Symptoms (or Measure).
func (s *stepper) bookingFound(ev BookingFound) {
	if s.m.busy != "lookup" || ev.Code != s.m.v.code {
		s.log(slog.LevelError, "BUG: a booking nobody asked for", "code", ev.Code)
		return
	}
	s.m.busy = ""
	switch {
	case errors.Is(ev.Err, storage.ErrNotFound):
		// Most unknown codes are typos: the visitor corrects it on Code;
		// nothing is stored until the last try, which sends them to the guard.
		s.m.unknownInRow++
		if s.m.unknownInRow >= MaxUnknownCodes {
			s.m.unknownInRow = 0
			s.decide(Refer, ReasonUnknownCode, nil, decideOpts{})
			return
		}
		lang := s.m.view.Lang
		s.m.v = visitor{}
		s.show(Code)
		s.m.view.Lang, s.m.view.Notice, s.m.view.Typed = lang, NoticeNotFound, ev.Code
		s.m.view.Until = s.at.Add(s.m.cfg.InputTimeout)
	case ev.Err != nil:
		s.log(slog.LevelError, "booking lookup failed", "code", ev.Code, "err", ev.Err)
		s.storageFailed(ev.Err)
		s.decide(Refer, ReasonStorage, nil, decideOpts{})
		s.thenOutOfService(OOSStorage)
	default:
		s.m.unknownInRow = 0
		bk := ev.Booking
		s.m.v.booking = bk
		if l := Lang(bk.Lang); slices.Contains(Languages, l) && !s.m.langChosen {
			s.m.view.Lang = l // the visitor's own choice comes first
		}
		if reason := s.m.cfg.Booking.CheckBooking(bk, s.at, s.m.cfg.Location); reason == ReasonTooEarly {
			s.early()
		} else if reason != ReasonOK {
			s.decide(Deny, reason, nil, decideOpts{})
		} else if s.m.cfg.Rule.Symptoms {
			// After a wait, too, the question asks whether anyone is still there.
			s.show(Symptoms)
			s.m.view.Until = s.at.Add(s.m.cfg.InputTimeout)
		} else if s.m.v.waited {
			s.ready()
		} else {
			s.startMeasure(false, "")
		}
	}
}

// early shows Early for a booking whose window has not opened: nothing is
// stored. Within EarlyWait of the opening the screen counts down and the
// booking is looked up again when it opens (it may have been cancelled
// meanwhile); further away it tells the time and returns to Idle after
// DenyTime, as long as a denial would have stayed.
func (s *stepper) early() {
	s.show(Early)
	opens := s.m.v.booking.Start.Add(-time.Duration(s.m.cfg.Booking.EarlyMin) * time.Minute)
	s.m.view.Opens = opens
	if opens.Sub(s.at) <= EarlyWait {
		s.m.view.Until = opens
	} else {
		s.m.view.Until = s.at.Add(s.m.cfg.DenyTime)
	}
}

// ready shows Early with Start: the window opened while the visitor
// waited and there is no symptoms question to ask whether they are still
// there. Measuring for someone who left would keep the kiosk from the next
// visitor's code for a minute and end in a referral stored for nobody;
// so the check waits for Start and, without it, returns to Idle after the
// input timeout with nothing stored.
func (s *stepper) ready() {
	opens := s.m.view.Opens
	s.show(Early)
	s.m.view.Opens, s.m.view.Ready = opens, true
	s.m.view.Until = s.at.Add(s.m.cfg.InputTimeout)
}

// startMeasure shows Measure: a new measurement starts (see step); notice
// says why the last attempt failed, if one did.
func (s *stepper) startMeasure(retest bool, notice string) {
	s.show(Measure)
	s.m.view.Retest, s.m.view.Attempt, s.m.view.Notice = retest, s.m.v.attempts+1, notice
	s.abandonMeasure()
}

// abandonMeasure drops the measurement under way, if any: it is stopped
// and its result, should it still come, is ignored.
func (s *stepper) abandonMeasure() {
	if s.m.measuring {
		s.emit(StopMeasuring{ID: s.m.measure})
		s.m.measuring = false
	}
	s.m.measure++
}

// applyMeasurement turns a sampler result into the next state.
func (s *stepper) applyMeasurement(r sensor.Reading, err error) {
	rule := s.m.cfg.Rule
	switch {
	case errors.Is(err, sensor.ErrStuck):
		// Ten identical words from a forehead already there: a sensor that
		// stopped measuring, or a visitor holding very still. Stepping back
		// and coming again tells them apart; if it persists, it is a fault.
		if s.m.v.attempts+1 < rule.MaxAttempts {
			s.measureAgain(NoticeStepBack)
			return
		}
		s.log(slog.LevelError, "sensor fault", "err", err)
		s.fault()
		return
	case errors.Is(err, sensor.ErrFault):
		s.log(slog.LevelError, "sensor fault", "err", err)
		s.fault()
		return
	case errors.Is(err, sensor.ErrNoForehead):
		s.measureAgain(NoticeNoForehead)
		return
	case errors.Is(err, sensor.ErrUnstable):
		s.measureAgain(NoticeUnstable)
		return
	case err != nil:
		s.log(slog.LevelError, "measurement failed", "err", err)
		s.fault()
		return
	}
	est := s.m.cfg.Model.Estimate(r)
	rd := &reading{est: est, shown: ShownTenths(est.Body)}
	if !rule.ambientOK(r.Ambient) {
		s.log(slog.LevelWarn, "room temperature out of range", "ambient", r.Ambient)
		s.decide(Refer, ReasonSensorFault, rd, decideOpts{})
		s.thenOutOfService(OOSAmbient)
		return
	}
	if !rule.plausible(rd.shown) {
		notice := NoticeTooCold
		if rd.shown > TenthsOf(rule.PlausibleMaxC) {
			notice = NoticeTooHot
		}
		s.measureAgain(notice)
		return
	}
	s.m.v.last = rd
	if s.m.v.first == nil && rule.wantsRetest(rd.shown) {
		s.m.v.first, s.m.v.attempts = rd, 0 // the retest gets its own attempts
		s.show(Retest)
		s.m.view.Until = s.at.Add(rule.RetestPause)
		s.abandonMeasure()
		return
	}
	s.judge(rd, s.m.v.first != nil)
}

// fault handles a sensor that failed during a measurement: the visitor is
// referred to the guard, or, if a fever reading already asked for a
// retest, denied by it; then the kiosk goes out of service.
func (s *stepper) fault() {
	if s.m.v.first != nil {
		s.judge(s.m.v.first, false)
	} else {
		s.decide(Refer, ReasonSensorFault, s.m.v.last, decideOpts{})
	}
	s.thenOutOfService(OOSSensor)
}

// judge decides by a plausible reading: fever is a denial, else admit.
func (s *stepper) judge(rd *reading, retest bool) {
	if s.m.cfg.Rule.Fever(rd.shown) {
		s.decide(Deny, ReasonFever, rd, decideOpts{consumes: true, retest: retest})
		return
	}
	s.decide(Admit, ReasonOK, rd, decideOpts{consumes: true, retest: retest})
}

// measureAgain counts a failed attempt: measure again, or after
// Rule.MaxAttempts refer the visitor to the guard (or, in a retest, let the
// fever reading that asked for it decide).
func (s *stepper) measureAgain(notice string) {
	s.m.v.attempts++
	if s.m.v.attempts >= s.m.cfg.Rule.MaxAttempts {
		if s.m.v.first != nil {
			s.judge(s.m.v.first, false)
			return
		}
		s.decide(Refer, ReasonNoReading, nil, decideOpts{})
		return
	}
	s.startMeasure(s.m.view.Retest, notice)
}

type decideOpts struct {
	consumes bool // the screening uses up the booking
	retest   bool
	guard    string
	override string
	clinical *float64
}

// decide asks for the screening to be stored; it is shown when Stored
// comes back. If storing fails the visitor is referred and the kiosk goes
// out of service: a decision that is not stored is never shown.
func (s *stepper) decide(decision Decision, reason Reason, rd *reading, o decideOpts) {
	cfg := s.m.cfg
	v := s.m.v
	rec := storage.Screening{
		Version:        storage.ScreeningVersion,
		Time:           s.at,
		Kiosk:          cfg.KioskID,
		Code:           v.code,
		Decision:       string(decision),
		Reason:         string(reason),
		Model:          fmt.Sprintf("%s/%d", cfg.Model.Name, cfg.Model.Version),
		Params:         cfg.Model.Params(),
		ThresholdC:     cfg.Rule.ThresholdC,
		Retest:         o.retest,
		ClinicalC:      o.clinical,
		Guard:          o.guard,
		OverrideReason: o.override,
		BookingUsed:    o.consumes && v.booking.Code != "",
	}
	var shown *Tenths
	if rd != nil {
		sh := rd.shown
		shown = &sh
		rec.ShownC = ptr(sh.Celsius())
		rec.ObjectC = ptr(round2(rd.est.Object.Celsius()))
		rec.AmbientC = ptr(round2(rd.est.Ambient.Celsius()))
	}
	if o.clinical != nil {
		sh := TenthsOf(*o.clinical)
		shown = &sh
		rec.ShownC = ptr(sh.Celsius())
	}
	if decision != Admit && blocking(reason) { // an unknown code sent to the guard too
		s.m.v.blocked = reason
	}
	s.m.pending = &pending{at: s.at, out: Outcome{Decision: decision, Reason: reason, Shown: shown, Retest: o.retest, Guard: o.guard, Override: o.override}}
	s.m.busy = "store"
	s.emit(StoreScreening{Record: rec})
}

// thenOutOfService takes the kiosk out of service for cause once the
// decision being stored has been shown.
func (s *stepper) thenOutOfService(cause string) {
	if s.m.pending != nil {
		p := *s.m.pending
		p.thenOOS = cause
		s.m.pending = &p
		return
	}
	s.outOfService(cause)
}

// stored shows the stored decision, or refers the visitor and stops.
func (s *stepper) stored(ev Stored) {
	p := s.m.pending
	if s.m.busy != "store" || p == nil {
		s.log(slog.LevelError, "BUG: a screening stored that nobody asked for")
		return
	}
	s.m.busy, s.m.pending = "", nil
	out := p.out
	if ev.Err != nil {
		s.log(slog.LevelError, "screening not stored: referring to the guard", "code", s.m.v.code,
			"decision", out.Decision, "reason", out.Reason, "err", ev.Err)
		s.storageFailed(ev.Err)
		s.m.view.Outcome = &Outcome{Decision: Refer, Reason: ReasonStorage}
		s.outOfService(OOSStorage)
	} else {
		out.ScreeningID = ev.ID
		shownLog := "none"
		if out.Shown != nil {
			shownLog = out.Shown.String()
		}
		s.log(slog.LevelInfo, "screening", "id", ev.ID, "code", s.m.v.code, "decision", out.Decision, "reason", out.Reason,
			"shown_c", shownLog, "retest", out.Retest, "guard", out.Guard)
		s.remember(out)
		s.show(Decided)
		s.m.view.Outcome = &out
		s.m.view.Until = p.at.Add(s.m.cfg.shownFor(out.Decision))
		s.abandonMeasure()
	}
	if p.thenOOS != "" {
		s.outOfService(p.thenOOS)
	}
}

// blocking reports whether a denial is for something a temperature reading
// cannot change: symptoms, or the booking.
func blocking(reason Reason) bool {
	switch reason {
	case ReasonSymptoms, ReasonUnknownCode, ReasonNotToday, ReasonTooEarly,
		ReasonTooLate, ReasonUsed, ReasonCancelled:
		return true
	}
	return false
}

func guardScreen(sc Screen) bool { return sc == GuardPIN || sc == GuardMenu }

func ptr[T any](v T) *T { return &v }

// typed is what the visitor typed or scanned, kept on Code for correcting;
// a scanner's garbage is cut to what the field holds.
func typed(raw string) string {
	r := []rune(raw)
	return string(r[:min(len(r), MaxCodeLen+4)])
}

func round2(c float64) float64 { return math.Round(c*100) / 100 }

// tick applies the timeouts that are due: an abandoned code or symptoms
// screen returns to Idle, a retest pause ends in the retest, an early
// visitor's wait ends in the check (or Idle), a decision
// leaves the screen (for Idle, or out of service again if a guard decided
// on an out-of-service kiosk), the guard screens close.
func (s *stepper) tick() {
	until := s.m.view.Until
	if until.IsZero() || s.at.Before(until) {
		return
	}
	switch s.m.view.Screen {
	case Code, Symptoms:
		s.toIdle()
	case Decided:
		s.leaveDecision()
	case Retest:
		s.startMeasure(true, "")
	case Early:
		if !s.m.view.Waiting() || !s.m.v.here { // a ready screen nobody started, too
			s.toIdle()
			return
		}
		// The window opens: the visitor, if still there, goes on; the
		// booking is read again, as it may have changed while they waited.
		s.m.v.waited = true
		s.m.busy = "lookup"
		s.emit(LookupBooking{Code: s.m.v.code})
	case GuardPIN:
		if s.m.view.Notice == NoticeLocked {
			s.m.view.Notice, s.m.view.Until = "", s.at.Add(s.m.cfg.GuardTimeout)
			return
		}
		s.closeGuard()
	case GuardMenu:
		s.audit(s.m.view.Guard, "guard.logout", "timeout", closeGuard{})
	default:
		s.m.view.Until = time.Time{} // nothing times out here: never due again
	}
}

// leaveDecision ends the decision on screen: Idle, or out of service again
// if a guard decided on a kiosk that was.
func (s *stepper) leaveDecision() {
	if cause := s.m.returnOOS; cause != "" {
		s.m.returnOOS = ""
		s.outOfService(cause)
	} else {
		s.toIdle()
	}
}

// shownFor is how long a decision stays on screen: a denial or a referral
// longer, for the phone number or the way to the guard.
func (c *Config) shownFor(d Decision) time.Duration {
	if d == Admit {
		return c.DecisionTime
	}
	return c.DenyTime
}

// probeDue checks the clock, and asks for the sensor, the room and the
// data disk to be checked, while nobody is being screened or the kiosk is out of service
// for a reason that heals by itself. It does nothing during a visit.
func (s *stepper) probeDue() {
	idle := s.m.view.Screen == Idle
	auto := s.m.view.Screen == OutOfService && selfHealing(s.m.view.OutOfService)
	if !idle && !auto {
		return
	}
	if clockWrong(s.m.cfg, s.at) {
		s.probedCause(OOSClock)
		return
	}
	s.emit(ProbeSensor{})
}

func (s *stepper) probed(ev Probed) {
	cause := ""
	if ev.Err != nil {
		s.log(slog.LevelWarn, "sensor probe failed", "err", ev.Err)
		cause = OOSSensor
	} else if !s.m.cfg.Rule.ambientOK(ev.Ambient) {
		cause = OOSAmbient
	} else if ev.Disk != nil {
		cause = s.diskCause(*ev.Disk)
	}
	s.probedCause(cause)
}

// diskCause judges the data disk's free space: below Config.MinFree, or
// unknown (fail closed), the kiosk stops; once stopped for it, it takes a
// tenth more to come back, even if another cause showed meanwhile
// (diskLow). Only changes are logged, not every probe.
func (s *stepper) diskCause(d DiskSpace) string {
	v, cfg := s.m.view, s.m.cfg
	full := v.Screen == OutOfService && v.OutOfService == OOSDiskFull
	applies := v.Screen == Idle || v.Screen == OutOfService && selfHealing(v.OutOfService)
	cause := ""
	switch {
	case d.Err != nil:
		if applies && !full {
			s.log(slog.LevelWarn, "data disk: free space unknown: out of service", "path", d.Dir, "err", d.Err)
		}
		cause = OOSDiskFull
	case d.Free < cfg.MinFree, (full || s.m.diskLow) && d.Free < cfg.backFree():
		if applies && !full {
			s.log(slog.LevelWarn, "data disk nearly full: out of service until there is room", "path", d.Dir,
				"free_bytes", d.Free, "min_free_bytes", cfg.MinFree, "back_at_bytes", cfg.backFree())
		}
		cause = OOSDiskFull
	case full || applies && s.m.diskLow:
		s.log(slog.LevelInfo, "data disk has room again", "path", d.Dir, "free_bytes", d.Free, "min_free_bytes", cfg.MinFree)
	}
	if applies { // a probe's answer during a visit is not acted on
		s.m.diskLow = cause != ""
	}
	return cause
}

// probedCause applies a probe's finding: a failure takes an idle kiosk out
// of service; a kiosk out of service for a sensor, room, clock or disk
// reason comes back to Idle once all four are fine.
func (s *stepper) probedCause(cause string) {
	v := s.m.view
	switch {
	case v.Screen == Idle && cause != "":
		s.outOfService(cause)
	case v.Screen == OutOfService && v.OutOfService == cause:
	case v.Screen == OutOfService && selfHealing(v.OutOfService):
		if cause != "" {
			s.outOfService(cause)
		} else {
			s.log(slog.LevelInfo, "back in service")
			s.toIdle()
		}
	}
}

// audit asks for an audit entry; then is applied once it is written. If it
// cannot be written, storage is broken and the kiosk goes out of service.
func (s *stepper) audit(actor, action, detail string, then Event) {
	s.m.busy = "audit"
	s.emit(WriteAudit{Actor: actor, Action: action, Detail: detail, Then: then})
}

func (s *stepper) audited(ev Audited) {
	if s.m.busy != "audit" {
		s.log(slog.LevelError, "BUG: an audit entry nobody asked for", "action", ev.Action)
		return
	}
	s.m.busy = ""
	if ev.Err != nil {
		s.log(slog.LevelError, "audit entry not stored", "action", ev.Action, "err", ev.Err)
		s.storageFailed(ev.Err)
		s.outOfService(OOSStorage)
		s.refuse(fmt.Errorf("%s could not be audited: the kiosk is out of service: %w", ev.Action, ev.Err))
		return
	}
	if ev.Then != nil {
		s.apply(ev.Then)
	}
}

// storageFailed notes that the store failed with err: out of service until
// a guard puts the kiosk back, or for good if the file is damaged.
func (s *stepper) storageFailed(err error) {
	s.m.storageBroken = true
	if errors.Is(err, storage.ErrCorrupt) {
		s.m.corrupt = true
	}
}

// corrupted is m on a damaged database, found before the first event:
// out of service from the start.
func corrupted(m machine) machine {
	m.storageBroken, m.corrupt = true, true
	m.view = State{Screen: OutOfService, Lang: m.view.Lang, OutOfService: OOSCorrupt}
	return m
}
