package storage

import (
	"fmt"
	"time"
)

// dayLayout is how a Day is written everywhere: in keys, file names, flags
// and JSON.
const dayLayout = "2006-01-02"

// Day is a calendar day in the kiosk's time zone. Screenings, audit entries
// and bookings belong to the day of their local time; exports and retention
// work in whole days. The zero Day means "no day".
type Day struct {
	y int
	m time.Month
	d int
}

// NewDay returns the day y-m-d, normalised like time.Date (so 31 April is
// 1 May).
func NewDay(y int, m time.Month, d int) Day {
	t := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	return Day{t.Year(), t.Month(), t.Day()}
}

// ParseDay parses YYYY-MM-DD.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(dayLayout, s)
	if err != nil {
		return Day{}, fmt.Errorf("day %q: want YYYY-MM-DD", s)
	}
	return Day{t.Year(), t.Month(), t.Day()}, nil
}

// DayOf returns the day that t falls on in loc.
func DayOf(t time.Time, loc *time.Location) Day {
	t = t.In(loc)
	return Day{t.Year(), t.Month(), t.Day()}
}

// IsZero reports whether d is the zero Day.
func (d Day) IsZero() bool { return d == Day{} }

// String returns YYYY-MM-DD.
func (d Day) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.y, d.m, d.d)
}

// Start returns the first instant of d in loc. A day is not always 24 hours
// long (daylight saving), so a day's end is the next day's start.
func (d Day) Start(loc *time.Location) time.Time {
	return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, loc)
}

// AddDays returns the day n days after d (before, for a negative n).
func (d Day) AddDays(n int) Day { return NewDay(d.y, d.m, d.d+n) }

// Before reports whether d is earlier than e.
func (d Day) Before(e Day) bool {
	if d.y != e.y {
		return d.y < e.y
	}
	if d.m != e.m {
		return d.m < e.m
	}
	return d.d < e.d
}

// MarshalText writes YYYY-MM-DD, so a Day is a plain string in JSON.
func (d Day) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD; an empty string is the zero Day.
func (d *Day) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Day{}
		return nil
	}
	p, err := ParseDay(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}
