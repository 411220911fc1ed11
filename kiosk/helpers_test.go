package kiosk

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/internal/hw"
	"github.com/thermogate/thermogate/sensor/mlxsim"
	"github.com/thermogate/thermogate/storage"
	"github.com/thermogate/thermogate/storage/storagetest"
)

// actions lists the audit log as "actor action" lines.
func actions(m *storagetest.Store) []string {
	var a []string
	for _, e := range m.AuditLog() {
		a = append(a, e.Actor+" "+e.Action)
	}
	return a
}

// 10:00 in Vilnius on a Tuesday.
var (
	vilnius, _ = time.LoadLocation("Europe/Vilnius")
	t0         = time.Date(2026, 11, 24, 10, 0, 0, 0, vilnius)
)

func c(deg float64) physic.Temperature {
	return physic.ZeroCelsius + physic.Temperature(math.Round(deg*1e9))
}

// rig is a flow on the real driver and the simulator, the real bbolt store
// in t.TempDir() (wrapped to make the disk fail on demand) and a virtual
// clock: every test runs the code the kiosk runs, events applied on the
// test's goroutine.
type rig struct {
	t      testing.TB
	clk    *clock.Virtual
	sim    *mlxsim.Sim
	store  *storagetest.Store
	flow   *Flow
	states []State
	mu     sync.Mutex
}

