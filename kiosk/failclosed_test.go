package kiosk

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/sensor/mlx90614"
	"github.com/thermogate/thermogate/sensor/mlxsim"
	"github.com/thermogate/thermogate/storage"
	"github.com/thermogate/thermogate/storage/storagetest"
)

// These tests pin down that the kiosk fails closed: whatever goes wrong, it
// never admits because of it, never shows what it did not store, and never
// quietly comes back into service.

func TestLockoutNeverOverflows(t *testing.T) {
	prev := time.Duration(0)
	for fails := MaxPINFails; fails < 500; fails++ {
		d := lockFor(fails)
		if d < LockBase || d > LockMax || d < prev {
			t.Fatalf("lockFor(%d) = %v after %v", fails, d, prev)
		}
		prev = d
	}
	r := newRig(t, nil)
	for range 100 { // a weekend of guessing, each try as soon as the lock lifts
		r.clk.Set(r.flow.m.lockUntil)
		if r.flow.State().Screen != GuardPIN {
			r.OpenGuard()
		}
		if err := r.GuardLogin("Ona", "1111"); !errors.Is(err, storage.ErrBadPIN) {
			t.Fatalf("a wrong PIN after the lock lifted: %v", err)
		}
	}
	if err := r.GuardLogin("Ona", "4826"); !errors.Is(err, ErrLocked) {
		t.Fatalf("the right PIN right after the 100th wrong one: %v, want ErrLocked", err)
	}
}

// A PIN check takes a while (argon2id): one at a time, and an answer that
// comes after the pad closed must not open the menu on a new pad.
func TestOnePINCheckAtATimeAndStaleAnswersDropped(t *testing.T) {
	r := newRig(t, nil)
	r.OpenGuard()
	m, at := r.flow.m, r.clk.Now()
	m, effs := step(m, at, GuardLogin{Name: "Ona", PIN: "4826"})
	check, ok := effect[CheckPIN](effs)
	if !ok || check.Name != "Ona" || check.PIN != "4826" || !m.view.Checking {
		t.Fatalf("GuardLogin: effects %v, checking %v", effs, m.view.Checking)
	}
	m, effs = step(m, at, GuardLogin{Name: "Ona", PIN: "4826"})
	if err := refusal(effs); !errors.Is(err, ErrChecking) {
		t.Fatalf("a second PIN while the first is checked: %v, want ErrChecking", err)
	}
	if _, again := effect[CheckPIN](effs); again {
		t.Fatal("a second PIN check started while the first runs")
	}
	// The guard gives up and someone else opens the pad: the old answer,
	// although right, must not open the menu on the new pad.
	m, _ = step(m, at, GuardClose{})
	m, _ = step(m, at, OpenGuard{})
	m, effs = step(m, at, PINChecked{Session: check.Session, Name: "Ona", Guard: "Ona"})
	if err := refusal(effs); !errors.Is(err, ErrNotNow) {
		t.Fatalf("the stale answer: %v, want ErrNotNow", err)
	}
	if m.view.Screen != GuardPIN || m.pinChecking {
		t.Fatalf("a stale PIN check opened %s (checking %v)", m.view.Screen, m.pinChecking)
	}
	if _, audited := effect[WriteAudit](effs); audited {
		t.Fatal("a stale PIN check was audited as a login")
	}
}

func TestObserveWhileStatesChange(t *testing.T) {
	r := newRig(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error)
	go func() { ran <- r.flow.Run(ctx, RunOpts{}) }()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				switch {
				case i%2 == 0:
					r.flow.SetLang(Languages[j%4])
				case j%20 == 0:
					// An observer that queues an event must not deadlock either.
					r.flow.Observe(func(State) { r.flow.Touch() })
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Observe and state changes deadlocked")
	}
	cancel()
	<-ran
}

