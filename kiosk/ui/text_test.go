package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// rowsOf is what a RichText shows, row by row.
func rowsOf(rt *widget.RichText) []string {
	var rows []string
	for _, o := range test.WidgetRenderer(rt).Objects() {
		if t, ok := o.(*canvas.Text); ok && t.Text != "" {
			rows = append(rows, t.Text)
		}
	}
	return rows
}

// splitsAtNoBreak reports whether a row break fell on a no-break space of
// src: the row ends with the number and the next starts with the unit.
func splitsAtNoBreak(src string, rows []string) bool {
	for i := 1; i < len(rows); i++ {
		if strings.Contains(src, strings.TrimSpace(rows[i-1])+"\u00a0"+strings.TrimSpace(rows[i])) {
			return true
		}
	}
	return false
}

// TestParaKeepsNumberWithUnit: at every width from narrow to wide, no line
// of a paragraph ends with a number whose unit went to the next line. Fyne's
// own word wrap does that (it breaks at U+00A0 like at a space); the test
// shows it on a plain RichText first, so that it cannot pass for want of a
// width where the break falls there.
func TestParaKeepsNumberWithUnit(t *testing.T) {
	src := "Prosimy zbliżyć czoło na odległość 2–5\u00a0cm od czujnika, temperatura 37,3\u00a0°C"
	style := widget.RichTextStyle{SizeName: sizeBody}
	testApp.Settings().SetTheme(newTheme())
	w := test.NewWindow(nil)
	defer w.Close()

	fyneSplits := 0
	for width := float32(120); width <= 700; width += 3 {
		rt := widget.NewRichText(&widget.TextSegment{Text: src, Style: style})
		rt.Wrapping = fyne.TextWrapWord
		w.SetContent(rt)
		rt.Resize(fyne.NewSize(width, 400))
		if splitsAtNoBreak(src, rowsOf(rt)) {
			fyneSplits++
		}
	}
	if fyneSplits == 0 {
		t.Fatal("no width made Fyne's own wrap split a number from its unit: the test cannot tell")
	}

	for width := float32(120); width <= 700; width += 3 {
		p := para(src, sizeBody, theme.ColorNameForeground, false, fyne.TextAlignLeading)
		w.SetContent(p)
		if width < p.MinSize().Width {
			continue // narrower than a word: that word must break somewhere
		}
		p.Resize(fyne.NewSize(width, 400))
		rows := rowsOf(p.rt)
		if splitsAtNoBreak(src, rows) {
			t.Errorf("at %.0f: %q splits a number from its unit", width, rows)
		}
		for _, r := range rows {
			if got := fyne.MeasureText(r, theme.SizeForWidget(sizeBody, p.rt), fyne.TextStyle{}).Width; got > width {
				t.Errorf("at %.0f: row %q is %.0f wide", width, r, got)
			}
		}
		if got := plain(strings.Join(rows, " ")); got != plain(src) {
			t.Errorf("at %.0f: shows %q, want %q", width, got, plain(src))
		}
	}
}

// TestParaMinSize: a paragraph asks for the width of its widest unbroken
// piece ("odległość", "2–5 cm") and for as many lines as it needs at the
// width it has.
func TestParaMinSize(t *testing.T) {
	src := "ab 2–5\u00a0cm ab"
	testApp.Settings().SetTheme(newTheme())
	p := para(src, sizeBody, theme.ColorNameForeground, false, fyne.TextAlignLeading)
	w := test.NewWindow(p)
	defer w.Close()
	size := theme.SizeForWidget(sizeBody, p.rt)
	piece := fyne.MeasureText("2–5\u00a0cm", size, fyne.TextStyle{}).Width
	pad := theme.SizeForWidget(theme.SizeNameInnerPadding, p.rt)
	if got := p.MinSize().Width; got < piece+2*pad || got > piece+2*pad+1 {
		t.Errorf("min width %.1f, want the unbroken piece's %.1f and padding", got, piece+2*pad)
	}
	p.Resize(fyne.NewSize(piece+2*pad+1, 400))
	if rows := rowsOf(p.rt); len(rows) != 3 {
		t.Errorf("at the narrowest: rows %q, want 3", rows)
	}
	tall := p.MinSize().Height
	p.Resize(fyne.NewSize(1000, 400))
	if rows := rowsOf(p.rt); len(rows) != 1 {
		t.Errorf("wide: rows %q, want 1", rows)
	}
	if short := p.MinSize().Height; short >= tall {
		t.Errorf("one line asks for %.0f, three for %.0f", short, tall)
	}
	p.SetText("changed 1\u00a0s")
	if got := plain(strings.Join(rowsOf(p.rt), " ")); got != "changed 1 s" {
		t.Errorf("after SetText shows %q", got)
	}
}
