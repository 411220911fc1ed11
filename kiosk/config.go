package kiosk

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
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
	// MinFree is the free space, in bytes, the filesystem holding the
	// database must keep (store.min_free): below it the idle probe takes
	// the kiosk out of service (OOSDiskFull); it comes back at
	// MinFree + MinFree/10, so that it does not flap.
	MinFree uint64
}

// Sizes, in bytes, as store.min_free writes them: kB, MB and GB are
// decimal (as df -H and the SD card's label count), KiB, MiB and GiB binary.
const (
	KB  = 1000
	MB  = 1000 * KB
	GB  = 1000 * MB
	KiB = 1 << 10
	MiB = 1 << 20
	GiB = 1 << 30
)

// MinFree's range: a MB leaves no room for a day's screenings; more than a
// hundred GB is a typing error on a kiosk's SD card.
const (
	MinFreeLow  = 1 * MB
	MinFreeHigh = 100 * GB
)

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
		// A day of 1,000 screenings takes about 1.5 MB in the database and
		// its export 0.5 MB (README, Out of service): 16 MB is a week of
		// them, well inside the 256 MB data disk of make vm-check.
		MinFree: 16 * MB,
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
	if c.MinFree < MinFreeLow || c.MinFree > MinFreeHigh {
		errs = append(errs, fmt.Errorf("store.min_free = %s: want %s–%s", FormatSize(c.MinFree), FormatSize(MinFreeLow), FormatSize(MinFreeHigh)))
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

// backFree is the free space that puts a kiosk out of service for a full
// disk back in service: a tenth above MinFree.
func (c *Config) backFree() uint64 { return c.MinFree + c.MinFree/10 }

// FormatSize writes n bytes in the largest unit that holds it exactly:
// "16MB", "512MiB", "1500kB", "123B".
func FormatSize(n uint64) string {
	for _, u := range []struct {
		size uint64
		name string
	}{{GB, "GB"}, {GiB, "GiB"}, {MB, "MB"}, {MiB, "MiB"}, {KB, "kB"}, {KiB, "KiB"}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d%s", n/u.size, u.name)
		}
	}
	return fmt.Sprintf("%dB", n)
}

var sizeText = regexp.MustCompile(`^([0-9]+) *([A-Za-z]*)$`)

var sizeUnits = map[string]uint64{"b": 1, "kb": KB, "mb": MB, "gb": GB, "kib": KiB, "mib": MiB, "gib": GiB}

// ParseSize reads a size with its unit, as FormatSize writes it: "16MB",
// "512 MiB", "1GB" (the unit's case does not matter). A bare number is an
// error: 16 could be bytes or megabytes.
func ParseSize(s string) (uint64, error) {
	m := sizeText.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size such as \"16MB\"", s)
	}
	if m[2] == "" {
		return 0, fmt.Errorf("%q: a size needs a unit, e.g. \"16MB\" (kB, MB, GB, KiB, MiB, GiB or B)", s)
	}
	unit, ok := sizeUnits[strings.ToLower(m[2])]
	if !ok {
		return 0, fmt.Errorf("%q: unknown unit %q: want kB, MB, GB, KiB, MiB, GiB or B", s, m[2])
	}
	n, err := strconv.ParseUint(m[1], 10, 64)
	if err != nil || n > math.MaxUint64/unit {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n * unit, nil
}