func newRig(t testing.TB, mod func(*Config)) *rig {
	t.Helper()
	r := &rig{t: t, clk: clock.NewVirtual(t0)}
	r.store = storagetest.Open(t, storage.Options{Vocabulary: Vocabulary(), Location: vilnius, Clock: r.clk})
	r.store.PutGuard("Ona", "4826")
	rg, s, err := hw.Simulated(mlxsim.Opts{Clock: r.clk, Ambient: c(22.01)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.sim = rg.Sim
	cfg := DefaultConfig()
	cfg.Location = vilnius
	if mod != nil {
		mod(&cfg)
	}
	r.flow, err = New(cfg, r.store, s, r.clk, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.flow.Observe(func(s State) {
		r.mu.Lock()
		r.states = append(r.states, s)
		r.mu.Unlock()
	})
	r.store.PutBooking(storage.Booking{Code: "AB12CD", Start: t0, Minutes: 15, Status: storage.StatusActive})
	return r
}

func (r *rig) screen() Screen { return r.flow.State().Screen }

func (r *rig) want(s Screen) State {
	r.t.Helper()
	st := r.flow.State()
	if st.Screen != s {
		r.t.Fatalf("screen %s, want %s (state %+v)", st.Screen, s, st)
	}
	return st
}

// measureWith puts a forehead reading obj in front of the sensor, arriving
// 1 s after now, and measures.
func (r *rig) measureWith(obj float64) {
	r.t.Helper()
	r.sim.Schedule(mlxsim.Visit{Arrive: r.clk.Now().Add(time.Second), Object: c(obj)})
	if err := r.Measure(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	r.sim.Remove()
}

// visit enters the code, answers no to symptoms and measures obj.
func (r *rig) visit(code string, obj float64) State {
	r.t.Helper()
	if err := r.EnterCode(code); err != nil {
		r.t.Fatalf("EnterCode(%q): %v", code, err)
	}
	if err := r.AnswerSymptoms(false); err != nil {
		r.t.Fatalf("AnswerSymptoms: %v", err)
	}
	r.measureWith(obj)
	return r.flow.State()
}

func (r *rig) last() storage.Screening {
	r.t.Helper()
	recs := r.store.Screenings()
	if len(recs) == 0 {
		r.t.Fatal("nothing stored")
	}
	return recs[len(recs)-1]
}

func (r *rig) outcome(decision Decision, reason Reason) *Outcome {
	r.t.Helper()
	st := r.want(Decided)
	if st.Outcome.Decision != decision || st.Outcome.Reason != reason {
		r.t.Fatalf("outcome %s/%s, want %s/%s", st.Outcome.Decision, st.Outcome.Reason, decision, reason)
	}
	rec := r.last()
	if rec.Decision != string(decision) || rec.Reason != string(reason) || rec.ID != st.Outcome.ScreeningID {
		r.t.Fatalf("stored %s/%s id %d, shown %s/%s id %d", rec.Decision, rec.Reason, rec.ID, decision, reason, st.Outcome.ScreeningID)
	}
	return st.Outcome
}

var errDiskFull = errors.New("write thermogate.db: no space left on device")

// The rig's events: each is applied at once, on the test's goroutine, with
// everything it leads to but a measurement (see Measure), and returns the
// flow's refusal, if any.

func (r *rig) do(ev Event) error                 { return r.flow.Do(context.Background(), ev) }
func (r *rig) Start() error                      { return r.do(Start{}) }
func (r *rig) Touch() error                      { return r.do(Touch{}) }
func (r *rig) SetLang(l Lang) error              { return r.do(SetLang{Lang: l}) }
func (r *rig) Cancel() error                     { return r.do(Cancel{}) }
func (r *rig) EnterCode(raw string) error        { return r.do(EnterCode{Raw: raw}) }
func (r *rig) AnswerSymptoms(yes bool) error     { return r.do(AnswerSymptoms{Yes: yes}) }
func (r *rig) ConfirmSymptoms() error            { return r.do(ConfirmSymptoms{}) }
func (r *rig) ChangeAnswer() error               { return r.do(ChangeAnswer{}) }
func (r *rig) Done() error                       { return r.do(Done{}) }
func (r *rig) OpenGuard() error                  { return r.do(OpenGuard{}) }
func (r *rig) GuardLogin(name, pin string) error { return r.do(GuardLogin{Name: name, PIN: pin}) }
func (r *rig) GuardClose() error                 { return r.do(GuardClose{}) }
func (r *rig) GuardPick(code string) error       { return r.do(GuardPick{Code: code}) }
func (r *rig) GuardAdmit(reason string) error    { return r.do(GuardAdmit{Reason: reason}) }
func (r *rig) GuardDeny(reason string) error     { return r.do(GuardDeny{Reason: reason}) }
func (r *rig) GuardWalkIn(reason string) error   { return r.do(GuardWalkIn{Reason: reason}) }
func (r *rig) GuardClinical(c float64) error     { return r.do(GuardClinical{C: c}) }
func (r *rig) GuardOutOfService() error          { return r.do(GuardOutOfService{}) }
func (r *rig) GuardBackInService() error         { return r.do(GuardBackInService{}) }
func (r *rig) Tick() error                       { return r.do(Tick{}) }
func (r *rig) Probe() error                      { return r.do(ProbeDue{}) }

// Measure takes the reading the flow waits for, as the sensor gives it now.
func (r *rig) Measure(ctx context.Context) error { return r.flow.Measure(ctx) }

// effect returns the first effect of type T in effs.
func effect[T Effect](effs []Effect) (T, bool) {
	for _, e := range effs {
		if x, ok := e.(T); ok {
			return x, true
		}
	}
	var zero T
	return zero, false
}

// refusal is the error of the first Refused in effs, or nil.
func refusal(effs []Effect) error {
	if r, ok := effect[Refused](effs); ok {
		return r.Err
	}
	return nil
}

// screenWaiter observes flow and returns a wait for the next state it
// publishes on screen s, failing after 10 s with more() (if given) in the
// message. Call it before Run, so that no state is missed.
func screenWaiter(t *testing.T, flow *Flow, more func() string) func(s Screen) State {
	states := make(chan State, 1000)
	flow.Observe(func(s State) { states <- s })
	return func(s Screen) State {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case st := <-states:
				if st.Screen == s {
					return st
				}
			case <-deadline:
				extra := ""
				if more != nil {
					extra = "\n" + more()
				}
				t.Fatalf("no %s screen within 10 s; now %+v%s", s, flow.State(), extra)
			}
		}
	}
}
