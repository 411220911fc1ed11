package ui

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/internal/hw"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/sensor/mlxsim"
	"github.com/thermogate/thermogate/storage"
	"github.com/thermogate/thermogate/storage/storagetest"
)

// panel is one of the two official Raspberry Pi touchscreens, with the
// scale Fyne gives it from its DPI (see theme.go).
type panel struct {
	name  string
	px    fyne.Size
	scale float32
}

var panels = []panel{
	{"800x480", fyne.NewSize(800, 480), 1.1},   // 7" display, 133 dpi
	{"720x1280", fyne.NewSize(720, 1280), 1.7}, // Touch Display 2, 208 dpi
}

var (
	vilnius, _ = time.LoadLocation("Europe/Vilnius")
	t0         = time.Date(2026, 11, 24, 10, 0, 0, 0, vilnius)
)

func c(deg float64) physic.Temperature {
	return physic.ZeroCelsius + physic.Temperature(math.Round(deg*1e9))
}

// TestMain runs every test on one Fyne test app: a new app per screen would
// throw away the rendered icons and fonts each time and make the suite slow.
func TestMain(m *testing.M) {
	testApp = test.NewApp()
	dir, err := os.MkdirTemp("", "thermogate-ui-test")
	if err == nil {
		setupDB, err = makeSetupDB(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "the harness's database:", err)
		os.Exit(1)
	}
	code := m.Run()
	for _, f := range testCleanups {
		f()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// setupDB is a database file holding the harness's bookings (AB12CD and
// 4711 at t0) and guards (Ona 4826, Jonas 7391), set up once through the
// real import and AddGuard; each harness opens a copy of it, which spares
// hundreds of harnesses four fsyncs each.
var setupDB string

func makeSetupDB(dir string) (string, error) {
	ctx := context.Background()
	path := filepath.Join(dir, "setup.db")
	db, err := storage.Open(path, storage.Options{Vocabulary: kiosk.Vocabulary(), Location: vilnius,
		Clock: clock.NewVirtual(t0), PIN: storage.PINParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		return "", err
	}
	defer db.Close()
	csv := "code,start,minutes\nAB12CD,2026-11-24 10:00,15\n4711,2026-11-24 10:00,15\n"
	if _, err := db.ImportBookings(ctx, storagetest.Actor, "harness.csv", []byte(csv), "", false); err != nil {
		return "", err
	}
	for name, pin := range map[string]string{"Ona": "4826", "Jonas": "7391"} {
		if _, err := db.AddGuard(ctx, storagetest.Actor, name, pin); err != nil {
			return "", err
		}
	}
	return path, db.Close()
}

var testApp fyne.App

// testCleanups run after all the package's tests (the real-window tests'
// shared binary).
var testCleanups []func()

// harness is the touchscreen on a test window, over the real flow, the real
// driver on the simulator and the real bbolt store in t.TempDir() (wrapped
// to fail on demand), on a virtual clock.
type harness struct {
	t     testing.TB
	win   fyne.Window
	clk   *clock.Virtual
	sim   *mlxsim.Sim
	store *storagetest.Store
	flow  *kiosk.Flow
	ui    *UI
	p     panel               // the panel it shows, for reopen
	mod   func(*kiosk.Config) // the configuration it was opened with, for reopen
}

func newHarness(t testing.TB, p panel, mod func(*kiosk.Config)) *harness {
	t.Helper()
	return newHarnessOn(t, p, mod, nil)
}

// newHarnessOn is newHarness with the flow on store instead of h.store
// (which still holds the test's bookings and guards).
func newHarnessOn(t testing.TB, p panel, mod func(*kiosk.Config), store kiosk.Store) *harness {
	t.Helper()
	h := &harness{t: t, clk: clock.NewVirtual(t0), p: p, mod: mod}
	h.store = storagetest.OpenCopy(t, setupDB, storage.Options{Vocabulary: kiosk.Vocabulary(), Location: vilnius, Clock: h.clk})
	rig, s, err := hw.Simulated(mlxsim.Opts{Clock: h.clk, Ambient: c(22.01)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.sim = rig.Sim
	cfg := kiosk.DefaultConfig()
	cfg.Location = vilnius
	if mod != nil {
		mod(&cfg)
	}
	var st kiosk.Store = h.store
	if store != nil {
		st = store
	}
	if h.flow, err = kiosk.New(cfg, st, s, h.clk, nil); err != nil {
		t.Fatal(err)
	}

	h.win = test.NewWindow(nil)
	t.Cleanup(h.win.Close)
	h.win.Canvas().(test.WindowlessCanvas).SetScale(p.scale)
	h.win.Resize(fyne.NewSize(p.px.Width/p.scale, p.px.Height/p.scale))
	if h.ui, err = New(testApp, h.win, h.flow, Options{Clock: h.clk}); err != nil {
		t.Fatal(err)
	}
	h.win.Resize(fyne.NewSize(p.px.Width/p.scale, p.px.Height/p.scale))
	return h
}

// placed is an object on screen at its absolute position; scrolled if it
// lies inside a scroll container, where it may reach past the screen.
type placed struct {
	obj      fyne.CanvasObject
	pos      fyne.Position
	scrolled bool
}

// objects returns every visible object on the canvas, laid out.
func (h *harness) objects() []placed { return objectsOf(h.win.Content()) }

// objectsOf returns every visible object under root at its absolute position.
func objectsOf(root fyne.CanvasObject) []placed {
	var out []placed
	var walk func(o fyne.CanvasObject, at fyne.Position, scrolled bool)
	walk = func(o fyne.CanvasObject, at fyne.Position, scrolled bool) {
		if o == nil || !o.Visible() {
			return
		}
		abs := at.Add(o.Position())
		out = append(out, placed{o, abs, scrolled})
		_, isScroll := o.(*container.Scroll)
		switch x := o.(type) {
		case *fyne.Container:
			for _, ch := range x.Objects {
				walk(ch, abs, scrolled)
			}
		case fyne.Widget:
			for _, ch := range test.WidgetRenderer(x).Objects() {
				walk(ch, abs, scrolled || isScroll)
			}
		}
	}
	walk(root, fyne.Position{}, false)
	return out
}

// centerOf is where the button labelled label is, in canvas units.
func centerOf(t testing.TB, root fyne.CanvasObject, label string) fyne.Position {
	t.Helper()
	pos, size := rectOf(t, root, label)
	return pos.Add(fyne.NewPos(size.Width/2, size.Height/2))
}

// plain is text as a reader takes it: a no-break space read as a space, a
// line break as a space.
func plain(s string) string {
	return strings.NewReplacer("\u00a0", " ", "\n", " ").Replace(s)
}

// texts returns every text on screen, read plain.
func (h *harness) texts() []string { return textsOf(h.objects()) }

// textsOf returns the texts among objs, read plain.
func textsOf(objs []placed) []string {
	var out []string
	for _, p := range objs {
		switch x := p.obj.(type) {
		case *widget.RichText:
			out = append(out, x.String())
		case *widget.Button:
			if x.Text != "" {
				out = append(out, x.Text)
			}
		case *canvas.Text:
			out = append(out, x.Text)
		}
	}
	for i := range out {
		out[i] = plain(out[i])
	}
	return out
}

// shows reports whether s is on screen.
func (h *harness) shows(s string) bool {
	for _, t := range h.texts() {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}

func (h *harness) mustShow(texts ...string) {
	h.t.Helper()
	for _, s := range texts {
		if !h.shows(s) {
			h.t.Fatalf("%q not on the %s screen; it shows %q", s, h.flow.State().Screen, h.texts())
		}
	}
}

// tap taps the button labelled label (the catalog's text for key in lang):
// a button's own label, or the text over a blank button (wrapButton).
func (h *harness) tap(label string) {
	h.t.Helper()
	b := labelled(h.win.Content(), label)
	if b == nil || b.Disabled() {
		h.t.Fatalf("no button %q on the %s screen; it shows %q", label, h.flow.State().Screen, h.texts())
	}
	test.Tap(b)
	h.settle()
}

// labelled finds the button labelled label, preferring an enabled one.
func labelled(root fyne.CanvasObject, label string) *widget.Button {
	objs := objectsOf(root)
	var found *widget.Button
	for _, p := range objs {
		if b, ok := p.obj.(*widget.Button); ok && b.Text == label && (found == nil || found.Disabled()) {
			found = b
		}
	}
	if found != nil {
		return found
	}
	for _, p := range objs {
		rt, ok := p.obj.(*widget.RichText)
		if !ok || plain(rt.String()) != plain(label) {
			continue
		}
		if b := buttonUnder(objs, p.pos.Add(fyne.NewPos(2, 2))); b != nil {
			return b
		}
	}
	return nil
}

// buttonUnder is the blank button under at, if any.
func buttonUnder(objs []placed, at fyne.Position) *widget.Button {
	for _, q := range objs {
		b, ok := q.obj.(*widget.Button)
		if ok && b.Text == "" && at.X >= q.pos.X && at.Y >= q.pos.Y &&
			at.X < q.pos.X+b.Size().Width && at.Y < q.pos.Y+b.Size().Height {
			return b
		}
	}
	return nil
}

// disabled reports whether the button labelled label is on screen and disabled.
func (h *harness) disabled(label string) bool {
	b := labelled(h.win.Content(), label)
	if b == nil {
		h.t.Fatalf("no button %q on the %s screen", label, h.flow.State().Screen)
	}
	return b.Disabled()
}

// tapRow taps the row whose text contains text: a blank button under a
// wrapped text, like the guard's list of visitors.
func (h *harness) tapRow(text string) {
	h.t.Helper()
	objs := h.objects()
	for _, p := range objs {
		rt, ok := p.obj.(*widget.RichText)
		if !ok || !strings.Contains(plain(rt.String()), text) {
			continue
		}
		at := p.pos.Add(fyne.NewPos(2, 2))
		for _, q := range objs {
			b, ok := q.obj.(*widget.Button)
			if ok && b.Text == "" && !b.Disabled() && at.X >= q.pos.X && at.Y >= q.pos.Y &&
				at.X < q.pos.X+b.Size().Width && at.Y < q.pos.Y+b.Size().Height {
				test.Tap(b)
				h.settle()
				return
			}
		}
	}
	h.t.Fatalf("no row %q on the %s screen; it shows %q", text, h.flow.State().Screen, h.texts())
}

// tr is the catalog's text in the screen's language.
func (h *harness) tr(key string, args ...string) string { return h.ui.t(key, args...) }

// typeKeys taps keypad keys, switching between digits and letters.
func (h *harness) typeKeys(code string) {
	h.t.Helper()
	for _, r := range code {
		isLetter := r >= 'A' && r <= 'Z'
		if isLetter != h.ui.letters {
			if isLetter {
				h.tap(h.tr("code.letters"))
			} else {
				h.tap(h.tr("code.digits"))
			}
		}
		h.tap(string(r))
	}
}

// scan types like a USB barcode scanner: the characters, then Enter.
func (h *harness) scan(s string) {
	for _, r := range s {
		h.win.Canvas().OnTypedRune()(r)
	}
	h.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.settle()
}

// forehead presents a forehead reading obj, arriving now, and measures.
func (h *harness) forehead(obj float64) {
	h.t.Helper()
	h.sim.Schedule(mlxsim.Visit{Arrive: h.clk.Now().Add(500 * time.Millisecond), Object: c(obj)})
	if err := h.flow.Measure(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	h.sim.Remove()
}

// longPress holds the guard's corner for d.
func (h *harness) longPress(d time.Duration) {
	for _, p := range h.objects() {
		if hs, ok := p.obj.(*hotspot); ok {
			hs.MouseDown(&desktop.MouseEvent{})
			h.clk.Advance(d)
			hs.MouseUp(&desktop.MouseEvent{})
			h.settle()
			return
		}
	}
	h.t.Fatal("no guard hotspot on screen")
}

func (h *harness) screen() kiosk.Screen { return h.flow.State().Screen }

func (h *harness) want(s kiosk.Screen) {
	h.t.Helper()
	if got := h.screen(); got != s {
		h.t.Fatalf("screen %s, want %s", got, s)
	}
}

// settle applies what the screen queued, as the flow's runner would, on
// the test's goroutine; the states reach the screen through fyne.Do.
func (h *harness) settle() { h.flow.Drain(context.Background()) }

// The flow's events, applied at once with everything they lead to but a
// measurement (see forehead).

func (h *harness) do(ev kiosk.Event) error       { return h.flow.Do(context.Background(), ev) }
func (h *harness) Start() error                  { return h.do(kiosk.Start{}) }
func (h *harness) SetLang(l kiosk.Lang) error    { return h.do(kiosk.SetLang{Lang: l}) }
func (h *harness) EnterCode(raw string) error    { return h.do(kiosk.EnterCode{Raw: raw}) }
func (h *harness) AnswerSymptoms(yes bool) error { return h.do(kiosk.AnswerSymptoms{Yes: yes}) }
func (h *harness) ConfirmSymptoms() error        { return h.do(kiosk.ConfirmSymptoms{}) }
func (h *harness) OpenGuard() error              { return h.do(kiosk.OpenGuard{}) }
func (h *harness) GuardLogin(name, pin string) error {
	return h.do(kiosk.GuardLogin{Name: name, PIN: pin})
}
func (h *harness) Tick() error  { return h.do(kiosk.Tick{}) }
func (h *harness) Probe() error { return h.do(kiosk.ProbeDue{}) }

// midWordSplitsOf returns the places where a wrapped text among objs breaks a
// line inside a word ("registruodami / esi"): Fyne does that to a word
// wider than its column. A break at a space, or after a hyphen or a dash,
// is fine; a break at a no-break space is not ("38,2 / °C", "w / sprawie").
func midWordSplitsOf(objs []placed) []string {
	var out []string
	for _, p := range objs {
		rt, ok := p.obj.(*widget.RichText)
		if !ok || len(rt.Segments) != 1 {
			continue
		}
		var rows []string
		for _, o := range test.WidgetRenderer(rt).Objects() {
			if t, ok := o.(*canvas.Text); ok && t.Text != "" {
				rows = append(rows, t.Text)
			}
		}
		text := []rune(rt.String())
		at := 0
		for i, row := range rows {
			r := []rune(strings.TrimSpace(row))
			for at < len(text) && unicode.IsSpace(text[at]) {
				at++
			}
			if i > 0 && at > 0 && at < len(text) && (text[at-1] == '\u00a0' || !unicode.IsSpace(text[at-1]) && !strings.ContainsRune("-–—/", text[at-1])) {
				out = append(out, string(text[max(0, at-12):at])+" / "+string(text[at:min(len(text), at+12)]))
			}
			if at+len(r) > len(text) || string(text[at:at+len(r)]) != string(r) {
				break // not a plain wrap of the text: nothing to judge
			}
			at += len(r)
		}
	}
	return out
}
