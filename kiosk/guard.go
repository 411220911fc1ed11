package kiosk

import (
	"context"
	"errors"
	"fmt"
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

// ErrChecking: a PIN is being checked; another waits for the answer.
var ErrChecking = errors.New("a PIN is being checked")

// OpenGuard shows the guard's PIN pad, from any screen. What was on screen
// comes back when the guard closes; a measurement under way is abandoned
// and starts again then.
func (f *Flow) OpenGuard() error {
	f.mu.Lock()
	if f.st.Screen == GuardPIN || f.st.Screen == GuardMenu {
		f.mu.Unlock()
		return ErrNotNow
	}
	f.resume = f.st
	f.guardSession++
	f.abandonMeasureLocked()
	now := f.clock.Now()
	f.st = State{Seq: f.st.Seq, Screen: GuardPIN, Lang: f.st.Lang, Resume: f.resume.Screen, Until: now.Add(f.cfg.GuardTimeout)}
	if now.Before(f.lockUntil) {
		f.st.Notice, f.st.Until = NoticeLocked, f.lockUntil
	}
	f.commit()
	return nil
}

// GuardNames lists the guards for the PIN screen.
func (f *Flow) GuardNames() ([]string, error) {
	gs, err := f.store.Guards(context.Background())
	if err != nil {
		return nil, err
	}
	names := make([]string, len(gs))
	for i, g := range gs {
		names[i] = g.Name
	}
	return names, nil
}

// GuardLogin checks a guard's PIN and opens the guard menu. A wrong PIN
// returns an error matching storage.ErrBadPIN; MaxPINFails in a row lock
// PIN entry (ErrLocked), longer with every further failure. One PIN is
// checked at a time (ErrChecking), and an answer that comes after the PIN
// pad closed is dropped. Every PIN checked is audited.
func (f *Flow) GuardLogin(name, pin string) error {
	f.mu.Lock()
	switch {
	case f.st.Screen != GuardPIN:
		f.mu.Unlock()
		return ErrNotNow
	case f.pinChecking:
		f.mu.Unlock()
		return ErrChecking
	}
	if now := f.clock.Now(); now.Before(f.lockUntil) {
		f.st.Notice, f.st.Until = NoticeLocked, f.lockUntil
		f.commit()
		return fmt.Errorf("%w until %s", ErrLocked, f.lockUntil.Format(time.TimeOnly))
	}
	session := f.guardSession
	f.pinChecking = true
	f.mu.Unlock()

	g, err := f.store.VerifyGuardPIN(context.Background(), name, pin) // argon2id: deliberately slow, outside the lock

	f.mu.Lock()
	f.pinChecking = false
	if f.st.Screen != GuardPIN || f.guardSession != session {
		f.mu.Unlock()
		return ErrNotNow
	}
	now := f.clock.Now()
	switch {
	case err == nil:
		f.pinFails, f.lockUntil = 0, time.Time{}
		v := f.guardVisitorLocked()
		st := State{Seq: f.st.Seq, Screen: GuardMenu, Lang: f.st.Lang, Guard: g.Name, HasVisitor: v != nil,
			Resume: f.resume.Screen, Until: now.Add(f.cfg.GuardTimeout)}
		if v != nil {
			st.Code = v.code
		}
		if f.auditLocked(g.Name, "guard.login", "") {
			f.st = st
		}
	case errors.Is(err, storage.ErrBadPIN) || errors.Is(err, storage.ErrNotFound):
		f.pinFails++
		err = storage.ErrBadPIN // an unknown name gets the same answer
		if !f.auditLocked(name, "guard.login_failed", fmt.Sprintf("failures=%d", f.pinFails)) {
			break
		}
		f.st.Notice, f.st.Until = NoticeWrongPIN, now.Add(f.cfg.GuardTimeout)
		if f.pinFails >= MaxPINFails {
			d := lockFor(f.pinFails)
			f.lockUntil = now.Add(d)
			if f.auditLocked(name, "guard.lockout", fmt.Sprintf("failures=%d locked=%s", f.pinFails, d)) {
				f.st.Notice, f.st.Until = NoticeLocked, f.lockUntil
			}
		}
	default:
		f.log.Error("guard PIN check failed", "err", err)
	}
	f.commit()
	return err
}

// GuardClose leaves the guard screens for what was on screen before.
func (f *Flow) GuardClose() error {
	f.mu.Lock()
	switch f.st.Screen {
	case GuardMenu:
		if !f.auditLocked(f.st.Guard, "guard.logout", "") {
			f.commit()
			return errors.New("the logout could not be audited: the kiosk is out of service")
		}
	case GuardPIN:
	default:
		f.mu.Unlock()
		return ErrNotNow
	}
	f.closeGuardLocked()
	f.commit()
	return nil
}

// closeGuardLocked restores the screen the guard came from. Timed screens
// get their time again; a measurement starts afresh.
func (f *Flow) closeGuardLocked() {
	r := f.resume
	r.Seq = f.st.Seq
	now := f.clock.Now()
	switch r.Screen {
	case Code, Symptoms:
		r.Until = now.Add(f.cfg.InputTimeout)
	case Retest:
		r.Until = now.Add(f.cfg.Rule.RetestPause)
	case Decision:
		r.Until = now.Add(f.cfg.DecisionTime)
	case Measure:
		r.Progress, r.Until = sensor.Progress{}, time.Time{}
	}
	f.st = r
	f.abandonMeasureLocked()
}

// guardVisitorFor checks that the guard menu is open and returns the
// visitor to act for; with needVisitor, one there must be. f.mu is held.
func (f *Flow) guardVisitorFor(needVisitor bool) (*visitor, error) {
	if f.st.Screen != GuardMenu {
		return nil, ErrNotNow
	}
	v := f.guardVisitorLocked()
	if needVisitor && v == nil {
		return nil, ErrNoVisitor
	}
	return v, nil
}

// GuardAdmit admits the current visitor for reason (one of AdmitReasons).
func (f *Flow) GuardAdmit(reason string) error {
	return f.guardDecide(storage.DecisionAdmit, reason, AdmitReasons, true)
}

// GuardDeny denies the current visitor for reason (one of DenyReasons).
func (f *Flow) GuardDeny(reason string) error {
	return f.guardDecide(storage.DecisionDeny, reason, DenyReasons, true)
}

// GuardWalkIn admits a visitor without a booking for reason (one of AdmitReasons).
func (f *Flow) GuardWalkIn(reason string) error {
	return f.guardDecide(storage.DecisionAdmit, reason, AdmitReasons, false)
}

func (f *Flow) guardDecide(decision, reason string, allowed []string, forVisitor bool) error {
	if !slices.Contains(allowed, reason) {
		return fmt.Errorf("reason %q is not one of %v", reason, allowed)
	}
	f.mu.Lock()
	v, err := f.guardVisitorFor(forVisitor)
	if err != nil {
		f.mu.Unlock()
		return err
	}
	var last *reading
	if forVisitor {
		last = v.last
	} else {
		v = &visitor{}
	}
	f.decideForGuardLocked(v, decision, storage.ReasonGuard, last, decideOpts{consumes: true, override: reason})
	f.commit()
	return nil
}

// GuardClinical records a clinical-thermometer reading for the current
// visitor, or a walk-in with nobody at the kiosk; the standards want a
// clinical reading to confirm an elevated skin reading. Above the threshold
// it denies for fever. Otherwise it admits, unless the visitor was refused
// for something a temperature cannot change (symptoms, the booking): then
// the refusal stands, with the reading on record.
func (f *Flow) GuardClinical(c float64) error {
	if !(c >= ClinicalMinC && c <= ClinicalMaxC) { // also refuses NaN
		return fmt.Errorf("clinical reading %.1f °C: want %.1f–%.1f", c, ClinicalMinC, ClinicalMaxC)
	}
	c = math.Round(c*10) / 10
	f.mu.Lock()
	v, err := f.guardVisitorFor(false)
	if err != nil {
		f.mu.Unlock()
		return err
	}
	if v == nil {
		v = &visitor{}
	}
	decision, reason := storage.DecisionAdmit, storage.ReasonOK
	switch {
	case f.cfg.Rule.Fever(TenthsOf(c)):
		decision, reason = storage.DecisionDeny, storage.ReasonFever
	case v.blocked != "":
		decision, reason = storage.DecisionDeny, v.blocked
	}
	f.decideForGuardLocked(v, decision, reason, v.last, decideOpts{consumes: true, clinical: &c})
	f.commit()
	return nil
}

// decideForGuardLocked stores and shows the guard's decision for v. Storage
// audits it in the screening's own transaction. A kiosk the guard found out
// of service goes back out of service after the decision has been shown.
func (f *Flow) decideForGuardLocked(v *visitor, decision, reason string, rd *reading, o decideOpts) {
	o.guard = f.st.Guard
	if f.resume.Screen == OutOfService {
		f.returnOOS = f.resume.OutOfService
	}
	f.v, f.last = v, nil
	f.decideLocked(decision, reason, rd, o)
}

// GuardOutOfService takes the kiosk out of service.
func (f *Flow) GuardOutOfService() error {
	f.mu.Lock()
	if _, err := f.guardVisitorFor(false); err != nil {
		f.mu.Unlock()
		return err
	}
	if f.auditLocked(f.st.Guard, "kiosk.out_of_service", "") {
		f.outOfService(OOSGuard)
	}
	f.commit()
	return nil
}

// GuardBackInService puts the kiosk back on Idle, whatever took it out of
// service (after a storage failure: once the disk is fixed); if the sensor
// or the room is still wrong the next probe says so.
func (f *Flow) GuardBackInService() error {
	f.mu.Lock()
	if _, err := f.guardVisitorFor(false); err != nil {
		f.mu.Unlock()
		return err
	}
	was := f.resume.OutOfService
	f.storageBroken = false // the guard says it is fixed; the audit entry below is the first test
	if !f.auditLocked(f.st.Guard, "kiosk.in_service", "was="+was) {
		f.commit()
		return errors.New("the audit log cannot be written: the kiosk stays out of service")
	}
	f.returnOOS = ""
	f.toIdle()
	f.commit()
	return nil
}

// auditLocked appends to the audit log and reports whether it could. If it
// could not, storage is broken and the kiosk goes out of service.
func (f *Flow) auditLocked(actor, action, detail string) bool {
	if _, err := f.store.Audit(context.Background(), actor, action, detail); err != nil {
		f.log.Error("audit entry not stored", "action", action, "err", err)
		f.storageBroken = true
		f.outOfService(OOSStorage)
		return false
	}
	return true
}
