package storage

import (
	"context"
	"path/filepath"
	"testing"
	"time"
	_ "time/tzdata" // the tests use Europe/Vilnius whatever the machine has

	"github.com/thermogate/thermogate/internal/clock"
)

// cheapPIN keeps the tests fast; TestDefaultPINParams checks the real cost.
var cheapPIN = PINParams{Time: 1, MemoryKiB: 64, Threads: 1}

func vilnius(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Vilnius")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// testDB opens a new database in a temporary directory on a virtual clock
// that starts at 2026-03-16 10:00 in Vilnius.
func testDB(t testing.TB) (*DB, *clock.Virtual) {
	t.Helper()
	return testDBAt(t, time.Date(2026, 3, 16, 10, 0, 0, 0, vilnius(t)))
}

// testDBAt is testDB with the clock starting at start.
func testDBAt(t testing.TB, start time.Time) (*DB, *clock.Virtual) {
	t.Helper()
	loc := vilnius(t)
	clk := clock.NewVirtual(start)
	db, err := Open(filepath.Join(t.TempDir(), "thermogate.db"), Options{Vocabulary: testVocab, Location: loc, Clock: clk, PIN: cheapPIN})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, clk
}

func ptr(v float64) *float64 { return &v }

// screening is a plain admitted screening at t.
func screening(t time.Time, shown float64) Screening {
	return Screening{
		Time: t, Kiosk: "door-1", Decision: DecisionAdmit, Reason: ReasonOK,
		ShownC: ptr(shown), ObjectC: ptr(shown - 1.5), AmbientC: ptr(22.01),
		Model: "offset/1", Params: map[string]float64{"c": 1.5}, ThresholdC: 37.3,
	}
}

func mustAppend(t testing.TB, db *DB, s Screening) uint64 {
	t.Helper()
	id, err := db.Append(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
