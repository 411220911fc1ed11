package sound

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/thermogate/thermogate/kiosk"
)

// BenchmarkSoundStart measures how long after Play the first samples reach
// ALSA: a player on the real aplay, writing to ALSA's file device, polled
// for its first bytes. It is the event-to-sound delay apart from the sound
// card's own buffer (a few ms at ALSA's default period).
func BenchmarkSoundStart(b *testing.B) {
	for _, tc := range []struct {
		name string
		play func(p *Player)
	}{
		{"tone", func(p *Player) { p.Play("lt", ToneReading) }},
		{"decision", func(p *Player) { p.PlayDecision("lt", string(kiosk.Deny), string(kiosk.ReasonFever)) }},
		{"prompt", func(p *Player) { p.Play("ru", KeyHoldStill) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			lib := &Library{Params: DefaultParams, Cache: sharedCache()}
			for _, k := range []Key{"deny.fever", KeyHoldStill} {
				for _, l := range []string{"lt", "ru"} {
					lib.Load(b.Context(), k, l) // rendered and cached as at a kiosk's first start
				}
			}
			out := filepath.Join(b.TempDir(), "out.raw")
			p := NewPlayer(Default(), lib, ALSA{Device: "file:'" + out + "',raw"}, nil)
			defer p.Close()
			var lat []time.Duration
			for b.Loop() {
				os.Remove(out)
				start := time.Now()
				tc.play(p)
				for {
					if st, err := os.Stat(out); err == nil && st.Size() > 0 {
						break
					}
					if time.Since(start) > 5*time.Second {
						b.Fatal("no sound reached the device in 5 s")
					}
					time.Sleep(100 * time.Microsecond)
				}
				lat = append(lat, time.Since(start))
				time.Sleep(20 * time.Millisecond) // let aplay finish: a new request would cut it
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "ms-median")
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "ms-p95")
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "ms-max")
		})
	}
}
