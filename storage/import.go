package storage

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxImportBytes bounds a bookings file: about 200,000 bookings, far more
// than an office books, and little enough to check in one transaction.
const MaxImportBytes = 16 << 20

// Limits of a booking's fields.
const (
	MinMinutes     = 1
	MaxMinutes     = 120
	MaxServiceLen  = 100
	MaxLocationLen = 64
	maxProblems    = 1000 // problems listed in an ImportError; the count says the rest
	startLayout    = "2006-01-02 15:04"
	firstStartYear = 2000
	lastStartYear  = 2100
)

// ErrTooLarge: an import file over MaxImportBytes.
var ErrTooLarge = errors.New("file too large")

// importColumns are the fields of a bookings file, required ones first.
var importColumns = []string{"code", "start", "minutes", "service", "lang", "location"}

// ImportProblem is one bad row of an import file.
type ImportProblem struct {
	Line    int    `json:"line"` // 1-based line of the file; 0 for the file as a whole
	Problem string `json:"problem"`
}

// ImportError lists every bad row of a file that was not imported.
type ImportError struct {
	File     string          `json:"file"`
	Problems []ImportProblem `json:"problems"` // in line order, at most 1000
	More     int             `json:"more,omitempty"`
}

// Error lists the problems one a line.
func (e *ImportError) Error() string {
	var b strings.Builder
	n := len(e.Problems) + e.More
	fmt.Fprintf(&b, "%s: nothing imported, %d problem", e.File, n)
	if n != 1 {
		b.WriteString("s")
	}
	b.WriteString(":")
	for _, p := range e.Problems {
		if p.Line > 0 {
			fmt.Fprintf(&b, "\n  line %d: %s", p.Line, p.Problem)
		} else {
			fmt.Fprintf(&b, "\n  %s", p.Problem)
		}
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "\n  … and %d more", e.More)
	}
	return b.String()
}

func (e *ImportError) add(line int, format string, a ...any) {
	if len(e.Problems) >= maxProblems {
		e.More++
		return
	}
	e.Problems = append(e.Problems, ImportProblem{line, fmt.Sprintf(format, a...)})
}

// ImportRow is one booking read from a file, with the line it starts on.
type ImportRow struct {
	Line    int     `json:"line"`
	Booking Booking `json:"booking"`
}

// ParseBookings reads a bookings file: CSV with a header row, or a JSON
// array of objects with the same fields (format "csv" or "json"; "" looks
// at the first character). Times without a zone are read in loc. Every row
// is checked; if any is bad, the error is an *ImportError listing each bad
// row, and no rows are returned. A code on two rows is a problem that names
// both lines.
func (v Vocabulary) ParseBookings(name string, data []byte, format string, loc *time.Location) ([]ImportRow, error) {
	if v.NormalizeCode == nil {
		return nil, fmt.Errorf("%s: %w", name, ErrNoVocabulary)
	}
	if len(data) > MaxImportBytes {
		return nil, fmt.Errorf("%s: %w: %d bytes, at most %d MiB at once; split it by day", name, ErrTooLarge, len(data), MaxImportBytes>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // spreadsheets write a BOM
	if looksUTF16(data) {
		ie := &ImportError{File: name}
		ie.add(0, "the file looks like UTF-16; save as UTF-8 (in a spreadsheet: CSV UTF-8)")
		return nil, ie
	}
	if format == "" {
		format = "csv"
		if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '[' {
			format = "json"
		}
	}
	ie := &ImportError{File: name}
	var rows []ImportRow
	switch format {
	case "csv":
		rows = v.parseCSV(data, loc, ie)
	case "json":
		rows = v.parseJSON(data, loc, ie)
	default:
		return nil, fmt.Errorf("%s: format %q: want csv or json", name, format)
	}
	if len(ie.Problems) == 0 && len(rows) == 0 {
		ie.add(0, "no bookings in the file")
	}
	first := map[string]int{}
	for _, r := range rows {
		if l, ok := first[r.Booking.Code]; ok {
			ie.add(r.Line, "code %s is also on line %d", r.Booking.Code, l)
			continue
		}
		first[r.Booking.Code] = r.Line
	}
	if len(ie.Problems) > 0 {
		slices.SortStableFunc(ie.Problems, func(a, b ImportProblem) int { return a.Line - b.Line })
		return nil, ie
	}
	return rows, nil
}

func (v Vocabulary) parseCSV(data []byte, loc *time.Location, ie *ImportError) []ImportRow {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = csvDelimiter(data)
	r.FieldsPerRecord = -1 // a wrong field count is the row's problem, not the file's
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err == io.EOF {
		ie.add(0, "the file is empty; the first line must be a header such as code,start,minutes,service,lang")
		return nil
	}
	if err != nil {
		csvSyntax(ie, err)
		return nil
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case h == "":
			// a trailing separator in a spreadsheet's header: an empty column
		case !slices.Contains(importColumns, h):
			ie.add(1, "unknown column %q; the columns are code, start, minutes, service, lang, location", h)
		case col[h] != 0:
			ie.add(1, "column %q twice", h)
		default:
			col[h] = i + 1 // 0 means absent
		}
	}
	for _, c := range importColumns[:2] {
		if col[c] == 0 {
			ie.add(1, "missing column %q; the first line must be a header such as code,start,minutes,service,lang", c)
		}
	}
	if len(ie.Problems) > 0 {
		return nil // without a good header no row can be read
	}
	var rows []ImportRow
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			csvSyntax(ie, err)
			return nil
		}
		line, _ := r.FieldPos(0)
		if len(rec) != len(header) {
			ie.add(line, "%d fields, but the header has %d", len(rec), len(header))
			continue
		}
		f := rowFields{}
		for name, i := range col {
			f[name] = strings.TrimSpace(rec[i-1])
		}
		if b, problems := f.booking(v, loc); len(problems) > 0 {
			ie.add(line, "%s", strings.Join(problems, "; "))
		} else {
			rows = append(rows, ImportRow{line, b})
		}
	}
}

