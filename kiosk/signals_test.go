package kiosk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/thermogate/thermogate/sensor/mlxsim"
	"github.com/thermogate/thermogate/storage"
)

// TestStoredDecisionSignals: for every decision and reason, the stored
// decision is announced with its own tone and sentence; the door opens for
// an ADMIT only, and only when it was stored and the kiosk is in service;
// everything else calls the guard's lamp.
func TestStoredDecisionSignals(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Location = vilnius
	for _, d := range Decisions {
		for _, r := range Reasons {
			for _, c := range []struct {
				name     string
				err      error
				thenOOS  string
				returnOS string
			}{
				{name: "stored"},
				{name: "store failed", err: errDiskFull},
				{name: "then out of service", thenOOS: OOSSensor},
				{name: "guard on an out-of-service kiosk", returnOS: OOSGuard},
			} {
				t.Run(fmt.Sprintf("%s/%s/%s", d, r, c.name), func(t *testing.T) {
					m := newMachine(&cfg, t0)
					m.v = visitor{here: true, code: "AB12CD"}
					m.view = State{Screen: Measure, Lang: PL, Code: "AB12CD"}
					m.busy, m.returnOOS = "store", c.returnOS
					m.pending = &pending{at: t0, out: Outcome{Decision: d, Reason: r}, thenOOS: c.thenOOS}
					_, effs := step(m, t0, Stored{ID: 7, Err: c.err})

					wantD, wantR := d, r
					if c.err != nil {
						wantD, wantR = Refer, ReasonStorage
					}
					snd, ok := effect[Sound](effs)
					if !ok || snd.Lang != PL || len(snd.Cues) != 0 || snd.Decision != wantD || snd.Reason != wantR {
						t.Fatalf("sound %v (%v), want %s/%s in pl", snd, ok, wantD, wantR)
					}
					door, opened := effect[OpenDoor](effs)
					wantOpen := d == Admit && c.err == nil && c.thenOOS == "" && c.returnOS == ""
					if opened != wantOpen || opened && door.ScreeningID != 7 {
						t.Fatalf("door %+v opened=%v, want %v", door, opened, wantOpen)
					}
					call, called := effect[CallGuard](effs)
					if called != (wantD != Admit) || called && call.Decision != wantD {
						t.Fatalf("guard call %+v (%v) for %s", call, called, wantD)
					}
					n := 0
					for _, e := range effs {
						if _, ok := e.(Sound); ok {
							n++
						}
					}
					if n != 1 {
						t.Fatalf("%d sound requests, want one (a second replaces the first): %v", n, effs)
					}
				})
			}
		}
	}
}

// TestNoDoorWithoutAStoredAdmit: no event but a Stored answer to a pending
// ADMIT ever opens the door, whatever the state.
func TestNoDoorWithoutAStoredAdmit(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Location = vilnius
	events := []Event{Start{}, Touch{}, Cancel{}, EnterCode{Raw: "AB12CD"}, AnswerSymptoms{Yes: false},
		OpenGuard{}, GuardClose{}, GuardAdmit{Reason: "staff"}, GuardWalkIn{Reason: "staff"}, GuardClinical{C: 36.6},
		GuardOutOfService{}, GuardBackInService{}, Tick{}, ProbeDue{}, Measured{ID: 1},
		Stored{ID: 3}, Audited{Action: "guard.login", Then: guardIn{Guard: "Ona"}}, backInService{}}
	for _, sc := range []Screen{Idle, Code, Symptoms, Measure, Retest, Decided, GuardPIN, GuardMenu, OutOfService} {
		for _, ev := range events {
			m := newMachine(&cfg, t0)
			m.view.Screen = sc
			m.view.Until = t0
			if sc == GuardMenu {
				m.view.Guard = "Ona"
			}
			if _, isStored := ev.(Stored); isStored {
				m.busy = "store"
				m.pending = &pending{out: Outcome{Decision: Deny, Reason: ReasonFever}}
			}
			_, effs := step(m, t0.Add(GuardRecall), ev)
			if d, ok := effect[OpenDoor](effs); ok {
				t.Errorf("%s on %s opened the door: %+v", fmt.Sprintf("%T", ev), sc, d)
			}
		}
	}
}

