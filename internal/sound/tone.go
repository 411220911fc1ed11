package sound

import (
	"math"
	"time"
)

// ToneRate is the sample rate of generated tones, the same as espeak-ng's
// voices so one aplay setting serves both.
const ToneRate = 22050

// note is one beep of a tone: a frequency for a time, then a gap.
type note struct {
	hz  float64
	on  time.Duration
	gap time.Duration
}

// tones differ in pitch and rhythm: code and reading are short and high
// (acknowledgements), ADMIT rises in two notes, DENY/REFER falls slowly and
// low in three. Small speakers render low notes weakly, so every note
// carries its third harmonic too.
var tones = map[Key][]note{
	ToneCode:    {{hz: 880, on: 120 * time.Millisecond}},
	ToneReading: {{hz: 1320, on: 60 * time.Millisecond, gap: 60 * time.Millisecond}, {hz: 1320, on: 60 * time.Millisecond}},
	ToneAdmit:   {{hz: 660, on: 130 * time.Millisecond, gap: 20 * time.Millisecond}, {hz: 990, on: 220 * time.Millisecond}},
	ToneDeny:    {{hz: 392, on: 100 * time.Millisecond, gap: 40 * time.Millisecond}, {hz: 330, on: 100 * time.Millisecond, gap: 40 * time.Millisecond}, {hz: 262, on: 120 * time.Millisecond}},
}

// Tone generates a tone key's PCM (mono, ToneRate) and says whether k is a tone.
func Tone(k Key) (PCM, bool) {
	notes, ok := tones[k]
	if !ok {
		return PCM{}, false
	}
	const amp = 0.6 * math.MaxInt16
	var s []int16
	for _, n := range notes {
		count := int(n.on.Seconds() * ToneRate)
		fade := ToneRate * 5 / 1000 // 5 ms in and out: no clicks
		for i := range count {
			t := float64(i) / ToneRate
			env := 1.0
			if i < fade {
				env = float64(i) / float64(fade)
			} else if count-i < fade {
				env = float64(count-i) / float64(fade)
			}
			v := 0.8*math.Sin(2*math.Pi*n.hz*t) + 0.2*math.Sin(2*math.Pi*3*n.hz*t)
			s = append(s, int16(amp*env*v))
		}
		s = append(s, make([]int16, int(n.gap.Seconds()*ToneRate))...)
	}
	return PCM{Rate: ToneRate, Channels: 1, Samples: s}, true
}
