package ui

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/bits"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/thermogate/thermogate/internal/demo"
	"github.com/thermogate/thermogate/internal/syncbuf"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/storage"
)

// TestRealWindowDemo runs `thermogate demo` in a real X server (Xvfb) and
// taps a visitor through it with xdotool, as a person would: Start, the
// code typed by a scanner, No, a forehead from the demo panel. It checks the
// ADMIT screen's pixels, takes a screenshot, and finds the decision in the
// store through the running kiosk's admin socket. Where to tap is computed
// with the same layout code at the real window's size and scale.
// realDemo is `thermogate demo` running in its own Xvfb.
type realDemo struct {
	bin, display, fbdir string
	x                   func(args ...string) string // xdotool on the display
	stdout, stderr      *syncbuf.Buffer
	kioskWin, panelWin  string
	cmd                 *exec.Cmd
	exited              chan error
}

var (
	demoBinOnce sync.Once
	demoBin     string
	demoBinErr  error
)

// buildDemo builds the thermogate binary once for the package's tests.
func buildDemo(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"Xvfb", "xdotool", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (make deps installs Xvfb and xdotool)", tool)
		}
	}
	demoBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "thermogate-e2e-")
		if err != nil {
			demoBinErr = err
			return
		}
		testCleanups = append(testCleanups, func() { os.RemoveAll(dir) })
		demoBin = filepath.Join(dir, "thermogate")
		// -race: it reuses the packages `go test -race` built, and checks the
		// real window's goroutines for races on the way.
		race := []string{"-race"}
		if os.Getenv("THERMOGATE_E2E_NORACE") != "" { // bench/ui.sh: time the binary the kiosk runs
			race = nil
		}
		build := exec.Command("go", append(append([]string{"build"}, race...), "-tags", "migrated_fynedo", "-o", demoBin, "../../cmd/thermogate")...)
		if out, err := build.CombinedOutput(); err != nil {
			demoBinErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if demoBinErr != nil {
		t.Fatal(demoBinErr)
	}
	return demoBin
}

// startDemo runs the demo in English (unless args say another --lang) in a
// new Xvfb of the given screen size at FYNE_SCALE scale, with args added to
// its command line, the panel window moved beside the kiosk's, and waits
// until the kiosk runs. It is killed at the end of the test if it is still
// running.
func startDemo(t *testing.T, screen, scale string, args ...string) *realDemo {
	t.Helper()
	if testing.Short() {
		t.Skip("-short")
	}
	d := &realDemo{bin: buildDemo(t), stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}, exited: make(chan error, 1)}
	d.display, d.fbdir = startXvfb(t, screen)
	d.x = func(args ...string) string {
		t.Helper()
		cmd := exec.Command("xdotool", args...)
		cmd.Env = append(os.Environ(), "DISPLAY="+d.display)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("xdotool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	d.cmd = exec.Command(d.bin, append([]string{"demo", "--lang", "en"}, args...)...)
	d.cmd.Env = append(os.Environ(), "DISPLAY="+d.display, "FYNE_SCALE="+scale, "LANG=C.UTF-8")
	d.cmd.Stdout, d.cmd.Stderr = d.stdout, d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.exited <- d.cmd.Wait() }()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("demo stdout:\n%s\ndemo stderr:\n%s\nthe screen at the failure: %s", d.stdout.String(), d.stderr.String(), saveScreenshot(t, d.fbdir, "real-window-failure.png"))
		}
		if d.cmd.ProcessState == nil {
			d.cmd.Process.Kill()
			<-d.exited
		}
	})
	d.kioskWin = d.x("search", "--sync", "--name", "^thermogate$")
	d.panelWin = d.x("search", "--sync", "--name", "^thermogate demo panel$")
	d.x("windowmove", d.panelWin, "760", "0") // no window manager: both start at 0,0
	waitFor(t, "the kiosk's log", func() bool { return strings.Contains(d.stderr.String(), "kiosk running") })
	return d
}

