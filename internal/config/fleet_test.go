package config

import (
	"strings"
	"testing"

	"github.com/thermogate/thermogate/internal/fleet"
)

// TestFleetSection: the documented defaults are fleet's own (standalone),
// and a bad [fleet] is named like every other key.
func TestFleetSection(t *testing.T) {
	if got := Default().Fleet; got != fleet.Default() {
		t.Errorf("[fleet] defaults %+v, fleet.Default() %+v", got, fleet.Default())
	}
	if Default().Fleet.Enabled() {
		t.Error("the example configuration joins a fleet")
	}
	c, err := Parse([]byte("[fleet]\nurl = \"postgres://thermogate_k_door_1@db/thermogate\"\nlocation = \"Archive\"\npoll = \"5s\"\n"), "t.toml")
	if err != nil || !c.Fleet.Enabled() || c.Fleet.Location != "Archive" || c.Fleet.Poll.Seconds() != 5 {
		t.Errorf("%+v, %v", c.Fleet, err)
	}
	for in, want := range map[string]string{
		"[fleet]\nurl = \"postgres://k:pw@db/x\"\n": "fleet.url: holds a password",
		"[fleet]\npush_batch = 0\n":                 "fleet.push_batch",
		"[fleet]\npassword = \"x\"\n":               "unknown key fleet.password",
	} {
		if _, err := Parse([]byte(in), "t.toml"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}
