package ui

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"image/color"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/sensor/mlxsim"
	"github.com/thermogate/thermogate/storage"
)

var landscape = panels[0]

func english(c *kiosk.Config) { c.Lang = "en" }

func TestCatalogIsComplete(t *testing.T) {
	cat, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Keys()) < 50 {
		t.Fatalf("only %d keys", len(cat.Keys()))
	}
	// Every key the code builds from the flow's values exists.
	var keys []string
	for _, r := range kiosk.Reasons {
		keys = append(keys, "reason."+string(r), "next."+string(r))
	}
	for _, d := range kiosk.Decisions {
		keys = append(keys, "decision."+string(d))
	}
	for _, n := range []string{kiosk.NoticeCodeFormat, kiosk.NoticeNoForehead, kiosk.NoticeUnstable, kiosk.NoticeTooCold,
		kiosk.NoticeTooHot, kiosk.NoticeStepBack, kiosk.NoticeWrongPIN, kiosk.NoticeLocked, kiosk.NoticeNotFound, kiosk.NoticeConfirmYes} {
		keys = append(keys, "notice."+n)
	}
	for _, o := range oosCauses(t) {
		keys = append(keys, "oos.cause."+o)
	}
	for _, r := range append(slices.Clone(kiosk.AdmitReasons), kiosk.DenyReasons...) {
		keys = append(keys, "override."+r)
	}
	for _, s := range []string{"left", "right", "top", "bottom"} {
		keys = append(keys, "measure.where."+s)
	}
	for _, r := range kiosk.Reasons { // the guard's list of visitors
		keys = append(keys, "guard.why."+string(r))
	}
	for _, d := range kiosk.Decisions {
		keys = append(keys, "guard.decided."+string(d))
	}
	for _, k := range keys {
		if !cat.Has(k) {
			t.Errorf("catalog lacks %s", k)
		}
	}
}

func TestVisitByTapping(t *testing.T) {
	h := newHarness(t, landscape, nil)
	h.mustShow("Lietuvių", "Polski", "Русский", "English")
	h.tap("English")
	h.mustShow("Health check before you enter", "Wear a mask", "2 metres", "Disinfect")
	h.tap("Start")
	h.want(kiosk.Code)
	h.mustShow("Enter your booking code")
	h.typeKeys("AB12CD")
	h.mustShow("AB12CD")
	h.tap("OK")
	h.want(kiosk.Symptoms)
	h.mustShow("cough")
	h.tap("No")
	h.want(kiosk.Measure)
	h.mustShow("Hold your forehead", "to the right of the screen", "15 s left")
	h.forehead(35.51)
	h.want(kiosk.Decided)
	h.mustShow("Please enter", "37.0 °C")
	recs := h.store.Screenings()
	if len(recs) != 1 || recs[0].Decision != string(kiosk.Admit) || recs[0].Code != "AB12CD" {
		t.Fatalf("stored %+v", recs)
	}
}

func TestDecisionsInPlainWords(t *testing.T) {
	tests := map[string][]string{
		"decision-deny-fever":         {"No entry", "37.8 °C", "above 37.3 °C", "Call 1664", "ask the guard to check with a medical thermometer"},
		"decision-deny-symptoms":      {"No entry", "symptoms", "Call 1664"},
		"decision-refer-unknown_code": {"Please see the guard", "did not find", "call 1664"},
		"decision-deny-too_late":      {"No entry", "has passed"},
		"decision-deny-not_today":     {"No entry", "another day"},
		"decision-deny-already_used":  {"No entry", "already been used"},
		"decision-deny-cancelled":     {"No entry", "cancelled"},
		"decision-refer-no_reading":   {"Please see the guard", "could not measure"},
		"decision-admit-guard":        {"Please enter", "guard has decided"},
	}
	for _, sc := range scenarios {
		want, ok := tests[sc.name]
		if !ok {
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			h := newHarness(t, landscape, english)
			sc.run(h)
			h.want(kiosk.Decided)
			h.mustShow(want...)
			// Colour is never the only signal: every decision has its icon.
			wantIcon := map[kiosk.Decision]fyne.Resource{kiosk.Admit: iconAdmit, kiosk.Deny: iconDeny, kiosk.Refer: iconHand}[h.flow.State().Outcome.Decision]
			if !h.showsIcon(wantIcon) {
				t.Fatalf("no %s icon", wantIcon.Name())
			}
		})
	}
}