func TestRealWindowDemo(t *testing.T) {
	d := startDemo(t, "1400x900x24", "1")
	bin, fbdir, x := d.bin, d.fbdir, d.x
	stdout, stderr, kioskWin, panelWin := d.stdout, d.stderr, d.kioskWin, d.panelWin
	demoCmd, exited := d.cmd, d.exited

	// The same screens in Fyne's test driver, at the real window's size with
	// FYNE_SCALE=1 (one unit a pixel), tell where the buttons are.
	h := newHarness(t, panel{"real", fyne.NewSize(800/1.1, 480/1.1), 1}, func(c *kiosk.Config) { c.Lang = "en" })
	tap := func(win string, at fyne.Position) {
		x("mousemove", "--window", win, fmt.Sprint(int(at.X)), fmt.Sprint(int(at.Y)), "click", "1")
	}
	code := currentCode(t, stdout.String())

	tap(kioskWin, centerOf(t, h.win.Content(), "Start"))
	x("type", "--delay", "40", code) // a scanner is a keyboard
	x("key", "Return")
	h.store.PutBooking(storage.Booking{Code: code, Start: t0, Status: storage.StatusActive})
	h.EnterCode(code)
	time.Sleep(2 * time.Second) // the window takes the keystrokes and draws the next screen
	tap(kioskWin, centerOf(t, h.win.Content(), "No"))

	pw := test.NewWindow(demo.Panel(demo.Options{Sim: h.sim, Model: sensor.DefaultModel(), Location: vilnius, Guard: "Demo", PIN: "4826"}))
	pw.Resize(fyne.NewSize(560, 520)) // as the demo sizes it
	tap(panelWin, centerOf(t, pw.Content(), "Normal forehead (36.6 °C)"))
	pw.Close()

	waitFor(t, "a decision in the log", func() bool { return strings.Contains(stderr.String(), "msg=screening") })
	if log := stderr.String(); !strings.Contains(log, "code="+code+" decision=admit reason=ok") {
		t.Fatalf("the decision logged is not an admit of %s", code)
	}
	// Poll the framebuffer closely: how long after the screening was stored
	// (its log line) is the ADMIT screen on the display?
	var drawn time.Time
	for deadline := time.Now().Add(realWait); drawn.IsZero(); time.Sleep(5 * time.Millisecond) {
		if screenIs(t, fbdir, colAdmit) {
			drawn = time.Now()
		} else if time.Now().After(deadline) {
			t.Fatal("timed out waiting for the ADMIT screen drawn")
		}
	}
	if m := regexp.MustCompile(`time=(\S+) level=INFO msg=screening`).FindStringSubmatch(stderr.String()); m != nil {
		if stored, err := time.Parse(time.RFC3339Nano, m[1]); err == nil {
			t.Logf("from the screening stored to the ADMIT screen on the display: %v (framebuffer polled every 5 ms, log time to the millisecond)", drawn.Sub(stored).Round(time.Millisecond))
		}
	}
	shot := saveScreenshot(t, fbdir, "real-window-demo-admit.png")
	t.Logf("screenshot: %s", shot)

	// The decision is in the store: ask the running kiosk through its socket.
	m := regexp.MustCompile(`store=(\S+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatal("no store path in the log")
	}
	screenings := func() string {
		t.Helper()
		out, err := exec.Command(bin, "screenings", "--db", m[1]).CombinedOutput()
		if err != nil {
			t.Fatalf("screenings through the admin socket: %v\n%s", err, out)
		}
		return string(out)
	}
	if out := screenings(); !regexp.MustCompile(code + `\s+admit\s+ok\s+36\.6`).MatchString(out) {
		t.Fatalf("the admit of %s is not in the store:\n%s", code, out)
	}

	// Two visitors denied, then a guard picks the second on the list and
	// admits them: the decision is stored for that code, not the other.
	// The harness goes through the same screens, to tell where to tap.
	h.AnswerSymptoms(false)
	h.forehead(35.51)
	both := func(label string) {
		t.Helper()
		tap(kioskWin, centerOf(t, h.win.Content(), label))
		h.tap(label)
		time.Sleep(time.Second) // the real window draws the next screen
	}
	both(h.tr("decision.done"))
	const cancelled = "1008" // the demo's cancelled booking
	h.store.PutBooking(storage.Booking{Code: cancelled, Start: t0, Status: storage.StatusCancelled})
	for _, c := range []string{cancelled, code} { // cancelled, then already used
		both(h.tr("idle.start"))
		x("type", "--delay", "40", c)
		x("key", "Return")
		h.EnterCode(c)
		waitFor(t, c+" denied", func() bool { return strings.Contains(stderr.String(), "code="+c+" decision=deny") })
		time.Sleep(time.Second)
		both(h.tr("decision.done"))
	}
	if _, err := h.store.AddGuard(context.Background(), "test", "Demo", "4826"); err != nil {
		t.Fatal(err)
	}
	x("mousemove", "--window", kioskWin, "20", "20")
	x("mousedown", "1")
	time.Sleep(3 * time.Second) // the guard's 2 s hold
	x("mouseup", "1")
	h.longPress(2 * time.Second)
	time.Sleep(time.Second)
	both("Demo")
	for _, r := range "4826" {
		both(string(r))
	}
	both(h.ui.tg("code.ok"))
	time.Sleep(3 * time.Second) // the PIN's argon2id, under -race
	h.want(kiosk.GuardMenu)
	vs := h.flow.State().Visitors
	if len(vs) != 2 {
		t.Fatalf("the guard's list has %d visitors, want 2: %+v", len(vs), vs)
	}
	second, other := vs[1].Code, vs[0].Code
	tap(kioskWin, rowCenter(t, h, second))
	h.tapRow(second)
	time.Sleep(time.Second)
	both(h.ui.tg("guard.admit"))
	both(h.ui.tg("override.booking_confirmed"))
	both(h.ui.tg("guard.confirm"))
	waitFor(t, "the guard's admit of "+second, func() bool {
		return strings.Contains(stderr.String(), "code="+second+" decision=admit")
	})
	out := screenings()
	if !regexp.MustCompile(`(?m)^\d+\s+\S+\s+` + second + `\s+admit\s.*Demo \(booking_confirmed\)`).MatchString(out) {
		t.Fatalf("no guard admit of %s, the second on the list, in the store:\n%s", second, out)
	}
	if regexp.MustCompile(`(?m)^\d+\s+\S+\s+` + other + `\s.*Demo`).MatchString(out) {
		t.Fatalf("a guard decision stored for %s, the first on the list:\n%s", other, out)
	}

	demoCmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("demo exited with %v after SIGTERM", err)
		}
	case <-time.After(realWait):
		t.Fatalf("demo did not stop %v after SIGTERM", realWait)
	}
	if !strings.Contains(stderr.String(), "kiosk stopped") {
		t.Fatal("the daemon under the demo did not stop cleanly")
	}
}

// currentCode picks, from the codes the demo printed, one whose slot is open
// now (a quarter of an hour either side).
func currentCode(t *testing.T, out string) string {
	t.Helper()
	now := time.Now().In(vilnius)
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		slot, err := time.ParseInLocation("2006-01-02 15:04", now.Format("2006-01-02 ")+f[0], vilnius)
		if err == nil && now.Sub(slot).Abs() <= 10*time.Minute {
			return f[1]
		}
	}
	t.Fatalf("no open slot among the demo's codes:\n%s", out)
	return ""
}

func startXvfb(t *testing.T, screen string) (display, fbdir string) {
	t.Helper()
	fbdir = t.TempDir()
	// Xvfb picks a free display itself and writes its number to fd 3: a
	// socket left in /tmp/.X11-unix by a killed server (or one in use by
	// another test run) is no reason to fail.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	xvfb := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", screen, "-fbdir", fbdir, "-nolisten", "tcp")
	xvfb.ExtraFiles = []*os.File{w}
	var out syncbuf.Buffer
	xvfb.Stderr = &out
	if err := xvfb.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { xvfb.Process.Kill(); xvfb.Wait() })
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			t.Fatalf("Xvfb found no display:\n%s", out.String())
		}
		return ":" + n, fbdir
	case <-time.After(realWait):
		t.Fatalf("Xvfb did not start in %v:\n%s", realWait, out.String())
	}
	return "", ""
}

// realWait is how long a real-window test waits for anything before it
// fails. Generous: a wait ends as soon as its condition holds, and under the
// race detector on a loaded 2-core machine the demo took over a minute to
// draw (TestRealWindowDemo timed out at 60 s in 2 of 4 such runs).
const realWait = 3 * time.Minute

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(realWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// screenIs reports whether a point of the kiosk window, right of and below
// the content, has colour c. It reads that one pixel, so polling is cheap.
func screenIs(t *testing.T, fbdir string, c color.NRGBA) bool { return pixelIs(t, fbdir, 700, 420, c) }

// pixelIs reports whether the screen's pixel at x, y has colour c.
func pixelIs(t *testing.T, fbdir string, x, y int, c color.NRGBA) bool {
	f, err := os.Open(filepath.Join(fbdir, "Xvfb_screen0"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var hdr [100]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		t.Fatal(err)
	}
	h := func(i int) uint32 { return binary.BigEndian.Uint32(hdr[4*i:]) }
	off := int64(h(0)) + int64(h(19))*12 + int64(y)*int64(h(12)) + int64(x)*4
	var px [4]byte
	if _, err := f.ReadAt(px[:], off); err != nil {
		t.Fatal(err)
	}
	var order binary.ByteOrder = binary.LittleEndian
	if h(7) == 1 {
		order = binary.BigEndian
	}
	v := order.Uint32(px[:])
	ch := func(mask uint32) uint8 { return uint8((v & mask) >> bits.TrailingZeros32(mask)) }
	return ch(h(14)) == c.R && ch(h(15)) == c.G && ch(h(16)) == c.B
}

// rowCenter is the middle of the guard's list row showing code.
func rowCenter(t *testing.T, h *harness, code string) fyne.Position {
	t.Helper()
	objs := h.objects()
	for _, p := range objs {
		rt, ok := p.obj.(*widget.RichText)
		if !ok || !strings.HasPrefix(plain(rt.String()), code+" ") {
			continue
		}
		for _, q := range objs {
			if b := buttonUnder(objs, p.pos.Add(fyne.NewPos(2, 2))); b != nil && q.obj == b {
				return q.pos.Add(fyne.NewPos(b.Size().Width/2, b.Size().Height/2))
			}
		}
	}
	t.Fatalf("no row for %s on the guard's list", code)
	return fyne.Position{}
}

// TestRealWindowPortraitCancel: on the 720×1280 panel (the demo's window
// at that size and Fyne's scale for it), a tap on Cancel at the top left of
// the code screen returns to the start screen; the guard's hidden corner
// beside it swallows nothing of it.
func TestRealWindowPortraitCancel(t *testing.T) {
	const scale = 1.7
	d := startDemo(t, "1400x1300x24", "1.7")
	d.x("windowsize", d.kioskWin, "720", "1280")
	// The harness's window: the demo's at first, then resized like it.
	h := newHarness(t, panel{"real", fyne.NewSize(800/1.1*scale, 480/1.1*scale), scale}, func(c *kiosk.Config) { c.Lang = "en" })
	h.win.Resize(fyne.NewSize(720/scale, 1280/scale))
	time.Sleep(2 * time.Second) // the real window takes its new size
	tap := func(at fyne.Position) {
		d.x("mousemove", "--window", d.kioskWin, fmt.Sprint(int(at.X*scale)), fmt.Sprint(int(at.Y*scale)), "click", "1")
		time.Sleep(2 * time.Second)
	}
	tap(centerOf(t, h.win.Content(), "Start"))
	h.tap("Start")
	h.want(kiosk.Code)
	cancel := centerOf(t, h.win.Content(), "Cancel")
	if cancel.X*scale > 360 || cancel.Y*scale > 200 {
		t.Fatalf("Cancel is at %v units, not at the top left", cancel)
	}
	h.tap("Cancel")
	h.want(kiosk.Idle)
	start := centerOf(t, h.win.Content(), "Start") // where the start screen's Start is, in portrait
	sx, sy := int(start.X*scale), int(start.Y*scale)
	if pixelIs(t, d.fbdir, sx, sy, colPrimary) {
		t.Fatal("the real window is not on the code screen: Start's blue is where the keypad should be")
	}
	tap(cancel)
	waitFor(t, "the start screen after Cancel", func() bool { return pixelIs(t, d.fbdir, sx, sy, colPrimary) })
	t.Logf("screenshot: %s", saveScreenshot(t, d.fbdir, "real-window-portrait-start.png"))
}

func saveScreenshot(t *testing.T, fbdir, file string) string {
	t.Helper()
	img, err := readXWD(filepath.Join(fbdir, "Xvfb_screen0"))
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("THERMOGATE_E2E_SHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	name := filepath.Join(dir, file)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// readXWD decodes the X Window Dump that Xvfb keeps its screen in with
// -fbdir: a header of 25 big-endian 32-bit fields, the window name, the
// colour map, then the pixels (TrueColor, 32 bits a pixel here).
func readXWD(name string) (image.Image, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if len(b) < 100 {
		return nil, fmt.Errorf("%s: short XWD header", name)
	}
	f := func(i int) uint32 { return binary.BigEndian.Uint32(b[4*i:]) }
	headerSize, w, hgt, byteOrder, bpp, stride := f(0), int(f(4)), int(f(5)), f(7), f(11), int(f(12))
	rmask, gmask, bmask, ncolors := f(14), f(15), f(16), f(19)
	if bpp != 32 {
		return nil, fmt.Errorf("%s: %d bits a pixel, want 32", name, bpp)
	}
	off := int(headerSize) + int(ncolors)*12
	if len(b) < off+hgt*stride {
		return nil, fmt.Errorf("%s: truncated", name)
	}
	var order binary.ByteOrder = binary.LittleEndian
	if byteOrder == 1 {
		order = binary.BigEndian
	}
	chan8 := func(px, mask uint32) uint8 {
		return uint8((px & mask) >> bits.TrailingZeros32(mask))
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, hgt))
	for y := range hgt {
		for xx := range w {
			px := order.Uint32(b[off+y*stride+4*xx:])
			img.SetNRGBA(xx, y, color.NRGBA{chan8(px, rmask), chan8(px, gmask), chan8(px, bmask), 0xFF})
		}
	}
	return img, nil
}

// TestRealWindowPortraitStart: the kiosk full screen on the 720×1280 panel
// at its scale, as `thermogate run` shows it (the demo's --fullscreen is the
// same code), comes up with the portrait start screen — Start beside the
// languages, as docs/screenshots/idle-lt-720x1280.png — without a tap or a
// change of state. The first screen is built before the window has its
// full-screen size; it used to stay laid out for that size (Start full
// width above the languages) until the next state.
func TestRealWindowPortraitStart(t *testing.T) {
	const scale = 1.7
	tall := panels[1]
	d := startDemo(t, "720x1280x24", "1.7", "--lang", "lt", "--fullscreen")
	// The panel window went off the 720-pixel screen (startDemo moves it to
	// x = 760): the framebuffer is the kiosk's alone.
	want := newHarness(t, tall, func(c *kiosk.Config) { c.Lang = "lt" })
	at, size := rectOf(t, want.win.Content(), want.ui.t("idle.start"))
	px := func(x, y float32) (int, int) { return int(x * scale), int(y * scale) }
	l, top := px(at.X, at.Y)
	r, bottom := px(at.X+size.Width, at.Y+size.Height)
	const in = 12 // pixels inside Start's edges, clear of its rounded corners
	inside := [][2]int{{l + in, top + in}, {r - in, top + in}, {l + in, bottom - in}, {r - in, bottom - in}}
	lang, _ := rectOf(t, want.win.Content(), kiosk.LanguageNames["lt"])
	gapX, _ := px((at.X+size.Width+lang.X)/2, 0) // between Start and the languages
	outside := [][2]int{{gapX, (top + bottom) / 2}, {(l + r) / 2, top - in}}
	portrait := func() bool {
		for _, p := range inside {
			if !pixelIs(t, d.fbdir, p[0], p[1], colPrimary) {
				return false
			}
		}
		for _, p := range outside {
			if pixelIs(t, d.fbdir, p[0], p[1], colPrimary) {
				return false
			}
		}
		return true
	}
	// Something is drawn: the window's light background at the right edge.
	waitFor(t, "the kiosk drawn", func() bool { return pixelIs(t, d.fbdir, 715, 5, colBackground) })
	var ok bool
	for deadline := time.Now().Add(realWait); !ok && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		ok = portrait()
	}
	shot := saveScreenshot(t, d.fbdir, "real-window-portrait-boot.png")
	match := primaryOverlap(t, shot, "../../docs/screenshots/idle-lt-720x1280.png")
	t.Logf("screenshot: %s; of the reference's dark-blue pixels %.1f %% are dark blue on the display", shot, 100*match)
	if !ok {
		t.Fatalf("%v after the kiosk was drawn, Start is not beside the languages: dark blue expected at %v (inside Start) and not at %v (beside and above it)", realWait, inside, outside)
	}
	if match < 0.9 {
		t.Fatalf("only %.1f %% of the dark blue of docs/screenshots/idle-lt-720x1280.png is where the display has it", 100*match)
	}
}

// primaryOverlap is the share of ref's pixels of the primary (Start's) dark
// blue that are that colour in got too: 1 where the layouts agree, whatever
// the text rendering.
func primaryOverlap(t *testing.T, got, ref string) float64 {
	t.Helper()
	load := func(name string) image.Image {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return img
	}
	a, b := load(got), load(ref)
	if a.Bounds() != b.Bounds() {
		t.Fatalf("the display is %v, the reference %v", a.Bounds(), b.Bounds())
	}
	is := func(c color.Color) bool { return color.NRGBAModel.Convert(c) == colPrimary }
	var n, both int
	for y := b.Bounds().Min.Y; y < b.Bounds().Max.Y; y++ {
		for x := b.Bounds().Min.X; x < b.Bounds().Max.X; x++ {
			if is(b.At(x, y)) {
				n++
				if is(a.At(x, y)) {
					both++
				}
			}
		}
	}
	if n == 0 {
		t.Fatalf("%s has no pixel of the primary colour", ref)
	}
	return float64(both) / float64(n)
}
