// Package config reads thermogate's TOML configuration. The defaults are
// deploy/config.example.toml itself, so the documented file and the
// program can never disagree. Unknown keys and values out of range are
// errors that name the key.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/thermogate/thermogate/deploy"
	"github.com/thermogate/thermogate/internal/door"
	"github.com/thermogate/thermogate/internal/metrics"
	"github.com/thermogate/thermogate/internal/sound"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/sensor"
)

// DefaultPath is where the kiosk looks for its configuration.
const DefaultPath = "/etc/thermogate/config.toml"

// Config is the whole configuration file.
type Config struct {
	KioskID  string `toml:"kiosk_id"`
	Timezone string `toml:"timezone"`

	Rule struct {
		ThresholdC    float64       `toml:"threshold_c"`
		Retest        bool          `toml:"retest"`
		RetestBandC   float64       `toml:"retest_band_c"`
		RetestPause   time.Duration `toml:"retest_pause"`
		PlausibleMinC float64       `toml:"plausible_min_c"`
		PlausibleMaxC float64       `toml:"plausible_max_c"`
		AmbientMinC   float64       `toml:"ambient_min_c"`
		AmbientMaxC   float64       `toml:"ambient_max_c"`
		MaxAttempts   int           `toml:"max_attempts"`
		Symptoms      bool          `toml:"symptoms_question"`
	} `toml:"rule"`

	Estimate struct {
		Model   string  `toml:"model"`
		OffsetC float64 `toml:"offset_c"`
		K       float64 `toml:"k"`
	} `toml:"estimate"`

	Booking struct {
		EarlyMin int  `toml:"early_min"`
		LateMin  int  `toml:"late_min"`
		Reentry  bool `toml:"reentry"`
	} `toml:"booking"`

	Sensor struct {
		Driver string `toml:"driver"`
		Bus    string `toml:"bus"`
		Addr   int    `toml:"addr"`
		Room   string `toml:"room"`
	} `toml:"sensor"`

	Store struct {
		Path string `toml:"path"`
	} `toml:"store"`

	Export struct {
		Dir           string `toml:"dir"`
		Time          string `toml:"time"`
		RetentionDays int    `toml:"retention_days"`
		PostCommand   string `toml:"post_command"`
	} `toml:"export"`

	UI struct {
		Lang         string        `toml:"lang"`
		InputTimeout time.Duration `toml:"input_timeout"`
		DecisionTime time.Duration `toml:"decision_time"`
		GuardTimeout time.Duration `toml:"guard_timeout"`
		SensorSide   string        `toml:"sensor_side"`
		BookingPhone string        `toml:"booking_phone"`
		Fullscreen   bool          `toml:"fullscreen"`
	} `toml:"ui"`

	Metrics metrics.Config `toml:"metrics"`
	Sound   sound.Config   `toml:"sound"`
	GPIO    door.Config    `toml:"gpio"`

	loc *time.Location
}

// Sensor drivers.
const (
	DriverMLX90614 = "mlx90614"
	DriverSim      = "sim"
)

// SensorSides the Measure screen can point to.
var SensorSides = []string{"left", "right", "top", "bottom"}

// Default returns the defaults: deploy/config.example.toml, parsed.
func Default() Config {
	c, err := Parse(deploy.ConfigExample, "config.example.toml")
	if err != nil {
		panic("BUG: the embedded example configuration is invalid: " + err.Error())
	}
	return c
}

// Load reads and checks the file at path.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read configuration: %w", err)
	}
	return Parse(b, path)
}

// Parse reads a configuration over the defaults and checks it. name is for
// messages. Every problem is reported, each naming its key.
func Parse(b []byte, name string) (Config, error) {
	var c Config
	if name != "config.example.toml" {
		c = Default()
	}
	md, err := toml.Decode(string(b), &c)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	var errs []error
	for _, k := range md.Undecoded() {
		errs = append(errs, fmt.Errorf("unknown key %s", k))
	}
	errs = append(errs, c.validate())
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("%s:\n%w", name, err)
	}
	return c, nil
}

var (
	hhmm  = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	phone = regexp.MustCompile(`^[0-9+() -]{1,20}$`)
)

