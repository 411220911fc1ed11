package kiosk

import (
	"errors"
	"fmt"
	"math"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/storage"
)

// Rule is the screening rule in force. Its TOML keys are the [rule]
// section of the configuration file.
type Rule struct {
	ThresholdC    float64       `toml:"threshold_c"`       // shown temperature above this is fever; the threshold itself passes
	Retest        bool          `toml:"retest"`            // a first fever reading asks for one retest
	RetestBandC   float64       `toml:"retest_band_c"`     // readings within this far below the threshold also retest; 0 for none
	RetestPause   time.Duration `toml:"retest_pause"`      // pause before the retest
	PlausibleMinC float64       `toml:"plausible_min_c"`   // shown below this: not a forehead, or too far; measure again
	PlausibleMaxC float64       `toml:"plausible_max_c"`   // shown above this: an anomaly; measure again
	AmbientMinC   float64       `toml:"ambient_min_c"`     // room colder than this: out of service
	AmbientMaxC   float64       `toml:"ambient_max_c"`     // room warmer than this: out of service
	MaxAttempts   int           `toml:"max_attempts"`      // failed measurements before the guard is called
	Symptoms      bool          `toml:"symptoms_question"` // ask the symptoms question
}

// DefaultRule is the office's rule: above 37.3 °C is fever.
var DefaultRule = Rule{
	ThresholdC:    37.3,
	Retest:        true,
	RetestBandC:   0,
	RetestPause:   10 * time.Second,
	PlausibleMinC: 34.0,
	PlausibleMaxC: 42.5,
	AmbientMinC:   15.0,
	AmbientMaxC:   32.0,
	MaxAttempts:   3,
	Symptoms:      true,
}

// Validate checks the rule; errors name the configuration key. Every range
// check is written so that NaN fails it.
func (r Rule) Validate() error {
	var errs []error
	if !in(r.ThresholdC, 35, 40) || !isTenths(r.ThresholdC) {
		errs = append(errs, fmt.Errorf("rule.threshold_c = %v: want 35.0–40.0 in steps of 0.1 (what is shown is what is judged)", r.ThresholdC))
	}
	if !in(r.RetestBandC, 0, 1) || !isTenths(r.RetestBandC) {
		errs = append(errs, fmt.Errorf("rule.retest_band_c = %v: want 0.0–1.0 in steps of 0.1", r.RetestBandC))
	}
	if r.RetestPause < 0 || r.RetestPause > 2*time.Minute {
		errs = append(errs, fmt.Errorf("rule.retest_pause = %v: want 0s–2m", r.RetestPause))
	}
	if !in(r.PlausibleMinC, 30, r.ThresholdC) || r.PlausibleMinC == r.ThresholdC {
		errs = append(errs, fmt.Errorf("rule.plausible_min_c = %v: want 30.0 or more and below the threshold", r.PlausibleMinC))
	}
	if !in(r.PlausibleMaxC, r.ThresholdC, 45) || r.PlausibleMaxC == r.ThresholdC {
		errs = append(errs, fmt.Errorf("rule.plausible_max_c = %v: want above the threshold and at most 45.0", r.PlausibleMaxC))
	}
	if !in(r.AmbientMinC, 0, 40) {
		errs = append(errs, fmt.Errorf("rule.ambient_min_c = %v: want 0.0–40.0", r.AmbientMinC))
	}
	if !in(r.AmbientMaxC, 0, 40) || !(r.AmbientMinC < r.AmbientMaxC) {
		errs = append(errs, fmt.Errorf("rule.ambient_max_c = %v: want at most 40.0 and above rule.ambient_min_c", r.AmbientMaxC))
	}
	if r.MaxAttempts < 1 || r.MaxAttempts > 10 {
		errs = append(errs, fmt.Errorf("rule.max_attempts = %d: want 1–10", r.MaxAttempts))
	}
	return errors.Join(errs...)
}

// in reports whether lo ≤ v ≤ hi; false for NaN.
func in(v, lo, hi float64) bool { return lo <= v && v <= hi }

func isTenths(v float64) bool { return math.Abs(v*10-math.Round(v*10)) < 1e-9 }

// Tenths is a temperature in tenths of a degree Celsius: what the screen
// shows and the rule judges.
type Tenths int

