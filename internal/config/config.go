// Package config reads thermogate's TOML configuration. The defaults are
// Default(), built from the flow's own (kiosk.DefaultConfig) and this
// package's; `thermogate config default` renders them (Render) in the
// layout and comments of deploy/config.example.toml, and a test holds that
// file to the rendering byte for byte. Unknown keys, durations and sizes
// without a unit and values out of range are errors that name the key.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/thermogate/thermogate/internal/door"
	"github.com/thermogate/thermogate/internal/fleet"
	"github.com/thermogate/thermogate/internal/metrics"
	"github.com/thermogate/thermogate/internal/sound"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/sensor/mlx90614"
)

// DefaultPath is where the kiosk looks for its configuration.
const DefaultPath = "/etc/thermogate/config.toml"

// Config is the whole configuration file: one type per section.
type Config struct {
	KioskID  string `toml:"kiosk_id"`
	Timezone string `toml:"timezone"`

	Rule     kiosk.Rule         `toml:"rule"`
	Estimate Estimate           `toml:"estimate"`
	Booking  kiosk.BookingRules `toml:"booking"`
	Sensor   Sensor             `toml:"sensor"`
	Store    Store              `toml:"store"`
	Export   Export             `toml:"export"`
	UI       UI                 `toml:"ui"`

	Metrics metrics.Config `toml:"metrics"`
	Sound   sound.Config   `toml:"sound"`
	GPIO    door.Config    `toml:"gpio"`

	Fleet fleet.Config `toml:"fleet"`

	loc *time.Location
}

// Estimate is the body-temperature model: [estimate].
type Estimate struct {
	Model   string  `toml:"model"`
	OffsetC float64 `toml:"offset_c"`
	K       float64 `toml:"k"`
}

// Sensor is the thermometer: [sensor].
type Sensor struct {
	Driver string `toml:"driver"`
	Bus    string `toml:"bus"`
	Addr   int    `toml:"addr"`
	Room   string `toml:"room"`
}

// Store is the database: [store].
type Store struct {
	Path string `toml:"path"`
	// MinFree: with less free space than this on the database's
	// filesystem the kiosk stops screening (kiosk.Config.MinFree).
	MinFree Size `toml:"min_free"`
}

// Size is a number of bytes with its unit, e.g. "16MB" (kiosk.ParseSize).
// Like a duration it needs the unit: a bare 16 could be bytes or
// megabytes. UnmarshalTOML keeps whatever the file says, so that validate
// names a wrong value with every other problem, by its key.
type Size string

// UnmarshalTOML takes a TOML string; anything else is kept as text for
// validate to refuse.
func (s *Size) UnmarshalTOML(v any) error {
	*s = Size(fmt.Sprint(v))
	return nil
}

// Bytes is the size in bytes.
func (s Size) Bytes() (uint64, error) { return kiosk.ParseSize(string(s)) }

// Export is the nightly export: [export].
type Export struct {
	Dir           string `toml:"dir"`
	Time          string `toml:"time"`
	RetentionDays int    `toml:"retention_days"`
	PostCommand   string `toml:"post_command"`
	Backups       int    `toml:"backups"` // nightly database copies kept beside the export; 0: none
}

// UI is the touchscreen: [ui].
type UI struct {
	Lang         kiosk.Lang    `toml:"lang"`
	InputTimeout time.Duration `toml:"input_timeout"`
	DecisionTime time.Duration `toml:"decision_time"`
	DenyTime     time.Duration `toml:"deny_time"`
	GuardTimeout time.Duration `toml:"guard_timeout"`
	SensorSide   string        `toml:"sensor_side"`
	BookingPhone string        `toml:"booking_phone"`
	Fullscreen   bool          `toml:"fullscreen"`
	// ShowTemperature is whether the result screen shows the visitor's
	// temperature, which the whole queue can read.
	ShowTemperature ShowTemperature `toml:"show_temperature"`
}

// ShowTemperature is ui.show_temperature: "true" (on every result,
// smaller on an admit), "false" (never) or "deny_only" (on a denial only).
// The file may say true and false without quotes.
type ShowTemperature string

// The values of ui.show_temperature.
const (
	ShowTemperatureAlways   ShowTemperature = "true"
	ShowTemperatureNever    ShowTemperature = "false"
	ShowTemperatureDenyOnly ShowTemperature = "deny_only"
)

// ShowTemperatures are the values ui.show_temperature takes.
var ShowTemperatures = []ShowTemperature{ShowTemperatureAlways, ShowTemperatureNever, ShowTemperatureDenyOnly}

// UnmarshalTOML takes a TOML boolean or string; validate judges the value,
// so that a wrong one is reported with every other problem, by its key.
func (s *ShowTemperature) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case bool:
		*s = ShowTemperature(strconv.FormatBool(v))
	case string:
		*s = ShowTemperature(v)
	default:
		*s = ShowTemperature(fmt.Sprint(v))
	}
	return nil
}

