package kiosk

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/storage"
)

func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"ab12cd", " AB-12_CD ", "x", "ABCDEFGHIJKLMNOPQ", "ąčę1", "12\t34", strings.Repeat("-", 70) + "ABCD"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := NormalizeCode(s)
		if err != nil {
			if !errors.Is(err, ErrBadCode) {
				t.Fatalf("%q: error %v is not ErrBadCode", s, err)
			}
			return
		}
		if len(c) < MinCodeLen || len(c) > MaxCodeLen || strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
			t.Fatalf("%q normalised to %q", s, c)
		}
		if again, err := NormalizeCode(c); err != nil || again != c {
			t.Fatalf("%q: not idempotent: %q, %v", c, again, err)
		}
	})
}

func TestCalibrationWarning(t *testing.T) {
	median := func(readings int, c float64) storage.DayStats {
		return storage.DayStats{Readings: readings, MedianC: &c}
	}
	for _, tc := range []struct {
		st   storage.DayStats
		want string
	}{
		{storage.DayStats{}, ""},
		{median(19, 35.0), ""}, // too few to judge
		{median(20, 35.8), ""},
		{median(20, 37.2), ""},
		{median(20, 35.7), "the median shown temperature of 20 admitted visitors is 35.7 °C, outside 35.8–37.2 °C: check the kiosk against a clinical thermometer"},
		{median(500, 37.3), "is 37.3 °C, outside 35.8–37.2 °C"},
	} {
		if got := CalibrationWarning(tc.st); (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%d readings, median %v: %q, want %q", tc.st.Readings, tc.st.MedianC, got, tc.want)
		}
	}
}

// The real store takes the kiosk's words and only those: every decision
// and reason is stored, a code is normalised the kiosk's way, a booking
// carries one of kiosk.Languages, and the day's manifest carries the
// kiosk's calibration judgement.
func TestStoreSpeaksTheKiosksVocabulary(t *testing.T) {
	ctx := context.Background()
	day := time.Date(2026, 3, 16, 0, 0, 0, 0, vilnius)
	clk := clock.NewVirtual(day.Add(10 * time.Hour))
	db, err := storage.Open(filepath.Join(t.TempDir(), "k.db"), storage.Options{Vocabulary: Vocabulary(), Location: vilnius, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	shown := 35.4
	for _, d := range Decisions {
		for _, r := range Reasons {
			s := storage.Screening{Time: clk.Now(), Kiosk: "door-1", Decision: string(d), Reason: string(r), Code: "ab-12-cd", ThresholdC: 37.3}
			if _, err := db.Append(ctx, s); err != nil {
				t.Fatalf("%s/%s: %v", d, r, err)
			}
		}
	}
	for range 20 {
		s := storage.Screening{Time: clk.Now(), Kiosk: "door-1", Decision: string(Admit), Reason: string(ReasonOK), ShownC: &shown, ThresholdC: 37.3}
		if _, err := db.Append(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Append(ctx, storage.Screening{Time: clk.Now(), Decision: "ADMIT", Reason: string(ReasonOK)}); !errors.Is(err, storage.ErrInvalid) {
		t.Errorf("a word the kiosk does not have: %v", err)
	}
	csv := "code,start,lang\nab-12-cd,2026-03-16 11:00,lt\nxy-98-zz,2026-03-16 11:00,de\n"
	var ie *storage.ImportError
	if _, err := db.ImportBookings(ctx, storage.ActorAdmin, "b.csv", []byte(csv), "", false); !errors.As(err, &ie) ||
		!strings.Contains(err.Error(), `unknown language "de"; want lt, pl, ru or en`) || len(ie.Problems) != 1 {
		t.Fatalf("import: %v", err)
	}
	if _, err := db.ImportBookings(ctx, storage.ActorAdmin, "b.csv", []byte(csv[:strings.LastIndex(csv[:len(csv)-1], "\n")+1]), "", false); err != nil {
		t.Fatal(err)
	}
	if b, err := db.Booking(ctx, " Ab12cD "); err != nil || b.Code != "AB12CD" || b.Lang != string(LT) {
		t.Fatalf("booking: %+v %v", b, err)
	}
	if _, err := db.Booking(ctx, "AB!2CD"); !errors.Is(err, ErrBadCode) {
		t.Fatalf("a bad code: %v", err)
	}

	clk.Advance(24 * time.Hour)
	dir := t.TempDir()
	res, err := db.ExportDay(ctx, storage.ActorAdmin, storage.DayOf(day, vilnius), dir)
	if err != nil {
		t.Fatal(err)
	}
	st := res.Manifest.Stats
	n := len(Reasons)
	if st.Admitted != n+20 || st.Denied != n || st.Referred != n || st.DeniedBy[string(ReasonFever)] != 1 {
		t.Errorf("stats %+v", st)
	}
	if st.CalibrationWarning != CalibrationWarning(st) || !strings.Contains(st.CalibrationWarning, "35.4 °C") {
		t.Errorf("warning %q", st.CalibrationWarning)
	}
	raw, err := os.ReadFile(filepath.Join(dir, res.File.Name))
	if err != nil {
		t.Fatal(err)
	}
	var m storage.Manifest
	if err := json.Unmarshal(raw, &m); err != nil || m.Stats.CalibrationWarning != st.CalibrationWarning {
		t.Errorf("manifest on disk: %v %q", err, m.Stats.CalibrationWarning)
	}
}
