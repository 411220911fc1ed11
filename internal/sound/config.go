package sound

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Config is the [sound] section of the configuration.
type Config struct {
	Enabled     bool   `toml:"enabled"`      // false: the kiosk is silent
	Volume      int    `toml:"volume"`       // 0–100, scales the samples; 0 is silent
	Voice       bool   `toml:"voice"`        // false: tones only, no spoken prompts
	Device      string `toml:"device"`       // ALSA PCM name, as aplay -L lists them
	StartPrompt bool   `toml:"start_prompt"` // speak the start screen's instruction
}

// Default returns the defaults, the same as deploy/config.example.toml.
func Default() Config {
	return Config{Enabled: true, Volume: 80, Voice: true, Device: "default", StartPrompt: false}
}

// Validate names every key whose value is out of range.
func (c Config) Validate() error {
	var errs []error
	if c.Volume < 0 || c.Volume > 100 {
		errs = append(errs, fmt.Errorf("sound.volume = %d: want 0–100", c.Volume))
	}
	if err := validDevice(c.Device); err != nil {
		errs = append(errs, fmt.Errorf("sound.device = %q: %w", c.Device, err))
	}
	return errors.Join(errs...)
}

// validDevice refuses what cannot be an ALSA PCM name. A name is handed to
// aplay as the argument of -D, so one that starts with "-" is refused too.
func validDevice(d string) error {
	switch {
	case d == "":
		return errors.New(`want an ALSA device such as "default", "plughw:CARD=Headphones" or "hdmi:CARD=vc4hdmi0"`)
	case strings.HasPrefix(d, "-"):
		return errors.New("a device name cannot start with '-'")
	case len(d) > 200:
		return errors.New("too long")
	}
	for _, r := range d {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return errors.New("a device name has no spaces or control characters")
		}
	}
	return nil
}

// Gain maps the volume (0–100) to a sample factor. Loudness is heard about
// logarithmically, so the factor goes with the square: 50 is a quarter of
// the amplitude (−12 dB), which sounds about half as loud.
func (c Config) Gain() float64 {
	v := float64(min(max(c.Volume, 0), 100)) / 100
	return v * v
}
