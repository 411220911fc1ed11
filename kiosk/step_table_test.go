package kiosk

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/storage"
)

// The flow's core as tables: (state, event) → (state, effects), step
// called directly — no runner, no goroutines, no store, no clock. Each row
// starts from a machine brought to a screen by events (`given`), applies
// one event and checks the screen and the effects step asks for.

// tableCfg is the default configuration in Vilnius.
func tableCfg() *Config {
	cfg := DefaultConfig()
	cfg.Location = vilnius
	return &cfg
}

// tm applies events to a machine and keeps the last effects.
type tm struct {
	t    *testing.T
	m    machine
	at   time.Time
	effs []Effect
}

func newTM(t *testing.T, cfg *Config) *tm {
	t.Helper()
	return &tm{t: t, m: newMachine(cfg, t0), at: t0}
}

// do applies ev at the machine's time and keeps the effects.
func (x *tm) do(ev Event) *tm {
	x.t.Helper()
	x.m, x.effs = step(x.m, x.at, ev)
	return x
}

// after moves the machine's time on by d.
func (x *tm) after(d time.Duration) *tm { x.at = x.at.Add(d); return x }

// need returns the effect of type T that step asked for; it fails the
// test if step did not ask.
func need[T Effect](x *tm) T {
	x.t.Helper()
	e, ok := effect[T](x.effs)
	if !ok {
		x.t.Fatalf("want a %T effect, got %s", *new(T), describe(x.effs))
	}
	return e
}

func describe(effs []Effect) string {
	s := ""
	for _, e := range effs {
		if _, ok := e.(Log); ok {
			continue
		}
		s += fmt.Sprintf("%T%+v ", e, e)
	}
	return "[" + s + "]"
}

// booking is AB12CD at t0 for 15 minutes.
func booking() storage.Booking {
	return storage.Booking{Code: "AB12CD", Start: t0, Minutes: 15, Status: storage.StatusActive}
}

// toSymptoms enters AB12CD and answers the lookup with b.
func (x *tm) toSymptoms(b storage.Booking) *tm {
	x.t.Helper()
	x.do(EnterCode{Raw: "ab-12-cd"})
	look := need[LookupBooking](x)
	return x.do(BookingFound{Code: look.Code, Booking: b})
}

// toMeasure brings a booked visitor to Measure.
func (x *tm) toMeasure() *tm {
	x.t.Helper()
	x.toSymptoms(booking())
	return x.do(AnswerSymptoms{Yes: false})
}

// reading is a sampler result the model turns into body temperature bodyC.
func (x *tm) reading(bodyC float64) sensor.Reading {
	amb := c(22.01)
	return sensor.Reading{Object: x.m.cfg.Model.Object(c(bodyC), amb), Ambient: amb, Die: amb, Samples: 10, At: x.at}
}

// measured answers the measurement under way.
func (x *tm) measured(r sensor.Reading, err error) *tm {
	x.t.Helper()
	return x.do(Measured{ID: x.m.measure, Reading: r, Err: err})
}

// stores checks that step asks to store decision/reason and shows nothing
// yet, then answers Stored and checks the Decided screen.
func (x *tm) stores(d Decision, r Reason) *tm {
	x.t.Helper()
	x.asksToStore(d, r)
	x.do(Stored{ID: 7})
	if x.m.view.Screen != Decided || x.m.view.Outcome == nil || x.m.view.Outcome.Decision != d || x.m.view.Outcome.Reason != r || x.m.view.Outcome.ScreeningID != 7 {
		x.t.Fatalf("after Stored: %s %+v", x.m.view.Screen, x.m.view.Outcome)
	}
	return x
}

// asksToStore checks that step asks to store decision/reason and shows
// nothing yet.
func (x *tm) asksToStore(d Decision, r Reason) *tm {
	x.t.Helper()
	st, ok := effect[StoreScreening](x.effs)
	if !ok {
		x.t.Fatalf("want %s/%s stored, got %s on %s", d, r, describe(x.effs), x.m.view.Screen)
	}
	if st.Record.Decision != string(d) || st.Record.Reason != string(r) {
		x.t.Fatalf("stores %s/%s, want %s/%s", st.Record.Decision, st.Record.Reason, d, r)
	}
	if x.m.view.Screen == Decided {
		x.t.Fatal("the decision is shown before it is stored")
	}
	return x
}

func (x *tm) screen(want Screen) *tm {
	x.t.Helper()
	if x.m.view.Screen != want {
		x.t.Fatalf("screen %s, want %s (effects %s)", x.m.view.Screen, want, describe(x.effs))
	}
	return x
}

