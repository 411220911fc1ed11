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

// Reasons a guard gives, as keys the UI translates and the record stores.
var (
	// AdmitReasons for admitting the current visitor or a walk-in.
	AdmitReasons = []string{"clinical_normal", "booking_confirmed", "staff", "emergency", "other"}
	// DenyReasons for denying the current visitor.
	DenyReasons = []string{"symptoms_seen", "no_mask", "behaviour", "other"}
)

// PIN lockout: after MaxPINFails wrong PINs in a row, entry locks for
// LockBase, doubling with every further wrong PIN up to LockMax. The count
// is the kiosk's, across all guards, and starts again when the kiosk does.
const (
	MaxPINFails = 5
	LockBase    = 30 * time.Second
	LockMax     = 30 * time.Minute
)

// lockFor is how long PIN entry locks after fails wrong PINs in a row.
func lockFor(fails int) time.Duration {
	d := LockBase
	for i := MaxPINFails; i < fails && d < LockMax; i++ { // doubling, never past LockMax: no overflow
		d *= 2
	}
	return min(d, LockMax)
}

// Clinical thermometer readings a guard may enter.
const (
	ClinicalMinC = 34.0
	ClinicalMaxC = 43.0
)

// checkGuardReason checks a guard's reason against the list it must be from.
func checkGuardReason(reason string, allowed []string) error {
	if !slices.Contains(allowed, reason) {
		return fmt.Errorf("reason %q is not one of %v", reason, allowed)
	}
	return nil
}

// checkClinical checks a clinical reading; it also refuses NaN.
func checkClinical(c float64) error {
	if !(c >= ClinicalMinC && c <= ClinicalMaxC) {
		return fmt.Errorf("clinical reading %.1f °C: want %.1f–%.1f", c, ClinicalMinC, ClinicalMaxC)
	}
	return nil
}

// guardEvent applies the guard's events and their continuations.
func (s *stepper) guardEvent(ev Event) {
	switch ev := ev.(type) {
	case OpenGuard:
		s.openGuard()
	case GuardsListed:
		if s.m.view.Screen == GuardPIN && ev.Session == s.m.guardSession {
			s.m.view.Guards, s.m.view.GuardsErr = ev.Names, ""
			if ev.Err != nil {
				s.m.view.GuardsErr = ev.Err.Error()
			}
		}
	case GuardLogin:
		s.guardLogin(ev)
	case PINChecked:
		s.pinChecked(ev)
	case guardIn:
		s.guardIn(ev.Guard)
	case pinWrong:
		s.pinWrong(ev.Name)
	case pinLocked:
		s.m.view.Notice, s.m.view.Until = NoticeLocked, s.m.lockUntil
	case GuardClose:
		switch s.m.view.Screen {
		case GuardMenu:
			s.audit(s.m.view.Guard, "guard.logout", "", closeGuard{})
		case GuardPIN:
			s.closeGuard()
		default:
			s.refuse(ErrNotNow)
		}
	case closeGuard:
		s.closeGuard()
	case GuardAdmit:
		s.guardDecide(Admit, ev.Reason, AdmitReasons, true)
	case GuardDeny:
		s.guardDecide(Deny, ev.Reason, DenyReasons, true)
	case GuardWalkIn:
		s.guardDecide(Admit, ev.Reason, AdmitReasons, false)
	case GuardClinical:
		s.guardClinical(ev.C)
	case GuardOutOfService:
		if s.onGuardMenu() {
			s.audit(s.m.view.Guard, "kiosk.out_of_service", "", goOutOfSvc{Cause: OOSGuard})
		}
	case goOutOfSvc:
		s.outOfService(ev.Cause)
	case GuardBackInService:
		if s.onGuardMenu() {
			s.m.storageBroken = s.m.corrupt // the guard says it is fixed; the audit entry is the first test
			s.audit(s.m.view.Guard, "kiosk.in_service", "was="+s.m.resume.OutOfService, backInService{})
		}
	case backInService:
		s.m.returnOOS = ""
		if s.m.corrupt { // the file stays damaged whatever the guard says
			s.outOfService(OOSCorrupt)
			return
		}
		s.toIdle()
	default:
		panic(fmt.Sprintf("BUG: step has no case for %T", ev))
	}
}

