package kiosk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/thermogate/thermogate/storage"
)

func (r *rig) login() {
	r.t.Helper()
	if err := r.OpenGuard(); err != nil {
		r.t.Fatal(err)
	}
	if err := r.GuardLogin("Ona", "4826"); err != nil {
		r.t.Fatal(err)
	}
	r.want(GuardMenu)
}

func TestGuardOverridesAFeverDenial(t *testing.T) {
	r := newRig(t, func(c *Config) { c.Rule.Retest = false })
	r.visit("AB12CD", 36.51)
	r.outcome(Deny, ReasonFever)
	r.login()
	if st := r.flow.State(); st.HasVisitor || st.Guard != "Ona" || st.Resume != Decided || len(st.Visitors) != 1 ||
		st.Visitors[0].Code != "AB12CD" || st.Visitors[0].Reason != ReasonFever || *st.Visitors[0].Shown != 380 {
		t.Fatalf("guard menu %+v", st)
	}
	if err := r.GuardPick("AB12CD"); err != nil {
		t.Fatal(err)
	}
	if err := r.GuardAdmit("nonsense"); err == nil {
		t.Fatal("a reason outside the list was accepted")
	}
	if err := r.GuardAdmit("clinical_normal"); err != nil {
		t.Fatal(err)
	}
	out := r.outcome(Admit, ReasonGuard)
	rec := r.last()
	if out.Guard != "Ona" || rec.Guard != "Ona" || rec.OverrideReason != "clinical_normal" || rec.Code != "AB12CD" ||
		rec.ShownC == nil || *rec.ShownC != 38.0 {
		t.Fatalf("override record %+v", rec)
	}
	if got := actions(r.store); !slices.Equal(got, []string{"Ona guard.login", "Ona guard.admit"}) {
		t.Fatalf("audit %v", got)
	}
	if d := r.store.AuditLog()[1].Detail; !strings.Contains(d, "code AB12CD") || !strings.Contains(d, "clinical_normal") {
		t.Fatalf("audit detail %q", d)
	}
}

func TestGuardDenyAndClinical(t *testing.T) {
	r := newRig(t, nil)
	r.EnterCode("AB12CD")
	r.login()
	if st := r.flow.State(); len(st.Visitors) != 1 || !st.Visitors[0].OnScreen || st.Visitors[0].Code != "AB12CD" {
		t.Fatalf("the visitor on screen is not listed: %+v", st.Visitors)
	}
	r.GuardPick("AB12CD")
	if err := r.GuardDeny("no_mask"); err != nil {
		t.Fatal(err)
	}
	r.outcome(Deny, ReasonGuard)

	// Each visitor has a booking of their own: the real store marks a
	// decided booking used for good.
	for _, tt := range []struct {
		code     string
		c        float64
		decision Decision
		reason   Reason
	}{{"CL0001", 37.3, Admit, ReasonOK}, {"CL0002", 37.8, Deny, ReasonFever}} {
		r.store.PutBooking(storage.Booking{Code: tt.code, Start: t0, Status: storage.StatusActive})
		r.EnterCode(tt.code)
		r.AnswerSymptoms(false)
		r.login()
		r.GuardPick(tt.code)
		if err := r.GuardClinical(tt.c); err != nil {
			t.Fatal(err)
		}
		r.outcome(tt.decision, tt.reason)
		if rec := r.last(); *rec.ClinicalC != tt.c || *rec.ShownC != tt.c || rec.Guard != "Ona" {
			t.Fatalf("clinical record %+v", rec)
		}
		a := r.store.AuditLog()
		if e := a[len(a)-1]; e.Actor != "Ona" || e.Action != "guard."+string(tt.decision) || !strings.Contains(e.Detail, fmt.Sprintf("clinical %.1f °C", tt.c)) {
			t.Fatalf("audit of a clinical reading: %+v", e)
		}
	}
	r.login()
	if err := r.GuardClinical(45); err == nil {
		t.Fatal("a clinical reading of 45 °C was accepted")
	}
}

func TestGuardWalkIn(t *testing.T) {
	r := newRig(t, nil)
	r.login()
	if st := r.flow.State(); st.HasVisitor {
		t.Fatal("a visitor on an idle kiosk")
	}
	if err := r.GuardAdmit("staff"); !errors.Is(err, ErrNoVisitor) {
		t.Fatalf("admit with nobody there: %v", err)
	}
	if err := r.GuardWalkIn("booking_confirmed"); err != nil {
		t.Fatal(err)
	}
	r.outcome(Admit, ReasonGuard)
	if rec := r.last(); rec.Code != "" || rec.BookingUsed || rec.OverrideReason != "booking_confirmed" {
		t.Fatalf("walk-in record %+v", rec)
	}
	if a := r.store.AuditLog(); a[len(a)-1].Action != "guard.admit" || !strings.Contains(a[len(a)-1].Detail, "walk-in") {
		t.Fatalf("audit %+v", a)
	}
}

