package storage

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// A spreadsheet may write 9:00 for nine o'clock: it is either read as
// 09:00 or named as the problem, never blamed on daylight saving.
func TestParseBookingsOneDigitHour(t *testing.T) {
	loc := vilnius(t)
	rows, err := testVocab.ParseBookings("b.csv", []byte("code,start\nAB12CD,2026-03-16 9:00\n"), "", loc)
	if err != nil {
		t.Fatalf("2026-03-16 9:00: %v", err)
	}
	if want := time.Date(2026, 3, 16, 9, 0, 0, 0, loc); !rows[0].Booking.Start.Equal(want) {
		t.Errorf("start %v, want %v", rows[0].Booking.Start, want)
	}
	// The hour that does not exist is still refused, with a one-digit hour too.
	for _, s := range []string{"2026-03-29 03:30", "2026-03-29 3:30"} {
		_, err := testVocab.ParseBookings("b.csv", []byte("code,start\nAB12CD,"+s+"\n"), "", loc)
		if err == nil || !strings.Contains(err.Error(), "clocks go forward") {
			t.Errorf("%s: %v; want the clocks-go-forward problem", s, err)
		}
	}
}

// A bookings file saved as UTF-16 (Excel's "Unicode text") is named as
// such, with or without a byte order mark, little or big endian.
func TestParseBookingsUTF16(t *testing.T) {
	text := "code,start\nAB12CD,2026-03-16 09:00\n"
	enc := func(bigEndian, bom bool) []byte {
		u := utf16.Encode([]rune(text))
		if bom {
			u = append([]uint16{0xFEFF}, u...)
		}
		out := make([]byte, 2*len(u))
		for i, c := range u {
			if bigEndian {
				binary.BigEndian.PutUint16(out[2*i:], c)
			} else {
				binary.LittleEndian.PutUint16(out[2*i:], c)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		data   []byte
		format string
	}{
		{"LE with BOM", enc(false, true), ""},
		{"BE with BOM", enc(true, true), ""},
		{"LE without BOM", enc(false, false), ""},
		{"BE without BOM", enc(true, false), "csv"},
		{"LE as json", enc(false, true), "json"},
	} {
		_, err := testVocab.ParseBookings("b.csv", tc.data, tc.format, vilnius(t))
		if err == nil || !strings.Contains(err.Error(), "looks like UTF-16; save as UTF-8") || strings.Contains(err.Error(), "unknown column") {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