func (c *Config) validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	if c.KioskID == "" || len(c.KioskID) > 64 || strings.ContainsAny(c.KioskID, ",\"\n\r") {
		bad("kiosk_id = %q: want 1–64 characters without commas, quotes or line breaks", c.KioskID)
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil || c.Timezone == "" {
		bad("timezone = %q: not a time zone name such as Europe/Vilnius", c.Timezone)
	}
	c.loc = loc

	if c.Sensor.Driver != DriverMLX90614 && c.Sensor.Driver != DriverSim {
		bad("sensor.driver = %q: want %q or %q", c.Sensor.Driver, DriverMLX90614, DriverSim)
	}
	if c.Sensor.Addr < 0x03 || c.Sensor.Addr > 0x77 {
		bad("sensor.addr = %#x: want a 7-bit I²C address, 0x03–0x77", c.Sensor.Addr)
	}
	if _, err := sensor.ParseRoomSpec(c.Sensor.Room); err != nil {
		bad("sensor.room: %v", err)
	}
	if c.Store.Path == "" {
		bad("store.path is empty")
	}
	if c.Export.Dir == "" {
		bad("export.dir is empty")
	}
	if !hhmm.MatchString(c.Export.Time) {
		bad("export.time = %q: want HH:MM, 00:00–23:59", c.Export.Time)
	}
	if c.Export.RetentionDays < 1 || c.Export.RetentionDays > 3650 {
		bad("export.retention_days = %d: want 1–3650", c.Export.RetentionDays)
	}
	if !slices.Contains(SensorSides, c.UI.SensorSide) {
		bad("ui.sensor_side = %q: want one of %s", c.UI.SensorSide, strings.Join(SensorSides, ", "))
	}
	if !phone.MatchString(c.UI.BookingPhone) {
		bad("ui.booking_phone = %q: want up to 20 digits, spaces, +, ( ) or -", c.UI.BookingPhone)
	}
	if err := c.Metrics.Validate(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.Sound.Validate(), c.GPIO.Validate())
	if c.loc != nil {
		if _, err := c.kiosk(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Location returns the configured time zone.
func (c Config) Location() *time.Location { return c.loc }

// Kiosk returns the flow's configuration. notBefore is the earliest
// believable time (the build date).
func (c Config) Kiosk(notBefore time.Time) kiosk.Config {
	k, err := c.kiosk()
	if err != nil {
		panic("BUG: Kiosk on a configuration that did not validate: " + err.Error())
	}
	k.NotBefore = notBefore
	return k
}

func (c Config) kiosk() (kiosk.Config, error) {
	param := c.Estimate.OffsetC
	if c.Estimate.Model == sensor.ModelHeatBalance {
		param = c.Estimate.K
	}
	m, err := sensor.NewModel(c.Estimate.Model, param)
	if err != nil {
		key := "estimate.offset_c"
		switch {
		case c.Estimate.Model == sensor.ModelHeatBalance:
			key = "estimate.k"
		case c.Estimate.Model != sensor.ModelOffset:
			key = "estimate.model"
		}
		return kiosk.Config{}, fmt.Errorf("%s: %w", key, err)
	}
	k := kiosk.Config{
		KioskID:  c.KioskID,
		Location: c.loc,
		Rule: kiosk.Rule{
			ThresholdC:    c.Rule.ThresholdC,
			Retest:        c.Rule.Retest,
			RetestBandC:   c.Rule.RetestBandC,
			RetestPause:   c.Rule.RetestPause,
			PlausibleMinC: c.Rule.PlausibleMinC,
			PlausibleMaxC: c.Rule.PlausibleMaxC,
			AmbientMinC:   c.Rule.AmbientMinC,
			AmbientMaxC:   c.Rule.AmbientMaxC,
			MaxAttempts:   c.Rule.MaxAttempts,
			Symptoms:      c.Rule.Symptoms,
		},
		Booking:      kiosk.BookingRules{EarlyMin: c.Booking.EarlyMin, LateMin: c.Booking.LateMin, Reentry: c.Booking.Reentry},
		Model:        m,
		Lang:         kiosk.Lang(c.UI.Lang),
		BookingPhone: c.UI.BookingPhone,
		InputTimeout: c.UI.InputTimeout,
		DecisionTime: c.UI.DecisionTime,
		GuardTimeout: c.UI.GuardTimeout,
	}
	return k, k.Validate()
}

// ExportAt returns the export time of day as hours and minutes.
func (c Config) ExportAt() (hour, minute int) {
	fmt.Sscanf(c.Export.Time, "%d:%d", &hour, &minute)
	return hour, minute
}

// SocketPath is the admin socket, beside the database.
func (c Config) SocketPath() string { return SocketPath(c.Store.Path) }

// SocketPath returns the admin socket of the database at dbPath.
func SocketPath(dbPath string) string {
	return filepath.Join(filepath.Dir(dbPath), strings.TrimSuffix(filepath.Base(dbPath), filepath.Ext(dbPath))+".sock")
}