func TestGuardDecisionOnAnOutOfServiceKioskDoesNotReopenIt(t *testing.T) {
	for _, act := range []struct {
		name string
		do   func(*rig) error
	}{
		{"walk-in", func(r *rig) error { return r.GuardWalkIn("staff") }},
		{"clinical", func(r *rig) error { return r.GuardClinical(36.6) }},
	} {
		t.Run(act.name, func(t *testing.T) {
			r := newRig(t, nil)
			r.login()
			r.GuardOutOfService()
			r.login()
			if err := act.do(r); err != nil {
				t.Fatal(err)
			}
			r.outcome(Admit, Reason(r.last().Reason))
			r.clk.Advance(DefaultConfig().DecisionTime)
			r.Tick()
			if st := r.want(OutOfService); st.OutOfService != OOSGuard {
				t.Fatalf("back out of service for %q", st.OutOfService)
			}
			r.Probe()
			r.want(OutOfService)
		})
	}
}

func TestClinicalReadingCannotLiftANonTemperatureDenial(t *testing.T) {
	for _, tt := range []struct {
		name  string
		visit func(*rig)
		want  Reason
	}{
		{"symptoms", func(r *rig) { r.EnterCode("AB12CD"); r.AnswerSymptoms(true); r.ConfirmSymptoms() }, ReasonSymptoms},
		{"unknown code", func(r *rig) {
			for range MaxUnknownCodes {
				r.EnterCode("ZZ9999")
			}
		}, ReasonUnknownCode},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			tt.visit(r)
			r.login()
			if err := r.GuardPick(r.flow.State().Visitors[0].Code); err != nil {
				t.Fatal(err)
			}
			if err := r.GuardClinical(36.6); err != nil {
				t.Fatal(err)
			}
			r.outcome(Deny, tt.want)
			if rec := r.last(); rec.ClinicalC == nil || *rec.ClinicalC != 36.6 || rec.Guard != "Ona" {
				t.Fatalf("record %+v", rec)
			}
		})
	}
	// After a fever reading, a normal clinical reading does admit.
	r := newRig(t, func(c *Config) { c.Rule.Retest = false })
	r.visit("AB12CD", 36.51)
	r.login()
	r.GuardPick("AB12CD")
	r.GuardClinical(36.8)
	r.outcome(Admit, ReasonOK)
}

func TestBrokenStorageIsNeverOverwritten(t *testing.T) {
	// A failed audit on logout: out of service, and the guard is told.
	r := newRig(t, nil)
	r.login()
	r.store.FailAudit(errDiskFull)
	if err := r.GuardClose(); err == nil {
		t.Fatal("a logout that was not audited reported success")
	}
	if st := r.want(OutOfService); st.OutOfService != OOSStorage {
		t.Fatalf("cause %q", st.OutOfService)
	}
	// A guard who takes it out of service again does not hide the cause.
	r.store.FailAudit(nil)
	r.login()
	r.GuardOutOfService()
	if st := r.want(OutOfService); st.OutOfService != OOSStorage {
		t.Fatalf("guard's out-of-service replaced storage: %q", st.OutOfService)
	}
	// Back in service fails loudly when the audit log still cannot be written.
	r.login()
	r.store.FailAudit(errDiskFull)
	if err := r.GuardBackInService(); err == nil {
		t.Fatal("back in service without an audit entry reported success")
	}
	r.want(OutOfService)

	// A sensor fault after a storage failure does not turn it into a sensor
	// cause, which would heal by itself.
	r = newRig(t, nil)
	r.EnterCode("AB12CD")
	r.AnswerSymptoms(false)
	r.store.FailAppend(errDiskFull)
	r.sim.SetFault(mlxsim.NACK)
	r.Measure(context.Background())
	r.sim.SetFault(mlxsim.None)
	r.store.FailAppend(nil)
	r.Probe()
	if st := r.want(OutOfService); st.OutOfService != OOSStorage {
		t.Fatalf("cause %q after a probe", st.OutOfService)
	}
}

