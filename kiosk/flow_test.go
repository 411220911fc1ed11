package kiosk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/thermogate/thermogate/sensor/mlxsim"
	"github.com/thermogate/thermogate/storage"
)

// The default model adds 1.5 °C: a forehead reading 35.51 °C shows 37.0.

func TestAdmitStoresEverythingBeforeShowing(t *testing.T) {
	r := newRig(t, nil)
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	r.want(Code)
	r.visit("ab-12 cd", 35.51)
	out := r.outcome(Admit, ReasonOK)
	if out.Shown == nil || *out.Shown != 370 || out.Retest {
		t.Fatalf("outcome %+v, want shown 37.0 without retest", out)
	}
	rec := r.last()
	if rec.Code != "AB12CD" || rec.Kiosk != "door-1" || *rec.ShownC != 37.0 || *rec.ObjectC != 35.51 ||
		*rec.AmbientC != 22.01 || rec.Model != "offset/1" || rec.Params["c"] != 1.5 || rec.ThresholdC != 37.3 ||
		!rec.BookingUsed || rec.Version != storage.ScreeningVersion || !rec.Time.After(t0) {
		t.Fatalf("stored record %+v", rec)
	}
	if b, _ := r.store.Booking(context.Background(), "AB12CD"); b.UsedAt.IsZero() {
		t.Fatal("an admit did not use up the booking")
	}
	// The observers saw every screen of the visit, in order, and the
	// decision only after it was stored.
	var screens []Screen
	for _, s := range r.states {
		if len(screens) == 0 || screens[len(screens)-1] != s.Screen {
			screens = append(screens, s.Screen)
		}
	}
	if want := []Screen{Idle, Code, Symptoms, Measure, Decided}; !slices.Equal(screens, want) {
		t.Fatalf("screens %v, want %v", screens, want)
	}
	for i := 1; i < len(r.states); i++ {
		if r.states[i].Seq <= r.states[i-1].Seq {
			t.Fatal("state sequence numbers do not increase")
		}
	}
	// The next visitor with the same code is refused: the booking is used.
	r.EnterCode("AB12CD")
	r.outcome(Deny, ReasonUsed)
}

func TestThresholdBoundaries(t *testing.T) {
	tests := []struct {
		obj    float64
		shown  Tenths
		retest bool
	}{
		{35.81, 373, false}, // 37.31 shows 37.3: the threshold itself passes
		{35.83, 373, false}, // 37.33 → 37.3
		{35.85, 374, true},  // 37.35 → 37.4 (half-up): fever, retest
		{35.87, 374, true},
	}
	for _, tt := range tests {
		r := newRig(t, nil)
		st := r.visit("AB12CD", tt.obj)
		if tt.retest {
			if st.Screen != Retest || *r.flow.m.v.first.shown.ptr() != tt.shown {
				t.Errorf("object %.2f: screen %s, want Retest at %s", tt.obj, st.Screen, tt.shown)
			}
			continue
		}
		out := r.outcome(Admit, ReasonOK)
		if *out.Shown != tt.shown {
			t.Errorf("object %.2f shows %s, want %s", tt.obj, *out.Shown, tt.shown)
		}
	}
}

func (t Tenths) ptr() *Tenths { return &t }

func TestRetestDecides(t *testing.T) {
	for _, tt := range []struct {
		name     string
		retest   float64
		decision Decision
		reason   Reason
		shown    Tenths
	}{
		{"confirmed", 36.31, Deny, ReasonFever, 378},
		{"cleared", 35.51, Admit, ReasonOK, 370},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			st := r.visit("AB12CD", 36.51) // 38.0
			if st.Screen != Retest || !st.Until.Equal(r.clk.Now().Add(DefaultRule.RetestPause)) {
				t.Fatalf("after a fever reading: %s until %v", st.Screen, st.Until)
			}
			if len(r.store.Screenings()) != 0 {
				t.Fatal("a first fever reading was stored as a decision")
			}
			r.clk.Advance(DefaultRule.RetestPause - time.Second)
			r.Tick()
			r.want(Retest)
			r.clk.Advance(time.Second)
			r.Tick()
			if st := r.want(Measure); !st.Retest {
				t.Fatal("the retest measurement is not marked as one")
			}
			r.measureWith(tt.retest)
			out := r.outcome(tt.decision, tt.reason)
			if !out.Retest || *out.Shown != tt.shown || !r.last().Retest {
				t.Fatalf("outcome %+v, want a retest showing %s", out, tt.shown)
			}
		})
	}
}