// openGuard shows the guard's PIN pad, from any screen. What was on screen
// comes back when the guard closes; a measurement under way is abandoned
// and starts again then.
func (s *stepper) openGuard() {
	if sc := s.m.view.Screen; sc == GuardPIN || sc == GuardMenu {
		s.refuse(ErrNotNow)
		return
	}
	s.m.resume = s.m.view
	s.m.guardSession++
	s.abandonMeasure()
	s.m.view = State{Seq: s.m.view.Seq, Screen: GuardPIN, Lang: s.m.view.Lang, Resume: s.m.resume.Screen, Until: s.at.Add(s.m.cfg.GuardTimeout)}
	if s.at.Before(s.m.lockUntil) {
		s.m.view.Notice, s.m.view.Until = NoticeLocked, s.m.lockUntil
	}
	s.emit(ListGuards{Session: s.m.guardSession})
}

// guardLogin asks for a guard's PIN to be checked. MaxPINFails wrong ones in
// a row lock PIN entry, longer with every further failure. One PIN is
// checked at a time, and an answer that comes after the PIN pad closed is
// dropped. Every PIN checked is audited.
func (s *stepper) guardLogin(ev GuardLogin) {
	switch {
	case s.m.view.Screen != GuardPIN:
		s.refuse(ErrNotNow)
		return
	case s.m.pinChecking:
		s.refuse(ErrChecking)
		return
	}
	if s.at.Before(s.m.lockUntil) {
		s.m.view.Notice, s.m.view.Until = NoticeLocked, s.m.lockUntil
		s.refuse(fmt.Errorf("%w until %s", ErrLocked, s.m.lockUntil.Format(time.TimeOnly)))
		return
	}
	s.m.pinChecking = true
	s.emit(CheckPIN{Session: s.m.guardSession, Name: ev.Name, PIN: ev.PIN})
}

func (s *stepper) pinChecked(ev PINChecked) {
	s.m.pinChecking = false
	if s.m.view.Screen != GuardPIN || s.m.guardSession != ev.Session {
		s.refuse(ErrNotNow) // the pad closed meanwhile
		return
	}
	switch err := ev.Err; {
	case err == nil:
		s.m.pinFails, s.m.lockUntil = 0, time.Time{}
		s.audit(ev.Guard, "guard.login", "", guardIn{Guard: ev.Guard})
	case errors.Is(err, storage.ErrBadPIN) || errors.Is(err, storage.ErrNotFound):
		s.m.pinFails++ // an unknown name gets the same answer as a wrong PIN
		s.audit(ev.Name, "guard.login_failed", fmt.Sprintf("failures=%d", s.m.pinFails), pinWrong{Name: ev.Name})
		s.refuse(ErrBadPIN)
	default:
		s.log(slog.LevelError, "guard PIN check failed", "err", err)
		s.m.view.Notice, s.m.view.Detail = NoticeError, err.Error()
		s.refuse(err)
	}
}

// guardIn opens the guard menu for guard.
func (s *stepper) guardIn(guard string) {
	v, ok := s.guardVisitor()
	st := State{Seq: s.m.view.Seq, Screen: GuardMenu, Lang: s.m.view.Lang, Guard: guard, HasVisitor: ok,
		Resume: s.m.resume.Screen, Until: s.at.Add(s.m.cfg.GuardTimeout)}
	if ok {
		st.Code = v.code
	}
	s.m.view = st
}