func TestTickNeverLeavesADueDeadline(t *testing.T) {
	r := newRig(t, nil)
	r.flow.m.view = State{Screen: OutOfService, OutOfService: OOSGuard, Until: t0.Add(-time.Second)}
	r.Tick()
	if d := r.flow.NextDeadline(); !d.IsZero() {
		t.Fatalf("deadline %v still due: Run would spin", d)
	}
}

func TestGuardCanStillActForAReferredVisitor(t *testing.T) {
	r := newRig(t, nil)
	r.EnterCode("AB12CD")
	r.AnswerSymptoms(false)
	for range 3 {
		r.Measure(context.Background()) // nobody comes forward
	}
	r.outcome(Refer, ReasonNoReading)
	r.clk.Advance(5 * time.Minute) // the guard comes a while later
	r.Tick()
	r.want(Idle)
	r.login()
	if st := r.flow.State(); len(st.Visitors) != 1 || st.Visitors[0].Code != "AB12CD" || st.Visitors[0].Reason != ReasonNoReading ||
		st.Visitors[0].Minutes != 5 || st.HasVisitor {
		t.Fatalf("guard menu %+v: the referred visitor is gone, or picked for the guard", st)
	}
	if err := r.GuardPick("AB12CD"); err != nil {
		t.Fatal(err)
	}
	if err := r.GuardAdmit("clinical_normal"); err != nil {
		t.Fatal(err)
	}
	if rec := r.last(); rec.Code != "AB12CD" || !rec.BookingUsed {
		t.Fatalf("record %+v", rec)
	}
	// GuardRecall after the visitor left the screen, there is nobody.
	r.clk.Advance(DefaultConfig().DecisionTime)
	r.Tick()
	r.want(Idle)
	r.clk.Advance(GuardRecall + time.Minute)
	r.login()
	if st := r.flow.State(); len(st.Visitors) != 0 {
		t.Fatalf("visitors %+v recalled after GuardRecall", st.Visitors)
	}
	if err := r.GuardPick("AB12CD"); !errors.Is(err, ErrNoVisitor) {
		t.Fatalf("picked a visitor gone for GuardRecall: %v", err)
	}
}

func TestGuardIsRecordedUnderTheStoredName(t *testing.T) {
	r := newRig(t, nil)
	r.EnterCode("AB12CD")
	r.OpenGuard()
	if err := r.GuardLogin("ona", "4826"); err != nil {
		t.Fatal(err)
	}
	r.GuardPick("AB12CD")
	r.GuardDeny("no_mask")
	if rec := r.last(); rec.Guard != "Ona" {
		t.Fatalf("guard recorded as %q, stored as Ona", rec.Guard)
	}
}

func TestRetestHasItsOwnAttemptsAndAFaultInItDenies(t *testing.T) {
	r := newRig(t, nil)
	r.EnterCode("AB12CD")
	r.AnswerSymptoms(false)
	r.measureWith(31.01) // too cold
	r.measureWith(31.01) // too cold: two of three used
	r.measureWith(36.51) // fever: retest
	r.want(Retest)
	r.clk.Advance(time.Minute)
	r.Tick()
	if st := r.want(Measure); st.Attempt != 1 {
		t.Fatalf("the retest starts at attempt %d", st.Attempt)
	}
	r.measureWith(31.01)
	r.measureWith(31.01)
	if st := r.want(Measure); st.Attempt != 3 {
		t.Fatalf("attempt %d", st.Attempt)
	}
	r.sim.SetFault(mlxsim.Absent) // the sensor dies during the retest
	r.Measure(context.Background())
	st := r.want(OutOfService)
	if rec := r.last(); rec.Decision != string(Deny) || rec.Reason != string(ReasonFever) || !rec.BookingUsed || st.OutOfService != OOSSensor {
		t.Fatalf("stored %s/%s used=%v, kiosk %s", rec.Decision, rec.Reason, rec.BookingUsed, st.OutOfService)
	}
}