// csvDelimiter is ',' unless the header has none and has ';' or a tab:
// spreadsheets in Lithuanian and Polish settings save with ';'.
func csvDelimiter(data []byte) rune {
	header, _, _ := bytes.Cut(data, []byte("\n"))
	switch {
	case bytes.IndexByte(header, ',') >= 0:
		return ','
	case bytes.IndexByte(header, ';') >= 0:
		return ';'
	case bytes.IndexByte(header, '\t') >= 0:
		return '\t'
	}
	return ','
}

func csvSyntax(ie *ImportError, err error) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		ie.add(pe.Line, "CSV syntax: %v; the lines after it were not read", pe.Err)
		return
	}
	ie.add(0, "CSV: %v", err)
}

func (v Vocabulary) parseJSON(data []byte, loc *time.Location, ie *ImportError) []ImportRow {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	syntax := func(err error) {
		off := dec.InputOffset()
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off = se.Offset
		}
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			ie.add(lineAt(data, int64(len(data))), "JSON ends too early: the array is not closed with ]")
			return
		}
		ie.add(lineAt(data, off), "JSON syntax: %v; the rest was not read", err)
	}
	if t, err := dec.Token(); err != nil {
		syntax(err)
		return nil
	} else if t != json.Delim('[') {
		ie.add(lineAt(data, dec.InputOffset()), "want a JSON array of objects, [{\"code\": …, \"start\": …}, …]")
		return nil
	}
	var rows []ImportRow
	for dec.More() {
		line := lineAt(data, nextValue(data, dec.InputOffset()))
		var obj map[string]json.RawMessage
		if err := dec.Decode(&obj); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				ie.add(line, "want an object such as {\"code\": \"AB12CD\", \"start\": \"2026-03-14 09:00\"}")
				continue
			}
			syntax(err)
			return nil
		}
		f := rowFields{}
		var problems []string
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v := obj[k]
			if !slices.Contains(importColumns, k) {
				problems = append(problems, fmt.Sprintf("unknown field %q; the fields are code, start, minutes, service, lang, location", k))
				continue
			}
			var s string
			var n json.Number
			switch {
			case string(v) == "null":
				continue
			case json.Unmarshal(v, &s) == nil:
				f[k] = strings.TrimSpace(s)
			case k == "minutes" && json.Unmarshal(v, &n) == nil:
				f[k] = n.String()
			default:
				problems = append(problems, fmt.Sprintf("%s: want a string, not %s", k, clip(string(v), 20)))
			}
		}
		b, more := f.booking(v, loc)
		if problems = append(problems, more...); len(problems) > 0 {
			ie.add(line, "%s", strings.Join(problems, "; "))
			continue
		}
		rows = append(rows, ImportRow{line, b})
	}
	if _, err := dec.Token(); err != nil { // the closing ]
		syntax(err)
		return nil
	}
	if _, err := dec.Token(); err != io.EOF {
		ie.add(lineAt(data, dec.InputOffset()), "text after the closing ]")
		return nil
	}
	return rows
}

