package ui

import (
	"image"
	"image/color"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// hotspot is the guard's discreet target: an invisible corner that opens the
// PIN pad when pressed for hold and released. On the Pi's X11 session a touch
// arrives as mouse down and up; measuring at release needs no timer. While
// it is held a ring fills in the corner, full when hold has passed: the
// guard sees that the press counts and when to let go.
type hotspot struct {
	widget.BaseWidget
	hold   time.Duration
	now    func() time.Time
	open   func()
	downAt time.Time
	ring   *canvas.Raster
	stop   chan struct{} // ends the ring's refreshes
}

func newHotspot(hold time.Duration, now func() time.Time, open func()) *hotspot {
	h := &hotspot{hold: hold, now: now, open: open}
	h.ExtendBaseWidget(h)
	return h
}

func (h *hotspot) CreateRenderer() fyne.WidgetRenderer {
	h.ring = canvas.NewRaster(h.drawRing)
	h.ring.Hide()
	return widget.NewSimpleRenderer(h.ring)
}

// MouseDown implements desktop.Mouseable.
func (h *hotspot) MouseDown(*desktop.MouseEvent) {
	h.downAt = h.now()
	if h.ring == nil {
		return
	}
	h.ring.Show()
	h.ring.Refresh()
	if h.stop == nil {
		stop := make(chan struct{})
		h.stop = stop
		go func() {
			t := time.NewTicker(50 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					fyne.Do(func() {
						if h.ring != nil && !h.downAt.IsZero() {
							h.ring.Refresh()
						}
					})
				}
			}
		}()
	}
}

// MouseUp implements desktop.Mouseable.
func (h *hotspot) MouseUp(*desktop.MouseEvent) {
	held := !h.downAt.IsZero() && h.now().Sub(h.downAt) >= h.hold
	h.downAt = time.Time{}
	if h.stop != nil {
		close(h.stop)
		h.stop = nil
	}
	if h.ring != nil {
		h.ring.Hide()
	}
	if held {
		h.open()
	}
}

// fraction is how much of the hold has passed, 0 to 1.
func (h *hotspot) fraction() float64 {
	if h.downAt.IsZero() || h.hold <= 0 {
		return 0
	}
	return min(1, float64(h.now().Sub(h.downAt))/float64(h.hold))
}

// drawRing draws the ring, filled clockwise from the top by fraction.
func (h *hotspot) drawRing(w, ht int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, ht))
	f := h.fraction()
	cx, cy := float64(w)/2, float64(ht)/2
	r := 0.4 * math.Min(float64(w), float64(ht))
	th := 0.12 * math.Min(float64(w), float64(ht))
	track := color.NRGBA{0x11, 0x11, 0x11, 0x40}
	for y := range ht {
		for x := range w {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			d := math.Hypot(dx, dy)
			if d < r-th/2 || d > r+th/2 {
				continue
			}
			a := math.Atan2(dx, -dy) // 0 at the top, clockwise
			if a < 0 {
				a += 2 * math.Pi
			}
			if a <= f*2*math.Pi {
				img.SetNRGBA(x, y, colPrimary)
			} else {
				img.SetNRGBA(x, y, track)
			}
		}
	}
	return img
}

var _ desktop.Mouseable = (*hotspot)(nil)
