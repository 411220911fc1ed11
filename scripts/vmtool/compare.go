package main

import (
	"fmt"
	"image"
	"math"
)

// The screendump from the virtual machine (Xorg, Mesa llvmpipe, QEMU's
// virtio GPU) and the reference screenshot (Fyne's software renderer in the
// tests) draw the same screen with different rasterisers: glyph edges,
// antialiasing and rounded corners differ by a pixel here and there. So the
// two are compared in cells of Cell×Cell pixels, each reduced to its mean
// colour:
//
//   - the mean difference over all cells and channels must stay under
//     MaxMean (of 255): the screen as a whole has the same colours in the
//     same places;
//   - at most MaxCellsOff of the cells may differ by more than CellLimit in
//     any channel: no block of the screen — a button, a line of text, a
//     colour field — is missing, moved by more than about a cell, or of
//     another colour.
//
// What it proves: the same screen (layout, colours, where text and buttons
// are) at the same size. What it does not: the exact words or glyphs: a
// changed word of the same length can pass. It is the screen the kiosk shows,
// not a pixel-exact rendering test (kiosk/ui's tests do that).
const (
	Cell        = 16
	CellLimit   = 40.0
	MaxMean     = 6.0
	MaxCellsOff = 0.03
)

type result struct {
	Mean     float64 // mean absolute difference of cell colours, 0..255
	CellsOff float64 // fraction of cells off by more than CellLimit
}

func (r result) Same() bool { return r.Mean <= MaxMean && r.CellsOff <= MaxCellsOff }

// compare compares two images of the same size cell by cell.
func compare(a, b image.Image) (result, error) {
	if a.Bounds().Size() != b.Bounds().Size() {
		return result{}, fmt.Errorf("sizes differ: %v and %v", a.Bounds().Size(), b.Bounds().Size())
	}
	ca, cb := cells(a), cells(b)
	var sum float64
	off := 0
	for i := range ca {
		worst := 0.0
		for ch := range 3 {
			d := math.Abs(ca[i][ch] - cb[i][ch])
			sum += d
			worst = max(worst, d)
		}
		if worst > CellLimit {
			off++
		}
	}
	n := float64(len(ca))
	return result{Mean: sum / (3 * n), CellsOff: float64(off) / n}, nil
}

// cells reduces an image to the mean colours (0..255) of its Cell×Cell
// blocks, row by row; the last row and column may be narrower.
func cells(img image.Image) [][3]float64 {
	r := img.Bounds()
	var out [][3]float64
	for y0 := r.Min.Y; y0 < r.Max.Y; y0 += Cell {
		for x0 := r.Min.X; x0 < r.Max.X; x0 += Cell {
			var s [3]float64
			n := 0.0
			for y := y0; y < min(y0+Cell, r.Max.Y); y++ {
				for x := x0; x < min(x0+Cell, r.Max.X); x++ {
					cr, cg, cb, _ := img.At(x, y).RGBA()
					s[0] += float64(cr >> 8)
					s[1] += float64(cg >> 8)
					s[2] += float64(cb >> 8)
					n++
				}
			}
			out = append(out, [3]float64{s[0] / n, s[1] / n, s[2] / n})
		}
	}
	return out
}
