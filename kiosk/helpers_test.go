package kiosk

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/sensor/mlx90614"
	"github.com/thermogate/thermogate/sensor/mlxsim"
	"github.com/thermogate/thermogate/storage"
)

// memStore is an in-memory Store with failures on demand, for the flow's
// unit tests; `thermogate simulate` and the daemon tests use the bbolt store.
type memStore struct {
	mu         sync.Mutex
	bookings   map[string]storage.Booking
	screenings []storage.Screening
	pins       map[string]string
	audit      []storage.AuditEntry
	failAppend error
	failAudit  error
}

func newMemStore() *memStore {
	return &memStore{bookings: map[string]storage.Booking{}, pins: map[string]string{"Ona": "4826"}}
}

func (m *memStore) Booking(code string) (storage.Booking, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.bookings[code]
	if !ok {
		return storage.Booking{}, storage.ErrNotFound
	}
	return b, nil
}

func (m *memStore) Append(rec *storage.Screening) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failAppend != nil {
		return m.failAppend
	}
	rec.ID = uint64(len(m.screenings) + 1)
	m.screenings = append(m.screenings, *rec)
	if rec.BookingUsed {
		b := m.bookings[rec.Code]
		b.UsedAt = rec.Time
		m.bookings[rec.Code] = b
	}
	return nil
}

func (m *memStore) VerifyGuard(name, pin string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.pins[name]
	if !ok {
		return storage.ErrNotFound
	}
	if p != pin {
		return storage.ErrBadPIN
	}
	return nil
}

func (m *memStore) GuardNames() ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var names []string
	for n := range m.pins {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

func (m *memStore) Audit(actor, action, detail string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failAudit != nil {
		return m.failAudit
	}
	m.audit = append(m.audit, storage.AuditEntry{ID: uint64(len(m.audit) + 1), Actor: actor, Action: action, Detail: detail})
	return nil
}

func (m *memStore) records() []storage.Screening {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.screenings)
}

func (m *memStore) actions() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var a []string
	for _, e := range m.audit {
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

// rig is a flow on the real driver and the simulator, a memStore, and a
// virtual clock: every test runs the code the kiosk runs, in microseconds.
type rig struct {
	t      *testing.T
	clk    *clock.Virtual
	sim    *mlxsim.Sim
	store  *memStore
	flow   *Flow
	states []State
	mu     sync.Mutex
}

func newRig(t *testing.T, mod func(*Config)) *rig {
	t.Helper()
	r := &rig{t: t, clk: clock.NewVirtual(t0), store: newMemStore()}
	r.sim = mlxsim.New(&mlxsim.Opts{Clock: r.clk, Ambient: c(22.01)})
	dev, err := mlx90614.New(r.sim, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sensor.NewSampler(dev, nil, r.clk, nil)
	if err != nil {
		t.Fatal(err)
	}
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
	r.store.bookings["AB12CD"] = storage.Booking{Code: "AB12CD", Start: t0, Minutes: 15, Status: storage.StatusActive}
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

// forehead puts a forehead reading obj in front of the sensor, arriving
// 1 s after now, and measures.
func (r *rig) measureWith(obj float64) {
	r.t.Helper()
	r.sim.Schedule(mlxsim.Visit{Arrive: r.clk.Now().Add(time.Second), Object: c(obj)})
	if err := r.flow.Measure(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	r.sim.Remove()
}

// visit enters the code, answers no to symptoms and measures obj.
func (r *rig) visit(code string, obj float64) State {
	r.t.Helper()
	if err := r.flow.EnterCode(code); err != nil {
		r.t.Fatalf("EnterCode(%q): %v", code, err)
	}
	if err := r.flow.AnswerSymptoms(false); err != nil {
		r.t.Fatalf("AnswerSymptoms: %v", err)
	}
	r.measureWith(obj)
	return r.flow.State()
}

func (r *rig) last() storage.Screening {
	r.t.Helper()
	recs := r.store.records()
	if len(recs) == 0 {
		r.t.Fatal("nothing stored")
	}
	return recs[len(recs)-1]
}

func (r *rig) outcome(decision, reason string) *Outcome {
	r.t.Helper()
	st := r.want(Decision)
	if st.Outcome.Decision != decision || st.Outcome.Reason != reason {
		r.t.Fatalf("outcome %s/%s, want %s/%s", st.Outcome.Decision, st.Outcome.Reason, decision, reason)
	}
	rec := r.last()
	if rec.Decision != decision || rec.Reason != reason || rec.ID != st.Outcome.ScreeningID {
		r.t.Fatalf("stored %s/%s id %d, shown %s/%s id %d", rec.Decision, rec.Reason, rec.ID, decision, reason, st.Outcome.ScreeningID)
	}
	return st.Outcome
}

var errDiskFull = errors.New("write thermogate.db: no space left on device")
