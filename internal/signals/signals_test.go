package signals

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/internal/door"
	"github.com/thermogate/thermogate/internal/hw"
	"github.com/thermogate/thermogate/internal/sound"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/sensor/mlxsim"
	"github.com/thermogate/thermogate/storage"
	"github.com/thermogate/thermogate/storage/storagetest"
)

var (
	vilnius, _ = time.LoadLocation("Europe/Vilnius")
	t0         = time.Date(2026, 11, 24, 10, 0, 0, 0, vilnius)
)

func c(deg float64) physic.Temperature {
	return physic.ZeroCelsius + physic.Temperature(math.Round(deg*1e9))
}

// pin is a gpiotest pin that counts the times it was driven high.
type pin struct {
	*gpiotest.Pin
	highs atomic.Int32
}

func (p *pin) Out(l gpio.Level) error {
	if l == gpio.High {
		p.highs.Add(1)
	}
	return p.Pin.Out(l)
}

func (p *pin) level() gpio.Level {
	p.Pin.Lock()
	defer p.Pin.Unlock()
	return p.Pin.L
}

// kiosk is a flow on the simulated sensor and an in-memory store, with
// outputs on gpiotest pins, left high as if a crashed process had left the
// relay on.
type rig struct {
	t                    testing.TB
	clk                  *clock.Virtual
	sim                  *mlxsim.Sim
	store                *storagetest.Store
	flow                 *kiosk.Flow
	out                  *Outputs
	door, guard, service *pin
}