func (h *harness) showsIcon(res fyne.Resource) bool {
	for _, p := range h.objects() {
		if img, ok := p.obj.(*canvas.Image); ok && img.Resource == res {
			return true
		}
	}
	return false
}

func TestScannerOnAnyVisitorScreen(t *testing.T) {
	h := newHarness(t, landscape, english)
	h.scan("ab-12 cd") // on Idle, as printed on the booking slip
	h.want(kiosk.Symptoms)
	h.tap("Yes")
	h.want(kiosk.Symptoms) // a Yes asks to confirm
	h.mustShow("“Yes” means no entry today.")
	if len(h.store.Screenings()) != 0 {
		t.Fatal("a Yes was stored before it was confirmed")
	}
	h.tap("Change answer")
	h.mustShow("Do you have a cough")
	h.tap("Yes")
	h.tap("Confirm")
	h.want(kiosk.Decided)
	h.store.PutBooking(storage.Booking{Code: "4711", Start: t0, Status: storage.StatusActive})
	h.scan("4711") // the next visitor scans while the decision is still shown
	h.want(kiosk.Symptoms)
	h.scan("9999") // in the middle of a visit a scan does nothing
	h.want(kiosk.Symptoms)
}

func TestGarbledScanRefusedOnTheSpot(t *testing.T) {
	h := newHarness(t, landscape, english)
	h.scan("AB<script>12")
	h.want(kiosk.Code)
	h.mustShow("This is not a booking code")
	if n := len(h.store.Screenings()); n != 0 {
		t.Fatalf("%d screenings stored for a garbled scan", n)
	}
	h.mustShow("AB<SCRIPT>12") // kept, to see what went wrong
	h.scan("AB12CD")           // a new scan replaces it
	h.want(kiosk.Symptoms)
}

// A typo in the code is corrected, not refused: amber, the code kept, and
// only the third unknown code in a row is stored and sends to the guard.
func TestUnknownCodeIsCorrected(t *testing.T) {
	h := newHarness(t, landscape, english)
	h.tap("Start")
	h.typeKeys("AB12CE")
	h.tap("OK")
	h.want(kiosk.Code)
	h.mustShow("Code not found — check it and try again.", "AB12CE")
	if n := len(h.store.Screenings()); n != 0 {
		t.Fatalf("%d screenings stored for a typo", n)
	}
	h.ui.deleteRune()
	h.typeKeys("D")
	h.tap("OK")
	h.want(kiosk.Symptoms)
}

func TestAnAbandonedCodeIsNotLeftForTheNextVisitor(t *testing.T) {
	h := newHarness(t, landscape, english)
	h.tap("Start")
	h.typeKeys("AB12CD")
	h.clk.Advance(kiosk.DefaultConfig().InputTimeout) // the visitor walked away
	h.Tick()
	h.want(kiosk.Idle)
	h.tap("Start") // the next person
	if h.shows("AB12CD") {
		t.Fatal("the last visitor's code is still in the field")
	}
	h.tap("OK")
	h.want(kiosk.Code) // an empty field submits nothing
	if n := len(h.store.Screenings()); n != 0 {
		t.Fatalf("%d screenings stored", n)
	}
}

