// Package ui is the kiosk's Fyne touchscreen. It shows the screening flow's
// state and forwards the visitor's and the guard's input; it decides
// nothing. Goroutines reach widgets only through fyne.Do.
package ui

import (
	"context"
	"fmt"
	"image/color"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/kiosk"
)

// Options configures the touchscreen.
type Options struct {
	SensorSide string // where the sensor is: left, right, top or bottom; "" is right
	// ShowTemperature is ui.show_temperature: ShowTemperatureAlways ("" too),
	// ShowTemperatureNever or ShowTemperatureDenyOnly.
	ShowTemperature string
	GuardHold       time.Duration // how long the guard presses the corner; 0 is 2 s
	Clock           clock.Clock   // for countdowns and the long press; nil is the wall clock
}

// UI is the kiosk's window content.
type UI struct {
	flow  *kiosk.Flow
	cat   *Catalog
	opts  Options
	bg    *canvas.Rectangle // the whole window's colour: a decision's fills it edge to edge
	root  *fyne.Container   // the window's content: bg, the body, the guard's corner
	body  *fyne.Container
	tall  bool // the current screen was built for a portrait window (see rootLayout)
	st    kiosk.State
	built kiosk.State // the state the current screen was built from
	live  atomic.Bool // observers go through fyne.Do once the UI exists

	// Visitor input that lives across states.
	code     []rune // the code field: keypad taps and scanner keystrokes
	letters  bool   // the keypad shows letters
	full     bool   // a keypad tap was refused: the code is at its maximum
	kept     bool   // the field holds a refused code, kept to correct; a scan replaces it
	langOpen bool   // the language chooser is shown

	// The guard's input.
	guardName   string
	pin         []rune
	checking    bool
	page        string // guard menu page: "", "admit", "deny", "walk_in", "clinical"
	clinical    []rune
	confirm     *guardAction // on page "confirm": the decision waiting for Confirm
	guardErr    string
	visitorPage int // the page of the guard's list of visitors shown

	progress    *widget.ProgressBar
	timeLeft    *timeBar // on a decision or the early screen: how long it stays
	countdown   *text
	attemptLeft *text // on Measure, waiting for a forehead: the seconds left
}

// New builds the touchscreen into window w of app and starts following
// flow. The flow's events only queue: nothing here waits for the disk or
// the sensor.
func New(app fyne.App, w fyne.Window, flow *kiosk.Flow, opts Options) (*UI, error) {
	cat, err := LoadCatalog()
	if err != nil {
		return nil, err
	}
	if opts.SensorSide == "" {
		opts.SensorSide = "right"
	}
	switch opts.ShowTemperature {
	case "":
		opts.ShowTemperature = ShowTemperatureAlways
	case ShowTemperatureAlways, ShowTemperatureNever, ShowTemperatureDenyOnly:
	default:
		return nil, fmt.Errorf("ui.show_temperature = %q: want %q, %q or %q", opts.ShowTemperature,
			ShowTemperatureAlways, ShowTemperatureNever, ShowTemperatureDenyOnly)
	}
	if opts.GuardHold <= 0 {
		opts.GuardHold = 2 * time.Second
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	u := &UI{flow: flow, cat: cat, opts: opts}
	if _, ours := app.Settings().Theme().(kioskTheme); !ours {
		app.Settings().SetTheme(newTheme()) // it refreshes every window: only once
	}
	u.body = container.NewStack()
	u.bg = canvas.NewRectangle(colBackground)
	hot := newHotspot(opts.GuardHold, opts.Clock.Now, u.flow.OpenGuard)
	w.SetPadded(false) // the decision's colour reaches the edges; the body has its own padding
	u.root = container.New(rootLayout{layout.NewStackLayout(), u}, u.bg, container.NewPadded(u.body), container.New(corner{TouchSize}, hot))
	w.SetContent(u.root)
	w.Canvas().SetOnTypedRune(u.typedRune)
	w.Canvas().SetOnTypedKey(u.typedKey)
	flow.Observe(func(st kiosk.State) {
		if u.live.Load() {
			fyne.Do(func() { u.render(st) })
			return
		}
		u.render(st) // the first state, on the caller's goroutine, before the window shows
	})
	u.live.Store(true)
	return u, nil
}

// Tick refreshes what changes with time alone (the retest countdown) until
// ctx ends.
func (u *UI) Tick(ctx context.Context) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fyne.Do(u.refreshTime)
		}
	}
}

func (u *UI) t(key string, args ...string) string { return u.cat.T(u.st.Lang, key, args...) }

// tg is a guard screen's text: in the kiosk's default language, whatever the
// visitor chose.
func (u *UI) tg(key string, args ...string) string { return u.cat.T(u.st.Kiosk.Lang, key, args...) }