func newRig(t testing.TB, player *sound.Player) *rig {
	r := &rig{t: t, clk: clock.NewVirtual(t0)}
	r.store = storagetest.Open(t, storage.Options{Vocabulary: kiosk.Vocabulary(), Location: vilnius, Clock: r.clk})
	r.store.PutGuard("Ona", "4826")
	r.store.PutBooking(storage.Booking{Code: "AB12CD", Start: t0, Minutes: 15, Status: storage.StatusActive})
	r.store.PutBooking(storage.Booking{Code: "EF34GH", Start: t0, Minutes: 15, Status: storage.StatusActive})
	r.store.PutBooking(storage.Booking{Code: "JK56LM", Start: t0, Minutes: 15, Status: storage.StatusActive})
	r.store.PutBooking(storage.Booking{Code: "NP78QR", Start: t0, Minutes: 15, Status: storage.StatusActive})
	rg, s, err := hw.Simulated(mlxsim.Opts{Clock: r.clk, Ambient: c(22.01)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.sim = rg.Sim
	cfg := kiosk.DefaultConfig()
	cfg.Location = vilnius
	if r.flow, err = kiosk.New(cfg, r.store, s, r.clk, nil); err != nil {
		t.Fatal(err)
	}
	r.door = &pin{Pin: &gpiotest.Pin{N: "GPIO17", L: gpio.High}}
	r.guard = &pin{Pin: &gpiotest.Pin{N: "GPIO27", L: gpio.High}}
	r.service = &pin{Pin: &gpiotest.Pin{N: "GPIO22", L: gpio.High}}
	gc := door.Default()
	gc.DoorPulse = door.MinPulse
	g, err := door.New(gc, door.Pins{Door: r.door, Guard: r.guard, Service: r.service}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.out = &Outputs{GPIO: g, Sound: player}
	t.Cleanup(func() { r.out.Close() })
	r.flow.SetOutputs(r.out)
	return r
}

func (r *rig) do(ev kiosk.Event) {
	r.t.Helper()
	_ = r.flow.Do(context.Background(), ev)
}

func (r *rig) measure(obj float64) {
	r.t.Helper()
	r.sim.Schedule(mlxsim.Visit{Arrive: r.clk.Now().Add(time.Second), Object: c(obj)})
	if err := r.flow.Measure(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	r.sim.Remove()
}

func (r *rig) visit(code string, obj float64) {
	r.t.Helper()
	r.do(kiosk.EnterCode{Raw: code})
	r.do(kiosk.AnswerSymptoms{Yes: false})
	r.measure(obj)
}

func (r *rig) login() {
	r.t.Helper()
	r.do(kiosk.OpenGuard{})
	r.do(kiosk.GuardLogin{Name: "Ona", PIN: "4826"})
	if st := r.flow.State(); st.Screen != kiosk.GuardMenu {
		r.t.Fatalf("guard menu not open: %s", st.Screen)
	}
}

// shut waits for the door's pulse to end, so the next one is its own.
func (r *rig) shut() {
	r.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if r.door.level() == gpio.Low {
			return
		}
	}
	r.t.Fatal("the door did not close after its pulse")
}

func (r *rig) decided(d kiosk.Decision, reason kiosk.Reason) {
	r.t.Helper()
	st := r.flow.State()
	if st.Outcome == nil || st.Outcome.Decision != d || st.Outcome.Reason != reason {
		r.t.Fatalf("on %s outcome %+v, want %s/%s", st.Screen, st.Outcome, d, reason)
	}
}

// TestDoorPulsesOncePerStoredAdmit runs the real flow against the door and
// lamps on periph's gpiotest pins: every output is off at start (a restart
// releases a relay left on), the door is driven high once per stored ADMIT
// and never for anything else, the guard lamp follows REFER and the guard,
// the service lamp out-of-service.
func TestDoorPulsesOncePerStoredAdmit(t *testing.T) {
	r := newRig(t, nil)
	for _, p := range []*pin{r.door, r.guard, r.service} {
		if p.level() != gpio.Low {
			t.Fatalf("%s left on at start", p.N)
		}
	}
	admits := 0
	opened := func(what string) {
		t.Helper()
		if got := int(r.door.highs.Load()); got != admits {
			t.Fatalf("after %s: the door was opened %d times, want %d", what, got, admits)
		}
	}

	r.visit("AB12CD", 35.51)
	r.decided(kiosk.Admit, kiosk.ReasonOK)
	admits++
	opened("an admit")
	r.shut()

	r.do(kiosk.EnterCode{Raw: "AB12CD"}) // used today
	r.decided(kiosk.Deny, kiosk.ReasonUsed)
	r.do(kiosk.EnterCode{Raw: "ZZ99ZZ"}) // a typo: check it and try again
	if st := r.flow.State(); st.Screen != kiosk.Code || st.Notice != kiosk.NoticeNotFound {
		t.Fatalf("an unknown code: %s %q", st.Screen, st.Notice)
	}
	r.do(kiosk.EnterCode{Raw: "EF34GH"})
	r.do(kiosk.AnswerSymptoms{Yes: true})
	r.do(kiosk.ConfirmSymptoms{})
	r.decided(kiosk.Deny, kiosk.ReasonSymptoms)
	if r.guard.level() != gpio.Low {
		t.Fatal("the guard lamp lit for a DENY without guard_on_deny")
	}
	opened("denials")

	r.do(kiosk.EnterCode{Raw: "JK56LM"})
	r.do(kiosk.AnswerSymptoms{Yes: false})
	for range kiosk.DefaultRule.MaxAttempts {
		_ = r.flow.Measure(context.Background()) // nobody at the sensor
	}
	r.decided(kiosk.Refer, kiosk.ReasonNoReading)
	if r.guard.level() != gpio.High {
		t.Fatal("the guard lamp is not lit for a REFER")
	}
	opened("a refer")
	r.login()
	if r.guard.level() != gpio.Low {
		t.Fatal("the guard lamp stays lit with the guard menu open")
	}
	r.do(kiosk.GuardPick{Code: "JK56LM"})
	r.do(kiosk.GuardAdmit{Reason: "clinical_normal"})
	r.decided(kiosk.Admit, kiosk.ReasonGuard)
	admits++
	opened("a guard's admit")
	r.shut()

	r.login()
	r.do(kiosk.GuardPick{Code: "EF34GH"})
	r.do(kiosk.GuardDeny{Reason: "behaviour"})
	r.decided(kiosk.Deny, kiosk.ReasonGuard)
	r.login()
	r.do(kiosk.GuardPick{}) // a walk-in
	r.do(kiosk.GuardClinical{C: 38.4})
	r.decided(kiosk.Deny, kiosk.ReasonFever)
	opened("a guard's denials")

	r.store.FailAppend(errors.New("no space left on device"))
	r.login()
	r.do(kiosk.GuardWalkIn{Reason: "staff"})
	if st := r.flow.State(); st.Screen != kiosk.OutOfService || r.service.level() != gpio.High {
		t.Fatalf("a failed store: %s, service lamp %v", st.Screen, r.service.level())
	}
	opened("an admit that was not stored")
	r.store.FailAppend(nil)
	r.login()
	r.do(kiosk.GuardWalkIn{Reason: "staff"}) // stored, but the kiosk is out of service
	r.decided(kiosk.Admit, kiosk.ReasonGuard)
	opened("an admit on an out-of-service kiosk")
	r.login()
	r.do(kiosk.GuardBackInService{})
	if r.service.level() != gpio.Low {
		t.Fatal("the service lamp stays lit back in service")
	}

	r.sim.SetFault(mlxsim.NACK)
	r.visit("NP78QR", 35.51)
	if recs := r.store.Screenings(); recs[len(recs)-1].Reason != string(kiosk.ReasonSensorFault) {
		t.Fatalf("stored %+v, want a sensor-fault refer", recs[len(recs)-1])
	}
	opened("a sensor fault")
	if r.service.level() != gpio.High {
		t.Fatal("the service lamp is not lit after a sensor fault")
	}

	r.out.Close()
	for _, p := range []*pin{r.door, r.guard, r.service} {
		if p.level() != gpio.Low {
			t.Fatalf("%s left on after Close", p.N)
		}
	}
}

// failSink is a sound device that fails every time, as an unplugged USB
// speaker does.
type failSink struct{ n atomic.Int32 }

func (s *failSink) Play(context.Context, sound.PCM) error {
	s.n.Add(1)
	return errors.New(`aplay: main:831: audio open error: No such file or directory`)
}

// logCount counts the records logged at Error.
type logCount struct {
	mu   sync.Mutex
	errs []string
}

func (h *logCount) Enabled(context.Context, slog.Level) bool { return true }
func (h *logCount) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.mu.Lock()
		h.errs = append(h.errs, r.Message)
		h.mu.Unlock()
	}
	return nil
}
func (h *logCount) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logCount) WithGroup(string) slog.Handler      { return h }