func TestRetestOff(t *testing.T) {
	r := newRig(t, func(c *Config) { c.Rule.Retest = false })
	r.visit("AB12CD", 36.51)
	r.outcome(Deny, ReasonFever)
}

func TestWalkingAwayFromRetestIsDenied(t *testing.T) {
	r := newRig(t, nil)
	r.visit("AB12CD", 36.51)
	if err := r.Cancel(); err != nil {
		t.Fatal(err)
	}
	out := r.outcome(Deny, ReasonFever)
	if *out.Shown != 380 || out.Retest {
		t.Fatalf("outcome %+v, want the first reading 38.0", out)
	}
}

func TestSymptomsDeny(t *testing.T) {
	r := newRig(t, nil)
	r.EnterCode("AB12CD")
	if err := r.AnswerSymptoms(true); err != nil {
		t.Fatal(err)
	}
	// One tap on Yes stores nothing: it asks to confirm.
	if st := r.want(Symptoms); st.Notice != NoticeConfirmYes || len(r.store.Screenings()) != 0 {
		t.Fatalf("after Yes: notice %q, %d stored", st.Notice, len(r.store.Screenings()))
	}
	if err := r.ConfirmSymptoms(); err != nil {
		t.Fatal(err)
	}
	out := r.outcome(Deny, ReasonSymptoms)
	if out.Shown != nil || r.last().ShownC != nil || !r.last().BookingUsed {
		t.Fatalf("symptoms denial %+v / %+v", out, r.last())
	}
}

// A slip on Yes can be undone: nothing stored, the question again, and No
// measures as usual.
func TestSymptomsYesCanBeChanged(t *testing.T) {
	r := newRig(t, nil)
	r.EnterCode("AB12CD")
	if err := r.ConfirmSymptoms(); !errors.Is(err, ErrNotNow) {
		t.Fatalf("confirm without a Yes: %v", err)
	}
	r.AnswerSymptoms(true)
	if err := r.ChangeAnswer(); err != nil {
		t.Fatal(err)
	}
	if st := r.want(Symptoms); st.Notice != "" {
		t.Fatalf("notice %q after changing the answer", st.Notice)
	}
	if err := r.ConfirmSymptoms(); !errors.Is(err, ErrNotNow) {
		t.Fatalf("confirm after the answer was changed: %v", err)
	}
	r.AnswerSymptoms(false)
	r.want(Measure)
	if n := len(r.store.Screenings()); n != 0 {
		t.Fatalf("%d screenings stored for a Yes taken back", n)
	}
}

func TestSymptomsQuestionOff(t *testing.T) {
	r := newRig(t, func(c *Config) { c.Rule.Symptoms = false })
	r.EnterCode("AB12CD")
	r.want(Measure)
}

func TestBookingReasonsAreStoredDenials(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mod    func(*storage.Booking)
		at     time.Duration
		reason Reason
	}{
		{"too late", nil, 16 * time.Minute, ReasonTooLate},
		{"not today", func(b *storage.Booking) { b.Start = b.Start.AddDate(0, 0, -1) }, 0, ReasonNotToday},
		{"cancelled", func(b *storage.Booking) { b.Status = storage.StatusCancelled }, 0, ReasonCancelled},
		{"used", func(b *storage.Booking) { b.UsedAt = t0.Add(-time.Hour) }, 0, ReasonUsed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			b, _ := r.store.Booking(context.Background(), "AB12CD")
			b.Start = b.Start.Add(-tt.at)
			if tt.mod != nil {
				tt.mod(&b)
			}
			r.store.PutBooking(b)
			r.EnterCode("AB12CD")
			r.outcome(Deny, tt.reason)
			if st := r.flow.State(); !st.Slot.Equal(b.Start) {
				t.Fatalf("slot %v, want the booking's %v", st.Slot, b.Start)
			}
			if r.last().BookingUsed {
				t.Fatal("a refused booking was marked used")
			}
		})
	}
}