func TestStepTableBooking(t *testing.T) {
	for _, tt := range []struct {
		name   string
		found  func(b *storage.Booking) error // changes the booking; an error is the lookup's
		at     time.Duration                  // the visitor arrives at t0+at
		want   Screen
		reason Reason // on a denial
	}{
		{"on time", nil, 0, Symptoms, ""},
		{"14 min early", nil, -14 * time.Minute, Symptoms, ""},
		{"16 min early", nil, -16 * time.Minute, Early, ""},
		{"16 min late", nil, 16 * time.Minute, Decided, ReasonTooLate},
		{"yesterday's", func(b *storage.Booking) error { b.Start = b.Start.AddDate(0, 0, -1); return nil }, 0, Decided, ReasonNotToday},
		{"cancelled", func(b *storage.Booking) error { b.Status = storage.StatusCancelled; return nil }, 0, Decided, ReasonCancelled},
		{"used", func(b *storage.Booking) error { b.UsedAt = t0.Add(-time.Hour); return nil }, 0, Decided, ReasonUsed},
		{"unknown", func(*storage.Booking) error { return fmt.Errorf("booking: %w", storage.ErrNotFound) }, 0, Code, ReasonUnknownCode},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x := newTM(t, tableCfg()).after(tt.at)
			x.do(Start{}).screen(Code)
			x.do(EnterCode{Raw: " ab-12 cd "})
			if look := need[LookupBooking](x); look.Code != "AB12CD" {
				t.Fatalf("looks up %q: the code is normalised first", look.Code)
			}
			if err := refusal(x.do(Touch{}).effs); !errors.Is(err, ErrBusy) {
				t.Fatalf("an event while the lookup runs: %v, want ErrBusy", err)
			}
			b, err := booking(), error(nil)
			if tt.found != nil {
				err = tt.found(&b)
			}
			x.do(BookingFound{Code: "AB12CD", Booking: b, Err: err})
			if tt.want == Symptoms {
				x.screen(Symptoms)
				if x.m.view.Code != "AB12CD" || !x.m.view.Until.Equal(x.at.Add(x.m.cfg.InputTimeout)) {
					t.Fatalf("symptoms view %+v", x.m.view)
				}
				return
			}
			if tt.want == Early { // coming early is no refusal: see TestStepTableEarly
				x.screen(Early)
				if _, stored := effect[StoreScreening](x.effs); stored {
					t.Fatalf("an early visitor was stored: %s", describe(x.effs))
				}
				return
			}
			if tt.want == Code { // a typo is no refusal: check it and try again, nothing stored
				x.screen(Code)
				if _, stored := effect[StoreScreening](x.effs); stored || x.m.view.Notice != NoticeNotFound || x.m.view.Typed != "AB12CD" {
					t.Fatalf("unknown code: notice %q typed %q, effects %s", x.m.view.Notice, x.m.view.Typed, describe(x.effs))
				}
				return
			}
			x.stores(Deny, tt.reason)
		})
	}
}

