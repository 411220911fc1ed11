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
	case GuardPick:
		s.guardPick(ev.Code)
	case GuardAdmit:
		s.guardDecide(guardDecision{decision: Admit, override: ev.Reason}, AdmitReasons, ev.Replaces)
	case GuardDeny:
		s.guardDecide(guardDecision{decision: Deny, override: ev.Reason}, DenyReasons, ev.Replaces)
	case GuardWalkIn:
		s.guardDecide(guardDecision{decision: Admit, override: ev.Reason, walkIn: true}, AdmitReasons, 0)
	case GuardClinical:
		s.guardClinical(ev.C, ev.Replaces)
	case guardDecides:
		s.applyGuardDecision(ev.d)
	case GuardOutOfService:
		if s.onGuardMenu() {
			s.audit(s.m.view.Guard, "kiosk.out_of_service", "", goOutOfSvc{Cause: OOSGuard})
		}
	case goOutOfSvc:
		s.outOfService(ev.Cause)
	case GuardBackInService:
		if s.onGuardMenu() {
			s.m.storageBroken = s.m.corrupt // the guard says it is fixed; the audit entry is the first test
			s.m.diskLow = false             // and the next probe judges the disk afresh, at MinFree
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
// Nobody is picked: the guard picks the visitor from the list, so a
// decision never lands on whoever typed a code last.
func (s *stepper) guardIn(guard string) {
	s.m.view = State{Seq: s.m.view.Seq, Screen: GuardMenu, Lang: s.m.view.Lang, Guard: guard,
		Resume: s.m.resume.Screen, Until: s.at.Add(s.m.cfg.GuardTimeout), Visitors: s.guardList()}
}

// guardPick picks the visitor the guard acts for; "" picks nobody (a
// walk-in for a clinical reading).
func (s *stepper) guardPick(code string) {
	if !s.onGuardMenu() {
		return
	}
	s.m.view.Visitors = s.guardList()
	s.m.view.Notice, s.m.view.Detail = "", ""
	s.m.view.Until = s.at.Add(s.m.cfg.GuardTimeout)
	if code == "" {
		s.m.view.Code, s.m.view.HasVisitor = "", false
		return
	}
	if _, _, ok := s.findVisitor(code); !ok {
		s.m.view.Code, s.m.view.HasVisitor = "", false
		s.refuse(fmt.Errorf("%w: %s", ErrNoVisitor, code))
		return
	}
	s.m.view.Code, s.m.view.HasVisitor = code, true
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
		if r.Outcome != nil {
			r.Until = s.at.Add(cfg.shownFor(r.Outcome.Decision))
		}
	case Measure:
		r.Progress, r.Until = sensor.Progress{}, time.Time{}
	case Early:
		switch {
		case r.Ready:
			r.Until = s.at.Add(cfg.InputTimeout)
		case !r.Waiting():
			r.Until = s.at.Add(cfg.DenyTime)
		}
	}
	s.m.view = r
	s.abandonMeasure()
}

// recent is a visitor the guard can still act for: referred or denied by
// the kiosk, or decided by a guard, in the last GuardRecall.
type recent struct {
	v     visitor
	kiosk Outcome   // the kiosk's decision (or the first guard's, for a visitor the kiosk never decided)
	at    time.Time // when that was
	guard *Outcome  // the latest guard decision
	last  time.Time // the latest decision: the entry goes GuardRecall after it
}

// guardDecision is what a guard decided, before it is stored.
type guardDecision struct {
	code     string // the picked visitor; "" for a walk-in
	walkIn   bool
	decision Decision
	override string   // the guard's reason (admit, deny, walk-in)
	clinical *float64 // a clinical reading: the rule decides
}

// maxRecent bounds the guard's list: a busy door sends far fewer people
// to the guard in GuardRecall.
const maxRecent = 50

// pruneRecent drops the visitors whose latest decision is older than GuardRecall.
func (s *stepper) pruneRecent() {
	s.m.recent = slices.DeleteFunc(slices.Clone(s.m.recent), func(r recent) bool { return s.at.Sub(r.last) > GuardRecall })
}

// remember keeps the visitor just decided (s.m.v) for the guard: a
// referral or a denial by the kiosk, or any guard decision. A visitor the
// kiosk admits is no longer the guard's concern.
func (s *stepper) remember(out Outcome) {
	code := s.m.v.code
	if code == "" {
		return
	}
	s.pruneRecent()
	i := slices.IndexFunc(s.m.recent, func(r recent) bool { return r.v.code == code })
	switch {
	case out.Guard != "" && i >= 0:
		r := &s.m.recent[i]
		r.v, r.guard, r.last = s.m.v, &out, s.at
	case out.Guard != "":
		s.m.recent = append(s.m.recent, recent{v: s.m.v, kiosk: out, at: s.at, guard: &out, last: s.at})
	case out.Decision == Admit:
		if i >= 0 {
			s.m.recent = slices.Delete(s.m.recent, i, i+1)
		}
	default:
		if i >= 0 {
			s.m.recent = slices.Delete(s.m.recent, i, i+1)
		}
		s.m.recent = append(s.m.recent, recent{v: s.m.v, kiosk: out, at: s.at, last: s.at})
	}
	if n := len(s.m.recent); n > maxRecent {
		s.m.recent = s.m.recent[n-maxRecent:]
	}
}