func TestKeypadStopsAtSixteen(t *testing.T) {
	h := newHarness(t, landscape, english)
	h.tap("Start")
	h.typeKeys("1234567890123456")
	h.tap("7")
	h.mustShow("1234567890123456", "at most 16 characters")
	if h.shows("12345678901234567") {
		t.Fatal("a 17th character was accepted")
	}
	for _, p := range h.objects() {
		if b, ok := p.obj.(*widget.Button); ok && b.Icon == iconBackspace {
			for range 3 {
				b.OnTapped()
			}
		}
	}
	h.mustShow("1234567890123")
}

func TestRetestCountdown(t *testing.T) {
	h := newHarness(t, landscape, english)
	toRetest(h)
	h.want(kiosk.Retest)
	h.mustShow("Let's measure again", "Next measurement in 10 s", "medical thermometer")
	h.clk.Advance(3 * time.Second)
	h.ui.refreshTime()
	h.mustShow("Next measurement in 7 s")
}

func TestGuardOverrideWithWrongThenRightPIN(t *testing.T) {
	h := newHarness(t, landscape, english)
	h.EnterCode("AB12CD")
	h.tap("Yes")
	h.tap("Confirm")
	h.want(kiosk.Decided)
	h.longPress(time.Second) // a short touch in the corner does nothing
	h.want(kiosk.Decided)
	h.longPress(2 * time.Second)
	h.want(kiosk.GuardPIN)
	h.mustShow("Who are you?", "Jonas", "Ona")
	h.tap("Ona")
	for _, r := range "1111" {
		h.tap(string(r))
	}
	if h.shows("1111") {
		t.Fatal("the PIN appears on screen")
	}
	h.mustShow("● ● ● ●")
	h.tap("OK")
	h.want(kiosk.GuardPIN)
	h.mustShow("Wrong PIN. Tries left: 4.")
	for _, r := range "4826" {
		h.tap(string(r))
	}
	h.tap("OK")
	h.want(kiosk.GuardMenu)
	h.mustShow("Guard: Ona", "AB12CD · symptoms · 0 min ago")
	if !h.disabled("Admit visitor") || !h.disabled("Deny visitor") {
		t.Fatal("Admit or Deny offered before the guard picked a visitor")
	}
	h.tapRow("AB12CD")
	h.tap("Admit visitor")
	h.tap("Booking confirmed")
	h.want(kiosk.GuardMenu)
	h.mustShow("Admit AB12CD (symptoms) — reason: Booking confirmed?")
	h.tap("Confirm")
	h.want(kiosk.Decided)
	h.mustShow("Please enter", "The guard has decided")
	recs := h.store.Screenings()
	last := recs[len(recs)-1]
	if last.Decision != string(kiosk.Admit) || last.Guard != "Ona" || last.OverrideReason != "booking_confirmed" || last.Code != "AB12CD" {
		t.Fatalf("override stored as %+v", last)
	}
	var acts []string
	for _, e := range h.store.AuditLog() {
		acts = append(acts, e.Actor+" "+e.Action)
	}
	if !slices.Equal(acts, []string{"Ona guard.login_failed", "Ona guard.login", "Ona guard.admit"}) {
		t.Fatalf("audit %v", acts)
	}
}

func TestGuardClinicalAndService(t *testing.T) {
	h := newHarness(t, landscape, english)
	loggedIn(h)
	h.mustShow("Nobody was referred or denied in the last 10 minutes.")
	if !h.disabled("Admit visitor") || !h.disabled("Deny visitor") {
		t.Fatal("Admit or Deny offered with no visitor")
	}
	h.tap("Clinical reading")
	for _, r := range "45" {
		h.tap(string(r))
	}
	h.tap("Save")
	h.mustShow("Not saved")
	h.tap("Back")
	h.tap("Clinical reading")
	for _, r := range "379" { // the separator comes by itself
		h.tap(string(r))
	}
	h.tap("Save")
	h.mustShow("Save the clinical reading 37.9 °C for a visitor without a booking?")
	h.tap("Confirm")
	h.want(kiosk.Decided)
	h.mustShow("No entry", "37.9 °C")
	loggedIn(h)
	h.tap("Take out of service")
	h.want(kiosk.OutOfService)
	h.mustShow("Please wait", "Closed by a guard")
	loggedIn(h)
	h.tap("Back in service")
	h.want(kiosk.Idle)
}

