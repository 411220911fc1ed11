package kiosk

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/storage"
)

// BenchmarkStableReadingToDecision is the decision path: a stable reading
// judged, the screening stored in bbolt with fsync, the state published to
// an observer. Compare with storage's BenchmarkAppend and BenchmarkBoltPut
// (bench/kiosk.sh prints them together).
func BenchmarkStableReadingToDecision(b *testing.B) {
	db, err := storage.Open(filepath.Join(b.TempDir(), "b.db"), storage.Options{Location: vilnius})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	cfg := DefaultConfig()
	cfg.Location = vilnius
	cfg.Booking.Reentry = true // one booking, used again and again
	r := newRig(b, func(c *Config) { *c = cfg })
	r.flow.store = db
	if _, err := db.ImportBookings(b.Context(), storage.ActorAdmin, "b.csv", []byte("code,start\nAB12CD,"+t0.Format(time.RFC3339)+"\n"), "csv", false); err != nil {
		b.Fatal(err)
	}
	decided := 0
	r.flow.Observe(func(s State) {
		if s.Screen == Decided {
			decided++
		}
	})
	reading := sensor.Reading{Object: c(35.51), Ambient: c(22.01), Die: c(22.01), Samples: 10}
	for b.Loop() {
		b.StopTimer()
		if err := r.EnterCode("AB12CD"); err != nil {
			b.Fatal(err)
		}
		if err := r.AnswerSymptoms(false); err != nil {
			b.Fatal(err)
		}
		id := r.flow.wantMeas
		b.StartTimer()
		_ = r.flow.handle(b.Context(), Measured{ID: id, Reading: reading})
	}
	if decided != b.N {
		b.Fatalf("%d decisions published for %d readings", decided, b.N)
	}
}
