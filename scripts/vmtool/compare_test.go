package main

import (
	"image"
	"image/color"
	"image/draw"
	"path/filepath"
	"testing"
)

func shot(t *testing.T, name string) image.Image {
	t.Helper()
	img, err := readPNG(filepath.Join("..", "..", "docs", "screenshots", name))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// The comparison must tell the kiosk's screens apart, or a screendump of the
// wrong screen would pass vm-check.
func TestCompareTellsScreensApart(t *testing.T) {
	for _, size := range []string{"800x480", "720x1280"} {
		idle := shot(t, "idle-lt-"+size+".png")
		for _, other := range []string{"idle-en-", "code-lt-", "symptoms-lt-", "measure-lt-", "decision-admit-ok-lt-", "out-of-service-sensor-lt-"} {
			r, err := compare(idle, shot(t, other+size+".png"))
			if err != nil {
				t.Fatal(err)
			}
			if r.Same() {
				t.Errorf("idle-lt-%s and %s%s compare as the same screen: %+v", size, other, size, r)
			}
		}
	}
}

// ...and must forgive what a different rasteriser changes: edges a pixel
// off, slightly other antialiasing.
func TestCompareForgivesRendering(t *testing.T) {
	idle := shot(t, "idle-lt-800x480.png")
	b := idle.Bounds()
	moved := image.NewRGBA(b)
	draw.Draw(moved, b, image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(moved, b.Add(image.Pt(1, 1)), idle, b.Min, draw.Src) // everything one pixel down and right
	for i := range moved.Pix {                                     // and every channel a little off
		if i%4 != 3 {
			moved.Pix[i] = uint8(max(0, int(moved.Pix[i])-3))
		}
	}
	r, err := compare(moved, idle)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Same() {
		t.Errorf("a one-pixel shift and slight colour change compares as another screen: %+v", r)
	}
	if _, err := compare(idle, shot(t, "idle-lt-720x1280.png")); err == nil {
		t.Error("images of different sizes compared without an error")
	}
}

// A screendump QEMU 7.2 took of the kiosk's start screen on the virtio GPU
// (testdata: its channels scrambled against what the X server holds) is not
// the start screen as it is, and is once -fix-channels undoes that.
func TestFixChannelsUndoesQEMUsChannelOrder(t *testing.T) {
	got := filepath.Join("testdata", "qemu-screendump-idle-lt-800x480.png")
	want := filepath.Join("..", "..", "docs", "screenshots", "idle-lt-800x480.png")
	if err := compareFiles(got, want, false, 0); err == nil {
		t.Error("the scrambled screendump passes as the start screen")
	}
	if err := compareFiles(got, want, true, 0); err != nil {
		t.Errorf("with its channels fixed: %v", err)
	}
	// The order is undone, not just forgiven: the reference with its own
	// channels moved is no longer itself.
	if err := compareFiles(want, want, true, 0); err == nil {
		t.Error("the start screen with its channels moved passes as itself")
	}
}

// A decision screen's countdown bar along its bottom shrinks while the
// screen stays: vm-check's screendump of ADMIT a while in has less of it
// than the reference. With -ignore-bottom those rows are left out, and the
// rest still tells ADMIT from the start screen.
func TestIgnoreBottomLeavesOutTheCountdownBar(t *testing.T) {
	dir := t.TempDir()
	admit := shot(t, "decision-admit-ok-lt-800x480.png")
	b := admit.Bounds()
	ranDown := image.NewRGBA(b)
	draw.Draw(ranDown, b, admit, b.Min, draw.Src)
	// The bar run out: its rows painted over with the screen's background.
	bg := admit.At(b.Dx()/2, b.Dy()-40)
	draw.Draw(ranDown, image.Rect(0, b.Dy()-24, b.Dx(), b.Dy()), image.NewUniform(bg), image.Point{}, draw.Src)
	got := filepath.Join(dir, "admit-bar-run-out.png")
	mustWritePNG(t, got, ranDown)
	want := filepath.Join("..", "..", "docs", "screenshots", "decision-admit-ok-lt-800x480.png")
	if err := compareFiles(got, want, false, 0); err == nil {
		t.Fatal("the test is void: ADMIT without its countdown bar passes as the reference even with the bar compared")
	}
	if err := compareFiles(got, want, false, 32); err != nil {
		t.Errorf("with the bottom 32 rows left out: %v", err)
	}
	idle := filepath.Join("..", "..", "docs", "screenshots", "idle-lt-800x480.png")
	if err := compareFiles(idle, want, false, 32); err == nil {
		t.Error("with the bottom rows left out, the start screen passes as ADMIT")
	}
	if err := compareFiles(got, want, false, b.Dy()); err == nil {
		t.Error("leaving out the whole picture compares")
	}
}

func mustWritePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := writePNG(path, img); err != nil {
		t.Fatal(err)
	}
}
