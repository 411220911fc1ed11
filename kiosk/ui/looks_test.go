package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/widget"

	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/sensor/mlxsim"
)

// TestOutOfServiceInEveryLanguage: the out-of-service screen never changes
// while the kiosk is out, so it says "please wait" in all four languages at
// once, the kiosk's own first, and has no language button.
func TestOutOfServiceInEveryLanguage(t *testing.T) {
	for _, p := range panels {
		h := newHarness(t, p, func(c *kiosk.Config) { c.Lang = "pl" })
		h.sim.SetFault(mlxsim.Absent)
		h.Probe()
		h.want(kiosk.OutOfService)
		texts := strings.Join(h.texts(), "\n")
		first := -1
		for _, l := range kiosk.Languages {
			for _, key := range []string{"oos.title", "oos.body"} {
				s := strings.ReplaceAll(h.ui.cat.T(l, key), "\u00a0", " ")
				i := strings.Index(texts, s)
				if i < 0 {
					t.Errorf("%s: %s %s %q not on the screen", p.name, l, key, s)
				}
				if l == "pl" && key == "oos.title" {
					first = i
				} else if i >= 0 && i < first {
					t.Errorf("%s: %s comes before the kiosk's own language", p.name, l)
				}
			}
		}
		for _, o := range h.objects() {
			if b, ok := o.obj.(*widget.Button); ok {
				t.Errorf("%s: a button %q on the out-of-service screen", p.name, b.Text)
			}
		}
	}
}
