package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
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

// TestGuardListPagesWithoutScrolling: with more visitors in the last 10
// minutes than fit, the guard's list shows a page at a time with arrows,
// every visitor is on exactly one page, and the one picked on a later page
// is the one the decision is for.
func TestGuardListPagesWithoutScrolling(t *testing.T) {
	for _, p := range panels {
		h := newHarness(t, p, nil)
		denied(h, 7)
		loggedIn(h)
		h.want(kiosk.GuardMenu)
		arrow := func(res fyne.Resource) *widget.Button {
			for _, o := range h.objects() {
				if b, ok := o.obj.(*widget.Button); ok && b.Icon == res {
					return b
				}
			}
			return nil
		}
		seen := map[string]int{}
		pages := 0
		for {
			pages++
			for _, o := range h.objects() {
				if rt, ok := o.obj.(*widget.RichText); ok && strings.HasPrefix(rt.String(), "V10") {
					seen[rt.String()[:5]]++
				}
			}
			down := arrow(theme.MoveDownIcon())
			if down == nil || down.Disabled() {
				break
			}
			test.Tap(down)
			if pages > 7 {
				t.Fatalf("%s: more pages than visitors", p.name)
			}
		}
		if len(seen) != 7 || pages < 2 {
			t.Fatalf("%s: %d pages showed %v, want 7 visitors over at least 2 pages", p.name, pages, seen)
		}
		for code, n := range seen {
			if n != 1 {
				t.Errorf("%s: %s shown on %d pages", p.name, code, n)
			}
		}
		// The last page: pick the oldest visitor there, and admit them.
		h.tapRow("V1001")
		if st := h.flow.State(); !st.HasVisitor || st.Code != "V1001" {
			t.Fatalf("%s: picked %q, want V1001", p.name, st.Code)
		}
		h.tap(h.ui.tg("guard.admit"))
		h.tap(h.ui.tg("override.staff"))
		h.mustShow("V1001")
	}
}