// Sensor drivers.
const (
	DriverMLX90614 = "mlx90614"
	DriverSim      = "sim"
)

// SensorSides the Measure screen can point to.
var SensorSides = []string{"left", "right", "top", "bottom"}

// Default returns the defaults: the one source of them.
func Default() Config {
	k := kiosk.DefaultConfig()
	c := Config{
		KioskID:  k.KioskID,
		Timezone: "Europe/Vilnius",
		Rule:     k.Rule,
		Estimate: Estimate{Model: k.Model.Name, OffsetC: sensor.DefaultOffset, K: sensor.DefaultK},
		Booking:  k.Booking,
		Sensor:   Sensor{Driver: DriverMLX90614, Addr: int(mlx90614.DefaultAddr)},
		Store:    Store{Path: "/var/lib/thermogate/thermogate.db", MinFree: Size(kiosk.FormatSize(k.MinFree))},
		Export:   Export{Dir: "/var/lib/thermogate/export", Time: "02:00", RetentionDays: 30, Backups: 7},
		UI: UI{Lang: k.Lang, InputTimeout: k.InputTimeout, DecisionTime: k.DecisionTime, DenyTime: k.DenyTime, GuardTimeout: k.GuardTimeout,
			SensorSide: "right", BookingPhone: k.BookingPhone, Fullscreen: true, ShowTemperature: ShowTemperatureAlways},
		Metrics: metrics.Default(),
		Sound:   sound.Default(),
		GPIO:    door.Default(),
		Fleet:   fleet.Default(),
	}
	if err := c.validate(); err != nil {
		panic("BUG: the default configuration is invalid: " + err.Error())
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
	c := Default()
	md, err := toml.Decode(string(b), &c)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	var errs []error
	for _, k := range md.Undecoded() {
		errs = append(errs, fmt.Errorf("unknown key %s", k))
	}
	for _, k := range md.Keys() {
		if durationKeys[k.String()] && md.Type(k...) != "String" {
			errs = append(errs, fmt.Errorf("%s: a duration needs a unit, e.g. \"10s\" or \"2m\"", k))
		}
	}
	errs = append(errs, c.validate())
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("%s:\n%w", name, err)
	}
	return c, nil
}

var (
	hhmm    = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	kioskID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
)

// durationKeys are the keys of time.Duration fields, e.g. "rule.retest_pause".
var durationKeys = func() map[string]bool {
	keys := map[string]bool{}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := range t.NumField() {
			f := t.Field(i)
			key := f.Tag.Get("toml")
			switch {
			case key == "":
			case f.Type == reflect.TypeFor[time.Duration]():
				keys[prefix+key] = true
			case f.Type.Kind() == reflect.Struct:
				walk(f.Type, prefix+key+".")
			}
		}
	}
	walk(reflect.TypeFor[Config](), "")
	return keys
}()

func (c *Config) validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	if !kioskID.MatchString(c.KioskID) || strings.Trim(c.KioskID, ".") == "" {
		bad("kiosk_id = %q: want 1–64 of the letters A–Z and a–z, digits, '-', '_' and '.'", c.KioskID)
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
	if _, err := c.Store.MinFree.Bytes(); err != nil {
		bad("store.min_free: %v", err)
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
	if c.Export.Backups < 0 || c.Export.Backups > 365 {
		bad("export.backups = %d: want 0–365 (0: no nightly backup)", c.Export.Backups)
	}
	if !slices.Contains(SensorSides, c.UI.SensorSide) {
		bad("ui.sensor_side = %q: want one of %s", c.UI.SensorSide, strings.Join(SensorSides, ", "))
	}
	if !slices.Contains(ShowTemperatures, c.UI.ShowTemperature) {
		bad("ui.show_temperature = %q: want true, false or \"deny_only\"", string(c.UI.ShowTemperature))
	}
	if err := c.Metrics.Validate(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.Sound.Validate(), c.GPIO.Validate(), c.Fleet.Validate())
	errs = append(errs, c.checkPaths())
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
	minFree, err := c.Store.MinFree.Bytes()
	if err != nil {
		minFree = kiosk.DefaultConfig().MinFree // validate names the key; the range is judged on a number
	}
	k := kiosk.Config{
		MinFree:      minFree,
		KioskID:      c.KioskID,
		Location:     c.loc,
		Rule:         c.Rule,
		Booking:      c.Booking,
		Model:        m,
		Lang:         c.UI.Lang,
		BookingPhone: c.UI.BookingPhone,
		InputTimeout: c.UI.InputTimeout,
		DecisionTime: c.UI.DecisionTime,
		DenyTime:     c.UI.DenyTime,
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
