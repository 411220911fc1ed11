package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// text is a paragraph that breaks lines at ordinary spaces only. Fyne's own
// word wrap breaks at any rune unicode.IsSpace accepts, and that includes
// the no-break space (U+00A0) the catalogs put between a number and its
// unit and after a one-letter Polish word: "38,2 °C" could end one line
// with "38,2" and start the next with "°C". text breaks the lines itself
// for the width it is given and hands Fyne lines that fit, so Fyne has no
// break left to make. A piece wider than the whole width (one long word)
// is left to Fyne, which breaks it wherever it must; the screen tests catch
// that.
type text struct {
	widget.BaseWidget
	rt    *widget.RichText
	seg   *widget.TextSegment
	src   string  // as given, no-break spaces kept
	wrap  bool    // break into lines; off: one line, as long as it is
	width float32 // the width the lines were last broken for
}

func newText(s string, style widget.RichTextStyle, wrap bool) *text {
	seg := &widget.TextSegment{Text: s, Style: style}
	rt := widget.NewRichText(seg)
	rt.Wrapping = fyne.TextWrapOff
	if wrap {
		rt.Wrapping = fyne.TextWrapWord // only for a piece wider than the width
	}
	t := &text{rt: rt, seg: seg, src: s, wrap: wrap, width: -1}
	t.ExtendBaseWidget(t)
	return t
}

// String is the text as given, as widget.RichText's String is.
func (t *text) String() string { return t.src }

// SetText replaces the text.
func (t *text) SetText(s string) {
	if s == t.src {
		return
	}
	t.src = s
	t.width = -1
	t.rewrap(t.Size().Width)
	t.Refresh()
}

func (t *text) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(t.rt) }

// MinSize is as wide as the widest piece that cannot be broken and as tall
// as the lines at the current width.
func (t *text) MinSize() fyne.Size {
	t.ExtendBaseWidget(t)
	m := t.rt.MinSize()
	if t.wrap {
		w := float32(0)
		for _, piece := range pieces(t.src) {
			w = max(w, t.measure(piece))
		}
		m.Width = w + 2*t.pad()
	}
	return m
}

func (t *text) Resize(s fyne.Size) {
	t.rewrap(s.Width)
	t.BaseWidget.Resize(s)
}

func (t *text) Refresh() {
	t.rt.Refresh()
	t.BaseWidget.Refresh()
}

func (t *text) pad() float32 { return theme.SizeForWidget(theme.SizeNameInnerPadding, t.rt) }

func (t *text) measure(s string) float32 {
	size := theme.SizeForWidget(theme.SizeNameText, t.rt)
	if t.seg.Style.SizeName != "" {
		size = theme.SizeForWidget(t.seg.Style.SizeName, t.rt)
	}
	return fyne.MeasureText(s, size, t.seg.Style.TextStyle).Width
}

// rewrap breaks the text into the lines that fit width.
func (t *text) rewrap(width float32) {
	if width == t.width {
		return
	}
	t.width = width
	lines := t.src
	if t.wrap && width > 0 {
		lines = breakLines(t.src, width-2*t.pad(), t.measure)
	}
	if lines != t.seg.Text {
		t.seg.Text = lines
		t.rt.Refresh()
	}
}

// pieces are the parts of s no line may break inside: what lies between
// ordinary spaces and line ends.
func pieces(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\n' })
}

// breakLines puts as many words on each line as fit avail, breaking at
// ordinary spaces only; a line break in s stays one.
func breakLines(s string, avail float32, measure func(string) float32) string {
	var b strings.Builder
	for i, para := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		line := ""
		for _, w := range strings.Split(para, " ") {
			switch {
			case line == "":
				line = w
			case measure(line+" "+w) <= avail:
				line += " " + w
			default:
				b.WriteString(line)
				b.WriteByte('\n')
				line = w
			}
		}
		b.WriteString(line)
	}
	return b.String()
}
