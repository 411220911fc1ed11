// Package simulate runs visitors through the real screening flow, the real
// MLX90614 driver and the simulated chip on a virtual clock: a commissioning
// and rule-checking tool that judges a day's door traffic in seconds and
// stores every screening as the kiosk would.
package simulate

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/sensor/mlxsim"
	"github.com/thermogate/thermogate/storage"
)

// Visitor is one line of a visitors file.
type Visitor struct {
	Line     int
	At       time.Time
	Code     string   // as typed; may be empty or garbage
	Symptoms bool     // the answer to the symptoms question
	Forehead *float64 // object temperature °C while the forehead is held; nil: never presents it
	Retest   *float64 // object temperature at the retest; nil: the same as Forehead
	Fault    mlxsim.Fault
}

// Columns of a visitors file; at and code are required.
var Columns = []string{"at", "code", "symptoms", "forehead", "retest", "fault"}

// MaxVisitors bounds a file, so a mistake cannot run for hours.
const MaxVisitors = 100_000

// ParseVisitors reads a visitors CSV with a header row. Times are
// YYYY-MM-DD HH:MM[:SS] in loc and must not decrease. Errors name the line.
func ParseVisitors(r io.Reader, loc *time.Location) ([]Visitor, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("visitors file is empty: want a header row with at,code[,symptoms,forehead,retest,fault]")
	}
	if err != nil {
		return nil, fmt.Errorf("visitors file: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(Columns, h) {
			return nil, fmt.Errorf("line 1: unknown column %q (want %s)", h, strings.Join(Columns, ", "))
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("line 1: column %q twice", h)
		}
		col[h] = i
	}
	for _, need := range []string{"at", "code"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("line 1: no %q column", need)
		}
	}
	var out []Visitor
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("visitors file: %w", err)
		}
		if len(out) >= MaxVisitors {
			return nil, fmt.Errorf("line %d: more than %d visitors", line, MaxVisitors)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		v := Visitor{Line: line, Code: get("code")}
		bad := func(format string, a ...any) error {
			return fmt.Errorf("line %d: %s", line, fmt.Sprintf(format, a...))
		}
		if v.At, err = parseAt(get("at"), loc); err != nil {
			return nil, bad("%v", err)
		}
		if n := len(out); n > 0 && v.At.Before(out[n-1].At) {
			return nil, bad("at %s is before the previous visitor's %s: visitors come in time order", get("at"), out[n-1].At.Format("2006-01-02 15:04:05"))
		}
		switch strings.ToLower(get("symptoms")) {
		case "", "no":
		case "yes":
			v.Symptoms = true
		default:
			return nil, bad("symptoms %q: want yes, no or empty", get("symptoms"))
		}
		if v.Forehead, err = parseTemp(get("forehead")); err != nil {
			return nil, bad("forehead: %v", err)
		}
		if v.Retest, err = parseTemp(get("retest")); err != nil {
			return nil, bad("retest: %v", err)
		}
		if v.Fault, err = mlxsim.ParseFault(get("fault")); err != nil {
			return nil, bad("%v", err)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, errors.New("visitors file has a header and no visitors")
	}
	return out, nil
}

func parseAt(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("at %q: want YYYY-MM-DD HH:MM or YYYY-MM-DD HH:MM:SS", s)
}

// parseTemp reads an object temperature in °C, or nothing.
func parseTemp(s string) (*float64, error) {
	if s == "" {
		return nil, nil
	}
	v, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	if err != nil || math.IsNaN(v) || v < -20 || v > 100 {
		return nil, fmt.Errorf("%q: want a temperature in °C between -20 and 100, or empty", s)
	}
	return &v, nil
}

// Result is what happened to one visitor.
type Result struct {
	At       string   `json:"at"`
	Code     string   `json:"code"`
	Decision string   `json:"decision"`
	Reason   string   `json:"reason"`
	ShownC   *float64 `json:"shown_c"`
	Line     int      `json:"-"`
}

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
func Run(ctx context.Context, r Rig, visitors []Visitor, emit func(Result) error) error {
	for _, v := range visitors {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := visit(ctx, r, v)
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
	r.Clock.Set(v.At)
	r.Flow.Tick() // the last decision has left the screen, an abandoned input has timed out
	r.Sim.SetFault(mlxsim.None)
	r.Flow.Probe() // back in service once the last visitor's fault is gone
	r.Sim.SetFault(v.Fault)
	defer func() {
		r.Sim.SetFault(mlxsim.None)
		r.Sim.Remove()
	}()

	if st := r.Flow.State(); st.Screen == kiosk.OutOfService {
		return refused(res, st), nil
	}
	if err := r.Flow.EnterCode(v.Code); errors.Is(err, kiosk.ErrCodeFormat) {
		// Refused on the spot; nothing is stored. The visitor walks away.
		res.Decision, res.Reason = storage.DecisionDeny, storage.ReasonUnknownCode
		_ = r.Flow.Cancel()
		return res, nil
	} else if err != nil && !errors.Is(err, kiosk.ErrNotNow) {
		return res, err
	}
	for range 100 {
		st := r.Flow.State()
		switch st.Screen {
		case kiosk.Symptoms:
			if err := r.Flow.AnswerSymptoms(v.Symptoms); err != nil {
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
			if err := r.Flow.Measure(ctx); err != nil {
				return res, err
			}
			r.Sim.Remove()
		case kiosk.Retest:
			r.Clock.Set(st.Until)
			r.Flow.Tick()
		case kiosk.Decision:
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
	res.Decision, res.Reason = o.Decision, o.Reason
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
	res.Decision, res.Reason = storage.DecisionRefer, storage.ReasonSensorFault
	if st.OutOfService == kiosk.OOSStorage {
		res.Reason = storage.ReasonStorage
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
