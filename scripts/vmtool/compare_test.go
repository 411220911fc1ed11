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
	if err := compareFiles(got, want, false); err == nil {
		t.Error("the scrambled screendump passes as the start screen")
	}
	if err := compareFiles(got, want, true); err != nil {
		t.Errorf("with its channels fixed: %v", err)
	}
	// The order is undone, not just forgiven: the reference with its own
	// channels moved is no longer itself.
	if err := compareFiles(want, want, true); err == nil {
		t.Error("the start screen with its channels moved passes as itself")
	}
}
