package signals

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/sound"
	"github.com/thermogate/thermogate/kiosk"
)

// startSink reports when a sound starts playing.
type startSink struct{ started chan time.Time }

func (s startSink) Play(ctx context.Context, _ sound.PCM) error {
	select {
	case s.started <- time.Now():
	default:
	}
	<-ctx.Done() // plays until cut off by the next request
	return nil
}

// BenchmarkDecisionToSound measures from the event that decides (a code
// the store does not know: looked up, stored, shown) to the first sample
// handed to the device, through the real flow, the runner and the player,
// with the prompts cached as after the kiosk's start. The target:
// 100 ms. Report: bench/ prints it with `go test -bench DecisionToSound`.
func BenchmarkDecisionToSound(b *testing.B) {
	for _, voice := range []bool{false, true} {
		b.Run(fmt.Sprintf("voice=%v", voice), func(b *testing.B) {
			cfg := sound.Default()
			cfg.Voice = voice
			lib := &sound.Library{Params: sound.DefaultParams, Cache: b.TempDir()}
			if voice {
				if err := lib.Prepare(context.Background(), "lt"); err != nil {
					b.Skip("espeak-ng:", err)
				}
			}
			sink := startSink{started: make(chan time.Time, 1)}
			p := sound.NewPlayer(cfg, lib, sink, nil)
			r := newRig(b, p)
			defer r.out.Close()
			var total time.Duration
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				r.do(kiosk.EnterCode{Raw: "ZZ99ZZ"})
				total += (<-sink.started).Sub(t0)
			}
			b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms/sound")
		})
	}
}