// render shows st, rebuilding the screen unless only the measurement's
// progress changed.
func (u *UI) render(st kiosk.State) {
	prev := u.built
	u.st = st
	if sameScreen(prev, st) && u.progress != nil {
		u.progress.SetValue(st.Progress.Fraction)
		return
	}
	if st.Screen == kiosk.Code || st.Screen == kiosk.Symptoms {
		moved := prev
		moved.Until = st.Until
		if sameScreen(moved, st) {
			u.built = st // only the input timeout moved on (Touch): nothing on screen changes
			return
		}
	}
	if st.Screen != prev.Screen || st.Lang != prev.Lang {
		u.langOpen = false
	}
	if st.Screen != prev.Screen && !guardScreen(st.Screen) && !guardScreen(prev.Screen) {
		// A new screen for the visitor: what was typed belongs to whoever
		// typed it, not to the next person at the kiosk.
		u.code, u.letters, u.full, u.kept = u.code[:0], false, false, false
	}
	if st.Screen == kiosk.Code && st.Typed != "" && len(u.code) == 0 {
		u.code, u.kept = []rune(st.Typed), true // a refused code, to correct
	}
	if !guardScreen(st.Screen) {
		u.guardName, u.pin, u.page, u.clinical, u.confirm, u.guardErr, u.visitorPage = "", nil, "", nil, nil, "", 0
	}
	u.checking = false // a PIN submitted: the flow's state says from now on whether it is checked
	if st.Notice == kiosk.NoticeError && st.Seq != prev.Seq && guardScreen(st.Screen) {
		u.guardErr = u.guardErrorText(st.Detail)
	}
	u.rebuild()
}

func guardScreen(s kiosk.Screen) bool { return s == kiosk.GuardPIN || s == kiosk.GuardMenu }

// sameScreen reports whether b differs from a only in its sequence number
// and how far the measurement is (not whether a forehead is there: that
// changes the words).
func sameScreen(a, b kiosk.State) bool {
	return a.Screen == b.Screen && a.Progress.Present == b.Progress.Present && a.Lang == b.Lang && a.Code == b.Code && a.Notice == b.Notice &&
		a.Detail == b.Detail && a.Attempt == b.Attempt && a.Retest == b.Retest && a.Until.Equal(b.Until) && a.Outcome == b.Outcome &&
		a.Opens.Equal(b.Opens) && a.AttemptFrom.Equal(b.AttemptFrom) &&
		a.OutOfService == b.OutOfService && a.Guard == b.Guard && a.HasVisitor == b.HasVisitor && a.Checking == b.Checking &&
		slices.Equal(a.Guards, b.Guards) && a.GuardsErr == b.GuardsErr && a.TriesLeft == b.TriesLeft &&
		slices.EqualFunc(a.Visitors, b.Visitors, sameVisitor)
}

func sameVisitor(a, b kiosk.GuardVisitor) bool {
	return a.Code == b.Code && a.OnScreen == b.OnScreen && a.Decision == b.Decision && a.Reason == b.Reason &&
		a.Minutes == b.Minutes && a.Replaces == b.Replaces && (a.Shown == nil) == (b.Shown == nil) &&
		(a.Shown == nil || *a.Shown == *b.Shown) && (a.Guard == nil) == (b.Guard == nil)
}

// rootLayout stacks the window's layers over the whole window, like
// container.NewStack, and rebuilds the screen when the window's orientation
// is no longer the one the screen was built for. The first screen is built
// before the window has its size (ui.New renders the first state before the
// window shows and goes full screen), and a desk window may be resized:
// without this, the 720×1280 panel kept a screen laid out for a wide window
// until the next change of state. Only a turn rebuilds, not every layout
// pass; the rebuild is from u.st and the input kept in u (a half-typed code,
// the open language chooser, the guard's page), so nothing typed is lost.
type rootLayout struct {
	stack fyne.Layout
	u     *UI
}

// MinSize implements fyne.Layout.
func (l rootLayout) MinSize(objs []fyne.CanvasObject) fyne.Size { return l.stack.MinSize(objs) }

// Layout implements fyne.Layout.
func (l rootLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	l.stack.Layout(objs, size)
	// After the layers have the new size: the rebuilt screen is laid out
	// at it, before the frame is drawn. Layout runs on the UI goroutine.
	if len(l.u.body.Objects) > 0 && l.u.portrait() != l.u.tall {
		l.u.rebuild()
	}
}