// ShownTenths rounds a temperature half-up to 0.1 °C: 37.25 becomes 37.3,
// 37.24 stays 37.2. It works on exact nanokelvins, so no float can turn
// 37.35 into 37.3.
func ShownTenths(t physic.Temperature) Tenths {
	const tenth = 100 * physic.MilliKelvin
	n := t - physic.ZeroCelsius + tenth/2
	q := n / tenth
	if n%tenth < 0 { // floor, also below 0 °C
		q--
	}
	return Tenths(q)
}

// TenthsOf converts a configured °C value (already checked to be in steps
// of 0.1) to Tenths.
func TenthsOf(c float64) Tenths { return Tenths(math.Round(c * 10)) }

// Celsius returns the value in °C.
func (t Tenths) Celsius() float64 { return float64(t) / 10 }

// String returns e.g. "37.4".
func (t Tenths) String() string {
	sign := ""
	if t < 0 {
		sign, t = "-", -t
	}
	return fmt.Sprintf("%s%d.%d", sign, t/10, t%10)
}

// Fever reports whether a shown temperature is fever under the rule.
func (r Rule) Fever(shown Tenths) bool { return shown > TenthsOf(r.ThresholdC) }

// wantsRetest reports whether a first reading should be measured again
// before it decides: a fever reading, or one in the band just below.
func (r Rule) wantsRetest(shown Tenths) bool {
	return r.Retest && shown > TenthsOf(r.ThresholdC)-TenthsOf(r.RetestBandC)
}

// plausible reports whether a shown temperature can be a forehead's.
func (r Rule) plausible(shown Tenths) bool {
	return shown >= TenthsOf(r.PlausibleMinC) && shown <= TenthsOf(r.PlausibleMaxC)
}

// ambientOK reports whether the room is one the sensor can judge in.
func (r Rule) ambientOK(t physic.Temperature) bool {
	c := t.Celsius()
	return c >= r.AmbientMinC && c <= r.AmbientMaxC
}

// BookingRules is when a booking admits.
type BookingRules struct {
	EarlyMin int  `toml:"early_min"` // minutes before the slot start a visitor may enter
	LateMin  int  `toml:"late_min"`  // minutes after the slot start a visitor may still enter
	Reentry  bool `toml:"reentry"`   // a booking already used today may be used again
}

// DefaultBookingRules: a quarter of an hour either side, one entry.
var DefaultBookingRules = BookingRules{EarlyMin: 15, LateMin: 15}

// Validate checks the rules; errors name the configuration key.
func (b BookingRules) Validate() error {
	var errs []error
	if b.EarlyMin < 0 || b.EarlyMin > 240 {
		errs = append(errs, fmt.Errorf("booking.early_min = %d: want 0–240", b.EarlyMin))
	}
	if b.LateMin < 0 || b.LateMin > 240 {
		errs = append(errs, fmt.Errorf("booking.late_min = %d: want 0–240", b.LateMin))
	}
	return errors.Join(errs...)
}

// CheckBooking says whether booking bk admits at now, with the reason when
// it does not: cancelled, already_used, then the window: inside it is ok
// (even across midnight); outside it, not_today when the slot is on another
// day in loc, else too_early or too_late.
func (b BookingRules) CheckBooking(bk storage.Booking, now time.Time, loc *time.Location) Reason {
	opens := bk.Start.Add(-time.Duration(b.EarlyMin) * time.Minute)
	closes := bk.Start.Add(time.Duration(b.LateMin) * time.Minute)
	switch {
	case bk.Status == storage.StatusCancelled:
		return ReasonCancelled
	case !bk.UsedAt.IsZero() && !b.Reentry:
		return ReasonUsed
	case !now.Before(opens) && !now.After(closes):
		return ReasonOK
	case !sameDay(bk.Start, now, loc):
		return ReasonNotToday
	case now.Before(opens):
		return ReasonTooEarly
	}
	return ReasonTooLate
}

func sameDay(a, b time.Time, loc *time.Location) bool {
	ay, am, ad := a.In(loc).Date()
	by, bm, bd := b.In(loc).Date()
	return ay == by && am == bm && ad == bd
}