// A visitor who comes before their booking's window is told when it opens;
// nothing is stored. Within EarlyWait the kiosk waits and goes on by
// itself, reading the booking again; further away it returns to Idle.
func TestStepTableEarly(t *testing.T) {
	opens := t0.Add(-15 * time.Minute) // EarlyMin 15
	arriveWith := func(t *testing.T, cfg *Config, before time.Duration) *tm {
		t.Helper()
		x := newTM(t, cfg)
		x.at = opens.Add(-before)
		x.toSymptoms(booking()).screen(Early)
		if _, stored := effect[StoreScreening](x.effs); stored {
			t.Fatalf("coming early was stored: %s", describe(x.effs))
		}
		if v := x.m.view; !v.Opens.Equal(opens) || v.Code != "AB12CD" || !v.Slot.Equal(t0) {
			t.Fatalf("early view %+v: want the booking's code, slot and opening time", v)
		}
		if snd := need[Sound](x); len(snd.Cues) != 1 || snd.Cues[0] != CueEarly || snd.Decision != "" {
			t.Fatalf("sound %v: want the early cue and no decision", snd)
		}
		return x
	}
	arrive := func(t *testing.T, before time.Duration) *tm {
		t.Helper()
		return arriveWith(t, tableCfg(), before)
	}
	// With rule.symptoms_question = false no question asks at the opening
	// whether the visitor is still there: the screen asks them to tap Start.
	noQuestion := func(t *testing.T) *tm {
		t.Helper()
		cfg := tableCfg()
		cfg.Rule.Symptoms = false
		x := arriveWith(t, cfg, time.Minute)
		x.after(time.Minute).do(Tick{})
		need[LookupBooking](x)
		x.do(BookingFound{Code: "AB12CD", Booking: booking()}).screen(Early)
		if v := x.m.view; !v.Ready || v.Waiting() || !v.Until.Equal(x.at.Add(cfg.InputTimeout)) || !v.Opens.Equal(opens) || v.Code != "AB12CD" {
			t.Fatalf("at the opening: %+v; want Early, ready, for the input timeout", v)
		}
		if _, measures := effect[MeasureForehead](x.effs); measures {
			t.Fatalf("measures before anyone tapped Start: %s", describe(x.effs))
		}
		if snd := need[Sound](x); len(snd.Cues) != 1 || snd.Cues[0] != CueCode {
			t.Fatalf("sound %v: want the code's tone, as when the question comes", snd)
		}
		return x
	}
	// Review finding 4: a visitor who walked away was measured for anyway;
	// after three empty attempts a refer/no_reading was stored for their
	// code, the guard lamp lit, and for a minute no code could be scanned.
	t.Run("question off, the visitor left: Idle after the input timeout, nothing measured or stored", func(t *testing.T) {
		x := noQuestion(t)
		x.after(x.m.cfg.InputTimeout - time.Millisecond).do(Tick{}).screen(Early)
		x.after(time.Millisecond).do(Tick{}).screen(Idle)
		for _, e := range x.effs {
			switch e.(type) {
			case StoreScreening, MeasureForehead, LookupBooking, CallGuard:
				t.Fatalf("the visitor left: %s", describe(x.effs))
			}
		}
	})
	t.Run("question off: the next visitor scans over the ready screen", func(t *testing.T) {
		x := noQuestion(t)
		x.do(EnterCode{Raw: "4711"})
		if look := need[LookupBooking](x); look.Code != "4711" {
			t.Fatalf("looks up %q", look.Code)
		}
		x.do(BookingFound{Code: "4711", Booking: storage.Booking{Code: "4711", Start: t0, Minutes: 15, Status: storage.StatusActive}}).screen(Measure)
		if x.m.view.Ready || x.m.view.Code != "4711" {
			t.Fatalf("the next visitor's check: %+v", x.m.view)
		}
	})
	t.Run("question off: Start measures the visitor who waited", func(t *testing.T) {
		x := noQuestion(t)
		x.after(10 * time.Second).do(Start{}).screen(Measure)
		need[MeasureForehead](x)
		if v := x.m.view; v.Ready || v.Code != "AB12CD" || v.Attempt != 1 {
			t.Fatalf("measure view %+v", v)
		}
		x.measured(x.reading(36.6), nil)
		x.stores(Admit, ReasonOK)
	})
	t.Run("question off: Cancel on the ready screen leaves, nothing stored", func(t *testing.T) {
		x := noQuestion(t)
		x.do(Cancel{}).screen(Idle)
		if _, stored := effect[StoreScreening](x.effs); stored {
			t.Fatal("stored")
		}
	})
	t.Run("question off: a guard in between gives the ready screen its input timeout again", func(t *testing.T) {
		x := noQuestion(t)
		x.do(OpenGuard{}).screen(GuardPIN)
		x.after(20 * time.Second).do(GuardClose{}).screen(Early)
		if v := x.m.view; !v.Ready || !v.Until.Equal(x.at.Add(x.m.cfg.InputTimeout)) {
			t.Fatalf("after the guard: %+v", v)
		}
		if snd, ok := effect[Sound](x.effs); ok && slices.Contains(snd.Cues, CueEarly) {
			t.Fatalf("says the visitor is early when the check is open: %v", snd)
		}
		x.after(x.m.cfg.InputTimeout).do(Tick{}).screen(Idle)
	})
	t.Run("question off, coming in time: measured at once, no Start", func(t *testing.T) {
		cfg := tableCfg()
		cfg.Rule.Symptoms = false
		x := newTM(t, cfg)
		x.toSymptoms(booking()).screen(Measure)
		need[MeasureForehead](x)
	})
	t.Run("Start is refused while the kiosk still waits", func(t *testing.T) {
		x := arrive(t, time.Minute)
		x.do(Start{}).screen(Early)
		if err := refusal(x.effs); !errors.Is(err, ErrNotNow) {
			t.Fatalf("Start while waiting: %v", err)
		}
	})
	for _, before := range []time.Duration{time.Second, 33 * time.Second, EarlyWait} {
		t.Run(fmt.Sprintf("%v before: waits and goes on", before), func(t *testing.T) {
			x := arrive(t, before)
			if !x.m.view.Waiting() || need[Timer](x).At != opens {
				t.Fatalf("until %v, timer %s: want to wait for %v", x.m.view.Until, describe(x.effs), opens)
			}
			x.after(before - time.Millisecond).do(Tick{}).screen(Early)
			if len(x.effs) != 0 {
				t.Fatalf("a tick before the opening: %s", describe(x.effs))
			}
			x.after(time.Millisecond).do(Tick{})
			if look := need[LookupBooking](x); look.Code != "AB12CD" {
				t.Fatalf("at the opening looks up %q", look.Code)
			}
			x.do(BookingFound{Code: "AB12CD", Booking: booking()}).screen(Symptoms)
			if snd := need[Sound](x); len(snd.Cues) != 1 || snd.Cues[0] != CueCode {
				t.Fatalf("sound %v: want the code's tone, the check goes on", snd)
			}
		})
	}
	t.Run("cancelled while waiting: the denial is stored then", func(t *testing.T) {
		x := arrive(t, time.Minute)
		x.after(time.Minute).do(Tick{})
		need[LookupBooking](x)
		b := booking()
		b.Status = storage.StatusCancelled
		x.do(BookingFound{Code: "AB12CD", Booking: b})
		x.stores(Deny, ReasonCancelled)
	})
	t.Run("further away: the time, then Idle; nothing stored", func(t *testing.T) {
		x := arrive(t, EarlyWait+time.Second)
		if x.m.view.Waiting() || !x.m.view.Until.Equal(x.at.Add(x.m.cfg.DenyTime)) {
			t.Fatalf("until %v: want %v after", x.m.view.Until, x.m.cfg.DenyTime)
		}
		x.after(x.m.cfg.DenyTime).do(Tick{}).screen(Idle)
		if _, looked := effect[LookupBooking](x.effs); looked {
			t.Fatal("looked the booking up again though the window is not open")
		}
	})
	for _, ev := range []Event{Cancel{}, Done{}} {
		t.Run(fmt.Sprintf("%T leaves for Idle", ev), func(t *testing.T) {
			x := arrive(t, time.Minute)
			x.do(ev).screen(Idle)
			if _, stored := effect[StoreScreening](x.effs); stored {
				t.Fatal("stored")
			}
			x.after(time.Minute).do(Tick{}).screen(Idle) // the wait is over: nothing goes on by itself
		})
	}
	t.Run("the next visitor scans while the time is shown", func(t *testing.T) {
		x := arrive(t, time.Hour)
		x.do(EnterCode{Raw: "4711"})
		if look := need[LookupBooking](x); look.Code != "4711" {
			t.Fatalf("looks up %q", look.Code)
		}
	})
	t.Run("a guard in between: the wait goes on after", func(t *testing.T) {
		x := arrive(t, time.Minute)
		x.do(OpenGuard{}).screen(GuardPIN)
		x.after(10 * time.Second).do(GuardClose{}).screen(Early)
		if !x.m.view.Waiting() {
			t.Fatalf("after the guard: until %v, want the opening %v", x.m.view.Until, opens)
		}
		x.after(50 * time.Second).do(Tick{})
		need[LookupBooking](x)
	})
}