// rebuild builds the current screen from u.st and the local input.
func (u *UI) rebuild() {
	u.built = u.st
	u.tall = u.portrait()
	u.progress, u.countdown, u.timeLeft, u.attemptLeft = nil, nil, nil, nil
	var screen fyne.CanvasObject
	switch {
	case u.langOpen:
		screen = u.languageScreen()
	case u.st.Screen == kiosk.Idle:
		screen = u.idleScreen()
	case u.st.Screen == kiosk.Code:
		screen = u.codeScreen()
	case u.st.Screen == kiosk.Symptoms:
		screen = u.symptomsScreen()
	case u.st.Screen == kiosk.Measure:
		screen = u.measureScreen()
	case u.st.Screen == kiosk.Retest:
		screen = u.retestScreen()
	case u.st.Screen == kiosk.Decided:
		screen = u.decisionScreen()
	case u.st.Screen == kiosk.Early:
		screen = u.earlyScreen()
	case u.st.Screen == kiosk.OutOfService:
		screen = u.outOfServiceScreen()
	case u.st.Screen == kiosk.GuardPIN:
		screen = u.guardPINScreen()
	case u.st.Screen == kiosk.GuardMenu:
		screen = u.guardMenuScreen()
	default:
		panic("BUG: ui has no screen for " + u.st.Screen.String())
	}
	u.bg.FillColor = u.background()
	u.bg.Refresh()
	u.body.Objects = []fyne.CanvasObject{screen}
	u.refreshTime() // the countdowns' words first: the layout makes room for them
	// Twice: wrapped text knows how tall it is only after the first pass
	// has told it how wide it is.
	u.body.Refresh()
	u.body.Refresh()
}

// background is the window's colour for the current screen.
func (u *UI) background() color.Color {
	switch {
	case u.langOpen:
	case u.st.Screen == kiosk.OutOfService, u.st.Screen == kiosk.Early:
		return colRefer
	case u.st.Screen == kiosk.Decided && u.st.Outcome.Decision == kiosk.Admit:
		return colAdmit
	case u.st.Screen == kiosk.Decided && u.st.Outcome.Decision == kiosk.Deny:
		return colDeny
	case u.st.Screen == kiosk.Decided:
		return colRefer
	}
	return colBackground
}

// refreshTime updates the countdowns.
func (u *UI) refreshTime() {
	u.refreshAttempt()
	if u.st.Screen == kiosk.Early {
		u.refreshEarly()
		return
	}
	if u.timeLeft != nil && u.st.Outcome != nil {
		total := u.st.Kiosk.DecisionTime
		if u.st.Outcome.Decision != kiosk.Admit {
			total = u.st.Kiosk.DenyTime
		}
		if total > 0 {
			u.timeLeft.set(max(0, min(1, float64(u.st.Until.Sub(u.opts.Clock.Now()))/float64(total))))
		}
	}
	if u.countdown == nil {
		return
	}
	left := u.st.Until.Sub(u.opts.Clock.Now())
	secs := int((left + time.Second - 1) / time.Second)
	u.countdown.SetText(u.t("retest.countdown", "s", strconv.Itoa(max(0, secs))))
}

// typedRune takes keystrokes: a USB barcode scanner is a keyboard that types
// the code and Enter. They go to the code field on Idle, Code, Early and
// Decision.
func (u *UI) typedRune(r rune) {
	switch u.st.Screen {
	case kiosk.Idle, kiosk.Code, kiosk.Decided, kiosk.Early:
	default:
		return // the guard's PIN and the visitor's answers never come from the keyboard
	}
	if u.kept {
		u.code, u.kept = u.code[:0], false // a new scan, not a correction
	}
	if len(u.code) >= 4*kiosk.MaxCodeLen {
		return // a stuck key: the flow will refuse the code as too long
	}
	u.code = append(u.code, unicode.ToUpper(r))
	if u.st.Screen == kiosk.Code {
		u.flow.Touch()
		u.rebuild()
	}
}

func (u *UI) typedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		if len(u.code) > 0 {
			u.submitCode()
		}
	case fyne.KeyBackspace:
		u.deleteRune()
	}
}

// submitCode hands the field to the flow, which judges it.
func (u *UI) submitCode() {
	raw := string(u.code)
	u.full, u.kept = false, true // kept until the flow moves on: a refused code is corrected, not typed again
	_ = u.flow.EnterCode(raw)    // the flow shows what follows, a refusal too
}

// keyTap is a keypad key: letters and digits only, at most MaxCodeLen.
func (u *UI) keyTap(r rune) {
	if len(u.code) >= kiosk.MaxCodeLen {
		u.full = true
		u.rebuild()
		return
	}
	u.code = append(u.code, r)
	u.full, u.kept = false, false
	u.flow.Touch()
	u.rebuild()
}

func (u *UI) deleteRune() {
	if u.st.Screen != kiosk.Code || len(u.code) == 0 {
		return
	}
	u.code = u.code[:len(u.code)-1]
	u.full, u.kept = false, false
	u.flow.Touch()
	u.rebuild()
}
