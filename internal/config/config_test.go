package config

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/thermogate/thermogate/deploy"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/sensor"
)

func TestDefaultsAreTheDocumentedExample(t *testing.T) {
	c, err := Parse(nil, "empty.toml")
	if err != nil {
		t.Fatal(err)
	}
	k := c.Kiosk(time.Time{})
	want := kiosk.DefaultConfig()
	if k.Rule != want.Rule || k.Booking != want.Booking || k.Model != sensor.DefaultModel() ||
		k.Lang != want.Lang || k.InputTimeout != want.InputTimeout || k.DecisionTime != want.DecisionTime || k.DenyTime != want.DenyTime ||
		k.GuardTimeout != want.GuardTimeout || k.KioskID != want.KioskID {
		t.Fatalf("the example configuration and the code's defaults differ:\n%+v\n%+v", k, want)
	}
	if c.Location().String() != "Europe/Vilnius" || c.Sensor.Addr != 0x5A || c.Sensor.Driver != DriverMLX90614 ||
		c.Store.Path != "/var/lib/thermogate/thermogate.db" || c.Export.Time != "02:00" || c.Export.RetentionDays != 30 {
		t.Fatalf("defaults %+v", c)
	}
	if h, m := c.ExportAt(); h != 2 || m != 0 {
		t.Fatalf("ExportAt = %d:%d", h, m)
	}
	if got := c.SocketPath(); got != "/var/lib/thermogate/thermogate.sock" {
		t.Fatalf("socket %q", got)
	}
}

func TestOverridesKeepOtherDefaults(t *testing.T) {
	c, err := Parse([]byte("kiosk_id = \"side-door\"\n[rule]\nthreshold_c = 37.5\n[estimate]\nmodel = \"heat-balance\"\nk = 0.2\n"), "t.toml")
	if err != nil {
		t.Fatal(err)
	}
	k := c.Kiosk(time.Time{})
	if k.KioskID != "side-door" || k.Rule.ThresholdC != 37.5 || k.Rule.PlausibleMinC != 34 ||
		k.Model.Name != sensor.ModelHeatBalance || k.Model.Param != 0.2 {
		t.Fatalf("%+v", k)
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		toml string
		want []string
	}{
		{"[rule]\nthresold_c = 37.3\n", []string{"unknown key rule.thresold_c"}},
		{"[rule]\nthreshold_c = 37.25\n", []string{"rule.threshold_c"}},
		{"[rule]\nthreshold_c = \"hot\"\n", []string{"line 2", "rule.threshold_c"}},
		{"[rule]\nretest_pause = \"ten seconds\"\n", []string{"rule.retest_pause"}},
		{"timezone = \"Mars/Olympus\"\n", []string{"timezone"}},
		{"[sensor]\naddr = 0x80\n", []string{"sensor.addr"}},
		{"[sensor]\ndriver = \"dht22\"\n", []string{"sensor.driver"}},
		{"[sensor]\nroom = \"bme680\"\n", []string{"sensor.room"}},
		{"[estimate]\nmodel = \"linear\"\n", []string{"estimate.model"}},
		{"[estimate]\noffset_c = 9\n", []string{"estimate.offset_c"}},
		{"[estimate]\nmodel = \"heat-balance\"\nk = 2\n", []string{"estimate.k"}},
		{"[export]\ntime = \"25:00\"\n", []string{"export.time"}},
		{"[export]\nretention_days = 0\n", []string{"export.retention_days"}},
		{"[ui]\nlang = \"de\"\n", []string{"ui.lang"}},
		{"[ui]\nsensor_side = \"behind\"\n", []string{"ui.sensor_side"}},
		{"[ui]\nbooking_phone = \"call us\"\n", []string{"ui.booking_phone"}},
		{"[ui]\nshow_temperature = \"deny\"\n", []string{`ui.show_temperature = "deny": want true, false or "deny_only"`}},
		{"[ui]\nshow_temperature = 1\n", []string{`ui.show_temperature = "1"`}},
		{"[ui]\nshow_temperature = \"True\"\n", []string{"ui.show_temperature"}},
		{"[booking]\nlate_min = -5\n[rule]\nmax_attempts = 0\n", []string{"booking.late_min", "rule.max_attempts"}}, // all problems at once
		{"kiosk_id = \"\"\n", []string{"kiosk_id"}},
		{"[rule]\nplausible_min_c = nan\n", []string{"rule.plausible_min_c"}},
		{"[rule]\nambient_max_c = inf\n", []string{"rule.ambient_max_c"}},
		{"[estimate]\noffset_c = nan\n", []string{"estimate.offset_c"}},
		{"[store]\nmin_free = 16\n", []string{`store.min_free: "16": a size needs a unit, e.g. "16MB"`}},
		{"[store]\nmin_free = \"16\"\n", []string{`store.min_free: "16": a size needs a unit`}},
		{"[store]\nmin_free = \"16 parsecs\"\n", []string{`store.min_free: "16 parsecs": unknown unit "parsecs"`}},
		{"[store]\nmin_free = \"500kB\"\n", []string{"store.min_free = 500kB: want 1MB–100GB"}},
		{"[store]\nmin_free = \"2TB\"\n", []string{`store.min_free: "2TB": unknown unit`}},
		{"[store]\nmin_free = \"200GB\"\n", []string{"store.min_free = 200GB: want 1MB–100GB"}},
		{"[store]\nmin_free = true\n", []string{`store.min_free: "true" is not a size`}},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.toml), "bad.toml")
		if err == nil {
			t.Errorf("%q accepted", tt.toml)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q does not name %s", tt.toml, err, w)
			}
		}
	}
}