func TestStepTableCodeFormat(t *testing.T) {
	for _, raw := range []string{"", "ab1", "ABCDEFGHIJKLMNOPQ", "AB12CĄ", "AB12;CD"} {
		x := newTM(t, tableCfg())
		x.do(EnterCode{Raw: raw})
		if err := refusal(x.effs); !errors.Is(err, ErrCodeFormat) {
			t.Errorf("%q: %v, want ErrCodeFormat", raw, err)
		}
		if _, looked := effect[LookupBooking](x.effs); looked || x.m.view.Screen != Code || x.m.view.Notice != NoticeCodeFormat {
			t.Errorf("%q: %s notice %q, effects %s", raw, x.m.view.Screen, x.m.view.Notice, describe(x.effs))
		}
		if _, stored := effect[StoreScreening](x.effs); stored {
			t.Errorf("%q: garbled input stored", raw)
		}
	}
}

func TestStepTableSymptoms(t *testing.T) {
	t.Run("yes is a denial that uses the booking", func(t *testing.T) {
		x := newTM(t, tableCfg()).toSymptoms(booking())
		x.do(AnswerSymptoms{Yes: true})
		if _, stored := effect[StoreScreening](x.effs); stored {
			t.Fatal("a Yes is stored before the visitor confirms it")
		}
		x.do(ConfirmSymptoms{})
		if rec := need[StoreScreening](x).Record; !rec.BookingUsed || rec.Code != "AB12CD" || rec.ShownC != nil {
			t.Fatalf("record %+v", rec)
		}
		x.stores(Deny, ReasonSymptoms)
	})
	t.Run("no starts the measurement", func(t *testing.T) {
		x := newTM(t, tableCfg()).toSymptoms(booking())
		x.do(AnswerSymptoms{Yes: false}).screen(Measure)
		if mf := need[MeasureForehead](x); mf.ID != x.m.measure || x.m.view.Attempt != 1 {
			t.Fatalf("measure %+v attempt %d", mf, x.m.view.Attempt)
		}
	})
	t.Run("not asked when the rule says so", func(t *testing.T) {
		cfg := tableCfg()
		cfg.Rule.Symptoms = false
		x := newTM(t, cfg).do(EnterCode{Raw: "AB12CD"})
		x.do(BookingFound{Code: "AB12CD", Booking: booking()}).screen(Measure)
		need[MeasureForehead](x)
	})
	t.Run("an answer on another screen is refused", func(t *testing.T) {
		x := newTM(t, tableCfg())
		if err := refusal(x.do(AnswerSymptoms{Yes: true}).effs); !errors.Is(err, ErrNotNow) {
			t.Fatalf("%v", err)
		}
	})
}