// On a Lithuanian kiosk the clinical entry writes 37,8, puts the comma in
// by itself and says what is wrong in Lithuanian.
func TestClinicalEntryInTheGuardsLanguage(t *testing.T) {
	h := newHarness(t, landscape, nil)
	loggedIn(h)
	h.tap(h.tr("guard.clinical"))
	h.mustShow("__,_ °C", "34,0 iki 43,0 °C")
	for _, r := range "378" {
		h.tap(string(r))
	}
	h.mustShow("37,8 °C")
	if h.shows("37.8") {
		t.Fatal("a decimal point on a Lithuanian kiosk")
	}
	for range 2 { // back to "3": the comma goes with its digit
		for _, p := range h.objects() {
			if b, ok := p.obj.(*widget.Button); ok && b.Icon == iconBackspace {
				test.Tap(b)
				break
			}
		}
	}
	h.mustShow("3 °C")
	h.tap("0")
	h.tap("0") // 30,0: below the range
	h.mustShow("30,0 °C")
	h.tap(h.tr("guard.save"))
	h.mustShow("Neišsaugota: Įveskite reikšmę nuo 34,0 iki 43,0 °C.")
	if h.shows("want") || h.shows("clinical reading") {
		t.Fatalf("an English error on a Lithuanian kiosk: %q", h.texts())
	}
}

func TestLanguageSwitching(t *testing.T) {
	h := newHarness(t, landscape, nil)
	h.mustShow(h.ui.cat.T("lt", "idle.title")) // lt by default
	h.tap("Polski")
	h.tap(h.tr("idle.start"))
	h.want(kiosk.Code)
	h.mustShow(h.ui.cat.T("pl", "code.title"))
	h.tap("PL")
	h.tap("Русский")
	h.mustShow(h.ui.cat.T("ru", "code.title"))
	// A booking's language does not override the visitor's own choice.
	h.store.PutBooking(storage.Booking{Code: "PL2024", Start: t0, Status: storage.StatusActive, Lang: "pl"})
	h.typeKeys("PL2024")
	h.tap("OK")
	h.mustShow(h.ui.cat.T("ru", "symptoms.question"))
	h.tap(h.ui.cat.T("ru", "symptoms.yes"))
	h.tap(h.ui.cat.T("ru", "symptoms.confirm_yes"))
	h.mustShow(h.ui.cat.T("ru", "decision.deny"))
	h.clk.Advance(time.Minute)
	h.Tick()
	h.want(kiosk.Idle)
	h.mustShow(h.ui.cat.T("lt", "idle.title")) // back to the default language
	// A visitor who chose nothing gets the booking's language.
	h.store.PutBooking(storage.Booking{Code: "PL2025", Start: t0, Status: storage.StatusActive, Lang: "pl"})
	h.tap(h.tr("idle.start"))
	h.typeKeys("PL2025")
	h.tap(h.tr("code.ok"))
	h.mustShow(h.ui.cat.T("pl", "symptoms.question"))
}

func TestTemperaturesUseTheLanguagesDecimalMark(t *testing.T) {
	h := newHarness(t, landscape, nil)
	toMeasure(h)
	h.forehead(35.51)
	h.mustShow("37,0 °C")
	h.SetLang("en")
	h.mustShow("37.0 °C")
}

var rawKey = regexp.MustCompile(`^[a-z_]+\.[a-z_.]+$`)