// pinWrong says the PIN was wrong and locks PIN entry after too many.
func (s *stepper) pinWrong(name string) {
	s.m.view.Notice, s.m.view.Until = NoticeWrongPIN, s.at.Add(s.m.cfg.GuardTimeout)
	if s.m.pinFails >= MaxPINFails {
		d := lockFor(s.m.pinFails)
		s.m.lockUntil = s.at.Add(d)
		s.audit(name, "guard.lockout", fmt.Sprintf("failures=%d locked=%s", s.m.pinFails, d), pinLocked{})
	}
}

// closeGuard restores the screen the guard came from. Timed screens get
// their time again; a measurement starts afresh.
func (s *stepper) closeGuard() {
	r := s.m.resume
	r.Seq = s.m.view.Seq
	cfg := s.m.cfg
	switch r.Screen {
	case Code, Symptoms:
		r.Until = s.at.Add(cfg.InputTimeout)
	case Retest:
		r.Until = s.at.Add(cfg.Rule.RetestPause)
	case Decided:
		r.Until = s.at.Add(cfg.DecisionTime)
	case Measure:
		r.Progress, r.Until = sensor.Progress{}, time.Time{}
	}
	s.m.view = r
	s.abandonMeasure()
}

// guardVisitor is the visitor a guard acts for: the one on screen, or the
// one who left it less than GuardRecall ago.
func (s *stepper) guardVisitor() (visitor, bool) {
	if s.m.v.here && s.m.v.code != "" {
		return s.m.v, true
	}
	if s.m.last.here && s.at.Sub(s.m.lastAt) <= GuardRecall {
		return s.m.last, true
	}
	return visitor{}, false
}

// onGuardMenu reports whether the guard menu is open, and refuses the
// event if not.
func (s *stepper) onGuardMenu() bool {
	if s.m.view.Screen != GuardMenu {
		s.refuse(ErrNotNow)
		return false
	}
	return true
}

func (s *stepper) guardDecide(decision Decision, reason string, allowed []string, forVisitor bool) {
	if err := checkGuardReason(reason, allowed); err != nil {
		s.refuse(err)
		return
	}
	if !s.onGuardMenu() {
		return
	}
	v, ok := s.guardVisitor()
	var last *reading
	switch {
	case forVisitor && !ok:
		s.m.view.Notice, s.m.view.Detail = NoticeError, ErrNoVisitor.Error()
		s.refuse(ErrNoVisitor)
		return
	case forVisitor:
		last = v.last
	default:
		v = visitor{}
	}
	s.decideForGuard(v, decision, ReasonGuard, last, decideOpts{consumes: true, override: reason})
}

// guardClinical records a clinical-thermometer reading for the current
// visitor, or a walk-in with nobody at the kiosk; the standards want a
// clinical reading to confirm an elevated skin reading. Above the threshold
// it denies for fever. Otherwise it admits, unless the visitor was refused
// for something a temperature cannot change (symptoms, the booking): then
// the refusal stands, with the reading on record.
func (s *stepper) guardClinical(c float64) {
	if err := checkClinical(c); err != nil {
		s.refuse(err)
		return
	}
	c = math.Round(c*10) / 10
	if !s.onGuardMenu() {
		return
	}
	v, _ := s.guardVisitor()
	decision, reason := Admit, ReasonOK
	switch {
	case s.m.cfg.Rule.Fever(TenthsOf(c)):
		decision, reason = Deny, ReasonFever
	case v.blocked != "":
		decision, reason = Deny, v.blocked
	}
	s.decideForGuard(v, decision, reason, v.last, decideOpts{consumes: true, clinical: &c})
}

// decideForGuard stores and shows the guard's decision for v. Storage
// audits it in the screening's own transaction. A kiosk the guard found out
// of service goes back out of service after the decision has been shown.
func (s *stepper) decideForGuard(v visitor, decision Decision, reason Reason, rd *reading, o decideOpts) {
	o.guard = s.m.view.Guard
	if s.m.resume.Screen == OutOfService {
		s.m.returnOOS = s.m.resume.OutOfService
	}
	v.here = true
	s.m.v, s.m.last = v, visitor{}
	s.decide(decision, reason, rd, o)
}