func TestStepTableMeasureDecide(t *testing.T) {
	type row struct {
		name string
		// results are the sampler's answers, one per measurement, in order.
		results []func(x *tm) (sensor.Reading, error)
		want    Screen // after the last result (before Stored)
		dec     Decision
		reason  Reason
		oos     string // out of service after the decision, for this cause
		notice  string // when want is Measure: the notice shown
	}
	body := func(c float64) func(x *tm) (sensor.Reading, error) {
		return func(x *tm) (sensor.Reading, error) { return x.reading(c), nil }
	}
	fails := func(err error) func(x *tm) (sensor.Reading, error) {
		return func(x *tm) (sensor.Reading, error) { return sensor.Reading{}, err }
	}
	coldRoom := func(x *tm) (sensor.Reading, error) {
		r := x.reading(36.6)
		r.Ambient = c(12)
		return r, nil
	}
	for _, tt := range []row{
		{name: "normal", results: mk(body(36.6)), dec: Admit, reason: ReasonOK},
		{name: "the threshold itself passes", results: mk(body(37.3)), dec: Admit, reason: ReasonOK},
		{name: "fever asks for a retest", results: mk(body(37.8)), want: Retest},
		{name: "fever twice is a denial", results: mk(body(37.8), body(37.9)), dec: Deny, reason: ReasonFever},
		{name: "a normal retest admits", results: mk(body(37.8), body(36.9)), dec: Admit, reason: ReasonOK},
		{name: "too cold: measure again", results: mk(body(33.0)), want: Measure, notice: NoticeTooCold},
		{name: "too hot: measure again", results: mk(body(43.0)), want: Measure, notice: NoticeTooHot},
		{name: "three implausible: refer", results: mk(body(33.0), body(33.0), body(33.0)), dec: Refer, reason: ReasonNoReading},
		{name: "no forehead twice then normal", results: mk(fails(sensor.ErrNoForehead), fails(sensor.ErrUnstable), body(36.6)), dec: Admit, reason: ReasonOK},
		{name: "stuck: step back", results: mk(fails(sensor.ErrStuck)), want: Measure, notice: NoticeStepBack},
		{name: "stuck to the last attempt: fault", results: mk(fails(sensor.ErrStuck), fails(sensor.ErrStuck), fails(sensor.ErrStuck)), dec: Refer, reason: ReasonSensorFault, oos: OOSSensor},
		{name: "sensor fault", results: mk(fails(fmt.Errorf("read: %w", sensor.ErrFault))), dec: Refer, reason: ReasonSensorFault, oos: OOSSensor},
		{name: "fault in the retest: the fever decides", results: mk(body(38.0), fails(sensor.ErrFault)), dec: Deny, reason: ReasonFever, oos: OOSSensor},
		{name: "room out of range", results: mk(coldRoom), dec: Refer, reason: ReasonSensorFault, oos: OOSAmbient},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x := newTM(t, tableCfg()).toMeasure()
			for i, res := range tt.results {
				if x.m.view.Screen == Retest {
					x.after(x.m.cfg.Rule.RetestPause).do(Tick{}).screen(Measure)
					if !x.m.view.Retest {
						t.Fatal("the retest is not marked as one")
					}
				}
				need[MeasureForehead](x)
				r, err := res(x)
				x.measured(r, err)
				if i < len(tt.results)-1 && x.m.view.Screen != Measure && x.m.view.Screen != Retest {
					t.Fatalf("result %d: %s, want another measurement", i, x.m.view.Screen)
				}
			}
			if tt.want != 0 {
				x.screen(tt.want)
				if x.m.view.Notice != tt.notice {
					t.Fatalf("notice %q, want %q", x.m.view.Notice, tt.notice)
				}
				if _, stored := effect[StoreScreening](x.effs); stored {
					t.Fatal("stored before a decision")
				}
				return
			}
			if tt.oos == "" {
				x.stores(tt.dec, tt.reason)
				return
			}
			// Stored, the kiosk goes out of service (the decision is in the
			// store and the log; the visitor is sent to the guard).
			x.asksToStore(tt.dec, tt.reason).do(Stored{ID: 7})
			{
				x.screen(OutOfService)
				if x.m.view.OutOfService != tt.oos {
					t.Fatalf("out of service for %q, want %q", x.m.view.OutOfService, tt.oos)
				}
			}
		})
	}
}

func mk(fs ...func(x *tm) (sensor.Reading, error)) []func(x *tm) (sensor.Reading, error) {
	return fs
}

