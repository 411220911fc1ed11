package ui

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/sensor/mlxsim"
	"github.com/thermogate/thermogate/storage"
)

// BenchmarkReadingToDecisionScreen is a forehead's stable reading to the
// Decision screen built and laid out: the sampler's last window (on the
// virtual clock: microseconds), the judgement, the screening stored in bbolt
// with fsync, the state published, the screen rebuilt. Painting the frame is
// the graphics driver's; TestRealWindowDemo logs that part under Xvfb.
func BenchmarkReadingToDecisionScreen(b *testing.B) {
	db, err := storage.Open(filepath.Join(b.TempDir(), "b.db"), storage.Options{Vocabulary: kiosk.Vocabulary(), Location: vilnius})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ImportBookings(context.Background(), storage.ActorAdmin, "b.csv",
		[]byte("code,start\nAB12CD,"+t0.Format(time.RFC3339)+"\n"), "csv", false); err != nil {
		b.Fatal(err)
	}
	h := newHarnessOn(b, panels[0], func(c *kiosk.Config) { c.Booking.Reentry = true; c.Lang = "en" }, db)
	for b.Loop() {
		b.StopTimer()
		h.EnterCode("AB12CD")
		h.AnswerSymptoms(false)
		h.sim.Schedule(mlxsim.Visit{Arrive: h.clk.Now().Add(-time.Second), Object: c(35.51)})
		h.sim.SetNoise(c(0.05) - c(0)) // the chip's noise: a real, not a frozen, signal
		b.StartTimer()
		if err := h.flow.Measure(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if h.ui.built.Screen != kiosk.Decided {
			b.Fatalf("screen %s after the reading", h.ui.built.Screen)
		}
		h.sim.Remove()
		b.StartTimer()
	}
}
