package ui

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thermogate/thermogate/kiosk"
)

// TestScreenshots renders every screen in every language on both panels
// into $THERMOGATE_SCREENSHOTS as <screen>-<lang>-<width>x<height>.png.
// `make screenshots` runs it; without the variable it is skipped.
// $THERMOGATE_SCREENSHOTS_ONLY, if set, renders only the scenarios whose
// names start with it (a quick look while working on one screen).
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("THERMOGATE_SCREENSHOTS")
	if dir == "" {
		t.Skip("THERMOGATE_SCREENSHOTS is not set")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range panels {
		for _, lang := range kiosk.Languages {
			for _, sc := range scenarios {
				if only := os.Getenv("THERMOGATE_SCREENSHOTS_ONLY"); only != "" && !strings.HasPrefix(sc.name, only) {
					continue
				}
				h := newHarness(t, p, func(c *kiosk.Config) { c.Lang = lang })
				sc.run(h)
				img := h.win.Canvas().Capture()
				name := filepath.Join(dir, sc.name+"-"+string(lang)+"-"+p.name+".png")
				f, err := os.Create(name)
				if err != nil {
					t.Fatal(err)
				}
				enc := png.Encoder{CompressionLevel: png.BestCompression} // they are committed
				if err := enc.Encode(f, img); err != nil {
					t.Fatal(err)
				}
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}