func TestAStillForeheadIsAskedToStepBackNotCalledAFault(t *testing.T) {
	r := newRig(t, nil)
	r.EnterCode("AB12CD")
	r.AnswerSymptoms(false)
	r.sim.Present(c(35.51)) // there before the measurement
	r.clk.Advance(time.Second)
	r.sim.SetFault(mlxsim.Stuck) // the same words over and over, once
	r.Measure(context.Background())
	if st := r.want(Measure); st.Notice != NoticeStepBack || st.Attempt != 2 {
		t.Fatalf("notice %q attempt %d", st.Notice, st.Attempt)
	}
	r.sim.SetFault(mlxsim.None)
	r.sim.Remove()
	r.measureWith(35.51) // steps back and comes again
	r.outcome(Admit, ReasonOK)

	// A sensor that really is stuck runs out of attempts: a fault.
	r = newRig(t, nil)
	r.EnterCode("AB12CD")
	r.AnswerSymptoms(false)
	r.sim.Present(c(35.51))
	r.clk.Advance(time.Second)
	r.sim.SetFault(mlxsim.Stuck)
	for range DefaultRule.MaxAttempts {
		r.Measure(context.Background())
	}
	if st := r.want(OutOfService); st.OutOfService != OOSSensor {
		t.Fatalf("cause %q", st.OutOfService)
	}
	if rec := r.last(); rec.Reason != string(ReasonSensorFault) {
		t.Fatalf("stored %s", rec.Reason)
	}
}

func TestHotRoomStoresTheReading(t *testing.T) {
	r := newRig(t, nil)
	r.EnterCode("AB12CD")
	r.AnswerSymptoms(false)
	r.sim.SetAmbient(c(33.01))
	r.measureWith(37.01) // 4 K above the room: a forehead
	if rec := r.last(); rec.ObjectC == nil || *rec.AmbientC != 33.01 {
		t.Fatalf("record %+v: the reading that showed the hot room is not kept", rec)
	}
}

// hangingBus is the simulator behind a bus that stops answering (a wedged
// I²C line): transactions block until released.
type hangingBus struct {
	*mlxsim.Sim
	hang chan struct{}
}

func (b *hangingBus) Tx(addr uint16, w, r []byte) error {
	<-b.hang
	return errors.New("bus released")
}

func TestRunTakesAHungMeasurementOutOfService(t *testing.T) {
	store := storagetest.Open(t, storage.Options{Vocabulary: Vocabulary()})
	store.PutBooking(storage.Booking{Code: "AB12CD", Start: time.Now(), Status: storage.StatusActive})
	bus := &hangingBus{Sim: mlxsim.New(&mlxsim.Opts{Ambient: c(22.01)}), hang: make(chan struct{})}
	dev, _ := mlx90614.New(bus, nil)
	sampler, _ := sensor.NewSampler(dev, nil, clock.Real{}, &sensor.SamplerOpts{Interval: 5 * time.Millisecond})
	flow, err := New(DefaultConfig(), store, sampler, clock.Real{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The visitor is on Measure before Run starts, so the hang comes in the
	// measurement. (A hang in an idle probe blocks Run's loop itself: the
	// watchdog pings stop and systemd restarts the kiosk.)
	flow.EnterCode("AB12CD")
	flow.AnswerSymptoms(false)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- flow.Run(ctx, RunOpts{ProbeEvery: 20 * time.Millisecond, MeasureLimit: 300 * time.Millisecond})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for flow.State().Screen != OutOfService {
		if time.Now().After(deadline) {
			t.Fatalf("still on %s with a hung sensor", flow.State().Screen)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st := flow.State(); st.OutOfService != OOSSensor {
		t.Fatalf("cause %q", st.OutOfService)
	}
	recs := store.Screenings()
	if len(recs) != 1 || recs[0].Reason != string(ReasonSensorFault) {
		t.Fatalf("stored %+v", recs)
	}
	cancel()
	close(bus.hang) // the bus comes back; Run can end
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