// TestBrokenSoundDeviceChangesNoDecision: a device that fails every sound is
// logged once and shown on the guard menu; the screenings, and the door,
// are what they are with a working one.
func TestBrokenSoundDeviceChangesNoDecision(t *testing.T) {
	type result struct {
		decisions []string
		opens     int32
		signals   string
	}
	run := func(sink sound.Sink, log *slog.Logger) result {
		var p *sound.Player
		if sink != nil {
			cfg := sound.Default()
			cfg.Voice = false // tones only: no espeak-ng needed here
			p = sound.NewPlayer(cfg, &sound.Library{}, sink, log)
		}
		r := newRig(t, p)
		r.visit("AB12CD", 35.51)
		r.shut()
		r.do(kiosk.EnterCode{Raw: "ZZ99ZZ"})
		r.visit("EF34GH", 35.51)
		r.shut()
		for deadline := time.Now().Add(5 * time.Second); sink != nil && p.Health() == nil && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		r.do(kiosk.EnterCode{Raw: "JK56LM"})
		r.login()
		var res result
		for _, s := range r.store.Screenings() {
			res.decisions = append(res.decisions, s.Decision+"/"+s.Reason)
		}
		res.opens, res.signals = r.door.highs.Load(), r.flow.State().Signals
		return res
	}
	quiet := run(nil, nil)
	sink := &failSink{}
	h := &logCount{}
	broken := run(sink, slog.New(h))
	if strings.Join(quiet.decisions, " ") != strings.Join(broken.decisions, " ") || quiet.opens != broken.opens || quiet.opens != 2 {
		t.Fatalf("without sound: %v, door %d; with a broken device: %v, door %d", quiet.decisions, quiet.opens, broken.decisions, broken.opens)
	}
	if sink.n.Load() == 0 {
		t.Fatal("nothing was played on the device")
	}
	if !strings.Contains(broken.signals, "audio open error") || quiet.signals != "" {
		t.Fatalf("guard menu shows %q (broken) and %q (quiet)", broken.signals, quiet.signals)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.errs) != 1 {
		t.Fatalf("the failing device was logged %d times, want once: %v", len(h.errs), h.errs)
	}
}