// nextValue skips the separators the decoder stops before.
func nextValue(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[off]) >= 0 {
		off++
	}
	return off
}

// lineAt returns the 1-based line of byte offset off.
func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte("\n")) + 1
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// rowFields are one row's fields by column name; a missing or empty
// optional field takes its default.
type rowFields map[string]string

// booking checks every field and returns the booking, or every problem.
func (f rowFields) booking(v Vocabulary, loc *time.Location) (Booking, []string) {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	b := Booking{Minutes: DefaultMinutes, Status: StatusActive, Version: BookingVersion}

	if raw := f["code"]; raw == "" {
		bad("code is empty")
	} else if c, err := v.NormalizeCode(raw); err != nil {
		bad("code %q: %v", clip(raw, 20), err)
	} else {
		b.Code = c
	}

	if raw := f["start"]; raw == "" {
		bad("start is empty")
	} else if t, err := parseStart(raw, loc); err != nil {
		bad("%v", err)
	} else {
		b.Start = t
	}

	if raw := f["minutes"]; raw != "" {
		n, err := strconv.Atoi(raw)
		switch {
		case err != nil:
			bad("minutes %q: want a whole number", clip(raw, 20))
		case n < MinMinutes || n > MaxMinutes:
			bad("minutes %d out of range %d–%d", n, MinMinutes, MaxMinutes)
		default:
			b.Minutes = n
		}
	}

	if raw := f["service"]; !plainText(raw, MaxServiceLen) {
		bad("service: at most %d characters, no control characters", MaxServiceLen)
	} else {
		b.Service = raw
	}

	if raw := f["location"]; !plainText(raw, MaxLocationLen) {
		bad("location: at most %d characters, no control characters", MaxLocationLen)
	} else {
		b.Location = raw
	}

	if raw := strings.ToLower(f["lang"]); raw != "" && !slices.Contains(v.Langs, raw) {
		bad("unknown language %q; want %s (or empty)", clip(f["lang"], 20), orList(v.Langs))
	} else {
		b.Lang = raw
	}
	return b, problems
}

// looksUTF16 reports a UTF-16 byte order mark, or NUL bytes in the first
// line's characters, which no CSV or JSON bookings file has in UTF-8.
func looksUTF16(data []byte) bool {
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return true
	}
	head := data[:min(len(data), 64)]
	return len(head) >= 4 && bytes.Count(head, []byte{0}) >= len(head)/4
}

// parseStart reads "YYYY-MM-DD HH:MM" in loc, or RFC 3339. A local time
// that does not exist (the hour skipped when the clocks go forward) is an
// error rather than quietly moved by an hour.
func parseStart(s string, loc *time.Location) (time.Time, error) {
	var t time.Time
	if lt, err := time.ParseInLocation(startLayout, s, loc); err == nil {
		// The wall clock read without a zone; a time in the hour the clocks
		// skip comes back moved. (Comparing the text would also blame a
		// one-digit hour, 9:00, on daylight saving.)
		wall, _ := time.Parse(startLayout, s)
		y, mo, d := lt.Date()
		wy, wmo, wd := wall.Date()
		if y != wy || mo != wmo || d != wd || lt.Hour() != wall.Hour() || lt.Minute() != wall.Minute() {
			return time.Time{}, fmt.Errorf("start %q does not exist in %s (the clocks go forward then)", s, loc)
		}
		t = lt
	} else if rt, err := time.Parse(time.RFC3339, s); err == nil {
		t = rt.In(loc)
	} else {
		return time.Time{}, fmt.Errorf("start %q: want YYYY-MM-DD HH:MM (%s time) or RFC 3339 such as 2026-03-14T09:00:00+02:00", clip(s, 40), loc)
	}
	if y := t.Year(); y < firstStartYear || y > lastStartYear {
		return time.Time{}, fmt.Errorf("start %q: year %d out of range %d–%d", s, y, firstStartYear, lastStartYear)
	}
	return t, nil
}

// orList writes words as "a, b, c or d".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
