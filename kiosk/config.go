package kiosk

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/thermogate/thermogate/sensor"
)

// Config is the flow's configuration.
type Config struct {
	KioskID      string
	Location     *time.Location // days and booking windows are counted here
	Rule         Rule
	Booking      BookingRules
	Model        sensor.Model
	Lang         Lang          // the default language, back on Idle
	InputTimeout time.Duration // Code and Symptoms return to Idle after this without input
	DecisionTime time.Duration // how long an admit stays on screen
	DenyTime     time.Duration // how long a denial or referral stays: the visitor may note the phone number
	GuardTimeout time.Duration // the guard screens close after this without input
	BookingPhone string        // the office's booking number, for "call … to book"
	// NotBefore: a clock earlier than this is plainly wrong (a Pi without a
	// real-time clock before NTP); the kiosk stops instead of judging
	// booking windows. Zero disables the check.
	NotBefore time.Time
}

// DefaultConfig returns the defaults of every field.
func DefaultConfig() Config {
	return Config{
		KioskID:      "door-1",
		Location:     time.Local,
		Rule:         DefaultRule,
		Booking:      DefaultBookingRules,
		Model:        sensor.DefaultModel(),
		Lang:         LT,
		InputTimeout: 60 * time.Second,
		DecisionTime: 10 * time.Second,
		DenyTime:     20 * time.Second,
		GuardTimeout: 90 * time.Second,
		BookingPhone: "1664",
	}
}

var phone = regexp.MustCompile(`^[0-9+() -]{1,20}$`)

// Validate checks the configuration; errors name the configuration key.
func (c Config) Validate() error {
	var errs []error
	if c.KioskID == "" || len(c.KioskID) > 80 || strings.IndexFunc(c.KioskID, unicode.IsControl) >= 0 {
		errs = append(errs, fmt.Errorf("kiosk_id = %q: want 1–80 characters, no control characters", c.KioskID))
	}
	if c.Location == nil {
		errs = append(errs, errors.New("timezone is not set"))
	}
	errs = append(errs, c.Rule.Validate(), c.Booking.Validate())
	if _, err := sensor.NewModel(c.Model.Name, c.Model.Param); err != nil {
		errs = append(errs, fmt.Errorf("estimate: %w", err))
	}
	if !slices.Contains(Languages, c.Lang) {
		errs = append(errs, fmt.Errorf("ui.lang = %q: want one of %v", c.Lang, Languages))
	}
	if !phone.MatchString(c.BookingPhone) {
		errs = append(errs, fmt.Errorf("ui.booking_phone = %q: want up to 20 digits, spaces, +, ( ) or -", c.BookingPhone))
	}
	for _, d := range []struct {
		key    string
		v      time.Duration
		lo, hi time.Duration
	}{
		{"ui.input_timeout", c.InputTimeout, 10 * time.Second, 10 * time.Minute},
		{"ui.decision_time", c.DecisionTime, 2 * time.Second, 2 * time.Minute},
		{"ui.deny_time", c.DenyTime, 2 * time.Second, 2 * time.Minute},
		{"ui.guard_timeout", c.GuardTimeout, 10 * time.Second, 30 * time.Minute},
	} {
		if d.v < d.lo || d.v > d.hi {
			errs = append(errs, fmt.Errorf("%s = %v: want %v–%v", d.key, d.v, d.lo, d.hi))
		}
	}
	return errors.Join(errs...)
}

// settings is what the screens show of c.
func (c *Config) settings() Settings {
	return Settings{Lang: c.Lang, ThresholdC: c.Rule.ThresholdC, MaxAttempts: c.Rule.MaxAttempts,
		EarlyMin: c.Booking.EarlyMin, Location: c.Location, BookingPhone: c.BookingPhone,
		DecisionTime: c.DecisionTime, DenyTime: c.DenyTime}
}