// ui.show_temperature takes true and false as TOML booleans or strings,
// and "deny_only".
func TestShowTemperatureValues(t *testing.T) {
	for lit, want := range map[string]ShowTemperature{
		"true": ShowTemperatureAlways, `"true"`: ShowTemperatureAlways,
		"false": ShowTemperatureNever, `"false"`: ShowTemperatureNever,
		`"deny_only"`: ShowTemperatureDenyOnly,
	} {
		c, err := Parse([]byte("[ui]\nshow_temperature = "+lit+"\n"), "t.toml")
		if err != nil {
			t.Errorf("%s: %v", lit, err)
			continue
		}
		if c.UI.ShowTemperature != want {
			t.Errorf("%s: %q, want %q", lit, c.UI.ShowTemperature, want)
		}
	}
	if d := Default().UI.ShowTemperature; d != ShowTemperatureAlways {
		t.Errorf("default %q", d)
	}
}

func TestLoad(t *testing.T) {
	p := filepath.Join(t.TempDir(), "config.toml")
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "read configuration") {
		t.Fatalf("missing file: %v", err)
	}
	os.WriteFile(p, []byte("kiosk_id = \"x\"\n"), 0o600)
	if c, err := Load(p); err != nil || c.KioskID != "x" {
		t.Fatalf("%+v %v", c, err)
	}
}

// store.min_free reaches the flow in bytes, in either kind of unit.
func TestMinFree(t *testing.T) {
	for lit, want := range map[string]uint64{`"16MB"`: 16_000_000, `"64 MiB"`: 64 << 20, `"1GB"`: 1_000_000_000, `"1MB"`: 1_000_000} {
		c, err := Parse([]byte("[store]\nmin_free = "+lit+"\n"), "t.toml")
		if err != nil {
			t.Fatalf("%s: %v", lit, err)
		}
		if got := c.Kiosk(time.Time{}).MinFree; got != want {
			t.Errorf("%s: MinFree %d, want %d", lit, got, want)
		}
	}
	if d := Default(); d.Store.MinFree != "16MB" || d.Kiosk(time.Time{}).MinFree != kiosk.DefaultConfig().MinFree {
		t.Errorf("default %q", d.Store.MinFree)
	}
}

// A duration needs a unit: TOML's integer would be nanoseconds, and
// retest_pause = 10 would pause for 10 ns.
func TestDurationWithoutUnitNamesTheKey(t *testing.T) {
	for _, tt := range []struct{ toml, key string }{
		{"[rule]\nretest_pause = 10\n", "rule.retest_pause"},
		{"[ui]\ninput_timeout = 60\n", "ui.input_timeout"},
		{"[ui]\ndecision_time = 10\n", "ui.decision_time"},
		{"[ui]\nguard_timeout = 90\n", "ui.guard_timeout"},
	} {
		_, err := Parse([]byte(tt.toml), "t.toml")
		if err == nil || !strings.Contains(err.Error(), tt.key) || !strings.Contains(err.Error(), "unit") {
			t.Errorf("%q: %v, want an error naming %s and its missing unit", tt.toml, err, tt.key)
		}
	}
}

