package kiosk

import (
	"math"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/storage"
)

func TestShownTenthsRoundsHalfUp(t *testing.T) {
	tests := []struct {
		in   physic.Temperature
		want string
	}{
		{c(37.25), "37.3"},
		{c(37.25) - physic.NanoKelvin, "37.2"},
		{c(37.35), "37.4"},
		{c(37.34), "37.3"},
		{c(37.3), "37.3"},
		{c(36.95), "37.0"},
		{c(0), "0.0"},
		{c(-0.04), "0.0"},
		{c(-0.05), "0.0"}, // half-up: −0.05 rounds towards +∞
		{c(-0.06), "-0.1"},
	}
	for _, tt := range tests {
		if got := ShownTenths(tt.in).String(); got != tt.want {
			t.Errorf("ShownTenths(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestFeverThresholdItselfPasses(t *testing.T) {
	r := DefaultRule
	for shown, want := range map[Tenths]bool{372: false, 373: false, 374: true, 400: true} {
		if got := r.Fever(shown); got != want {
			t.Errorf("Fever(%s) = %v, want %v", shown, got, want)
		}
	}
	r.RetestBandC = 0.2
	for shown, want := range map[Tenths]bool{371: false, 372: true, 373: true, 374: true} {
		if got := r.wantsRetest(shown); got != want {
			t.Errorf("band 0.2: wantsRetest(%s) = %v, want %v", shown, got, want)
		}
	}
	r.Retest = false
	if r.wantsRetest(390) {
		t.Error("retest off still asks for one")
	}
}

func TestCheckBooking(t *testing.T) {
	b := DefaultBookingRules
	slot := storage.Booking{Code: "AB12CD", Start: t0, Minutes: 15, Status: storage.StatusActive}
	used := slot
	used.UsedAt = t0.Add(-time.Hour)
	cancelled := slot
	cancelled.Status = storage.StatusCancelled
	cancelledTomorrow := cancelled
	cancelledTomorrow.Start = t0.AddDate(0, 0, 1)
	tomorrow := slot
	tomorrow.Start = t0.AddDate(0, 0, 1)
	// A slot at 23:55: its window runs past midnight; outside it, days count
	// in the zone (00:30 in Vilnius is still 22:30 the day before in UTC).
	lateEvening := slot
	lateEvening.Start = time.Date(2026, 11, 24, 23, 55, 0, 0, vilnius)
	tests := []struct {
		name string
		bk   storage.Booking
		now  time.Time
		want Reason
	}{
		{"on time", slot, t0, ReasonOK},
		{"earliest", slot, t0.Add(-15 * time.Minute), ReasonOK},
		{"a second too early", slot, t0.Add(-15*time.Minute - time.Second), ReasonTooEarly},
		{"latest", slot, t0.Add(15 * time.Minute), ReasonOK},
		{"a second too late", slot, t0.Add(15*time.Minute + time.Second), ReasonTooLate},
		{"tomorrow", tomorrow, t0, ReasonNotToday},
		{"used", used, t0, ReasonUsed},
		{"cancelled", cancelled, t0, ReasonCancelled},
		{"cancelled beats not today", cancelledTomorrow, t0, ReasonCancelled},
		{"late window across midnight", lateEvening, time.Date(2026, 11, 25, 0, 5, 0, 0, vilnius), ReasonOK},
		{"after midnight, outside the window", lateEvening, time.Date(2026, 11, 25, 0, 30, 0, 0, vilnius), ReasonNotToday},
		{"used beats the window", used, t0.Add(-time.Hour), ReasonUsed},
	}
	for _, tt := range tests {
		if got := b.CheckBooking(tt.bk, tt.now, vilnius); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	b.Reentry = true
	if got := b.CheckBooking(used, t0, vilnius); got != ReasonOK {
		t.Errorf("re-entry allowed: %s, want ok", got)
	}
}

func TestConfigValidateNamesTheKey(t *testing.T) {
	tests := []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Rule.ThresholdC = 37.25 }, "rule.threshold_c"},
		{func(c *Config) { c.Rule.ThresholdC = 45 }, "rule.threshold_c"},
		{func(c *Config) { c.Rule.PlausibleMinC = 38 }, "rule.plausible_min_c"},
		{func(c *Config) { c.Rule.AmbientMinC, c.Rule.AmbientMaxC = 30, 20 }, "rule.ambient_min_c"},
		{func(c *Config) { c.Rule.MaxAttempts = 0 }, "rule.max_attempts"},
		{func(c *Config) { c.Booking.EarlyMin = -1 }, "booking.early_min"},
		{func(c *Config) { c.Lang = "de" }, "ui.lang"},
		{func(c *Config) { c.DecisionTime = time.Hour }, "ui.decision_time"},
		{func(c *Config) { c.Model.Param = 9 }, "estimate"},
		{func(c *Config) { c.Rule.PlausibleMinC = math.NaN() }, "rule.plausible_min_c"},
		{func(c *Config) { c.Rule.PlausibleMaxC = math.Inf(1) }, "rule.plausible_max_c"},
		{func(c *Config) { c.Rule.AmbientMinC = math.NaN() }, "rule.ambient_min_c"},
		{func(c *Config) { c.Rule.ThresholdC = math.NaN() }, "rule.threshold_c"},
		{func(c *Config) { c.KioskID = "" }, "kiosk_id"},
	}
	for _, tt := range tests {
		cfg := DefaultConfig()
		tt.mod(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("want an error naming %s, got %v", tt.want, err)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
}
