package kiosk

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/internal/hw"
	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/sensor/mlxsim"
	"github.com/thermogate/thermogate/storage"
	"github.com/thermogate/thermogate/storage/storagetest"
)

// BenchmarkStableReadingToDecision is the decision path: a stable reading
// judged, the screening stored in bbolt with fsync, the state published to
// an observer. Compare with storage's BenchmarkAppend and BenchmarkBoltPut
// (bench/kiosk.sh prints them together).
func BenchmarkStableReadingToDecision(b *testing.B) {
	db, err := storage.Open(filepath.Join(b.TempDir(), "b.db"), storage.Options{Vocabulary: Vocabulary(), Location: vilnius})
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

// slowAppend is a disk that takes its time: every Append waits d.
// BenchmarkUIThreadWithSlowStore: while Run waits 2 s for a screening to
// be stored, the touchscreen's calls (Start, SetLang, Touch) must return at
// once. It reports the slowest call; bench/kiosk.sh prints it against the
// 50 ms a tap may take.
func BenchmarkUIThreadWithSlowStore(b *testing.B) {
	rig, sampler, err := hw.Simulated(mlxsim.Opts{Ambient: c(22.01)}, nil)
	if err != nil {
		b.Fatal(err)
	}
	rig.Sim.Remove()
	store := storagetest.Open(b, storage.Options{Vocabulary: Vocabulary()})
	store.SlowAppend(2 * time.Second)
	flow, err := New(DefaultConfig(), store, sampler, clock.Real{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	flow.Observe(func(State) {})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error)
	go func() { ran <- flow.Run(ctx, RunOpts{}) }()
	flow.EnterCode("ZZ9999")           // an unknown code: a denial to store, which takes 2 s
	time.Sleep(100 * time.Millisecond) // Run is in Append now
	var slowest time.Duration
	for b.Loop() {
		t := time.Now()
		flow.Start()
		_ = flow.SetLang(EN)
		flow.Touch()
		slowest = max(slowest, time.Since(t))
	}
	if flow.State().Screen != Idle {
		b.Logf("the store finished within the benchmark (%s); raise the delay for a longer run", flow.State().Screen)
	}
	b.ReportMetric(float64(slowest.Microseconds()), "max-µs/3calls")
	cancel()
	<-ran
}