// kiosk_id goes into every record and export file name: a safe set only.
func TestKioskIDIsASafeName(t *testing.T) {
	for _, bad := range []string{"door 1", "door\x00", "door\t1", "../etc", "door/1", "dóor", "door;rm"} {
		if _, err := Parse([]byte(fmt.Sprintf("kiosk_id = %q\n", bad)), "t.toml"); err == nil || !strings.Contains(err.Error(), "kiosk_id") {
			t.Errorf("kiosk_id %q: %v", bad, err)
		}
	}
	for _, good := range []string{"door-1", "Side_Door.2", "a"} {
		if _, err := Parse([]byte(fmt.Sprintf("kiosk_id = %q\n", good)), "t.toml"); err != nil {
			t.Errorf("kiosk_id %q: %v", good, err)
		}
	}
}

// The example file is the defaults, every key of them, and parsing it on
// its own (no defaults underneath) gives Default().
func TestExampleIsTheDefaults(t *testing.T) {
	var c Config
	md, err := toml.Decode(string(deploy.ConfigExample), &c)
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Undecoded()) > 0 {
		t.Fatalf("unknown keys in the example: %v", md.Undecoded())
	}
	def := Default()
	c.loc = def.loc // set by validation
	if !reflect.DeepEqual(c, def) {
		t.Fatalf("the example and Default() differ:\nexample %+v\ndefault %+v", c, def)
	}
	// Every key is in the example.
	leaves := 0
	for _, k := range md.Keys() {
		if md.Type(k...) != "Hash" {
			leaves++
		}
	}
	if want := countLeaves(reflect.TypeOf(c)); leaves != want {
		t.Fatalf("the example has %d keys, the configuration %d", leaves, want)
	}
	if _, err := Parse(deploy.ConfigExample, "config.example.toml"); err != nil {
		t.Fatal(err)
	}
}

func countLeaves(t reflect.Type) int {
	n := 0
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Tag.Get("toml") == "" {
			continue
		}
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Duration(0)) {
			n += countLeaves(f.Type)
			continue
		}
		n++
	}
	return n
}

// `thermogate config default` renders Default() in the example's layout;
// the example file is exactly that, byte for byte. After changing a
// default in code, regenerate it: go test ./internal/config -run
// TestExampleIsRenderedFromCode -update
func TestExampleIsRenderedFromCode(t *testing.T) {
	got, err := Render(Default(), deploy.ConfigExample)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("../../deploy/config.example.toml", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, deploy.ConfigExample) {
		t.Fatalf("deploy/config.example.toml is not Default() rendered; run with -update to regenerate. Rendered:\n%s", got)
	}
}

var update = flag.Bool("update", false, "rewrite deploy/config.example.toml from Default()")

// A default changed in code shows in the rendering, comments kept; a key
// the layout lacks, or one the configuration lacks, is an error.
func TestRenderTakesValuesFromCode(t *testing.T) {
	c := Default()
	c.Rule.ThresholdC = 37.5
	c.UI.InputTimeout = 45 * time.Second
	c.Sensor.Addr = 0x5B
	got, err := Render(c, deploy.ConfigExample)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"threshold_c = 37.5       # shown temperature above this is fever",
		`input_timeout = "45s"    # the code and symptoms`,
		"addr = 91                # SMBus address",
		"retest_pause = \"10s\"     # the pause before the retest", // unchanged: as written
	} {
		if !strings.Contains(string(got), want+"") {
			t.Errorf("rendering lacks %q", want)
		}
	}
	back, err := Parse(got, "rendered")
	if err != nil {
		t.Fatal(err)
	}
	if back.Rule.ThresholdC != 37.5 || back.UI.InputTimeout != 45*time.Second || back.Sensor.Addr != 0x5B {
		t.Errorf("the rendering reads back as %+v", back)
	}
	if _, err := Render(Default(), []byte("kiosk_id = \"x\"\nnot_a_key = 1\n")); err == nil ||
		!strings.Contains(err.Error(), "not_a_key is not a key") || !strings.Contains(err.Error(), "rule.threshold_c is missing") {
		t.Errorf("a bad layout: %v", err)
	}
}
