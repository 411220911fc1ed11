package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

const goodCSV = `code,start,minutes,service,lang
AB12CD,2026-03-16 09:00,15,Passports,lt
ef34-gh,2026-03-16 09:15,,Passports,PL
JK56LM,2026-03-17T10:00:00+02:00,30,,
`

func TestParseBookingsCSV(t *testing.T) {
	loc := vilnius(t)
	rows, err := testVocab.ParseBookings("b.csv", []byte(goodCSV), "", loc)
	if err != nil {
		t.Fatal(err)
	}
	want := []ImportRow{
		{2, Booking{Code: "AB12CD", Start: time.Date(2026, 3, 16, 9, 0, 0, 0, loc), Minutes: 15, Service: "Passports", Lang: "lt", Status: StatusActive, Version: 1}},
		{3, Booking{Code: "EF34GH", Start: time.Date(2026, 3, 16, 9, 15, 0, 0, loc), Minutes: DefaultMinutes, Service: "Passports", Lang: "pl", Status: StatusActive, Version: 1}},
		{4, Booking{Code: "JK56LM", Start: time.Date(2026, 3, 17, 10, 0, 0, 0, loc), Minutes: 30, Status: StatusActive, Version: 1}},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i := range want {
		g, w := rows[i], want[i]
		if g.Line != w.Line || !g.Booking.Start.Equal(w.Booking.Start) || g.Booking.Start.Location() != loc {
			t.Errorf("row %d: %+v, want %+v", i, g, w)
		}
		g.Booking.Start, w.Booking.Start = time.Time{}, time.Time{}
		if g.Booking != w.Booking {
			t.Errorf("row %d: %+v, want %+v", i, g.Booking, w.Booking)
		}
	}
}

func TestParseBookingsSpreadsheetCSV(t *testing.T) {
	// Any column order, a BOM, ';' as separator, CRLF, a trailing empty
	// column, upper-case headers: what a spreadsheet saves.
	data := "\xef\xbb\xbfLang;Start;Code;\r\nru;2026-03-16 11:00;ZZ99YY;\r\n"
	rows, err := testVocab.ParseBookings("b.csv", []byte(data), "csv", vilnius(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Booking.Code != "ZZ99YY" || rows[0].Booking.Lang != "ru" || rows[0].Line != 2 {
		t.Fatalf("rows %+v", rows)
	}
}

func TestParseBookingsCSVProblems(t *testing.T) {
	data := `code,start,minutes,lang
AB12CD,2026-03-16 09:00,15,lt
X,2026-03-16 09:00,15,lt
GOOD01,2026-13-01 09:00,15,lt
GOOD02,2026-03-16 09:00,0,lt
GOOD03,2026-03-16 09:00,15,de
AB-12-cd,2026-03-16 10:00,15,en
GOOD04,2026-03-29 03:30,15,en
GOOD05,2026-03-16 09:00
GOOD06,,abc,
`
	_, err := testVocab.ParseBookings("b.csv", []byte(data), "csv", vilnius(t))
	var ie *ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("err %v, want *ImportError", err)
	}
	want := []struct {
		line int
		text string
	}{
		{3, `code "X": bad booking code: 1 characters, want 4–16`},
		{4, `start "2026-13-01 09:00": want YYYY-MM-DD HH:MM (Europe/Vilnius time) or RFC 3339`},
		{5, "minutes 0 out of range 1–120"},
		{6, `unknown language "de"`},
		{7, "code AB12CD is also on line 2"},
		{8, "does not exist in Europe/Vilnius"},
		{9, "2 fields, but the header has 4"},
		{10, "start is empty; minutes \"abc\": want a whole number"},
	}
	if len(ie.Problems) != len(want) {
		t.Fatalf("%d problems, want %d:\n%v", len(ie.Problems), len(want), err)
	}
	for i, w := range want {
		p := ie.Problems[i]
		if p.Line != w.line || !strings.Contains(p.Problem, w.text) {
			t.Errorf("problem %d: line %d %q; want line %d containing %q", i, p.Line, p.Problem, w.line, w.text)
		}
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "b.csv: nothing imported, 8 problems:\n  line 3: ") {
		t.Errorf("message starts %q", msg[:min(len(msg), 60)])
	}
}

func TestParseBookingsHeaderProblems(t *testing.T) {
	loc := vilnius(t)
	tests := []struct{ data, want string }{
		{"code,minutes\nAB12CD,15\n", `line 1: missing column "start"`},
		{"start,when\n2026-03-16 09:00,x\n", `line 1: unknown column "when"`},
		{"AB12CD,2026-03-16 09:00\n", `missing column "code"`},
		{"", "the file is empty"},
		{"code,start\n", "no bookings in the file"},
		{"code,code,start\n", `column "code" twice`},
		{"code,start\n\"AB12CD,2026-03-16 09:00\n", "CSV syntax"},
		{"[", "JSON ends too early"},
		{"[]", "no bookings in the file"},
		{`{"code":"AB12CD"}`, "CSV"}, // not an array: read as CSV, no header
		{`[{"code":"AB12CD","start":"2026-03-16 09:00"}] x`, "text after the closing ]"},
		{`[{"code":"AB12CD","start":"2026-03-16 09:00",}]`, "line 1: JSON syntax"},
	}
	for _, tt := range tests {
		_, err := testVocab.ParseBookings("f", []byte(tt.data), "", loc)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v; want %q", tt.data, err, tt.want)
		}
	}
	big := make([]byte, MaxImportBytes+1)
	if _, err := testVocab.ParseBookings("big.csv", big, "", loc); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "at most 16 MiB") {
		t.Errorf("huge file: %v", err)
	}
}

