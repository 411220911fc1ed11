package signals

import (
	"slices"
	"testing"

	"github.com/thermogate/thermogate/internal/sound"
	"github.com/thermogate/thermogate/kiosk"
)

// TestEveryCueIsASound: each cue the flow emits names a tone or prompt the
// sound library has, and a decision plays its tone then its sentence.
func TestEveryCueIsASound(t *testing.T) {
	for _, c := range kiosk.Cues {
		if !slices.Contains(sound.Keys(), sound.Key(c)) {
			t.Errorf("cue %q is no sound key", c)
		}
	}
	for _, d := range kiosk.Decisions {
		for _, r := range kiosk.Reasons {
			keys := Keys(kiosk.Sound{Cues: []kiosk.Cue{kiosk.CueReading}, Decision: d, Reason: r})
			tone, prompt := sound.ForDecision(string(d), string(r))
			if !slices.Equal(keys, []sound.Key{sound.ToneReading, tone, prompt}) {
				t.Errorf("%s/%s plays %v", d, r, keys)
			}
			if want := sound.ToneDeny; d == kiosk.Admit {
				if tone != sound.ToneAdmit || prompt != sound.KeyAdmit {
					t.Errorf("admit/%s announced with %s %s", r, tone, prompt)
				}
			} else if tone != want {
				t.Errorf("%s/%s announced with %s", d, r, tone)
			}
		}
	}
}
