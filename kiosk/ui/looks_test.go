package ui

import (
	"image/color"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
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

// TestChosenLanguageIsNotThePrimaryAction: the chosen language is marked by
// a frame, a tick and a pale blue, not by the dark blue of Start, with text
// that still has 7:1 contrast; the other languages are plain buttons.
func TestChosenLanguageIsNotThePrimaryAction(t *testing.T) {
	if r := contrast(colText, colSelected); r < 7 {
		t.Errorf("chosen language: contrast %.2f:1, want at least 7:1", r)
	}
	if r := contrast(colSelected, colPrimary); r < 3 {
		t.Errorf("the chosen language's pale blue and Start's dark blue differ by only %.2f:1", r)
	}
	for _, p := range panels {
		h := newHarness(t, p, func(c *kiosk.Config) { c.Lang = "lt" })
		if b := labelled(h.win.Content(), h.tr("idle.start")); b == nil || b.Importance != widget.HighImportance {
			t.Fatalf("%s: Start is not the primary action", p.name)
		}
		for _, l := range kiosk.Languages {
			b := labelled(h.win.Content(), kiosk.LanguageNames[l])
			if b == nil {
				t.Fatalf("%s: no button for %s", p.name, l)
			}
			if b.Importance == widget.HighImportance {
				t.Errorf("%s: %s looks like Start", p.name, l)
			}
			ticked := false
			for _, o := range h.objects() {
				if img, ok := o.obj.(*canvas.Image); ok && img.Resource == iconSelected {
					at := o.pos.Add(fyne.NewPos(img.Size().Width/2, img.Size().Height/2))
					ticked = ticked || buttonAt(h, at) == b
				}
			}
			if ticked != (l == "lt") {
				t.Errorf("%s: %s ticked %v, want %v", p.name, l, ticked, l == "lt")
			}
			bg := theme.Color(theme.ColorNameButton)
			for _, o := range h.objects() {
				if o.obj == b {
					bg = buttonBackground(b)
				}
			}
			if want := map[bool]color.Color{true: colSelected, false: colButton}[l == "lt"]; bg != want {
				t.Errorf("%s: %s's button is %v, want %v", p.name, l, bg, want)
			}
		}
	}
}

// buttonAt is the button whose area holds at.
func buttonAt(h *harness, at fyne.Position) *widget.Button {
	for _, o := range h.objects() {
		if b, ok := o.obj.(*widget.Button); ok && at.X >= o.pos.X && at.Y >= o.pos.Y && at.X < o.pos.X+b.Size().Width && at.Y < o.pos.Y+b.Size().Height {
			return b
		}
	}
	return nil
}

// buttonBackground is the colour a button is drawn in: its renderer's
// first rectangle.
func buttonBackground(b *widget.Button) color.Color {
	for _, o := range test.WidgetRenderer(b).Objects() {
		if r, ok := o.(*canvas.Rectangle); ok {
			return r.FillColor
		}
	}
	return nil
}

// TestEmptyFieldsShowNothingTyped: an empty code or PIN field shows only a
// caret, no "·" or "–" that could be read as a typed character or a minus.
func TestEmptyFieldsShowNothingTyped(t *testing.T) {
	for _, p := range panels {
		h := newHarness(t, p, nil)
		h.Start()
		h.want(kiosk.Code)
		for _, s := range h.texts() {
			if strings.ContainsAny(strings.TrimSpace(s), "·–-_") && len([]rune(strings.TrimSpace(s))) <= 2 {
				t.Errorf("%s: the empty code field shows %q", p.name, s)
			}
		}
		h.typeKeys("47")
		h.mustShow("47")
		h.longPress(2 * time.Second)
		h.tap("Ona")
		for _, s := range h.texts() {
			if t2 := strings.TrimSpace(s); t2 == "–" || t2 == "·" || t2 == "-" {
				t.Errorf("%s: the empty PIN field shows %q", p.name, s)
			}
		}
		h.tap("4")
		h.mustShow("●")
	}
}
