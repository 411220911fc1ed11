package config

import (
	"strings"
	"testing"

	"github.com/thermogate/thermogate/internal/metrics"
)

// TestMetricsSection: [metrics] is read, defaults to no listener (the
// example file's value) and a listen address that cannot be used is an
// error naming metrics.listen.
func TestMetricsSection(t *testing.T) {
	if got := Default().Metrics; got != metrics.Default() {
		t.Errorf("example file's [metrics] = %+v, want the package default %+v", got, metrics.Default())
	}
	c, err := Parse([]byte("[metrics]\nlisten = \"192.168.1.20:9479\"\n"), "t.toml")
	if err != nil || c.Metrics.Listen != "192.168.1.20:9479" {
		t.Fatalf("Parse = %+v, %v", c.Metrics, err)
	}
	for _, bad := range []string{"kiosk.lan:9479", "9479", "127.0.0.1:0"} {
		_, err := Parse([]byte("[metrics]\nlisten = \""+bad+"\"\n"), "bad.toml")
		if err == nil || !strings.Contains(err.Error(), "metrics.listen") {
			t.Errorf("listen %q: err = %v, want one naming metrics.listen", bad, err)
		}
	}
	if _, err := Parse([]byte("[metrics]\nport = 9479\n"), "bad.toml"); err == nil || !strings.Contains(err.Error(), "metrics.port") {
		t.Errorf("unknown key: err = %v", err)
	}
}
