package ui

import (
	"testing"

	"fyne.io/fyne/v2"

	"github.com/thermogate/thermogate/kiosk"
)

// TestScreenFollowsOrientation: the screen is built for the window's
// orientation even when the window gets its size only after the first
// screen was built, as `thermogate run` does (ui.New renders the first
// state, then the window goes full screen) and as a demo window that is
// resized does. No state changes and nothing is tapped: the start screen
// must be the same, button for button, as one built at the final size.
func TestScreenFollowsOrientation(t *testing.T) {
	lt := func(c *kiosk.Config) { c.Lang = "lt" }
	tall, wide := panels[1], panels[0]
	for _, tc := range []struct {
		name  string
		first fyne.Size // the window's size in pixels when the first screen is built
		final panel
	}{
		{"unsized then 720x1280", fyne.Size{}, tall},            // the full-screen kiosk
		{"800x480 then 720x1280", fyne.NewSize(800, 480), tall}, // a desk window made tall
		{"720x1280 then 800x480", fyne.NewSize(720, 1280), wide},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := newHarness(t, tc.final, lt) // built at its size: as in docs/screenshots
			h := newHarness(t, panel{"first", tc.first, tc.final.scale}, lt)
			h.win.Resize(fyne.NewSize(tc.final.px.Width/tc.final.scale, tc.final.px.Height/tc.final.scale))
			h.want(kiosk.Idle)
			start := want.ui.t("idle.start")
			for _, label := range append([]string{start}, languageNames()...) {
				gotPos, gotSize := rectOf(t, h.win.Content(), label)
				wantPos, wantSize := rectOf(t, want.win.Content(), label)
				if !near(gotPos, wantPos) || !near(fyne.NewPos(gotSize.Width, gotSize.Height), fyne.NewPos(wantSize.Width, wantSize.Height)) {
					t.Errorf("%q at %v size %v after the resize; built at %s it is at %v size %v",
						label, gotPos, gotSize, tc.final.name, wantPos, wantSize)
				}
			}
			// The 720×1280 screenshot's arrangement, said in words: Start
			// beside the languages, not above them.
			sp, ss := rectOf(t, h.win.Content(), start)
			lp, _ := rectOf(t, h.win.Content(), kiosk.LanguageNames["lt"])
			beside := sp.X+ss.Width < lp.X && sp.Y <= lp.Y+1 && lp.Y < sp.Y+ss.Height
			if beside != (tc.final.px.Height > tc.final.px.Width) {
				t.Errorf("on %s Start (at %v, %v) beside the languages (at %v) is %v", tc.final.name, sp, ss, lp, beside)
			}
		})
	}
}

// TestOrientationRebuildKeepsInput: a half-typed code and the screen it is
// on survive the rebuild when the window turns; a resize that keeps the
// orientation does not rebuild the screen at all.
func TestOrientationRebuildKeepsInput(t *testing.T) {
	tall := panels[1]
	h := newHarness(t, panel{"first", fyne.NewSize(800, 480), tall.scale}, func(c *kiosk.Config) { c.Lang = "en" })
	h.tap("Start")
	h.want(kiosk.Code)
	h.tap("4")
	h.tap("7")
	before := h.ui.body.Objects[0]
	h.win.Resize(fyne.NewSize(700/tall.scale, 420/tall.scale)) // still wider than tall
	if h.ui.body.Objects[0] != before {
		t.Fatal("a resize that keeps the orientation rebuilt the screen")
	}
	h.win.Resize(fyne.NewSize(tall.px.Width/tall.scale, tall.px.Height/tall.scale))
	if h.ui.body.Objects[0] == before {
		t.Fatal("the window turned tall and the screen was not rebuilt")
	}
	h.want(kiosk.Code)
	if got := string(h.ui.code); got != "47" {
		t.Fatalf("the code field holds %q after the rebuild, want 47", got)
	}
	h.mustShow("47")
	want := newHarness(t, tall, func(c *kiosk.Config) { c.Lang = "en" })
	want.tap("Start")
	for _, label := range []string{"Cancel", "OK", "1", "0"} {
		gotPos, _ := rectOf(t, h.win.Content(), label)
		wantPos, _ := rectOf(t, want.win.Content(), label)
		if !near(gotPos, wantPos) {
			t.Errorf("%q at %v after the turn; built tall it is at %v", label, gotPos, wantPos)
		}
	}
	h.tap("OK") // the field still works: the typed code goes to the flow
	if st := h.flow.State(); st.Screen != kiosk.Code || st.Typed != "47" {
		t.Fatalf("after OK: screen %s typed %q, want the code screen refusing 47", st.Screen, st.Typed)
	}
}

func languageNames() []string {
	var out []string
	for _, l := range kiosk.Languages {
		out = append(out, kiosk.LanguageNames[l])
	}
	return out
}

// rectOf is where the button labelled label is on screen, and its size.
func rectOf(t testing.TB, root fyne.CanvasObject, label string) (fyne.Position, fyne.Size) {
	t.Helper()
	b := labelled(root, label)
	if b == nil {
		t.Fatalf("no button %q", label)
	}
	for _, p := range objectsOf(root) {
		if p.obj == b {
			return p.pos, b.Size()
		}
	}
	t.Fatalf("button %q is not laid out", label)
	return fyne.Position{}, fyne.Size{}
}

func near(a, b fyne.Position) bool {
	return a.Subtract(b).X*a.Subtract(b).X+a.Subtract(b).Y*a.Subtract(b).Y < 1
}
