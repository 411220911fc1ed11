package ui

import (
	"image"
	"testing"
	"time"

	"fyne.io/fyne/v2/driver/desktop"

	"github.com/thermogate/thermogate/kiosk"
)

// While the corner is held a ring fills: half way through the hold, about
// half of the ring is drawn in the primary colour; it is hidden on release.
func TestGuardCornerRingFills(t *testing.T) {
	h := newHarness(t, landscape, nil)
	var hs *hotspot
	for _, o := range h.objects() {
		if x, ok := o.obj.(*hotspot); ok {
			hs = x
		}
	}
	if hs == nil {
		t.Fatal("no guard hotspot on screen")
	}
	filled := func() float64 {
		img := hs.drawRing(100, 100).(*image.NRGBA)
		var on, ring int
		for i := 0; i < len(img.Pix); i += 4 {
			if img.Pix[i+3] == 0 {
				continue
			}
			ring++
			if img.Pix[i] == colPrimary.R && img.Pix[i+1] == colPrimary.G && img.Pix[i+2] == colPrimary.B && img.Pix[i+3] == 0xFF {
				on++
			}
		}
		return float64(on) / float64(ring)
	}
	hs.MouseDown(&desktop.MouseEvent{})
	if !hs.ring.Visible() || filled() > 0.02 {
		t.Fatalf("at the press: visible %v, filled %.2f", hs.ring.Visible(), filled())
	}
	h.clk.Advance(time.Second) // half of the 2 s hold
	if f := filled(); f < 0.45 || f > 0.55 {
		t.Fatalf("half way: %.2f of the ring filled", f)
	}
	h.clk.Advance(time.Second)
	if f := filled(); f < 0.98 {
		t.Fatalf("at the end of the hold: %.2f filled", f)
	}
	hs.MouseUp(&desktop.MouseEvent{})
	h.settle()
	if hs.ring.Visible() {
		t.Fatal("the ring stays after release")
	}
	h.want(kiosk.GuardPIN)
}

// A decision shows how long it stays (a bar that shrinks), a denial stays
// longer, and Done ends it at once.
func TestDecisionCountdownAndDone(t *testing.T) {
	h := newHarness(t, landscape, func(c *kiosk.Config) { c.Lang = "en"; c.Rule.Retest = false })
	toMeasure(h)
	h.forehead(36.51) // 38.0 °C: fever
	h.want(kiosk.Decided)
	h.mustShow("1664", "medical thermometer")
	full := h.ui.timeLeft.frac
	h.clk.Advance(kiosk.DefaultConfig().DenyTime / 2)
	h.ui.refreshTime()
	if half := h.ui.timeLeft.frac; full != 1 || half < 0.45 || half > 0.55 {
		t.Fatalf("the bar: %.2f at first, %.2f half way", full, half)
	}
	h.tap("Done")
	h.want(kiosk.Idle)
}

// "Clinical reading normal" is entered, not just claimed: the reason opens
// the clinical entry for the picked visitor, and its Confirm stores the
// reading for that visitor.
func TestClinicalNormalOpensTheClinicalEntry(t *testing.T) {
	h := newHarness(t, landscape, func(c *kiosk.Config) { c.Lang = "en"; c.Rule.Retest = false })
	toMeasure(h)
	h.forehead(36.51) // 38.0 °C: fever
	loggedIn(h)
	h.tapRow("AB12CD")
	h.tap("Admit visitor")
	h.tap("Clinical reading normal")
	h.mustShow("Clinical thermometer")
	for _, r := range "368" {
		h.tap(string(r))
	}
	h.tap("Save")
	h.mustShow("Save the clinical reading 36.8 °C for AB12CD?")
	h.tap("Confirm")
	h.want(kiosk.Decided)
	recs := h.store.Screenings()
	if last := recs[len(recs)-1]; last.Code != "AB12CD" || last.ClinicalC == nil || *last.ClinicalC != 36.8 || last.Decision != "admit" {
		t.Fatalf("stored %+v", last)
	}
}