// guardList is the guard menu's list: the visitor on screen, if not
// decided yet, then the remembered ones, newest first.
func (s *stepper) guardList() []GuardVisitor {
	s.pruneRecent()
	var list []GuardVisitor
	if v := s.m.v; v.here && v.code != "" && !slices.ContainsFunc(s.m.recent, func(r recent) bool { return r.v.code == v.code }) {
		list = append(list, GuardVisitor{Code: v.code, OnScreen: true})
	}
	for i := len(s.m.recent) - 1; i >= 0; i-- {
		r := s.m.recent[i]
		gv := GuardVisitor{Code: r.v.code, Decision: r.kiosk.Decision, Reason: r.kiosk.Reason, Shown: r.kiosk.Shown,
			Minutes: int(s.at.Sub(r.at) / time.Minute)}
		if r.guard != nil {
			g := *r.guard
			gv.Guard, gv.Replaces = &g, g.ScreeningID
		}
		list = append(list, gv)
	}
	return list
}

// findVisitor finds the visitor with code: remembered, or on screen.
func (s *stepper) findVisitor(code string) (visitor, *recent, bool) {
	for i := range s.m.recent {
		if r := s.m.recent[i]; r.v.code == code && s.at.Sub(r.last) <= GuardRecall {
			return r.v, &r, true
		}
	}
	if v := s.m.v; v.here && v.code == code {
		return v, nil, true
	}
	return visitor{}, nil, false
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

func (s *stepper) guardDecide(d guardDecision, allowed []string, replaces uint64) {
	if err := checkGuardReason(d.override, allowed); err != nil {
		s.refuse(err)
		return
	}
	if !s.onGuardMenu() {
		return
	}
	if !d.walkIn {
		if !s.m.view.HasVisitor {
			s.m.view.Notice, s.m.view.Detail = NoticeError, ErrNoVisitor.Error()
			s.refuse(ErrNoVisitor)
			return
		}
		d.code = s.m.view.Code
	}
	s.guardCommit(d, replaces)
}

// guardClinical records a clinical-thermometer reading for the picked
// visitor, or a walk-in if nobody is picked; the standards want a clinical
// reading to confirm an elevated skin reading. Above the threshold it
// denies for fever. Otherwise it admits, unless the visitor was refused for
// something a temperature cannot change (symptoms, the booking): then the
// refusal stands, with the reading on record.
func (s *stepper) guardClinical(c float64, replaces uint64) {
	if err := checkClinical(c); err != nil {
		s.refuse(err)
		return
	}
	c = math.Round(c*10) / 10
	if !s.onGuardMenu() {
		return
	}
	d := guardDecision{clinical: &c, walkIn: !s.m.view.HasVisitor}
	if s.m.view.HasVisitor {
		d.code = s.m.view.Code
	}
	s.guardCommit(d, replaces)
}

// guardCommit decides d, once its visitor is found. A visitor who already
// has a guard's decision gets a new one only when the event names the one
// it replaces; the replacement is audited first, saying what it replaces.
func (s *stepper) guardCommit(d guardDecision, replaces uint64) {
	if d.walkIn {
		s.applyGuardDecision(d)
		return
	}
	_, r, ok := s.findVisitor(d.code)
	if !ok {
		s.m.view.Notice, s.m.view.Detail = NoticeError, ErrNoVisitor.Error()
		s.m.view.Code, s.m.view.HasVisitor, s.m.view.Visitors = "", false, s.guardList()
		s.refuse(ErrNoVisitor)
		return
	}
	if r == nil || r.guard == nil {
		s.applyGuardDecision(d)
		return
	}
	g := r.guard
	if replaces != g.ScreeningID {
		s.m.view.Notice, s.m.view.Detail = NoticeError, ErrReplaces.Error()
		s.m.view.Visitors = s.guardList()
		s.refuse(fmt.Errorf("%w (code %s, screening %d)", ErrReplaces, d.code, g.ScreeningID))
		return
	}
	s.audit(s.m.view.Guard, "guard.replace", fmt.Sprintf("code %s: replaces screening %d (%s, %s, by %s)",
		d.code, g.ScreeningID, g.Decision, overrideOr(g), g.Guard), guardDecides{d: d})
}

func overrideOr(o *Outcome) string {
	if o.Override != "" {
		return o.Override
	}
	return string(o.Reason)
}

// applyGuardDecision stores and shows d.
func (s *stepper) applyGuardDecision(d guardDecision) {
	var v visitor
	if !d.walkIn {
		var ok bool
		if v, _, ok = s.findVisitor(d.code); !ok {
			s.refuse(ErrNoVisitor)
			return
		}
	}
	if d.clinical == nil {
		var last *reading
		if !d.walkIn {
			last = v.last
		}
		s.decideForGuard(v, d.decision, ReasonGuard, last, decideOpts{consumes: true, override: d.override})
		return
	}
	decision, reason := Admit, ReasonOK
	switch {
	case s.m.cfg.Rule.Fever(TenthsOf(*d.clinical)):
		decision, reason = Deny, ReasonFever
	case v.blocked != "":
		decision, reason = Deny, v.blocked
	}
	s.decideForGuard(v, decision, reason, v.last, decideOpts{consumes: true, clinical: d.clinical})
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
	s.m.v = v
	s.decide(decision, reason, rd, o)
}