func TestGuardPINLockoutGrows(t *testing.T) {
	r := newRig(t, nil)
	r.OpenGuard()
	for i := 1; i < MaxPINFails; i++ {
		if err := r.GuardLogin("Ona", "1111"); !errors.Is(err, storage.ErrBadPIN) {
			t.Fatalf("wrong PIN %d: %v", i, err)
		}
		if st := r.want(GuardPIN); st.Notice != NoticeWrongPIN {
			t.Fatalf("notice %q", st.Notice)
		}
	}
	r.GuardLogin("Nobody", "4826") // an unknown name counts too
	st := r.want(GuardPIN)
	if st.Notice != NoticeLocked || !st.Until.Equal(r.clk.Now().Add(LockBase)) {
		t.Fatalf("after %d failures: notice %q until %v", MaxPINFails, st.Notice, st.Until)
	}
	if err := r.GuardLogin("Ona", "4826"); !errors.Is(err, ErrLocked) {
		t.Fatalf("the right PIN during the lockout: %v", err)
	}
	r.clk.Advance(LockBase)
	r.GuardLogin("Ona", "0000")
	if st := r.flow.State(); !st.Until.Equal(r.clk.Now().Add(2 * LockBase)) {
		t.Fatalf("the sixth failure locks until %v, want twice as long", st.Until)
	}
	r.clk.Advance(2 * LockBase)
	if err := r.GuardLogin("Ona", "4826"); err != nil {
		t.Fatal(err)
	}
	a := actions(r.store)
	if n := strings.Count(strings.Join(a, "\n"), "guard.login_failed"); n != MaxPINFails+1 {
		t.Fatalf("%d failed logins audited, want %d: %v", n, MaxPINFails+1, a)
	}
	if !slices.Contains(a, "Nobody guard.lockout") || a[len(a)-1] != "Ona guard.login" {
		t.Fatalf("audit %v", a)
	}
	// A success resets the count.
	r.GuardClose()
	r.OpenGuard()
	r.GuardLogin("Ona", "1111")
	if st := r.flow.State(); st.Notice != NoticeWrongPIN {
		t.Fatalf("first failure after a success: %q", st.Notice)
	}
}

func TestGuardOutOfServiceAndBack(t *testing.T) {
	r := newRig(t, nil)
	r.login()
	if err := r.GuardOutOfService(); err != nil {
		t.Fatal(err)
	}
	if st := r.want(OutOfService); st.OutOfService != OOSGuard {
		t.Fatalf("cause %q", st.OutOfService)
	}
	r.Probe() // a healthy sensor does not override the guard
	r.want(OutOfService)
	r.login()
	r.GuardBackInService()
	r.want(Idle)
	a := actions(r.store)
	if !slices.Contains(a, "Ona kiosk.out_of_service") || !slices.Contains(a, "Ona kiosk.in_service") {
		t.Fatalf("audit %v", a)
	}
}

func TestGuardInterruptsMeasurementAndReturns(t *testing.T) {
	r := newRig(t, nil)
	r.EnterCode("AB12CD")
	r.AnswerSymptoms(false)
	r.OpenGuard()
	if st := r.want(GuardPIN); st.Resume != Measure {
		t.Fatalf("resume %s", st.Resume)
	}
	if err := r.Measure(context.Background()); err != nil || len(r.store.Screenings()) != 0 {
		t.Fatal("a measurement ran behind the guard's PIN pad")
	}
	r.GuardClose()
	if st := r.want(Measure); st.Code != "AB12CD" {
		t.Fatalf("code %q after the guard closed", st.Code)
	}
	r.measureWith(35.51)
	r.outcome(Admit, ReasonOK)
}

func TestGuardScreensTimeOut(t *testing.T) {
	r := newRig(t, nil)
	r.login()
	r.clk.Advance(DefaultConfig().GuardTimeout)
	r.Tick()
	r.want(Idle)
	if a := actions(r.store); a[len(a)-1] != "Ona guard.logout" {
		t.Fatalf("audit %v", a)
	}
}

func TestAuditFailureStopsTheKiosk(t *testing.T) {
	r := newRig(t, nil)
	r.store.FailAudit(errDiskFull)
	r.OpenGuard()
	r.GuardLogin("Ona", "4826")
	if st := r.want(OutOfService); st.OutOfService != OOSStorage {
		t.Fatalf("cause %q", st.OutOfService)
	}
}

// The PIN pad's state carries the guards' names: the screen never reads
// them from the disk itself.
func TestGuardNames(t *testing.T) {
	r := newRig(t, nil)
	r.OpenGuard()
	if st := r.want(GuardPIN); !slices.Equal(st.Guards, []string{"Ona"}) || st.GuardsErr != "" {
		t.Fatalf("guards %v (%q)", st.Guards, st.GuardsErr)
	}
}
