package sensor_test

import (
	"testing"

	"github.com/thermogate/thermogate/sensor"
)

func TestModels(t *testing.T) {
	r := sensor.Reading{Object: c(35.01), Ambient: c(22.01)}
	tests := []struct {
		name  string
		param float64
		want  float64
	}{
		{sensor.ModelOffset, 1.5, 36.51},
		{sensor.ModelOffset, 0, 35.01},
		{sensor.ModelOffset, -0.4, 34.61},
		{sensor.ModelHeatBalance, 0.14, 36.83}, // 35.01 + 0.14·13
		{sensor.ModelHeatBalance, 0, 35.01},
	}
	for _, tt := range tests {
		m, err := sensor.NewModel(tt.name, tt.param)
		if err != nil {
			t.Fatal(err)
		}
		e := m.Estimate(r)
		if e.Body != c(tt.want) {
			t.Errorf("%s: body %s, want %.2f°C", m, e.Body, tt.want)
		}
		if e.Object != r.Object || e.Ambient != r.Ambient || m.Version != sensor.ModelVersion {
			t.Errorf("%s: estimate does not keep its inputs: %+v", m, e)
		}
		if p := m.Params(); len(p) != 1 || p[m.ParamName()] != tt.param {
			t.Errorf("%s: params %v", m, p)
		}
	}
	if m := sensor.DefaultModel(); m.Name != sensor.ModelOffset || m.Param != sensor.DefaultOffset {
		t.Errorf("default model %s", m)
	}
	if s := (sensor.Model{Name: "heat-balance", Version: 1, Param: 0.14}).String(); s != "heat-balance/1(k=0.14)" {
		t.Errorf("String = %q", s)
	}
}

func TestNewModelRefuses(t *testing.T) {
	for _, tt := range []struct {
		name  string
		param float64
	}{{"offset", 7}, {"offset", -5.5}, {"heat-balance", -0.1}, {"heat-balance", 1.5}, {"linear", 1}} {
		if _, err := sensor.NewModel(tt.name, tt.param); err == nil {
			t.Errorf("NewModel(%q, %v) accepted", tt.name, tt.param)
		}
	}
}

func TestModelObjectInvertsEstimate(t *testing.T) {
	amb := c(21.01)
	for _, m := range []sensor.Model{{Name: "offset", Version: 1, Param: 1.5}, {Name: "heat-balance", Version: 1, Param: 0.14}} {
		for _, body := range []float64{36.6, 37.3, 38.2} {
			obj := m.Object(c(body), amb)
			got := m.Estimate(sensor.Reading{Object: obj, Ambient: amb}).Body
			if d := got - c(body); d < -2 || d > 2 { // nanokelvins of rounding
				t.Errorf("%s: Object(%v) = %s estimates back to %s", m, body, obj, got)
			}
		}
	}
}