// A result for a measurement the flow abandoned changes nothing.
func TestStepTableStaleMeasurement(t *testing.T) {
	x := newTM(t, tableCfg()).toMeasure()
	old := need[MeasureForehead](x).ID
	x.do(Cancel{}).screen(Idle)
	if stop := need[StopMeasuring](x); stop.ID != old {
		t.Fatalf("stops %d, want %d", stop.ID, old)
	}
	before := x.m
	x.do(Measured{ID: old, Reading: x.reading(36.6)})
	if len(x.effs) != 0 || x.m.view.Screen != Idle || x.m.measure != before.measure {
		t.Fatalf("a stale result: %s %s", x.m.view.Screen, describe(x.effs))
	}
}

func TestStepTableStoreFailure(t *testing.T) {
	for _, tt := range []struct {
		name string
		fail func(x *tm)
	}{
		{"the screening", func(x *tm) {
			x.toMeasure()
			x.measured(x.reading(36.6), nil)
			need[StoreScreening](x)
			x.do(Stored{Err: errors.New("disk full")})
		}},
		{"the booking lookup", func(x *tm) {
			x.do(EnterCode{Raw: "AB12CD"})
			x.do(BookingFound{Code: "AB12CD", Err: errors.New("read: input/output error")})
			need[StoreScreening](x) // a refer/storage it tries to store
			x.do(Stored{ID: 3})
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x := newTM(t, tableCfg())
			tt.fail(x)
			x.screen(OutOfService)
			if x.m.view.OutOfService != OOSStorage || x.m.view.Outcome == nil || x.m.view.Outcome.Decision != Refer {
				t.Fatalf("%+v", x.m.view)
			}
			// It does not heal by itself: a good probe leaves it out of service.
			x.do(ProbeDue{})
			if _, probes := effect[ProbeSensor](x.effs); probes {
				t.Fatal("probes while out of service for storage")
			}
			x.do(Probed{Ambient: c(22)}).screen(OutOfService)
			if err := refusal(x.do(EnterCode{Raw: "AB12CD"}).effs); !errors.Is(err, ErrNotNow) {
				t.Fatalf("a code while out of service: %v", err)
			}
		})
	}
}

func TestStepTableGuardLogin(t *testing.T) {
	login := func(x *tm, guard string, err error) {
		x.t.Helper()
		x.do(GuardLogin{Name: "Ona", PIN: "4826"})
		chk := need[CheckPIN](x)
		x.do(PINChecked{Session: chk.Session, Name: "Ona", Guard: guard, Err: err})
	}
	t.Run("right PIN: audited, then the menu", func(t *testing.T) {
		x := newTM(t, tableCfg())
		x.do(OpenGuard{}).screen(GuardPIN)
		need[ListGuards](x)
		login(x, "Ona", nil)
		a := need[WriteAudit](x)
		if a.Actor != "Ona" || a.Action != "guard.login" {
			t.Fatalf("audit %+v", a)
		}
		x.screen(GuardPIN) // not before the entry is written
		x.do(Audited{Action: a.Action, Then: a.Then}).screen(GuardMenu)
		if x.m.view.Guard != "Ona" {
			t.Fatalf("guard %q", x.m.view.Guard)
		}
	})
	t.Run("five wrong PINs lock, doubling", func(t *testing.T) {
		x := newTM(t, tableCfg())
		x.do(OpenGuard{})
		for i := 1; i <= MaxPINFails+1; i++ {
			if i == MaxPINFails+1 {
				x.after(LockBase) // the first lock is over
			}
			login(x, "", fmt.Errorf("guard Ona: %w", storage.ErrBadPIN))
			if err := refusal(x.effs); !errors.Is(err, ErrBadPIN) {
				t.Fatalf("wrong PIN %d: %v", i, err)
			}
			a := need[WriteAudit](x)
			if a.Action != "guard.login_failed" || a.Detail != fmt.Sprintf("failures=%d", i) {
				t.Fatalf("audit %+v", a)
			}
			x.do(Audited{Action: a.Action, Then: a.Then})
			if a, ok := effect[WriteAudit](x.effs); ok { // the lockout has its own entry
				x.do(Audited{Action: a.Action, Then: a.Then})
			}
		}
		if x.m.view.Notice != NoticeLocked || !x.m.lockUntil.Equal(x.at.Add(2*LockBase)) {
			t.Fatalf("after %d: notice %q until %v, want a lock of %v", MaxPINFails+1, x.m.view.Notice, x.m.lockUntil, 2*LockBase)
		}
		x.do(GuardLogin{Name: "Ona", PIN: "4826"})
		if err := refusal(x.effs); !errors.Is(err, ErrLocked) {
			t.Fatalf("while locked: %v", err)
		}
		if _, checks := effect[CheckPIN](x.effs); checks {
			t.Fatal("a PIN checked while locked")
		}
	})
	t.Run("lockout arithmetic", func(t *testing.T) {
		for fails, want := range map[int]time.Duration{5: LockBase, 6: 2 * LockBase, 7: 4 * LockBase, 11: LockMax, 1000: LockMax} {
			if got := lockFor(fails); got != want {
				t.Errorf("lockFor(%d) = %v, want %v", fails, got, want)
			}
		}
	})
	t.Run("an unknown name is a wrong PIN", func(t *testing.T) {
		x := newTM(t, tableCfg())
		x.do(OpenGuard{})
		login(x, "", storage.ErrNotFound)
		if err := refusal(x.effs); !errors.Is(err, ErrBadPIN) {
			t.Fatalf("%v", err)
		}
	})
}

