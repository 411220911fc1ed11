// Command vmtool is the host side's helper for scripts/vm-check.sh: it talks
// QMP to the virtual machine (screendumps, taps), serves the files the guest
// fetches over HTTP, and compares screendumps with the reference
// screenshots. Standard library only, so the check needs no extra tools.
//
//	vmtool serve DIR PORTFILE            HTTP on 127.0.0.1 (the guest's 10.0.2.2); PUT /upload/NAME stores DIR/upload/NAME
//	vmtool screendump [-fix-channels] QMPSOCK OUT.png    QEMU's screendump, as PNG (channels fixed: see fixChannels)
//	vmtool tap QMPSOCK X Y               a tap (press and release) at pixel X,Y of the current screen
//	vmtool qmp QMPSOCK JSON              one QMP command, its reply printed
//	vmtool compare [-fix-channels] [-ignore-bottom=PX] GOT.png WANT.png
//	                                                      the same screen? (see compare; GOT's channels fixed
//	                                                      first; the bottom PX rows of both left out)
//	vmtool xshot XSOCK XAUTH OUT.png     the X server's root window, as PNG (in the guest; see xshot)
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "vmtool:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: vmtool serve|screendump|tap|qmp|compare|xshot ... (see scripts/vmtool/main.go)")
	}
	need := func(n int, usage string) error {
		if len(args)-1 != n {
			return fmt.Errorf("usage: vmtool %s %s", args[0], usage)
		}
		return nil
	}
	switch args[0] {
	case "serve":
		if err := need(2, "DIR PORTFILE"); err != nil {
			return err
		}
		return serve(args[1], args[2])
	case "screendump":
		fix := fixFlag(&args)
		if err := need(2, "[-fix-channels] QMPSOCK OUT.png"); err != nil {
			return err
		}
		return screendump(args[1], args[2], fix)
	case "tap":
		if err := need(3, "QMPSOCK X Y"); err != nil {
			return err
		}
		x, err1 := strconv.Atoi(args[2])
		y, err2 := strconv.Atoi(args[3])
		if err1 != nil || err2 != nil {
			return fmt.Errorf("tap: X and Y must be pixel numbers, got %q %q", args[2], args[3])
		}
		return tap(args[1], x, y)
	case "qmp":
		if err := need(2, "QMPSOCK JSON"); err != nil {
			return err
		}
		var cmd map[string]any
		if err := json.Unmarshal([]byte(args[2]), &cmd); err != nil {
			return fmt.Errorf("qmp: the command is not JSON: %v", err)
		}
		q, err := dialQMP(args[1])
		if err != nil {
			return err
		}
		defer q.Close()
		res, err := q.do(cmd)
		if err != nil {
			return err
		}
		fmt.Println(string(res))
		return nil
	case "xshot":
		if err := need(3, "XSOCKET XAUTHORITY OUT.png"); err != nil {
			return err
		}
		return xshot(args[1], args[2], args[3])
	case "compare":
		fix := fixFlag(&args)
		bottom, err := ignoreBottomFlag(&args)
		if err != nil {
			return err
		}
		fix = fix || fixFlag(&args)
		if err := need(2, "[-fix-channels] [-ignore-bottom=PX] GOT.png WANT.png"); err != nil {
			return err
		}
		return compareFiles(args[1], args[2], fix, bottom)
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// fixFlag takes a -fix-channels after the command out of args.
func fixFlag(args *[]string) bool {
	a := *args
	if len(a) > 1 && a[1] == "-fix-channels" {
		*args = append(a[:1:1], a[2:]...)
		return true
	}
	return false
}

// ignoreBottomFlag takes a -ignore-bottom=PX after the command out of args:
// the bottom PX rows of both pictures are left out of the comparison. The
// decision screens draw their countdown bar there, which shrinks while the
// screen stays, so a screendump a few seconds in never has the reference's
// full bar.
func ignoreBottomFlag(args *[]string) (int, error) {
	a := *args
	if len(a) < 2 || !strings.HasPrefix(a[1], "-ignore-bottom=") {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimPrefix(a[1], "-ignore-bottom="))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s: want -ignore-bottom=PX, PX a number of pixel rows", a[1])
	}
	*args = append(a[:1:1], a[2:]...)
	return n, nil
}

