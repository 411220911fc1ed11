// Package simulate runs visitors through the real screening flow, the real
// MLX90614 driver and the simulated chip on a virtual clock: a commissioning
// and rule-checking tool that judges a day's door traffic in seconds and
// stores every screening as the kiosk would.
package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/sensor/mlxsim"
)

// Result is what happened to one visitor.
type Result struct {
	At       string   `json:"at"`
	Code     string   `json:"code"`
	Decision string   `json:"decision"`
	Reason   string   `json:"reason"`
	ShownC   *float64 `json:"shown_c"`
	Door     bool     `json:"door,omitempty"` // the door relay was pulsed: a stored ADMIT
	Line     int      `json:"-"`
}

// doorCount is the simulation's outputs: it counts the door's pulses and
// plays nothing.
type doorCount struct{ opens int }

func (d *doorCount) Play(kiosk.Sound)               {}
func (d *doorCount) OpenDoor(context.Context) error { d.opens++; return nil }
func (d *doorCount) CallGuard(kiosk.Decision) error { return nil }
func (d *doorCount) GuardCame() error               { return nil }
func (d *doorCount) OutOfService(bool) error        { return nil }
func (d *doorCount) Health() error                  { return nil }

// Encode writes r as one JSON line, the code as typed (no HTML escaping).
func Encode(w io.Writer, r Result) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// Rig is what a simulation runs on: the flow, reading the simulated chip
// through the real driver, both on the virtual clock.
type Rig struct {
	Flow  *kiosk.Flow
	Sim   *mlxsim.Sim
	Clock *clock.Virtual
}

// Run takes each visitor through the flow as a person would: arrive at At,
// enter the code, answer, hold the forehead when asked (the retest
// temperature at the retest), and wait out the retest pause. A fault lasts
// through that visitor. emit gets each visitor's result.
//
// Run gives the flow outputs of its own, to see the door open: call it on
// a new flow.
func Run(ctx context.Context, r Rig, visitors []Visitor, emit func(Result) error) error {
	doors := &doorCount{}
	r.Flow.SetOutputs(doors)
	for _, v := range visitors {
		if err := ctx.Err(); err != nil {
			return err
		}
		before := doors.opens
		res, err := visit(ctx, r, v)
		res.Door = doors.opens > before
		if err != nil {
			return fmt.Errorf("line %d: %w", v.Line, err)
		}
		if err := emit(res); err != nil {
			return err
		}
	}
	return nil
}

func visit(ctx context.Context, r Rig, v Visitor) (Result, error) {
	res := Result{At: v.At.Format("2006-01-02 15:04:05"), Code: v.Code, Line: v.Line}
	f := r.Flow
	r.Clock.Set(v.At)
	f.Tick(ctx) // the last decision has left the screen, an abandoned input has timed out
	r.Sim.SetFault(mlxsim.None)
	f.Probe(ctx) // back in service once the last visitor's fault is gone
	applyFault(r.Sim, v)
	defer func() {
		r.Sim.SetFault(mlxsim.None)
		r.Sim.Remove()
	}()

	if st := f.State(); st.Screen == kiosk.OutOfService {
		return refused(res, st), nil
	}
	if err := f.Do(ctx, kiosk.EnterCode{Raw: v.Code}); errors.Is(err, kiosk.ErrCodeFormat) {
		// Refused on the spot; nothing is stored. The visitor walks away.
		res.Decision, res.Reason = string(kiosk.Deny), string(kiosk.ReasonUnknownCode)
		_ = f.Do(ctx, kiosk.Cancel{})
		return res, nil
	} else if err != nil && !errors.Is(err, kiosk.ErrNotNow) {
		return res, err
	}
	for range 100 {
		st := f.State()
		switch st.Screen {
		case kiosk.Code:
			// An unknown code: the kiosk asks to check it; nothing is
			// stored. This visitor walks away.
			res.Decision, res.Reason = string(kiosk.Deny), string(kiosk.ReasonUnknownCode)
			_ = f.Do(ctx, kiosk.Cancel{})
			return res, nil
		case kiosk.Early:
			// Before the booking's window: the kiosk tells the time and
			// stores nothing. This visitor does not wait and walks away.
			res.Decision, res.Reason = string(kiosk.Deny), string(kiosk.ReasonTooEarly)
			_ = f.Do(ctx, kiosk.Cancel{})
			return res, nil
		case kiosk.Symptoms:
			var ev kiosk.Event = kiosk.AnswerSymptoms{Yes: v.Symptoms}
			if st.Notice == kiosk.NoticeConfirmYes {
				ev = kiosk.ConfirmSymptoms{} // a Yes is confirmed
			}
			if err := f.Do(ctx, ev); err != nil {
				return res, err
			}
		case kiosk.Measure:
			obj := v.Forehead
			if st.Retest && v.Retest != nil {
				obj = v.Retest
			}
			if obj != nil {
				r.Sim.Schedule(mlxsim.Visit{Arrive: r.Clock.Now(), Object: physic.ZeroCelsius + physic.Temperature(math.Round(*obj*1e9))})
			}
			if err := f.Measure(ctx); err != nil {
				return res, err
			}
			r.Sim.Remove()
		case kiosk.Retest:
			r.Clock.Set(st.Until)
			f.Tick(ctx)
		case kiosk.Decided:
			return outcome(res, st.Outcome), nil
		case kiosk.OutOfService:
			return refused(res, st), nil
		default:
			return res, fmt.Errorf("BUG: the flow stopped on %s", st.Screen)
		}
	}
	return res, errors.New("BUG: the visit did not end")
}

func outcome(res Result, o *kiosk.Outcome) Result {
	res.Decision, res.Reason = string(o.Decision), string(o.Reason)
	if o.Shown != nil {
		c := o.Shown.Celsius()
		res.ShownC = &c
	}
	return res
}

// refused is a visitor who found the kiosk out of service, or whose
// screening took it out of service.
func refused(res Result, st kiosk.State) Result {
	if st.Outcome != nil {
		return outcome(res, st.Outcome)
	}
	res.Decision, res.Reason = string(kiosk.Refer), string(kiosk.ReasonSensorFault)
	if st.OutOfService == kiosk.OOSStorage {
		res.Reason = string(kiosk.ReasonStorage)
	}
	return res
}

// Summary counts results by decision and reason.
func Summary(results []Result) string {
	counts := map[string]int{}
	for _, r := range results {
		counts[r.Decision+"/"+r.Reason]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, counts[k])
	}
	return b.String()
}
