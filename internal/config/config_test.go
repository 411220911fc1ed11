package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
		k.Lang != want.Lang || k.InputTimeout != want.InputTimeout || k.DecisionTime != want.DecisionTime ||
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
		{"[booking]\nlate_min = -5\n[rule]\nmax_attempts = 0\n", []string{"booking.late_min", "rule.max_attempts"}}, // all problems at once
		{"kiosk_id = \"\"\n", []string{"kiosk_id"}},
		{"[rule]\nplausible_min_c = nan\n", []string{"rule.plausible_min_c"}},
		{"[rule]\nambient_max_c = inf\n", []string{"rule.ambient_max_c"}},
		{"[estimate]\noffset_c = nan\n", []string{"estimate.offset_c"}},
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