// fixChannels undoes, in place, how QEMU 7.2's screendump of the virtio
// GPU shows Xorg's framebuffer here: its red holds about X's blue (the
// pixel's fourth byte), its green X's red, its blue X's green. Measured: the
// start screen's blue (11,61,145) in the X server's own picture (vmtool
// xshot) is (145,11,61) in the screendump; its grey (228,232,238) is
// (224,228,232). So red comes from green, green from blue, and blue from
// red, exact for red and green and within a few steps for blue. vm-check
// finds out once per boot whether the screendump needs this (calibrate in
// vm-check.sh) and the X server's own picture proves the true colours.
func fixChannels(img *image.RGBA) {
	for i := 0; i+2 < len(img.Pix); i += 4 {
		r, g, b := img.Pix[i], img.Pix[i+1], img.Pix[i+2]
		img.Pix[i], img.Pix[i+1], img.Pix[i+2] = g, b, r
	}
}

// serve serves dir over HTTP on a free port of 127.0.0.1, which QEMU's user
// network shows the guest as 10.0.2.2, and writes the port to portfile.
func serve(dir, portfile string) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	files := http.FileServer(http.Dir(dir))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/upload/") {
			name := filepath.Base(r.URL.Path)
			if name == "." || name == "/" || strings.HasPrefix(name, ".") {
				http.Error(w, "bad name", http.StatusBadRequest)
				return
			}
			_ = os.MkdirAll(filepath.Join(dir, "upload"), 0o755)
			f, err := os.Create(filepath.Join(dir, "upload", name))
			if err == nil {
				_, err = io.Copy(f, r.Body)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.WriteHeader(http.StatusCreated)
			return
		}
		files.ServeHTTP(w, r)
	})
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	if err := os.WriteFile(portfile+".tmp", []byte(port+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.Rename(portfile+".tmp", portfile); err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	return srv.Serve(l)
}

type qmp struct {
	c net.Conn
	r *bufio.Reader
}

// dialQMP connects and leaves capabilities negotiation behind.
func dialQMP(sock string) (*qmp, error) {
	c, err := net.DialTimeout("unix", sock, 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("qmp: %w", err)
	}
	q := &qmp{c: c, r: bufio.NewReader(c)}
	if _, err := q.read(); err != nil { // the greeting
		c.Close()
		return nil, err
	}
	if _, err := q.do(map[string]any{"execute": "qmp_capabilities"}); err != nil {
		c.Close()
		return nil, err
	}
	return q, nil
}

func (q *qmp) Close() error { return q.c.Close() }

func (q *qmp) read() (map[string]json.RawMessage, error) {
	_ = q.c.SetReadDeadline(time.Now().Add(60 * time.Second))
	line, err := q.r.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("qmp: reading: %w", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		return nil, fmt.Errorf("qmp: bad reply %q: %w", line, err)
	}
	return m, nil
}

// do sends one command and returns its "return", skipping events.
func (q *qmp) do(cmd map[string]any) (json.RawMessage, error) {
	b, _ := json.Marshal(cmd)
	if _, err := q.c.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("qmp: %w", err)
	}
	for {
		m, err := q.read()
		if err != nil {
			return nil, err
		}
		if e, ok := m["error"]; ok {
			return nil, fmt.Errorf("qmp: %s: %s", cmd["execute"], e)
		}
		if r, ok := m["return"]; ok {
			return r, nil
		}
	}
}

// screendump asks QEMU for the screen as PPM (every QEMU has it) and
// writes it as PNG, with its channels fixed (fixChannels) if fix.
func screendump(sock, out string, fix bool) error {
	q, err := dialQMP(sock)
	if err != nil {
		return err
	}
	defer q.Close()
	ppm := out + ".ppm"
	abs, err := filepath.Abs(ppm)
	if err != nil {
		return err
	}
	defer os.Remove(abs)
	if _, err := q.do(map[string]any{"execute": "screendump", "arguments": map[string]any{"filename": abs}}); err != nil {
		return err
	}
	img, err := readPPM(abs)
	if err != nil {
		return err
	}
	if fix {
		fixChannels(img)
	}
	return writePNG(out, img)
}

