package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/thermogate/thermogate/kiosk"
)

// The guard's corner is invisible and swallows taps: nothing a visitor or
// a guard taps may lie under it, on any screen of either panel. (It once
// covered most of Cancel on the 720×1280 panel.)
func TestGuardCornerCoversNoControl(t *testing.T) {
	for _, p := range panels {
		for _, lang := range []kiosk.Lang{"en", "ru"} {
			for _, sc := range scenarios {
				h := newHarness(t, p, func(c *kiosk.Config) { c.Lang = lang })
				sc.run(h)
				corner := fyne.NewSize(TouchSize, TouchSize)
				for _, o := range h.objects() {
					if _, ok := o.obj.(*hotspot); ok {
						corner = o.obj.Size()
						continue
					}
					_, tappable := o.obj.(fyne.Tappable)
					_, mouse := o.obj.(desktop.Mouseable)
					if !tappable && !mouse {
						continue
					}
					sz := o.obj.Size()
					if sz.Width <= 0 || sz.Height <= 0 {
						continue
					}
					if o.pos.X < corner.Width && o.pos.Y < corner.Height {
						t.Errorf("%s %s %s: a %T at %v (%v) lies under the guard's corner (%v)",
							sc.name, lang, p.name, o.obj, o.pos, sz, corner)
					}
				}
			}
		}
	}
}