func TestParseBookingsJSON(t *testing.T) {
	loc := vilnius(t)
	data := `[
  {"code": "AB12CD", "start": "2026-03-16 09:00", "minutes": 20, "service": "Tax", "lang": "en"},
  {"code": "EF34GH", "start": "2026-03-16T09:15:00Z", "minutes": null}
]`
	rows, err := testVocab.ParseBookings("b.json", []byte(data), "", loc)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Line != 2 || rows[1].Line != 3 || rows[0].Booking.Minutes != 20 || rows[1].Booking.Minutes != DefaultMinutes {
		t.Fatalf("rows %+v", rows)
	}
	if h := rows[1].Booking.Start.In(loc).Hour(); h != 11 {
		t.Errorf("09:15Z is %d:15 in Vilnius, want 11:15", h)
	}

	bad := `[
  {"code": "AB12CD", "start": "2026-03-16 09:00"},
  {"code": "AB12CD", "start": "2026-03-16 09:30"},
  {"code": 1234, "start": "2026-03-16 09:00"},
  {"code": "QQ11WW", "start": "tomorrow", "minutes": 1.5},
  {"code": "QQ22WW", "strat": "2026-03-16 09:00"},
  "AB99CD",
  {"code": "QQ33WW", "start": "2026-03-16 09:00", "minutes": 500}
]`
	_, err = testVocab.ParseBookings("b.json", []byte(bad), "json", loc)
	var ie *ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("err %v", err)
	}
	want := []struct {
		line int
		text string
	}{
		{3, "code AB12CD is also on line 2"},
		{4, "code: want a string, not 1234"},
		{5, `start "tomorrow"`},
		{6, `unknown field "strat"`},
		{7, "want an object"},
		{8, "minutes 500 out of range"},
	}
	if len(ie.Problems) != len(want) {
		t.Fatalf("%d problems, want %d:\n%v", len(ie.Problems), len(want), err)
	}
	for i, w := range want {
		if p := ie.Problems[i]; p.Line != w.line || !strings.Contains(p.Problem, w.text) {
			t.Errorf("problem %d: line %d %q; want line %d containing %q", i, p.Line, p.Problem, w.line, w.text)
		}
	}
	if !strings.Contains(ie.Problems[2].Problem, "minutes \"1.5\": want a whole number") {
		t.Errorf("line 5 should also name the bad minutes: %q", ie.Problems[2].Problem)
	}
}