func TestStepTableTimers(t *testing.T) {
	cfg := tableCfg()
	for _, tt := range []struct {
		name  string
		given func(x *tm)
		wait  time.Duration
		want  Screen
	}{
		{"code screen times out", func(x *tm) { x.do(Start{}) }, cfg.InputTimeout, Idle},
		{"symptoms screen times out", func(x *tm) { x.toSymptoms(booking()) }, cfg.InputTimeout, Idle},
		{"a decision leaves the screen", func(x *tm) {
			x.toSymptoms(booking())
			x.do(AnswerSymptoms{Yes: true}).do(ConfirmSymptoms{}).stores(Deny, ReasonSymptoms)
		}, cfg.DenyTime, Idle},
		{"the retest pause ends in the retest", func(x *tm) {
			x.toMeasure().measured(x.reading(37.8), nil).screen(Retest)
		}, cfg.Rule.RetestPause, Measure},
		{"the PIN pad closes", func(x *tm) { x.do(OpenGuard{}) }, cfg.GuardTimeout, Idle},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x := newTM(t, cfg)
			tt.given(x)
			from := x.m.view.Screen
			tmr, ok := effect[Timer](x.effs)
			if !ok || !tmr.At.Equal(x.at.Add(tt.wait)) {
				t.Fatalf("on %s: timer %v (%v), want at +%v", from, tmr.At, ok, tt.wait)
			}
			x.after(tt.wait - time.Millisecond).do(Tick{}).screen(from) // not yet
			x.after(time.Millisecond).do(Tick{}).screen(tt.want)
		})
	}
	t.Run("typing keeps the code screen", func(t *testing.T) {
		x := newTM(t, cfg).do(Start{})
		x.after(cfg.InputTimeout - time.Second).do(Touch{})
		if tmr := need[Timer](x); !tmr.At.Equal(x.at.Add(cfg.InputTimeout)) {
			t.Fatalf("timer %v", tmr.At)
		}
		x.after(2 * time.Second).do(Tick{}).screen(Code)
	})
}