// writePNG writes img to path as a PNG.
func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readPPM reads a binary PPM (P6, maxval 255), what QEMU's screendump writes.
func readPPM(path string) (*image.RGBA, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var fields []int
	i := 2
	if len(b) < 2 || string(b[:2]) != "P6" {
		return nil, fmt.Errorf("%s: not a binary PPM", path)
	}
	for len(fields) < 3 && i < len(b) {
		switch c := b[i]; {
		case c == '#':
			for i < len(b) && b[i] != '\n' {
				i++
			}
		case c >= '0' && c <= '9':
			j := i
			for j < len(b) && b[j] >= '0' && b[j] <= '9' {
				j++
			}
			n, _ := strconv.Atoi(string(b[i:j]))
			fields = append(fields, n)
			i = j
			continue
		}
		i++
	}
	if len(fields) != 3 || fields[2] != 255 {
		return nil, fmt.Errorf("%s: unexpected PPM header %v", path, fields)
	}
	w, h := fields[0], fields[1]
	px := b[i:]
	if len(px) < w*h*3 {
		return nil, fmt.Errorf("%s: %d bytes of pixels, want %d", path, len(px), w*h*3)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for p := 0; p < w*h; p++ {
		img.Pix[4*p], img.Pix[4*p+1], img.Pix[4*p+2], img.Pix[4*p+3] = px[3*p], px[3*p+1], px[3*p+2], 255
	}
	return img, nil
}

// tap moves the virtio tablet to pixel x,y of the screen and presses and
// releases the left button: Xorg (libinput) turns it into a click, which
// Fyne takes as a tap. The tablet's axes run 0..32767 over the screen.
func tap(sock string, x, y int) error {
	q, err := dialQMP(sock)
	if err != nil {
		return err
	}
	defer q.Close()
	w, h, err := screenSize(q)
	if err != nil {
		return err
	}
	if x < 0 || y < 0 || x >= w || y >= h {
		return fmt.Errorf("tap at %d,%d is off the %dx%d screen", x, y, w, h)
	}
	abs := func(v, size int) int { return v * 0x7fff / (size - 1) }
	send := func(events ...map[string]any) error {
		_, err := q.do(map[string]any{"execute": "input-send-event", "arguments": map[string]any{"events": events}})
		return err
	}
	move := []map[string]any{
		{"type": "abs", "data": map[string]any{"axis": "x", "value": abs(x, w)}},
		{"type": "abs", "data": map[string]any{"axis": "y", "value": abs(y, h)}},
	}
	if err := send(move...); err != nil {
		return err
	}
	time.Sleep(150 * time.Millisecond)
	if err := send(map[string]any{"type": "btn", "data": map[string]any{"down": true, "button": "left"}}); err != nil {
		return err
	}
	time.Sleep(150 * time.Millisecond)
	return send(map[string]any{"type": "btn", "data": map[string]any{"down": false, "button": "left"}})
}

// screenSize is the current screen's size, from a screendump.
func screenSize(q *qmp) (int, int, error) {
	f, err := os.CreateTemp("", "vmtool-*.ppm")
	if err != nil {
		return 0, 0, err
	}
	f.Close()
	defer os.Remove(f.Name())
	if _, err := q.do(map[string]any{"execute": "screendump", "arguments": map[string]any{"filename": f.Name()}}); err != nil {
		return 0, 0, err
	}
	img, err := readPPM(f.Name())
	if err != nil {
		return 0, 0, err
	}
	return img.Bounds().Dx(), img.Bounds().Dy(), nil
}

func compareFiles(got, want string, fix bool, ignoreBottom int) error {
	a, err := readPNG(got)
	if err != nil {
		return err
	}
	if fix {
		rgba := image.NewRGBA(a.Bounds())
		draw.Draw(rgba, rgba.Bounds(), a, a.Bounds().Min, draw.Src)
		fixChannels(rgba)
		a = rgba
	}
	b, err := readPNG(want)
	if err != nil {
		return err
	}
	if ignoreBottom > 0 {
		if a, err = cutBottom(a, ignoreBottom); err != nil {
			return fmt.Errorf("%s: %w", got, err)
		}
		if b, err = cutBottom(b, ignoreBottom); err != nil {
			return fmt.Errorf("%s: %w", want, err)
		}
	}
	r, err := compare(a, b)
	if err != nil {
		return fmt.Errorf("%s vs %s: %w", got, want, err)
	}
	fmt.Printf("mean difference %.2f/255 (limit %.0f), cells off %.1f%% (limit %.0f%%)\n", r.Mean, MaxMean, 100*r.CellsOff, 100*MaxCellsOff)
	if !r.Same() {
		return fmt.Errorf("%s is not the screen of %s", got, want)
	}
	return nil
}

// cutBottom is img without its bottom n rows.
func cutBottom(img image.Image, n int) (image.Image, error) {
	r := img.Bounds()
	if n >= r.Dy() {
		return nil, fmt.Errorf("cannot leave out %d rows of a picture %d high", n, r.Dy())
	}
	sub, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	})
	if !ok {
		return nil, fmt.Errorf("cannot cut a %T", img)
	}
	return sub.SubImage(image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Max.Y-n)), nil
}

func readPNG(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}
