package ui

import (
	"bufio"
	"bytes"
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

	"github.com/thermogate/thermogate/internal/demo"
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
func TestRealWindowDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	for _, tool := range []string{"Xvfb", "xdotool", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (make deps installs Xvfb and xdotool)", tool)
		}
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "thermogate")
	// -race: it reuses the packages `go test -race` built, and checks the
	// real window's goroutines for races on the way.
	race := []string{"-race"}
	if os.Getenv("THERMOGATE_E2E_NORACE") != "" { // bench/ui.sh: time the binary the kiosk runs
		race = nil
	}
	build := exec.Command("go", append(append([]string{"build"}, race...), "-tags", "migrated_fynedo", "-o", bin, "../../cmd/thermogate")...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}

	display, fbdir := startXvfb(t)
	x := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("xdotool", args...)
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("xdotool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}

	demoCmd := exec.Command(bin, "demo", "--lang", "en")
	demoCmd.Env = append(os.Environ(), "DISPLAY="+display, "FYNE_SCALE=1", "LANG=C.UTF-8")
	var stdout, stderr lockedBuffer
	demoCmd.Stdout, demoCmd.Stderr = &stdout, &stderr
	if err := demoCmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- demoCmd.Wait() }()
	defer func() {
		if t.Failed() {
			t.Logf("demo stdout:\n%s\ndemo stderr:\n%s\nthe screen at the failure: %s", stdout.String(), stderr.String(), saveScreenshot(t, fbdir))
		}
		if demoCmd.ProcessState == nil {
			demoCmd.Process.Kill()
			<-exited
		}
	}()

	kioskWin := x("search", "--sync", "--name", "^thermogate$")
	panelWin := x("search", "--sync", "--name", "^thermogate demo panel$")
	x("windowmove", panelWin, "760", "0") // no window manager: both start at 0,0
	waitFor(t, "the kiosk's log", func() bool { return strings.Contains(stderr.String(), "kiosk running") })

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
	for deadline := time.Now().Add(60 * time.Second); drawn.IsZero(); time.Sleep(5 * time.Millisecond) {
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
	shot := saveScreenshot(t, fbdir)
	t.Logf("screenshot: %s", shot)

	// The decision is in the store: ask the running kiosk through its socket.
	m := regexp.MustCompile(`store=(\S+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatal("no store path in the log")
	}
	out, err := exec.Command(bin, "screenings", "--db", m[1]).CombinedOutput()
	if err != nil || !regexp.MustCompile(code+`\s+admit\s+ok\s+36\.6`).Match(out) {
		t.Fatalf("screenings through the admin socket: %v\n%s", err, out)
	}

	demoCmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("demo exited with %v after SIGTERM", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("demo did not stop after SIGTERM")
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

func startXvfb(t *testing.T) (display, fbdir string) {
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
	xvfb := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1400x900x24", "-fbdir", fbdir, "-nolisten", "tcp")
	xvfb.ExtraFiles = []*os.File{w}
	var out lockedBuffer
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
	case <-time.After(60 * time.Second):
		t.Fatalf("Xvfb did not start in 60 s:\n%s", out.String())
	}
	return "", ""
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// screenIs reports whether a point of the kiosk window, right of and below
// the content, has colour c. It reads that one pixel, so polling is cheap.
func screenIs(t *testing.T, fbdir string, c color.NRGBA) bool {
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
	off := int64(h(0)) + int64(h(19))*12 + 420*int64(h(12)) + 700*4
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

func saveScreenshot(t *testing.T, fbdir string) string {
	t.Helper()
	img, err := readXWD(filepath.Join(fbdir, "Xvfb_screen0"))
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("THERMOGATE_E2E_SHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	name := filepath.Join(dir, "real-window-demo-admit.png")
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

// lockedBuffer is a bytes.Buffer the child's output goroutines and the test
// may use at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