// outRec records what the flow asked of its outputs.
type outRec struct {
	mu      sync.Mutex
	calls   []string
	opens   int
	lampErr error
}

func (o *outRec) add(s string) {
	o.mu.Lock()
	o.calls = append(o.calls, s)
	o.mu.Unlock()
}

func (o *outRec) Play(s Sound) {
	o.add(fmt.Sprintf("play %s %v", s.Lang, s))
}

func (o *outRec) OpenDoor(context.Context) error {
	o.mu.Lock()
	o.opens++
	o.mu.Unlock()
	o.add("door")
	return nil
}

func (o *outRec) CallGuard(d Decision) error { o.add("guard " + string(d)); return o.lampErr }
func (o *outRec) GuardCame() error           { o.add("guard came"); return o.lampErr }
func (o *outRec) OutOfService(on bool) error { o.add(fmt.Sprint("service ", on)); return o.lampErr }
func (o *outRec) Health() error              { return o.lampErr }

func (o *outRec) has(s string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Contains(o.calls, s)
}

func (o *outRec) reset() {
	o.mu.Lock()
	o.calls, o.opens = nil, 0
	o.mu.Unlock()
}

// TestSignalsThroughAScreening follows visitors through the real flow: what
// is played, when the door opens (once per stored ADMIT, never otherwise)
// and what the lamps do, in every kind of ending.
func TestSignalsThroughAScreening(t *testing.T) {
	type check struct {
		opens int
		calls []string // each must have been made
		never []string // none of these may have been
	}
	for _, c := range []struct {
		name string
		run  func(*rig)
		want check
	}{
		{"admit", func(r *rig) { r.visit("AB12CD", 35.51) }, check{opens: 1,
			calls: []string{"play lt [tone.code]", "play lt [forehead]", "play lt [tone.reading admit/ok]", "door"},
			never: []string{"guard admit"}}},
		{"fever", func(r *rig) {
			r.visit("AB12CD", 36.51)
			r.clk.Advance(DefaultRule.RetestPause)
			r.Tick()
			r.measureWith(36.31)
		}, check{
			calls: []string{"play lt [tone.reading measure_again]", "play lt [tone.reading deny/fever]", "guard deny"}}},
		{"symptoms", func(r *rig) { r.EnterCode("AB12CD"); r.AnswerSymptoms(true); r.ConfirmSymptoms() }, check{
			calls: []string{"play lt [deny/symptoms]", "guard deny"}}},
		{"unknown code", func(r *rig) { // a typo twice, then the guard
			for i := range MaxUnknownCodes {
				r.EnterCode(fmt.Sprint("ZZ99ZZ", i))
			}
		}, check{calls: []string{"play lt [refer/unknown_code]", "guard refer"}, never: []string{"play lt [tone.code]"}}},
		{"no reading", func(r *rig) {
			r.EnterCode("AB12CD")
			r.AnswerSymptoms(false)
			for range DefaultConfig().Rule.MaxAttempts {
				r.Measure(context.Background()) // nobody in front of the sensor
			}
		}, check{calls: []string{"play lt [forehead]", "play lt [refer/no_reading]", "guard refer"}}},
		{"sensor fault", func(r *rig) {
			r.EnterCode("AB12CD")
			r.AnswerSymptoms(false)
			r.sim.SetFault(mlxsim.NACK)
			r.Measure(context.Background())
		}, check{calls: []string{"play lt [refer/sensor_fault]", "guard refer", "service true"}}},
		{"store failed on an admit", func(r *rig) {
			r.store.FailAppend(errDiskFull)
			r.visit("AB12CD", 35.51)
		}, check{calls: []string{"play lt [refer/storage]", "guard refer", "service true"}}},
		{"guard admits a fever", func(r *rig) {
			r.visit("AB12CD", 36.51)
			r.clk.Advance(DefaultRule.RetestPause)
			r.Tick()
			r.measureWith(36.31)
			r.login()
			r.GuardPick("AB12CD")
			r.GuardAdmit("clinical_normal")
		}, check{opens: 1, calls: []string{"guard came", "play lt [admit/guard]", "door"}, never: []string{"play lt [tone.reading admit/ok]"}}},
		{"guard denies", func(r *rig) {
			r.EnterCode("AB12CD")
			r.login()
			r.GuardPick("AB12CD")
			r.GuardDeny("no_mask")
		}, check{calls: []string{"guard came", "play lt [deny/guard]"}}},
		{"guard walk-in", func(r *rig) { r.login(); r.GuardWalkIn("staff") }, check{opens: 1}},
		{"guard clinical admit", func(r *rig) { r.login(); r.GuardClinical(36.6) }, check{opens: 1}},
		{"guard clinical fever", func(r *rig) { r.login(); r.GuardClinical(38.1) }, check{calls: []string{"guard deny"}}},
		{"walk-in while out of service", func(r *rig) {
			r.login()
			r.GuardOutOfService()
			r.login()
			r.GuardWalkIn("staff")
			r.clk.Advance(DefaultConfig().DecisionTime)
			r.Tick()
		}, check{calls: []string{"service true", "play lt [admit/guard]"}, never: []string{"service false"}}},
		{"back in service", func(r *rig) {
			r.login()
			r.GuardOutOfService()
			r.login()
			r.GuardBackInService()
			r.visit("AB12CD", 35.51)
		}, check{opens: 1, calls: []string{"service true", "service false"}}},
		{"unstable", func(r *rig) {
			r.EnterCode("AB12CD")
			r.AnswerSymptoms(false)
			r.sim.SetNoise(c(1) - c(0))
			r.measureWith(35.51)
		}, check{calls: []string{"play lt [hold_still]"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, nil)
			o := &outRec{}
			r.flow.SetOutputs(o)
			if !o.has("service false") {
				t.Fatalf("the service lamp was not set at start: %v", o.calls)
			}
			o.reset()
			c.run(r)
			o.mu.Lock()
			defer o.mu.Unlock()
			if o.opens != c.want.opens {
				t.Errorf("door opened %d times, want %d: %v", o.opens, c.want.opens, o.calls)
			}
			for _, w := range c.want.calls {
				if !slices.Contains(o.calls, w) {
					t.Errorf("no %q in %v", w, o.calls)
				}
			}
			for _, w := range c.want.never {
				if slices.Contains(o.calls, w) {
					t.Errorf("%q in %v", w, o.calls)
				}
			}
		})
	}
}

