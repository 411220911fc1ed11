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
// LockBase, doubling with every further wrong PIN up to LockMax.
const (
	MaxPINFails = 5
	LockBase    = 30 * time.Second
	LockMax     = 30 * time.Minute
)

// Clinical thermometer readings a guard may enter.
const (
	ClinicalMinC = 34.0
	ClinicalMaxC = 43.0
)

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
// PIN entry (ErrLocked), longer with every further failure. Every attempt is
// audited.
func (f *Flow) GuardLogin(name, pin string) error {
	f.mu.Lock()
	if f.st.Screen != GuardPIN {
		f.mu.Unlock()
		return ErrNotNow
	}
	if now := f.clock.Now(); now.Before(f.lockUntil) {
		f.st.Notice, f.st.Until = NoticeLocked, f.lockUntil
		f.commit()
		return fmt.Errorf("%w until %s", ErrLocked, f.lockUntil.Format(time.TimeOnly))
	}
	f.mu.Unlock()

	_, err := f.store.VerifyGuardPIN(context.Background(), name, pin) // argon2id: deliberately slow, outside the lock

	f.mu.Lock()
	if f.st.Screen != GuardPIN {
		f.mu.Unlock()
		return ErrNotNow
	}
	now := f.clock.Now()
	switch {
	case err == nil:
		f.pinFails, f.lockUntil = 0, time.Time{}
		hasVisitor := f.v != nil && f.v.code != ""
		f.st = State{Seq: f.st.Seq, Screen: GuardMenu, Lang: f.st.Lang, Guard: name, HasVisitor: hasVisitor,
			Resume: f.resume.Screen, Code: f.resume.Code, Until: now.Add(f.cfg.GuardTimeout)}
		f.auditLocked(name, "guard.login", "")
	case errors.Is(err, storage.ErrBadPIN) || errors.Is(err, storage.ErrNotFound):
		f.pinFails++
		f.st.Notice, f.st.Until = NoticeWrongPIN, now.Add(f.cfg.GuardTimeout)
		f.auditLocked(name, "guard.login_failed", fmt.Sprintf("failures=%d", f.pinFails))
		if f.pinFails >= MaxPINFails {
			d := min(LockMax, LockBase*time.Duration(math.Pow(2, float64(f.pinFails-MaxPINFails))))
			f.lockUntil = now.Add(d)
			f.st.Notice, f.st.Until = NoticeLocked, f.lockUntil
			f.auditLocked(name, "guard.lockout", fmt.Sprintf("failures=%d locked=%s", f.pinFails, d))
		}
		err = storage.ErrBadPIN // an unknown name gets the same answer
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
		f.auditLocked(f.st.Guard, "guard.logout", "")
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

// guardAction checks that the guard menu is open and, if needVisitor, that
// there is a visitor with a code; f.mu is held.
func (f *Flow) guardAction(needVisitor bool) error {
	if f.st.Screen != GuardMenu {
		return ErrNotNow
	}
	if needVisitor && (f.v == nil || f.v.code == "") {
		return ErrNoVisitor
	}
	return nil
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

func (f *Flow) guardDecide(decision, reason string, allowed []string, needVisitor bool) error {
	if !slices.Contains(allowed, reason) {
		return fmt.Errorf("reason %q is not one of %v", reason, allowed)
	}
	f.mu.Lock()
	if err := f.guardAction(needVisitor); err != nil {
		f.mu.Unlock()
		return err
	}
	guard := f.st.Guard
	var last *reading
	if needVisitor {
		last = f.v.last
	} else {
		f.v = &visitor{}
	}
	// Storage audits the decision in the screening's own transaction.
	f.decideLocked(decision, storage.ReasonGuard, last, decideOpts{consumes: true, guard: guard, override: reason})
	f.commit()
	return nil
}

// GuardClinical records a clinical-thermometer reading, which then decides
// by the same threshold: the standards want a clinical reading to confirm an
// elevated skin reading. With no visitor at the kiosk it screens a walk-in.
func (f *Flow) GuardClinical(c float64) error {
	if math.IsNaN(c) || c < ClinicalMinC || c > ClinicalMaxC {
		return fmt.Errorf("clinical reading %.1f °C: want %.1f–%.1f", c, ClinicalMinC, ClinicalMaxC)
	}
	c = math.Round(c*10) / 10
	f.mu.Lock()
	if err := f.guardAction(false); err != nil {
		f.mu.Unlock()
		return err
	}
	guard := f.st.Guard
	if f.v == nil {
		f.v = &visitor{}
	}
	decision, reason := storage.DecisionAdmit, storage.ReasonOK
	if f.cfg.Rule.Fever(TenthsOf(c)) {
		decision, reason = storage.DecisionDeny, storage.ReasonFever
	}
	f.decideLocked(decision, reason, f.v.last, decideOpts{consumes: true, guard: guard, clinical: &c})
	f.commit()
	return nil
}

// GuardOutOfService takes the kiosk out of service.
func (f *Flow) GuardOutOfService() error {
	f.mu.Lock()
	if err := f.guardAction(false); err != nil {
		f.mu.Unlock()
		return err
	}
	f.auditLocked(f.st.Guard, "kiosk.out_of_service", "")
	f.outOfService(OOSGuard)
	f.commit()
	return nil
}

// GuardBackInService puts the kiosk back on Idle, whatever took it out of
// service; if the sensor or the room is still wrong the next probe says so.
func (f *Flow) GuardBackInService() error {
	f.mu.Lock()
	if err := f.guardAction(false); err != nil {
		f.mu.Unlock()
		return err
	}
	f.auditLocked(f.st.Guard, "kiosk.in_service", "was="+f.resume.OutOfService)
	if f.st.Screen == GuardMenu { // the audit write did not fail
		f.toIdle()
	}
	f.commit()
	return nil
}

// auditLocked appends to the audit log; if that fails, storage is broken and
// the kiosk goes out of service.
func (f *Flow) auditLocked(actor, action, detail string) {
	if _, err := f.store.Audit(context.Background(), actor, action, detail); err != nil {
		f.log.Error("audit entry not stored", "action", action, "err", err)
		f.outOfService(OOSStorage)
	}
}