func TestImportBookingsAllOrNothing(t *testing.T) {
	db, _ := testDB(t)
	ctx := context.Background()
	res, err := db.ImportBookings(ctx, ActorAdmin, "b.csv", []byte(goodCSV), "", false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 3 || res.Rows != 3 || len(res.Days) != 2 || res.Days[0].String() != "2026-03-16" {
		t.Errorf("result %+v", res)
	}
	// One bad row: nothing of the file goes in.
	bad := "code,start\nNEW001,2026-03-18 09:00\nNEW002,2026-03-18 25:00\n"
	if _, err := db.ImportBookings(ctx, ActorAdmin, "bad.csv", []byte(bad), "", false); err == nil {
		t.Fatal("bad file imported")
	}
	if _, err := db.Booking(ctx, "NEW001"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the good row of a bad file was imported: %v", err)
	}
	// The same file again changes nothing; one different row is refused.
	res, err = db.ImportBookings(ctx, ActorAdmin, "b.csv", []byte(goodCSV), "", false)
	if err != nil || res.Unchanged != 3 || res.Added != 0 {
		t.Fatalf("identical re-import: %+v %v", res, err)
	}
	moved := strings.Replace(goodCSV, "2026-03-16 09:00", "2026-03-16 12:00", 1)
	_, err = db.ImportBookings(ctx, ActorAdmin, "moved.csv", []byte(moved), "", false)
	if err == nil || !strings.Contains(err.Error(), "line 2: code AB12CD is already booked for 2026-03-16 09:00, 15 min") || !strings.Contains(err.Error(), "--replace") {
		t.Fatalf("changed booking without --replace: %v", err)
	}
	if b, _ := db.Booking(ctx, "AB12CD"); b.Start.Hour() != 9 {
		t.Error("the refused import changed the booking")
	}
	var actions []string
	db.AuditEntries(ctx, func(e AuditEntry) error { actions = append(actions, e.Actor+" "+e.Action); return nil })
	if len(actions) != 2 || actions[0] != "admin bookings.import" {
		t.Errorf("audit %v: want one entry per successful import, none for refused ones", actions)
	}
}

func TestImportBookingsReplace(t *testing.T) {
	db, clk := testDB(t)
	ctx := context.Background()
	if _, err := db.ImportBookings(ctx, ActorAdmin, "b.csv", []byte(goodCSV), "", false); err != nil {
		t.Fatal(err)
	}
	// AB12CD is used and EF34GH cancelled; the re-import keeps both states.
	mustAppend(t, db, Screening{Time: clk.Now(), Code: "AB12CD", Decision: DecisionAdmit, Reason: ReasonOK, BookingUsed: true, ThresholdC: 37.3})
	if _, err := db.CancelBooking(ctx, ActorAdmin, "ef34gh"); err != nil {
		t.Fatal(err)
	}
	// The new list for the 16th: AB12CD and EF34GH unchanged, NEW001 new,
	// and JK56LM (the 17th) not in the file: it stays.
	day16 := "code,start,service,lang\nAB12CD,2026-03-16 09:00,Passports,lt\nEF34GH,2026-03-16 09:15,Passports,pl\nNEW001,2026-03-16 13:00,,\n"
	res, err := db.ImportBookings(ctx, ActorAdmin, "d16.csv", []byte(day16), "", true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 1 || res.Unchanged != 2 || res.Removed != 0 || res.Changed != 0 {
		t.Errorf("replace result %+v", res)
	}
	if b, _ := db.Booking(ctx, "AB12CD"); b.UsedAt.IsZero() {
		t.Error("replace forgot that AB12CD was used")
	}
	if b, _ := db.Booking(ctx, "EF34GH"); b.Status != StatusCancelled {
		t.Error("replace revived a cancelled booking")
	}
	// A shorter list for the 16th removes the others of that day only.
	res, err = db.ImportBookings(ctx, ActorAdmin, "d16b.csv", []byte("code,start\nNEW001,2026-03-16 14:00\n"), "", true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed != 1 || res.Removed != 2 {
		t.Errorf("replace result %+v, want 1 changed and 2 removed", res)
	}
	left, _ := db.Bookings(ctx, Day{})
	if len(left) != 2 || left[0].Code != "NEW001" || left[0].Start.Hour() != 14 || left[1].Code != "JK56LM" {
		t.Errorf("bookings after replace: %+v", left)
	}
	// A code booked on a day the file does not cover is refused even so.
	_, err = db.ImportBookings(ctx, ActorAdmin, "x.csv", []byte("code,start\nJK56LM,2026-03-16 10:00\n"), "", true)
	if err == nil || !strings.Contains(err.Error(), "a day this file does not cover") {
		t.Errorf("code of another day with --replace: %v", err)
	}
}

func TestBookingsListAndCancel(t *testing.T) {
	db, _ := testDB(t)
	ctx := context.Background()
	if _, err := db.ImportBookings(ctx, ActorAdmin, "b.csv", []byte(goodCSV), "", false); err != nil {
		t.Fatal(err)
	}
	day, _ := ParseDay("2026-03-16")
	list, err := db.Bookings(ctx, day)
	if err != nil || len(list) != 2 || list[0].Code != "AB12CD" || list[1].Code != "EF34GH" {
		t.Fatalf("bookings of the 16th: %+v %v", list, err)
	}
	b, err := db.CancelBooking(ctx, ActorAdmin, "ab-12-cd")
	if err != nil || b.Status != StatusCancelled {
		t.Fatalf("cancel: %+v %v", b, err)
	}
	if _, err := db.CancelBooking(ctx, ActorAdmin, "ab12cd"); err != nil {
		t.Errorf("cancel twice: %v", err)
	}
	if _, err := db.CancelBooking(ctx, ActorAdmin, "NOPE99"); !errors.Is(err, ErrNotFound) {
		t.Errorf("cancel unknown: %v", err)
	}
	if _, err := db.CancelBooking(ctx, ActorAdmin, "x"); !errors.Is(err, ErrBadCode) {
		t.Errorf("cancel bad code: %v", err)
	}
	var n int
	db.AuditEntries(ctx, func(e AuditEntry) error {
		if e.Action == "bookings.cancel" {
			n++
		}
		return nil
	})
	if n != 1 {
		t.Errorf("%d cancel entries, want 1 (the second cancel changed nothing)", n)
	}
}

// checkRows asserts what every imported row must satisfy.
func checkRows(t *testing.T, rows []ImportRow) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range rows {
		b := r.Booking
		if c, err := testNormalizeCode(b.Code); err != nil || c != b.Code {
			t.Fatalf("row %d: code %q is not normal", r.Line, b.Code)
		}
		if seen[b.Code] {
			t.Fatalf("row %d: code %q twice", r.Line, b.Code)
		}
		seen[b.Code] = true
		if b.Minutes < MinMinutes || b.Minutes > MaxMinutes || b.Start.Year() < 2000 || b.Start.Year() > 2100 || b.Status != StatusActive {
			t.Fatalf("row %d: %+v breaks the rules", r.Line, b)
		}
		if b.Lang != "" && b.Lang != "lt" && b.Lang != "pl" && b.Lang != "ru" && b.Lang != "en" {
			t.Fatalf("row %d: lang %q", r.Line, b.Lang)
		}
		if !plainText(b.Service, MaxServiceLen) || r.Line < 1 {
			t.Fatalf("row %d: service %q", r.Line, b.Service)
		}
	}
}

func FuzzParseBookingsCSV(f *testing.F) {
	f.Add([]byte(goodCSV))
	f.Add([]byte("code;start\nAB12CD;2026-03-16 09:00\n"))
	f.Add([]byte("start,code,minutes\n2026-03-29 03:30,ab-cd,500\n"))
	f.Add([]byte("code,start\n\"AB\"\"12\",2026-03-16 09:00\n"))
	f.Add([]byte("\xef\xbb\xbfcode,start,lang\nABCD,2026-03-16T09:00:00Z,EN\nABCD,2026-03-16 09:00,xx\n"))
	loc := vilnius(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := testVocab.ParseBookings("f.csv", data, "csv", loc)
		if err == nil && len(rows) == 0 {
			t.Fatal("no rows and no error")
		}
		if err != nil && rows != nil {
			t.Fatal("rows returned with an error")
		}
		checkRows(t, rows)
	})
}

func FuzzParseBookingsJSON(f *testing.F) {
	f.Add([]byte(`[{"code":"AB12CD","start":"2026-03-16 09:00","minutes":15,"service":"x","lang":"lt"}]`))
	f.Add([]byte(`[{"code":"AB12CD","start":"2026-03-16 09:00"},{"code":"ab12cd","start":"2026-03-16 09:00"}]`))
	f.Add([]byte(`[{"code":null,"start":1},[],"x",{"minutes":1e400}]`))
	f.Add([]byte(`[{"code":"ABCD","start":"2026-03-16T09:00:00+02:00","minutes":"15"}`))
	loc := vilnius(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := testVocab.ParseBookings("f.json", data, "json", loc)
		if err == nil && len(rows) == 0 {
			t.Fatal("no rows and no error")
		}
		checkRows(t, rows)
	})
}

func TestImportLargeFile(t *testing.T) {
	if testing.Short() {
		t.Skip("large import")
	}
	db, _ := testDB(t)
	var b strings.Builder
	b.WriteString("code,start\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "C%07d,2026-03-%02d %02d:%02d\n", i, 17+i%10, 8+i/60%9, i%60)
	}
	res, err := db.ImportBookings(context.Background(), ActorAdmin, "big.csv", []byte(b.String()), "", false)
	if err != nil || res.Added != 20000 {
		t.Fatalf("%+v %v", res, err)
	}
}
