package kiosk

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/thermogate/thermogate/storage"
)

// The defect: a fever visitor waits for the guard, someone else types a
// code, and the guard's decision landed on the one who typed last.
func TestGuardPicksTheVisitorExplicitly(t *testing.T) {
	r := newRig(t, func(c *Config) { c.Rule.Retest = false })
	r.store.PutBooking(storage.Booking{Code: "EF34GH", Start: t0, Minutes: 15, Status: storage.StatusActive})
	r.visit("AB12CD", 36.51) // fever: denied, waits for the guard
	r.outcome(Deny, ReasonFever)
	r.clk.Advance(DefaultConfig().DenyTime)
	r.Tick()
	r.EnterCode("EF34GH") // the next visitor, still on Symptoms
	r.login()
	st := r.flow.State()
	if st.HasVisitor || st.Code != "" {
		t.Fatalf("a visitor picked for the guard: %q", st.Code)
	}
	if len(st.Visitors) != 2 || st.Visitors[0].Code != "EF34GH" || !st.Visitors[0].OnScreen ||
		st.Visitors[1].Code != "AB12CD" || st.Visitors[1].Reason != ReasonFever || st.Visitors[1].Shown == nil {
		t.Fatalf("guard's list %+v", st.Visitors)
	}
	if err := r.GuardAdmit("clinical_normal"); !errors.Is(err, ErrNoVisitor) {
		t.Fatalf("admit with nobody picked: %v", err)
	}
	if err := r.GuardPick("ZZ9999"); !errors.Is(err, ErrNoVisitor) {
		t.Fatalf("picked a code not on the list: %v", err)
	}
	if err := r.GuardPick("AB12CD"); err != nil {
		t.Fatal(err)
	}
	if err := r.GuardClinical(36.8); err != nil {
		t.Fatal(err)
	}
	out := r.outcome(Admit, ReasonOK)
	if rec := r.last(); rec.Code != "AB12CD" || *rec.ClinicalC != 36.8 {
		t.Fatalf("the clinical reading was stored for %q", rec.Code)
	}

	// A later clinical reading of 37.8 does not silently turn the admit
	// into a denial: it must name the decision it replaces.
	r.login()
	st = r.flow.State()
	if len(st.Visitors) != 1 || st.Visitors[0].Code != "AB12CD" || st.Visitors[0].Guard == nil ||
		st.Visitors[0].Guard.Decision != Admit || st.Visitors[0].Replaces != out.ScreeningID {
		t.Fatalf("guard's list after the admit %+v", st.Visitors)
	}
	r.GuardPick("AB12CD")
	n := len(r.store.Screenings())
	if err := r.GuardClinical(37.8); !errors.Is(err, ErrReplaces) {
		t.Fatalf("a second decision without confirming: %v", err)
	}
	if len(r.store.Screenings()) != n {
		t.Fatal("an unconfirmed replacement was stored")
	}
	if err := r.do(GuardClinical{C: 37.8, Replaces: out.ScreeningID + 100}); !errors.Is(err, ErrReplaces) {
		t.Fatalf("a replacement naming another decision: %v", err)
	}
	if err := r.do(GuardClinical{C: 37.8, Replaces: out.ScreeningID}); err != nil {
		t.Fatal(err)
	}
	r.outcome(Deny, ReasonFever)
	if rec := r.last(); rec.Code != "AB12CD" || rec.Guard != "Ona" {
		t.Fatalf("replacement record %+v", rec)
	}
	a := r.store.AuditLog()
	var replace *storage.AuditEntry
	for i := range a {
		if a[i].Action == "guard.replace" {
			replace = &a[i]
		}
	}
	if replace == nil || replace.Actor != "Ona" || !strings.Contains(replace.Detail, "code AB12CD") ||
		!strings.Contains(replace.Detail, "replaces screening") || !strings.Contains(replace.Detail, "admit") {
		t.Fatalf("the replacement is not audited with what it replaces: %+v", replace)
	}
}

// The list as a table of pure steps: who is on it, and for how long.
func TestGuardListStep(t *testing.T) {
	r := newRig(t, func(c *Config) { c.Rule.Retest = false })
	r.visit("AB12CD", 36.51)
	r.outcome(Deny, ReasonFever)
	at := r.clk.Now()
	r.clk.Advance(DefaultConfig().DenyTime)
	r.Tick()
	r.want(Idle)
	m := r.flow.m
	for _, tt := range []struct {
		name  string
		after int // minutes after the denial
		want  []string
	}{
		{"at once", 0, []string{"AB12CD"}},
		{"nine minutes on", 9, []string{"AB12CD"}},
		{"past GuardRecall", 11, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &stepper{m: m, at: at.Add(time.Duration(tt.after) * time.Minute)}
			var got []string
			for _, v := range s.guardList() {
				got = append(got, v.Code)
				if v.Minutes != tt.after {
					t.Fatalf("minutes ago %d, want %d", v.Minutes, tt.after)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("list %v, want %v", got, tt.want)
			}
		})
	}
	// A kiosk admit for the same code later takes the visitor off the list.
	s := &stepper{m: m, at: at}
	s.m.v = visitor{here: true, code: "AB12CD"}
	s.remember(Outcome{Decision: Admit, Reason: ReasonOK})
	if l := s.guardList(); len(l) != 1 || !l[0].OnScreen {
		t.Fatalf("after a kiosk admit the list is %+v", l)
	}
}

// A denial stays longer than an admit (ui.deny_time): time to note the
// phone number; Done ends either at once.
func TestDenialStaysLongerAndDoneEndsIt(t *testing.T) {
	cfg := DefaultConfig()
	r := newRig(t, func(c *Config) { c.Rule.Retest = false })
	r.visit("AB12CD", 36.51) // fever
	r.outcome(Deny, ReasonFever)
	r.clk.Advance(cfg.DecisionTime)
	r.Tick()
	r.want(Decided) // an admit would be gone by now
	r.clk.Advance(cfg.DenyTime - cfg.DecisionTime)
	r.Tick()
	r.want(Idle)
	if err := r.Done(); !errors.Is(err, ErrNotNow) {
		t.Fatalf("Done on Idle: %v", err)
	}

	r.store.PutBooking(storage.Booking{Code: "EF34GH", Start: t0, Minutes: 15, Status: storage.StatusActive})
	r.visit("EF34GH", 35.51)
	st := r.want(Decided)
	if want := r.clk.Now().Add(cfg.DecisionTime); !st.Until.Equal(want) {
		t.Fatalf("an admit until %v, want %v", st.Until, want)
	}
	if err := r.Done(); err != nil {
		t.Fatal(err)
	}
	r.want(Idle)
}
