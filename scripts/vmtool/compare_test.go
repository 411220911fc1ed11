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