// TestStepTableDiskFull: the idle probe's look at the data disk. Below
// MinFree an idle kiosk goes out of service (disk_full) and comes back by
// itself a tenth above it; a visit is never interrupted; a cause only a
// guard or a restore clears stays whatever the disk says.
func TestStepTableDiskFull(t *testing.T) {
	cfg := tableCfg()
	const dir = "/var/lib/thermogate"
	disk := func(free uint64) Probed {
		return Probed{Ambient: c(22), Disk: &DiskSpace{Dir: dir, Free: free}}
	}
	full, room := disk(cfg.MinFree-1), disk(cfg.backFree())
	probe := func(x *tm, p Probed) *tm {
		x.t.Helper()
		x.do(ProbeDue{})
		need[ProbeSensor](x)
		return x.do(p)
	}
	oos := func(x *tm, cause string) {
		x.t.Helper()
		x.screen(OutOfService)
		if x.m.view.OutOfService != cause {
			x.t.Fatalf("out of service for %q, want %q", x.m.view.OutOfService, cause)
		}
	}

	t.Run("idle, below min_free: out of service, logged with path, free and threshold", func(t *testing.T) {
		x := probe(newTM(t, cfg), full)
		oos(x, OOSDiskFull)
		l := logged(t, x.effs, "data disk nearly full: out of service until there is room")
		if l.Level != slog.LevelWarn || arg(l, "path") != dir || arg(l, "free_bytes") != cfg.MinFree-1 || arg(l, "min_free_bytes") != cfg.MinFree {
			t.Fatalf("log %+v", l)
		}
		if err := refusal(x.do(EnterCode{Raw: "AB12CD"}).effs); !errors.Is(err, ErrNotNow) {
			t.Fatalf("a code while the disk is full: %v", err)
		}
		// Still full at the next probe: no new line every ProbeEvery.
		probe(x, full)
		oos(x, OOSDiskFull)
		if _, ok := effect[Log](x.effs); ok {
			t.Fatalf("logged again: %s", describe(x.effs))
		}
	})
	t.Run("exactly min_free is enough", func(t *testing.T) {
		probe(newTM(t, cfg), disk(cfg.MinFree)).screen(Idle)
	})
	t.Run("back by itself once there is room, with hysteresis", func(t *testing.T) {
		x := probe(newTM(t, cfg), full)
		probe(x, disk(cfg.MinFree)) // above the threshold but not a tenth above: stays
		oos(x, OOSDiskFull)
		probe(x, disk(cfg.backFree()-1))
		oos(x, OOSDiskFull)
		probe(x, room).screen(Idle)
		logged(t, x.effs, "data disk has room again")
	})
	t.Run("free space unknown: out of service, the error logged", func(t *testing.T) {
		eio := fmt.Errorf("free space of %s: %w", dir, syscall.EIO)
		x := probe(newTM(t, cfg), Probed{Ambient: c(22), Disk: &DiskSpace{Dir: dir, Err: eio}})
		oos(x, OOSDiskFull)
		if l := logged(t, x.effs, "data disk: free space unknown: out of service"); arg(l, "err") != eio || arg(l, "path") != dir {
			t.Fatalf("log %+v", l)
		}
		probe(x, room).screen(Idle)
	})
	t.Run("not watched: no disk in the probe, no effect", func(t *testing.T) {
		probe(newTM(t, cfg), Probed{Ambient: c(22)}).screen(Idle)
	})
	t.Run("no effect during a visit", func(t *testing.T) {
		for _, given := range []func(x *tm){
			func(x *tm) { x.do(Start{}) },
			func(x *tm) { x.toSymptoms(booking()) },
			func(x *tm) { x.toMeasure() },
			func(x *tm) { x.toMeasure().measured(x.reading(36.6), nil).stores(Admit, ReasonOK) },
		} {
			x := newTM(t, cfg)
			given(x)
			sc := x.m.view.Screen
			if _, probes := effect[ProbeSensor](x.do(ProbeDue{}).effs); probes {
				t.Fatalf("probes on %s", sc)
			}
			// A probe that started on Idle and answers after the visitor came.
			x.do(full).screen(sc)
			if _, ok := effect[Log](x.effs); ok {
				t.Fatalf("on %s: logged %s", sc, describe(x.effs))
			}
		}
	})
	t.Run("a visit in progress ends, then the kiosk stops", func(t *testing.T) {
		x := newTM(t, cfg).toMeasure()
		x.do(full).screen(Measure)
		x.measured(x.reading(36.6), nil).stores(Admit, ReasonOK)
		x.after(cfg.DecisionTime).do(Tick{}).screen(Idle)
		oos(probe(x, full), OOSDiskFull)
	})
	t.Run("the sensor fails too: each cause in turn, then back", func(t *testing.T) {
		x := probe(newTM(t, cfg), full)
		probe(x, Probed{Err: sensor.ErrFault, Disk: &DiskSpace{Dir: dir, Free: cfg.MinFree - 1}})
		oos(x, OOSSensor)
		probe(x, full)
		oos(x, OOSDiskFull)
		probe(x, room).screen(Idle)
	})
	for _, sticky := range []struct {
		cause string
		given func(x *tm)
	}{
		{OOSStorage, func(x *tm) {
			x.toMeasure().measured(x.reading(36.6), nil)
			x.do(Stored{Err: errors.New("write: no space left on device")})
		}},
		{OOSCorrupt, func(x *tm) { x.m = corrupted(x.m) }},
	} {
		t.Run("out of service for "+sticky.cause+": space returning does not clear it", func(t *testing.T) {
			x := newTM(t, cfg)
			sticky.given(x)
			oos(x, sticky.cause)
			if _, probes := effect[ProbeSensor](x.do(ProbeDue{}).effs); probes {
				t.Fatal("probes while out of service for " + sticky.cause)
			}
			x.do(room) // a late answer to a probe from before
			oos(x, sticky.cause)
			x.do(full)
			oos(x, sticky.cause)
		})
	}
	t.Run("a guard's out of service is not cleared by space returning", func(t *testing.T) {
		x := probe(newTM(t, cfg), full)
		x.m.view = State{Seq: x.m.view.Seq, Screen: OutOfService, OutOfService: OOSGuard, Lang: cfg.Lang}
		x.do(room)
		oos(x, OOSGuard)
	})
	t.Run("a guard puts it back while the disk is still full: the next probe stops it again", func(t *testing.T) {
		x := probe(newTM(t, cfg), full)
		x.do(backInService{}).screen(Idle)
		oos(probe(x, full), OOSDiskFull)
	})
}

// logged returns the Log effect with message msg.
func logged(t *testing.T, effs []Effect, msg string) Log {
	t.Helper()
	for _, e := range effs {
		if l, ok := e.(Log); ok && l.Msg == msg {
			return l
		}
	}
	t.Fatalf("no log %q in %+v", msg, effs)
	return Log{}
}

// arg returns the value logged under key.
func arg(l Log, key string) any {
	for i := 0; i+1 < len(l.Args); i += 2 {
		if l.Args[i] == key {
			return l.Args[i+1]
		}
	}
	return nil
}
