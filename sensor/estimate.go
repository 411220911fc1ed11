package sensor

import (
	"fmt"
	"math"

	"periph.io/x/conn/v3/physic"
)

// Body-temperature models. A forehead's skin is cooler than the body's core,
// and the more so the colder the room; a model turns the object (skin) and
// ambient temperatures into an estimate of core temperature.
const (
	// ModelOffset: body = object + c. Simple, right for a room whose
	// temperature stays within a few degrees.
	ModelOffset = "offset"
	// ModelHeatBalance: body = object + k·(object − ambient). The skin loses
	// heat to the room in proportion to the difference, so the correction
	// grows in a cold room and shrinks in a warm one.
	ModelHeatBalance = "heat-balance"
)

// ModelVersion is bumped whenever a model's formula changes, so that stored
// screenings say which formula judged them.
const ModelVersion = 1

// Starting points before calibration against a clinical thermometer
// (deploy/README.md, Calibration). With emissivity 0.98 at 2–5 cm an
// MLX90614 reads a healthy forehead at about 34.5–35.5 °C in a 20–24 °C
// room; +1.5 K puts that at 36.0–37.0 °C. For heat-balance, a 35.0 °C forehead
// in a 22 °C room and a 36.8 °C core give k = 1.8/13 ≈ 0.14.
const (
	DefaultOffset = 1.5  // °C, the c of ModelOffset
	DefaultK      = 0.14 // the k of ModelHeatBalance
)

// Model is a named, versioned body-temperature model and its parameter.
type Model struct {
	Name    string  // ModelOffset or ModelHeatBalance
	Version int     // ModelVersion when built by NewModel
	Param   float64 // c in °C for offset, k (dimensionless) for heat-balance
}

// DefaultModel is the offset model with DefaultOffset.
func DefaultModel() Model {
	return Model{Name: ModelOffset, Version: ModelVersion, Param: DefaultOffset}
}

// NewModel returns the model called name with its parameter, or an error
// naming what is wrong. Offsets beyond ±5 K and k outside 0–1 are refused:
// they would not describe a forehead.
func NewModel(name string, param float64) (Model, error) {
	if math.IsNaN(param) || math.IsInf(param, 0) {
		return Model{}, fmt.Errorf("model %s: parameter %v is not a number", name, param)
	}
	switch name {
	case ModelOffset:
		if param < -5 || param > 5 {
			return Model{}, fmt.Errorf("model offset: c = %v °C is outside −5…5", param)
		}
	case ModelHeatBalance:
		if param < 0 || param > 1 {
			return Model{}, fmt.Errorf("model heat-balance: k = %v is outside 0…1", param)
		}
	default:
		return Model{}, fmt.Errorf("unknown body-temperature model %q (want %q or %q)", name, ModelOffset, ModelHeatBalance)
	}
	return Model{Name: name, Version: ModelVersion, Param: param}, nil
}

// ParamName is the name of the model's parameter: "c" or "k".
func (m Model) ParamName() string {
	if m.Name == ModelHeatBalance {
		return "k"
	}
	return "c"
}

// Params returns the parameters by name, as stored with every screening.
func (m Model) Params() map[string]float64 { return map[string]float64{m.ParamName(): m.Param} }

// String returns e.g. "offset/1(c=1.5)".
func (m Model) String() string {
	return fmt.Sprintf("%s/%d(%s=%g)", m.Name, m.Version, m.ParamName(), m.Param)
}

// Estimate is a body-temperature estimate with everything that produced it.
type Estimate struct {
	Body    physic.Temperature
	Object  physic.Temperature
	Ambient physic.Temperature
}

// Estimate applies the model to a reading.
func (m Model) Estimate(r Reading) Estimate {
	var corr float64
	switch m.Name {
	case ModelOffset:
		corr = m.Param * float64(physic.Kelvin)
	case ModelHeatBalance:
		corr = m.Param * float64(r.Object-r.Ambient)
	default:
		panic("BUG: sensor.Model " + m.Name + " was not built by NewModel")
	}
	return Estimate{
		Body:    r.Object + physic.Temperature(math.Round(corr)),
		Object:  r.Object,
		Ambient: r.Ambient,
	}
}

// Object is the inverse of Estimate: the object temperature that the model
// turns into body at this ambient. The demo and the tests use it to present
// a forehead that shows a chosen temperature.
func (m Model) Object(body, ambient physic.Temperature) physic.Temperature {
	switch m.Name {
	case ModelOffset:
		return body - physic.Temperature(math.Round(m.Param*float64(physic.Kelvin)))
	case ModelHeatBalance:
		// body = o + k(o − a)  ⇒  o = (body + k·a) / (1 + k)
		return physic.Temperature(math.Round((float64(body) + m.Param*float64(ambient)) / (1 + m.Param)))
	}
	panic("BUG: sensor.Model " + m.Name + " was not built by NewModel")
}
