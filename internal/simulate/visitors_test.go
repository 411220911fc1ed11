package simulate

import (
	"strings"
	"testing"
	"time"
)

// TestVisitorsCSVSyntaxErrorsNameLineAndProblem: a quote in the middle of a
// field, and other CSV syntax errors, used to panic (FieldPos after a failed
// Read); each must be an error naming the line and what is wrong.
func TestVisitorsCSVSyntaxErrorsNameLineAndProblem(t *testing.T) {
	tests := []struct{ csv, want string }{
		// The report's file: line 3 has a quote inside the unquoted at field.
		{"at,code\n2026-11-24 08:55,AB12CD\n20\"26-11-24 09:00,EF34GH\n", `line 3, column 3: a " inside a field that does not start with one`},
		{"at,code\n2026-11-24 08:55,AB12CD\n\"2026-11-24 09:00\"x,EF34GH\n", `line 3: a quoted field is not closed, or has text after its closing "`},
		{"at,code\n2026-11-24 09:00,\"A\n", `line 2: a quoted field is not closed`},
		{"a\"t,code\n", `line 1, column 2: a " inside a field`},
	}
	for _, tt := range tests {
		_, err := ParseVisitors(strings.NewReader(tt.csv), vilnius)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want an error with %q", tt.csv, err, tt.want)
		}
	}
}

// FuzzParseVisitors: any bytes give visitors or an error, never a panic;
// visitors come in time order with their line numbers rising, and an error
// says where.
func FuzzParseVisitors(f *testing.F) {
	f.Add("at,code,symptoms,forehead,retest,fault\n2026-11-24 09:00,AB12CD,no,35.3,36.1,nack\n")
	f.Add("at,code\n2026-11-24 08:55,AB12CD\n20\"26-11-24 09:00,EF34GH\n")
	f.Add("at,code,fault\n2026-11-24 09:00,A,freeze:350\n2026-11-24 09:00:05,B,stuck\n")
	f.Add("\ufeffcode,at\nab12cd,2026-11-24 09:00:30\n")
	f.Add("at,code\n2026-11-24 09:00,\"A\n")
	f.Add("at,code,forehead\n2026-11-24 09:00,\"A\"\"B\",\"35,5\"\n")
	f.Fuzz(func(t *testing.T, in string) {
		vs, err := ParseVisitors(strings.NewReader(in), time.UTC)
		if err != nil {
			if vs != nil {
				t.Fatalf("visitors and an error: %v", err)
			}
			if !strings.Contains(err.Error(), "line ") && !strings.Contains(err.Error(), "visitors file") {
				t.Fatalf("error %q names neither a line nor the file", err)
			}
			return
		}
		if len(vs) == 0 || len(vs) > MaxVisitors {
			t.Fatalf("%d visitors without an error", len(vs))
		}
		for i, v := range vs {
			if v.Line < 2 {
				t.Fatalf("visitor %d on line %d, before the header ends", i, v.Line)
			}
			if i > 0 && (v.At.Before(vs[i-1].At) || v.Line <= vs[i-1].Line) {
				t.Fatalf("visitor %d (line %d, %s) out of order after line %d, %s", i, v.Line, v.At, vs[i-1].Line, vs[i-1].At)
			}
			if v.FreezeAfter < 0 {
				t.Fatalf("line %d: negative freeze %v", v.Line, v.FreezeAfter)
			}
		}
	})
}
