package ui

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

const pad = 8

// Text sizes the theme answers for RichText segments.
const (
	sizeHuge     fyne.ThemeSizeName = "thermogate-huge"
	sizeHeadline fyne.ThemeSizeName = "thermogate-headline"
	sizeBody     fyne.ThemeSizeName = "thermogate-body"
	sizeSmall    fyne.ThemeSizeName = "thermogate-small"
	// sizeGuardButton is a guard's button's label that may wrap: two lines
	// of it fit a 16 mm button.
	sizeGuardButton fyne.ThemeSizeName = "thermogate-guard-button"
)

// para is wrapped text. A temperature never wraps away from its unit, nor
// any number from a unit the catalog joined to it with a no-break space.
func para(s string, size fyne.ThemeSizeName, col fyne.ThemeColorName, bold bool, align fyne.TextAlign) *text {
	return newText(strings.ReplaceAll(s, " °C", "\u00a0°C"), widget.RichTextStyle{
		Alignment: align, ColorName: col, SizeName: size, TextStyle: fyne.TextStyle{Bold: bold},
	}, true)
}

// line is text on one line, never wrapped: for short texts that change
// while shown (a countdown), so the screen does not jump.
func line(s string, size fyne.ThemeSizeName, col fyne.ThemeColorName, bold bool, align fyne.TextAlign) *text {
	return newText(strings.ReplaceAll(s, " °C", "\u00a0°C"), widget.RichTextStyle{
		Alignment: align, ColorName: col, SizeName: size, TextStyle: fyne.TextStyle{Bold: bold},
	}, false)
}

// atLeast gives obj a minimum size.
func atLeast(obj fyne.CanvasObject, w, h float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(w, h))
	return container.NewStack(r, obj)
}

// button is a button, the primary action of a screen highlighted. Its
// size comes from where it is put: touch, a keypad's grid, or atLeast.
func button(label string, primary bool, tapped func()) *widget.Button {
	b := widget.NewButton(label, tapped)
	if primary {
		b.Importance = widget.HighImportance
	}
	return b
}

// touch makes b a touch target of at least TouchSize in both directions.
func touch(b fyne.CanvasObject) fyne.CanvasObject { return atLeast(b, TouchSize, TouchSize) }

func icon(res fyne.Resource, side float32) *canvas.Image {
	img := canvas.NewImageFromResource(res)
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSize(side, side))
	return img
}

// split lays out two objects side by side when it is wider than tall (the
// first taking ratio of the width) and one above the other when it is
// taller (the first at its minimum height): one screen serves the 800×480
// landscape and the 720×1280 portrait panel.
type split struct{ ratio float32 }

func newSplit(ratio float32, a, b fyne.CanvasObject) *fyne.Container {
	return container.New(split{ratio}, a, b)
}

func (l split) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	a, b := objs[0], objs[1]
	if size.Width >= size.Height {
		wa := (size.Width - pad) * l.ratio
		a.Move(fyne.NewPos(0, 0))
		a.Resize(fyne.NewSize(wa, size.Height))
		b.Move(fyne.NewPos(wa+pad, 0))
		b.Resize(fyne.NewSize(size.Width-wa-pad, size.Height))
		return
	}
	// Wrapped text knows its height only once it knows its width: lay the
	// top part out at full width before asking how tall it must be. Only the
	// width: at the whole screen's height its icons would be rasterised at
	// that size once more on every rebuild.
	a.Resize(fyne.NewSize(size.Width, a.Size().Height))
	ha := min(a.MinSize().Height, size.Height)
	a.Move(fyne.NewPos(0, 0))
	a.Resize(fyne.NewSize(size.Width, ha))
	b.Move(fyne.NewPos(0, ha+pad))
	b.Resize(fyne.NewSize(size.Width, max(0, size.Height-ha-pad)))
}

func (l split) MinSize(objs []fyne.CanvasObject) fyne.Size {
	a, b := objs[0].MinSize(), objs[1].MinSize()
	return fyne.NewSize(max(a.Width, b.Width), max(a.Height, b.Height))
}

// keyGrid lays out keys in as many columns as fit at MinTouch (between
// minCols and maxCols) and rows of equal height filling the space.
type keyGrid struct{ minCols, maxCols int }

func (g keyGrid) cols(w float32) int {
	n := int((w + pad) / (MinTouch + pad))
	return max(g.minCols, min(g.maxCols, n))
}

func (g keyGrid) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	cols := g.cols(size.Width)
	rows := (len(objs) + cols - 1) / cols
	w := (size.Width - pad*float32(cols-1)) / float32(cols)
	h := (size.Height - pad*float32(rows-1)) / float32(rows)
	for i, o := range objs {
		r, c := i/cols, i%cols
		o.Move(fyne.NewPos(float32(c)*(w+pad), float32(r)*(h+pad)))
		o.Resize(fyne.NewSize(w, h))
	}
}

// MinSize is as narrow as minCols columns and as low as the rows of
// maxCols columns: the keys take more rows where the grid is narrow (the
// 720×1280 panel) and more columns where it is low (800×480). Asking for
// both at once (minCols wide and their rows high) made the letter keypad's
// screen taller than the 800×480 panel, and a real window grows to that.
func (g keyGrid) MinSize(objs []fyne.CanvasObject) fyne.Size {
	rows := (len(objs) + g.maxCols - 1) / g.maxCols
	return fyne.NewSize(float32(g.minCols)*(MinTouch+pad)-pad, float32(rows)*(MinTouch+pad)-pad)
}

// timeBar is a thin bar that shrinks as a decision's time runs out.
type timeBar struct {
	c    *fyne.Container
	frac float32
}

func newTimeBar(col fyne.ThemeColorName) *timeBar {
	b := &timeBar{frac: 1}
	r := canvas.NewRectangle(theme.Color(col))
	r.CornerRadius = 4
	b.c = container.New(b, r)
	return b
}

func (b *timeBar) set(f float64) {
	b.frac = float32(f)
	b.c.Refresh()
}

// Layout implements fyne.Layout.
func (b *timeBar) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(fyne.NewSize(size.Width*b.frac, size.Height))
	}
}

// MinSize implements fyne.Layout.
func (b *timeBar) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(0, 10) }

// cornerGap is empty space as wide as the guard's corner, for a row of
// controls that starts at the left edge.
func cornerGap() fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(TouchSize-pad, 0))
	return r
}

// clearOfCorner makes a screen's title at least as tall as the guard's
// corner, so that the controls below it are clear of the corner.
func clearOfCorner(title fyne.CanvasObject) fyne.CanvasObject { return atLeast(title, 0, TouchSize) }

// corner places its only object in the top-left corner at a fixed size:
// the guard's discreet long-press target over the screen.
type corner struct{ side float32 }

func (c corner) Layout(objs []fyne.CanvasObject, _ fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(fyne.NewSize(c.side, c.side))
	}
}

func (c corner) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(0, 0) }
