package ui

import (
	"fmt"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
)

// renderIcon draws res through Fyne's own SVG rasteriser at side pixels on
// bg and returns, for every pixel, how far it is from bg (0 background, 1
// full ink).
func renderIcon(t *testing.T, res fyne.Resource, side int, bg color.NRGBA) [][]float64 {
	t.Helper()
	r := canvas.NewRectangle(bg)
	img := canvas.NewImageFromResource(res)
	img.FillMode = canvas.ImageFillContain
	w := test.NewWindow(container.NewStack(r, img))
	defer w.Close()
	w.SetPadded(false)
	w.Canvas().(test.WindowlessCanvas).SetScale(1)
	w.Resize(fyne.NewSize(float32(side), float32(side)))
	shot := w.Canvas().Capture()
	if dir := os.Getenv("THERMOGATE_ICON_SHOTS"); dir != "" {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s-%d.png", strings.TrimSuffix(res.Name(), ".svg"), side)))
		if err == nil {
			png.Encode(f, shot)
			f.Close()
		}
	}
	ink := make([][]float64, side)
	for y := range side {
		ink[y] = make([]float64, side)
		for x := range side {
			cr, cg, cb, _ := shot.At(x, y).RGBA()
			d := math.Max(math.Abs(float64(cr>>8)-float64(bg.R)), math.Max(math.Abs(float64(cg>>8)-float64(bg.G)), math.Abs(float64(cb>>8)-float64(bg.B))))
			ink[y][x] = d / 255
		}
	}
	return ink
}

// TestIconsCrispAtPanelSizes draws every icon at the sizes the two panels
// show it (a button's icon is 32 units: 35 px at 800×480, 54 px at
// 720×1280) and at eight times that, shrunk back by averaging: a vector
// icon is the same picture at any size, so the two differ only by the edge
// pixels' anti-aliasing. An icon whose lines do not scale with it (what
// Fyne's rasteriser does with SVG strokes) turns into a blob when small,
// and fails; so does an icon that is a solid mass of ink at any size.
func TestIconsCrispAtPanelSizes(t *testing.T) {
	icons := map[string]fyne.Resource{
		"admit": iconAdmit, "deny": iconDeny, "hand": iconHand, "code": iconCode, "mask": iconMask,
		"distance": iconDistance, "hands": iconHands, "backspace": iconBackspace, "globe": iconGlobe, "selected": iconSelected,
		"arrow": arrowIcon("right"),
	}
	for name, res := range icons {
		bg := color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
		if name == "admit" || name == "deny" {
			bg = color.NRGBA{0x0A, 0x5C, 0x2B, 0xFF} // white icons, drawn on their buttons' colour
		}
		for _, side := range []int{35, 54} {
			small := renderIcon(t, res, side, bg)
			const k = 8
			big := renderIcon(t, res, side*k, bg)
			var diff, inkSmall, inkBig float64
			for y := range side {
				for x := range side {
					var s float64
					for dy := range k {
						for dx := range k {
							s += big[y*k+dy][x*k+dx]
						}
					}
					s /= k * k
					diff += math.Abs(small[y][x] - s)
					inkSmall += small[y][x]
					inkBig += s
				}
			}
			n := float64(side * side)
			diff, inkSmall, inkBig = diff/n, inkSmall/n, inkBig/n
			t.Logf("%s at %d px: ink %.3f (%.3f drawn large), mean difference %.3f", name, side, inkSmall, inkBig, diff)
			if inkSmall > 0.45 {
				t.Errorf("%s at %d px is a blob: ink covers %.0f %% of it", name, side, 100*inkSmall)
			}
			if diff > 0.04 || math.Abs(inkSmall-inkBig) > 0.03 {
				t.Errorf("%s at %d px is not the picture it is large: ink %.3f vs %.3f, mean difference %.3f per pixel", name, side, inkSmall, inkBig, diff)
			}
		}
	}
}