// TestEveryScreenOnBothPanels builds every screen in every language on both
// panels, once each, and runs every layout check (screenDefects) on that one
// rendering: nothing may stick out of the screen, every button must be a
// touch target of at least 15 mm, no control may lie under the guard's
// corner, and no text may be a raw catalog key or show an unfilled
// {placeholder}. Building a screen is what costs (every tap rebuilds it,
// icons are rasterised again): one build per screen, panel and language
// keeps the package's race tests within CI's time.
func TestEveryScreenOnBothPanels(t *testing.T) {
	for _, p := range panels {
		t.Run(p.name, func(t *testing.T) {
			for _, lang := range kiosk.Languages {
				t.Run(string(lang), func(t *testing.T) {
					for _, sc := range scenarios {
						// A subtest each: the harness's window and database
						// close as soon as its checks are done.
						t.Run(sc.name, func(t *testing.T) {
							h := newHarness(t, p, func(c *kiosk.Config) { c.Lang = lang })
							sc.run(h)
							for _, d := range screenDefects(h) {
								t.Errorf("%s %s %s: %s", p.name, lang, sc.name, d)
							}
						})
					}
					// The out-of-service screen names its cause: each of the
					// kiosk's causes, on the screen the sensor's took out.
					t.Run("out-of-service-causes", func(t *testing.T) {
						h := newHarness(t, p, func(c *kiosk.Config) { c.Lang = lang })
						h.sim.SetFault(mlxsim.Absent)
						h.Probe()
						h.want(kiosk.OutOfService)
						for _, cause := range oosCauses(t) {
							st := h.flow.State()
							st.OutOfService = cause
							h.ui.render(st)
							h.mustShow(plain(h.ui.cat.T(lang, "oos.cause."+cause)))
							for _, d := range screenDefects(h) {
								t.Errorf("%s %s out-of-service-%s: %s", p.name, lang, cause, d)
							}
						}
					})
				})
			}
		})
	}
}

// screenDefects runs every layout check on the screen h shows, walking its
// objects once, and says what is wrong.
func screenDefects(h *harness) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	size := h.win.Canvas().Size()
	// A real window grows to its content's minimum size: the screen would
	// no longer fit the panel.
	if m := h.win.Content().MinSize(); m.Width > size.Width+0.5 || m.Height > size.Height+0.5 {
		bad("the screen needs %v, more than the panel's %v", m, size)
	}
	objs := h.objects()
	// The guard's corner is invisible and swallows taps: nothing a visitor or
	// a guard taps may lie under it. (It once covered most of Cancel on the
	// 720×1280 panel.)
	corner := fyne.NewSize(TouchSize, TouchSize)
	for _, o := range objs {
		if _, ok := o.obj.(*hotspot); ok {
			corner = corner.Max(o.obj.Size())
		}
	}
	stuckOut := false
	for _, o := range objs {
		end := o.pos.Add(o.obj.Size())
		if !stuckOut && !o.scrolled && (o.pos.X < -0.5 || o.pos.Y < -0.5 || end.X > size.Width+0.5 || end.Y > size.Height+0.5) {
			bad("%T at %v size %v sticks out of %v", o.obj, o.pos, o.obj.Size(), size)
			stuckOut = true // the first says it: what is inside it sticks out too
		}
		if b, ok := o.obj.(*widget.Button); ok && (b.Size().Width < MinTouch || b.Size().Height < MinTouch) {
			bad("button %q is %.0f×%.0f, smaller than 15 mm (%.0f)", b.Text, b.Size().Width, b.Size().Height, MinTouch)
		}
		// A label fits inside its button, its margins kept: a button
		// narrower than it needs cuts or crowds its text.
		if b, ok := o.obj.(*widget.Button); ok && b.Text != "" && b.Size().Width < b.MinSize().Width-0.5 {
			bad("button %q is %.0f wide, its label needs %.0f", b.Text, b.Size().Width, b.MinSize().Width)
		}
		// A text is as tall as its lines: a shorter box cuts lines off.
		if rt, ok := o.obj.(*widget.RichText); ok && rt.Size().Height < rt.MinSize().Height-0.5 {
			bad("text %q is %.0f high, its lines need %.0f", rt.String(), rt.Size().Height, rt.MinSize().Height)
		}
		// Nothing scrolls: every screen fits its panel.
		if scr, ok := o.obj.(*container.Scroll); ok && scr.Content != nil && scr.Content.MinSize().Height > scr.Size().Height+0.5 {
			bad("a scroll bar: %.0f of content in %.0f", scr.Content.MinSize().Height, scr.Size().Height)
		}
		if _, ok := o.obj.(*hotspot); !ok {
			_, tappable := o.obj.(fyne.Tappable)
			_, mouse := o.obj.(desktop.Mouseable)
			if sz := o.obj.Size(); (tappable || mouse) && sz.Width > 0 && sz.Height > 0 && o.pos.X < corner.Width && o.pos.Y < corner.Height {
				bad("a %T at %v (%v) lies under the guard's corner (%v)", o.obj, o.pos, sz, corner)
			}
		}
	}
	for _, s := range midWordSplitsOf(objs) {
		bad("a line breaks inside a word: %q", s)
	}
	for _, s := range textsOf(objs) {
		if rawKey.MatchString(strings.TrimSpace(s)) || strings.ContainsAny(s, "{}") {
			bad("shows %q", s)
		}
	}
	return out
}

