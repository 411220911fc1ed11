package metrics_test

import (
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/internal/metrics"
	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/sensor/mlx90614"
	"github.com/thermogate/thermogate/sensor/mlxsim"
)

func labels(s *dto.Metric) map[string]string {
	l := map[string]string{}
	for _, p := range s.GetLabel() {
		l[p.GetName()] = p.GetValue()
	}
	return l
}

// gauge returns the value of the kiosk's series name whose labels include
// match (gauge or counter); -1 when there is none.
func gauge(t *testing.T, m *metrics.Metrics, name string, match map[string]string) float64 {
	t.Helper()
	mf := family(t, m, name)
	if mf == nil {
		t.Errorf("thermogate_%s: no such family", name)
		return -1
	}
next:
	for _, s := range mf.GetMetric() {
		l := labels(s)
		for k, v := range match {
			if l[k] != v {
				continue next
			}
		}
		if s.Gauge != nil {
			return s.GetGauge().GetValue()
		}
		return s.GetCounter().GetValue()
	}
	t.Errorf("thermogate_%s%v: no such series", name, match)
	return -1
}

// grepLines returns the lines of s containing sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// sampler is the real driver and sampler on the byte-level simulator.
func sampler(t *testing.T, sim *mlxsim.Sim, clk *clock.Virtual) *sensor.Sampler {
	t.Helper()
	dev, err := mlx90614.New(sim, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sensor.NewSampler(dev, nil, clk, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
