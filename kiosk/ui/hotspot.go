package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// hotspot is the guard's discreet target: an invisible corner that opens the
// PIN pad when pressed for hold and released. On the Pi's X11 session a touch
// arrives as mouse down and up; measuring at release needs no timer.
type hotspot struct {
	widget.BaseWidget
	hold   time.Duration
	now    func() time.Time
	open   func()
	downAt time.Time
}

func newHotspot(hold time.Duration, now func() time.Time, open func()) *hotspot {
	h := &hotspot{hold: hold, now: now, open: open}
	h.ExtendBaseWidget(h)
	return h
}

func (h *hotspot) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(widget.NewLabel(""))
}

// MouseDown implements desktop.Mouseable.
func (h *hotspot) MouseDown(*desktop.MouseEvent) { h.downAt = h.now() }

// MouseUp implements desktop.Mouseable.
func (h *hotspot) MouseUp(*desktop.MouseEvent) {
	held := !h.downAt.IsZero() && h.now().Sub(h.downAt) >= h.hold
	h.downAt = time.Time{}
	if held {
		h.open()
	}
}

var _ desktop.Mouseable = (*hotspot)(nil)