// TestFailingOutputsChangeNoScreening: outputs that fail are logged and
// shown to the guard; the visitor's decision and record are the same.
func TestFailingOutputsChangeNoScreening(t *testing.T) {
	var got [2][]storage.Screening
	for i, o := range []*outRec{{}, {lampErr: errors.New("gpio: /dev/gpiomem: permission denied")}} {
		r := newRig(t, nil)
		r.flow.SetOutputs(o)
		r.visit("AB12CD", 35.51)
		r.outcome(Admit, ReasonOK)
		for i := range MaxUnknownCodes {
			r.EnterCode(fmt.Sprint("ZZ99ZZ", i))
		}
		r.outcome(Refer, ReasonUnknownCode)
		r.login()
		st := r.want(GuardMenu)
		if o.lampErr != nil && !strings.Contains(st.Signals, "permission denied") {
			t.Fatalf("the guard menu does not show the failing output: %q", st.Signals)
		}
		if o.lampErr == nil && st.Signals != "" {
			t.Fatalf("signals %q with every output working", st.Signals)
		}
		got[i] = r.store.Screenings()
	}
	if len(got[0]) != len(got[1]) {
		t.Fatalf("%d screenings with working outputs, %d with failing ones", len(got[0]), len(got[1]))
	}
	for i := range got[0] {
		a, b := got[0][i], got[1][i]
		if a.Decision != b.Decision || a.Reason != b.Reason || fmt.Sprint(a.ShownC != nil) != fmt.Sprint(b.ShownC != nil) ||
			a.ShownC != nil && *a.ShownC != *b.ShownC {
			t.Fatalf("screening %d: %s/%s with working outputs, %s/%s with failing ones", i, a.Decision, a.Reason, b.Decision, b.Reason)
		}
	}
}