// An unknown code is mostly a typo: the visitor corrects it on Code,
// nothing stored; the third in a row sends them to the guard, stored.
func TestUnknownCode(t *testing.T) {
	r := newRig(t, nil)
	for i := 1; i < MaxUnknownCodes; i++ {
		if err := r.EnterCode("ZZ999" + fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
		if st := r.want(Code); st.Notice != NoticeNotFound || st.Typed != "ZZ999"+fmt.Sprint(i) || st.Until.IsZero() {
			t.Fatalf("unknown code %d: notice %q, typed %q", i, st.Notice, st.Typed)
		}
		if n := len(r.store.Screenings()); n != 0 {
			t.Fatalf("%d screenings stored for a typo", n)
		}
	}
	if err := r.EnterCode("ZZ9999"); err != nil {
		t.Fatal(err)
	}
	r.outcome(Refer, ReasonUnknownCode)
	if r.last().Code != "ZZ9999" || r.last().BookingUsed {
		t.Fatalf("stored %+v", r.last())
	}

	// A code that is found starts the count again; so does the next visitor.
	r = newRig(t, nil)
	r.EnterCode("ZZ9991")
	r.EnterCode("ZZ9992")
	r.Cancel()
	r.Start()
	r.EnterCode("ZZ9993")
	if st := r.want(Code); st.Notice != NoticeNotFound {
		t.Fatalf("the next visitor's first unknown code: %s %q", st.Screen, st.Notice)
	}
	r.EnterCode("AB12CD")
	r.want(Symptoms)
	if n := len(r.store.Screenings()); n != 0 {
		t.Fatalf("%d screenings stored", n)
	}
}

// A code refused for its format stays in the field, to correct.
func TestRefusedCodeIsKept(t *testing.T) {
	r := newRig(t, nil)
	r.EnterCode("AB1")
	if st := r.want(Code); st.Notice != NoticeCodeFormat || st.Typed != "AB1" {
		t.Fatalf("notice %q typed %q", st.Notice, st.Typed)
	}
}

func TestGarbledCodeRefusedOnTheSpot(t *testing.T) {
	r := newRig(t, nil)
	for _, in := range []string{"", "AB1", "AB12CD<script>", strings.Repeat("7", 17), "ÄB12CD"} {
		err := r.EnterCode(in)
		if !errors.Is(err, ErrCodeFormat) {
			t.Errorf("EnterCode(%q) = %v, want ErrCodeFormat", in, err)
		}
		if st := r.want(Code); st.Notice != NoticeCodeFormat {
			t.Errorf("EnterCode(%q): notice %q", in, st.Notice)
		}
	}
	if n := len(r.store.Screenings()); n != 0 {
		t.Fatalf("%d screenings stored for input that is not a code", n)
	}
	r.EnterCode("AB12CD") // a good code after a bad one clears the notice
	if st := r.want(Symptoms); st.Notice != "" {
		t.Fatalf("notice %q left over", st.Notice)
	}
}

func TestImplausibleReadingsThenNoReading(t *testing.T) {
	r := newRig(t, nil)
	r.EnterCode("AB12CD")
	r.AnswerSymptoms(false)
	r.measureWith(31.01) // 32.5: too cold, not a forehead or too far
	if st := r.want(Measure); st.Notice != NoticeTooCold || st.Attempt != 2 {
		t.Fatalf("after a cold reading: notice %q attempt %d", st.Notice, st.Attempt)
	}
	r.measureWith(42.01) // 43.5: too hot
	if st := r.want(Measure); st.Notice != NoticeTooHot || st.Attempt != 3 {
		t.Fatalf("after a hot reading: notice %q attempt %d", st.Notice, st.Attempt)
	}
	if err := r.Measure(context.Background()); err != nil { // nobody comes
		t.Fatal(err)
	}
	out := r.outcome(Refer, ReasonNoReading)
	if out.Shown != nil || r.last().BookingUsed {
		t.Fatalf("no-reading referral %+v", out)
	}
}

func TestSensorFaultRefersAndRecovers(t *testing.T) {
	r := newRig(t, nil)
	r.EnterCode("AB12CD")
	r.AnswerSymptoms(false)
	r.sim.SetFault(mlxsim.NACK)
	if err := r.Measure(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := r.want(OutOfService)
	if st.OutOfService != OOSSensor {
		t.Fatalf("out of service for %q", st.OutOfService)
	}
	if rec := r.last(); rec.Decision != string(Refer) || rec.Reason != string(ReasonSensorFault) {
		t.Fatalf("stored %s/%s", rec.Decision, rec.Reason)
	}
	if err := r.EnterCode("AB12CD"); !errors.Is(err, ErrNotNow) {
		t.Fatalf("a code was taken while out of service: %v", err)
	}
	r.Probe()
	r.want(OutOfService)
	r.sim.SetFault(mlxsim.None)
	r.Probe()
	r.want(Idle)
}

func TestIdleProbeFindsFaultAndRoom(t *testing.T) {
	r := newRig(t, nil)
	r.sim.SetFault(mlxsim.Absent)
	r.Probe()
	if st := r.want(OutOfService); st.OutOfService != OOSSensor {
		t.Fatalf("cause %q", st.OutOfService)
	}
	r.sim.SetFault(mlxsim.None)
	r.sim.SetAmbient(c(33.01))
	r.Probe()
	if st := r.want(OutOfService); st.OutOfService != OOSAmbient {
		t.Fatalf("hot room: cause %q", st.OutOfService)
	}
	r.sim.SetAmbient(c(21.01))
	r.Probe()
	r.want(Idle)
	if n := len(r.store.Screenings()); n != 0 {
		t.Fatalf("probes stored %d screenings", n)
	}
}

func TestHotRoomDuringMeasurement(t *testing.T) {
	r := newRig(t, nil)
	r.EnterCode("AB12CD")
	r.AnswerSymptoms(false)
	r.sim.SetAmbient(c(14.01))
	r.measureWith(35.51)
	if st := r.want(OutOfService); st.OutOfService != OOSAmbient {
		t.Fatalf("cause %q", st.OutOfService)
	}
	if rec := r.last(); rec.Decision != string(Refer) {
		t.Fatalf("stored %s", rec.Decision)
	}
}

func TestStorageFailureNeverShowsTheDecision(t *testing.T) {
	r := newRig(t, nil)
	r.store.FailAppend(errDiskFull)
	st := r.visit("AB12CD", 35.51)
	if st.Screen != OutOfService || st.OutOfService != OOSStorage {
		t.Fatalf("screen %s (%s), want out of service for storage", st.Screen, st.OutOfService)
	}
	if st.Outcome == nil || st.Outcome.Decision != Refer || st.Outcome.Reason != ReasonStorage {
		t.Fatalf("outcome %+v, want refer/storage", st.Outcome)
	}
	for _, s := range r.states {
		if s.Screen == Decided {
			t.Fatal("a decision that was not stored was shown")
		}
	}
	r.Probe() // storage trouble needs a person: a probe does not clear it
	r.want(OutOfService)
	r.store.FailAppend(nil)
	r.OpenGuard()
	r.GuardLogin("Ona", "4826")
	if err := r.GuardBackInService(); err != nil {
		t.Fatal(err)
	}
	r.want(Idle)
}

func TestClockNotSet(t *testing.T) {
	r := newRig(t, func(c *Config) { c.NotBefore = t0.AddDate(0, 1, 0) })
	if st := r.want(OutOfService); st.OutOfService != OOSClock {
		t.Fatalf("cause %q", st.OutOfService)
	}
	if err := r.EnterCode("AB12CD"); err == nil {
		t.Fatal("a code was judged on a wrong clock")
	}
	r.clk.Set(t0.AddDate(0, 1, 1)) // NTP caught up
	r.Probe()
	r.want(Idle)
}

func TestTimeoutsReturnToIdle(t *testing.T) {
	r := newRig(t, nil)
	r.Start()
	r.clk.Advance(DefaultConfig().InputTimeout / 2)
	r.Touch() // still typing
	r.clk.Advance(DefaultConfig().InputTimeout - time.Second)
	r.Tick()
	r.want(Code)
	r.clk.Advance(2 * time.Second)
	r.Tick()
	r.want(Idle)

	r.visit("AB12CD", 35.51)
	r.want(Decided)
	r.clk.Advance(DefaultConfig().DecisionTime)
	r.Tick()
	r.want(Idle)
}

func TestLanguage(t *testing.T) {
	r := newRig(t, nil)
	b, _ := r.store.Booking(context.Background(), "AB12CD")
	b.Lang = "pl"
	r.store.PutBooking(b)
	if err := r.SetLang("ru"); err != nil {
		t.Fatal(err)
	}
	if st := r.flow.State(); st.Lang != "ru" {
		t.Fatalf("lang %q", st.Lang)
	}
	if err := r.SetLang("xx"); err == nil {
		t.Fatal("unknown language accepted")
	}
	r.EnterCode("AB12CD")
	if st := r.want(Symptoms); st.Lang != "ru" {
		t.Fatalf("the booking's language %q overrode the visitor's choice of ru", st.Lang)
	}
	r.SetLang("en") // the visitor prefers English after all
	r.AnswerSymptoms(false)
	if st := r.want(Measure); st.Lang != "en" {
		t.Fatalf("lang %q after the visitor chose en", st.Lang)
	}
	r.measureWith(35.51)
	r.clk.Advance(time.Minute)
	r.Tick()
	if st := r.want(Idle); st.Lang != "lt" {
		t.Fatalf("Idle in %q, want the default lt", st.Lang)
	}
}

// A booking's language applies when the visitor chose none; the next
// visitor's choice starts afresh.
func TestBookingLanguageWhenTheVisitorChoseNone(t *testing.T) {
	r := newRig(t, nil)
	b, _ := r.store.Booking(context.Background(), "AB12CD")
	b.Lang = "pl"
	r.store.PutBooking(b)
	r.store.PutBooking(storage.Booking{Code: "EF34GH", Start: t0, Status: storage.StatusActive, Lang: "ru"})
	r.EnterCode("AB12CD")
	if st := r.want(Symptoms); st.Lang != "pl" {
		t.Fatalf("the booking's language did not switch the screens: %q", st.Lang)
	}
	r.SetLang("en")
	r.AnswerSymptoms(false)
	r.measureWith(35.51)
	r.want(Decided)
	r.EnterCode("EF34GH") // the next visitor, who chose nothing
	if st := r.want(Symptoms); st.Lang != "ru" {
		t.Fatalf("the next visitor got %q, want their booking's ru", st.Lang)
	}
}

func TestNextVisitorMayScanDuringDecision(t *testing.T) {
	r := newRig(t, nil)
	r.store.PutBooking(storage.Booking{Code: "EF34GH", Start: t0, Status: storage.StatusActive})
	r.visit("AB12CD", 35.51)
	r.want(Decided)
	if err := r.EnterCode("EF34GH"); err != nil {
		t.Fatal(err)
	}
	if st := r.want(Symptoms); st.Code != "EF34GH" {
		t.Fatalf("code %q", st.Code)
	}
	if err := r.EnterCode("AB12CD"); !errors.Is(err, ErrNotNow) {
		t.Fatalf("a scan in the middle of a visit: %v", err)
	}
}

func TestNoForeheadAndUnstable(t *testing.T) {
	r := newRig(t, nil)
	r.EnterCode("AB12CD")
	r.AnswerSymptoms(false)
	r.Measure(context.Background())
	if st := r.want(Measure); st.Notice != NoticeNoForehead {
		t.Fatalf("notice %q", st.Notice)
	}
	r.sim.SetNoise(c(1) - c(0))
	r.measureWith(35.51)
	if st := r.want(Measure); st.Notice != NoticeUnstable {
		t.Fatalf("notice %q", st.Notice)
	}
}

// A visitor a minute before their window on the real store: nothing is stored
// while they wait, the check goes on by itself when the window opens, and
// the screening that follows is the only record.
func TestEarlyVisitorWaitsWithNothingStored(t *testing.T) {
	r := newRig(t, nil)
	opens := t0.Add(time.Minute) // the virtual clock only goes forward, slots are whole minutes: the booking moves
	r.store.PutBooking(storage.Booking{Code: "AB12CD", Start: opens.Add(15 * time.Minute), Minutes: 15, Status: storage.StatusActive})
	r.EnterCode("AB12CD")
	st := r.want(Early)
	if !st.Waiting() || !st.Opens.Equal(opens) || !st.Slot.Equal(opens.Add(15*time.Minute)) {
		t.Fatalf("early state %+v", st)
	}
	if n := len(r.store.Screenings()); n != 0 {
		t.Fatalf("%d screenings stored for coming early", n)
	}
	r.clk.Set(opens)
	r.Tick()
	r.want(Symptoms)
	r.AnswerSymptoms(false)
	r.measureWith(35.51)
	if rec := r.last(); rec.Decision != string(Admit) || len(r.store.Screenings()) != 1 || !rec.BookingUsed {
		t.Fatalf("stored %+v", r.store.Screenings())
	}
}