func TestContrastAtLeastSevenToOne(t *testing.T) {
	pairs := []struct {
		name   string
		fg, bg color.Color
	}{
		{"text", colText, colBackground},
		{"muted text", colMuted, colBackground},
		{"button text", colOnDark, colPrimary},
		{"secondary button text", colText, colButton},
		{"admit", colOnDark, colAdmit},
		{"deny", colOnDark, colDeny},
		{"refer and out of service", colText, colRefer},
		{"notice", colDeny, colBackground},
	}
	for _, p := range pairs {
		if r := contrast(p.fg, p.bg); r < 7 {
			t.Errorf("%s: contrast %.2f:1, want at least 7:1", p.name, r)
		}
	}
	// The theme hands these colours to the widgets.
	th := newTheme()
	if th.Color("foreground", 0) != colText || th.Color("background", 0) != colBackground {
		t.Fatal("the theme does not use the checked colours")
	}
}

// contrast is the WCAG 2 contrast ratio.
func contrast(a, b color.Color) float64 {
	l1, l2 := luminance(a), luminance(b)
	if l1 < l2 {
		l1, l2 = l2, l1
	}
	return (l1 + 0.05) / (l2 + 0.05)
}

func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xFFFF
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// TestScreenChecksCatchDefects: each of screenDefects' checks finds its
// defect. A clean screen shows none; then one defect at a time is put over
// it, as a screen could have it, and the check that should see it must.
func TestScreenChecksCatchDefects(t *testing.T) {
	h := newHarness(t, landscape, english)
	if d := screenDefects(h); len(d) != 0 {
		t.Fatalf("the start screen: %q", d)
	}
	size := h.win.Canvas().Size()
	at := func(o fyne.CanvasObject, x, y, w, hgt float32) fyne.CanvasObject {
		o.Move(fyne.NewPos(x, y))
		o.Resize(fyne.NewSize(w, hgt))
		return o
	}
	big := func(w, hgt float32) fyne.CanvasObject {
		r := canvas.NewRectangle(color.Transparent)
		r.SetMinSize(fyne.NewSize(w, hgt))
		return r
	}
	wrapped := func(s string) *widget.RichText {
		rt := widget.NewRichTextWithText(s)
		rt.Wrapping = fyne.TextWrapWord
		return rt
	}
	mid := fyne.NewPos(size.Width/2, size.Height/2)
	cases := []struct {
		name   string
		defect func() fyne.CanvasObject // laid over the screen
		want   string
	}{
		{"too big for the panel", func() fyne.CanvasObject { return big(size.Width+50, 10) }, "more than the panel's"},
		{"off the screen", func() fyne.CanvasObject {
			return container.NewWithoutLayout(at(big(0, 0), size.Width-20, mid.Y, 100, 40))
		}, "sticks out of"},
		{"a small button", func() fyne.CanvasObject {
			return container.NewWithoutLayout(at(widget.NewButton("x", nil), mid.X, mid.Y, MinTouch-2, MinTouch+10))
		}, "smaller than 15 mm"},
		{"a label wider than its button", func() fyne.CanvasObject {
			return container.NewWithoutLayout(at(widget.NewButton("A label far too long for its button", nil), mid.X, mid.Y, 2*MinTouch, MinTouch))
		}, "its label needs"},
		{"a text cut off", func() fyne.CanvasObject {
			return container.NewWithoutLayout(at(wrapped("one two three four five six"), mid.X, mid.Y, 80, 20))
		}, "its lines need"},
		{"a scroll bar", func() fyne.CanvasObject {
			return container.NewWithoutLayout(at(container.NewVScroll(big(10, 400)), mid.X, 10, 100, 100))
		}, "a scroll bar"},
		{"a control under the corner", func() fyne.CanvasObject {
			return container.NewWithoutLayout(at(widget.NewButton("Cancel", nil), TouchSize-10, TouchSize-10, 2*MinTouch, MinTouch))
		}, "lies under the guard's corner"},
		{"a word broken", func() fyne.CanvasObject {
			return container.NewWithoutLayout(at(wrapped("Registruodamiesi"), mid.X, 10, 60, 200))
		}, "breaks inside a word"},
		{"a number parted from its unit", func() fyne.CanvasObject {
			rt := wrapped("38,2\u00a0°C")
			return container.NewWithoutLayout(at(rt, mid.X, 10, rt.MinSize().Width+fyne.MeasureText("38,2", theme.TextSize(), fyne.TextStyle{}).Width, 200))
		}, "breaks inside a word"},
		{"a raw catalog key", func() fyne.CanvasObject { return canvas.NewText("idle.title", colText) }, `shows "idle.title"`},
		{"an unfilled placeholder", func() fyne.CanvasObject { return canvas.NewText("Starts in {s} s", colText) }, `shows "Starts in {s} s"`},
	}
	screen := h.ui.body.Objects
	for _, tc := range cases {
		h.ui.body.Objects = append(slices.Clone(screen), tc.defect())
		h.ui.body.Refresh()
		d := screenDefects(h)
		if !slices.ContainsFunc(d, func(s string) bool { return strings.Contains(s, tc.want) }) {
			t.Errorf("%s: not found; the checks said %q", tc.name, d)
		}
	}
	h.ui.body.Objects = screen
	h.ui.body.Refresh()
	if d := screenDefects(h); len(d) != 0 {
		t.Fatalf("the start screen again: %q", d)
	}
}

// oosCauses are the kiosk package's out-of-service causes: the values of
// its OOS… constants, read from its source, so that a cause added there is
// checked here without anyone listing it.
func oosCauses(t testing.TB) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join("..", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("the kiosk package's source: %v", err)
	}
	var causes []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				v := spec.(*ast.ValueSpec)
				for i, n := range v.Names {
					if !strings.HasPrefix(n.Name, "OOS") || !n.IsExported() || i >= len(v.Values) {
						continue
					}
					lit, ok := v.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s: %s is not a string literal: list it here by hand", fset.Position(n.Pos()), n.Name)
					}
					c, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					causes = append(causes, c)
				}
			}
		}
	}
	// The ones the test was first written with: reading the source must
	// find at least these.
	for _, c := range []string{kiosk.OOSSensor, kiosk.OOSAmbient, kiosk.OOSClock, kiosk.OOSStorage, kiosk.OOSGuard, kiosk.OOSCorrupt} {
		if !slices.Contains(causes, c) {
			t.Fatalf("reading the kiosk package's source found the causes %q, not %q", causes, c)
		}
	}
	return causes
}
