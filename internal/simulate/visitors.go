package simulate

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/thermogate/thermogate/sensor/mlxsim"
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
	// FreezeAfter, with Fault mlxsim.Freeze: the sensor's RAM stops changing
	// once a forehead has been in front of it this long (fault freeze:<ms>).
	FreezeAfter time.Duration
}

// Columns of a visitors file; at and code are required.
var Columns = []string{"at", "code", "symptoms", "forehead", "retest", "fault"}

// MaxVisitors bounds a file, so a mistake cannot run for hours.
const MaxVisitors = 100_000

// MaxFreezeAfter bounds freeze:<ms>: a forehead is measured within seconds.
const MaxFreezeAfter = 10 * time.Minute

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
		return nil, csvError(err)
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
		if err != nil {
			// FieldPos must not be asked after a failed Read: it panics.
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
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
		if v.Fault, v.FreezeAfter, err = parseFault(get("fault")); err != nil {
			return nil, bad("%v", err)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, errors.New("visitors file has a header and no visitors")
	}
	return out, nil
}

// csvError turns the csv package's syntax errors into a message naming the
// line and the problem in a user's words.
func csvError(err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("visitors file: %w", err)
	}
	line := pe.StartLine
	if line == 0 {
		line = pe.Line
	}
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Errorf("line %d, column %d: a \" inside a field that does not start with one (quote the whole field and write a \" inside it as \"\")", pe.Line, pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote):
		where := ""
		if pe.Line != line {
			where = fmt.Sprintf(" (the record runs on to line %d)", pe.Line)
		}
		return fmt.Errorf("line %d: a quoted field is not closed, or has text after its closing \"%s (write a \" inside a quoted field as \"\")", line, where)
	default:
		return fmt.Errorf("line %d, column %d: %v", pe.Line, pe.Column, pe.Err)
	}
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

// parseFault reads the fault column: a name mlxsim.ParseFault knows, or
// freeze:<ms>.
func parseFault(s string) (mlxsim.Fault, time.Duration, error) {
	name, arg, hasArg := strings.Cut(strings.ToLower(strings.TrimSpace(s)), ":")
	if name != "freeze" {
		if hasArg {
			return mlxsim.None, 0, fmt.Errorf("fault %q: only freeze takes a value (freeze:<ms>)", s)
		}
		f, err := mlxsim.ParseFault(s)
		if err != nil {
			return mlxsim.None, 0, fmt.Errorf("%v, or freeze:<ms>", err)
		}
		return f, 0, nil
	}
	ms, err := strconv.ParseUint(strings.TrimSpace(arg), 10, 32)
	if !hasArg || err != nil || time.Duration(ms)*time.Millisecond > MaxFreezeAfter {
		return mlxsim.None, 0, fmt.Errorf("fault %q: want freeze:<ms>, the whole milliseconds from the forehead's arrival to the freeze, 0 to %d (e.g. freeze:350)", s, MaxFreezeAfter.Milliseconds())
	}
	return mlxsim.Freeze, time.Duration(ms) * time.Millisecond, nil
}

// applyFault makes the simulated chip misbehave as the visitor's fault says.
func applyFault(sim *mlxsim.Sim, v Visitor) {
	if v.Fault == mlxsim.Freeze {
		sim.SetFreeze(v.FreezeAfter)
		return
	}
	sim.SetFault(v.Fault)
}
