package metrics_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/thermogate/thermogate/internal/metrics"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

const promDir = "../../deploy/prometheus"

// TestAlertRules checks and unit-tests deploy/prometheus/alerts.yml and the
// example scrape configuration with promtool, as an installer would.
func TestAlertRules(t *testing.T) {
	tool := promtool(t)
	for _, args := range [][]string{
		{"check", "rules", "alerts.yml"},
		{"test", "rules", "alerts_test.yml"},
		{"check", "config", "prometheus.yml"},
	} {
		cmd := exec.Command(tool, args...)
		cmd.Dir = promDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

var metricName = regexp.MustCompile(`\bthermogate_[a-z_]+`)

// exposed returns the names of every series family the kiosk can expose,
// fleet included, with histograms' _bucket, _sum and _count.
func exposed(t *testing.T) []string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "thermogate.db")
	if err := os.WriteFile(db, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := metrics.New(metrics.Options{DBPath: db, DataDir: filepath.Dir(db), FreeSpace: storage.FreeSpace, MinFree: 16 * kiosk.MB})
	populate(m)
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
		if mf.GetType() == dto.MetricType_HISTOGRAM {
			names = append(names, mf.GetName()+"_bucket", mf.GetName()+"_sum", mf.GetName()+"_count")
		}
	}
	return names
}

// TestAlertsUseRealMetrics: a renamed metric must not leave an alert
// watching a series that no longer exists (it would never fire).
func TestAlertsUseRealMetrics(t *testing.T) {
	names := exposed(t)
	for _, f := range []string{"alerts.yml", "alerts_test.yml"} {
		b, err := os.ReadFile(filepath.Join(promDir, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range metricName.FindAllString(string(b), -1) {
			if !slices.Contains(names, n) {
				t.Errorf("%s uses %s, which the kiosk does not expose", f, n)
			}
		}
	}
}

// TestREADMEListsEveryMetric: the README's table names every metric the
// kiosk exposes, and nothing it does not.
func TestREADMEListsEveryMetric(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	names := exposed(t)
	for _, n := range names {
		if strings.HasPrefix(n, "thermogate_") && !strings.HasSuffix(n, "_bucket") && !strings.HasSuffix(n, "_sum") && !strings.HasSuffix(n, "_count") &&
			!strings.Contains(readme, "`"+n+"`") {
			t.Errorf("README.md does not list `%s`", n)
		}
	}
	for _, n := range metricName.FindAllString(readme, -1) {
		if !slices.Contains(names, n) {
			t.Errorf("README.md lists %s, which the kiosk does not expose", n)
		}
	}
}
