package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"

	"github.com/thermogate/thermogate/kiosk"
)

// The values of Options.ShowTemperature: ui.show_temperature.
const (
	ShowTemperatureAlways   = "true"      // on every result, smaller on an admit
	ShowTemperatureNever    = "false"     // never: the decision is what matters
	ShowTemperatureDenyOnly = "deny_only" // on a denial only
)

// showsTemperature reports whether the result screen shows the visitor's
// temperature for decision d; the queue can read the screen.
func (u *UI) showsTemperature(d kiosk.Decision) bool {
	switch u.opts.ShowTemperature {
	case ShowTemperatureNever:
		return false
	case ShowTemperatureDenyOnly:
		return d == kiosk.Deny
	}
	return true
}

// pictogram is a head in profile with its forehead 2–5 cm from the sensor,
// the infrared beam between them: a vector drawing, sharp at any size.
// The sensor is on the side of the head it is on, seen from the visitor
// (left or right; above or below the screen it stands in front of them,
// and the arrow beside says where).
func pictogram(side string) fyne.Resource {
	mirror := ""
	if side == "left" {
		mirror = ` transform="translate(200 0) scale(-1 1)"`
	}
	body := `<g` + mirror + `>
<path d="M58 10 C34 10 16 28 16 52 C16 70 24 82 34 90 L34 118 L80 118 L80 104 L90 104 C95 104 97 100 97 96 L97 88 L102 86 C105 85 105 82 103 79 L97 68 C99 56 99 46 97 38 C93 21 80 10 58 10 Z" fill="#0B3D91"/>
<path d="M146 43 L104 26 M146 43 L104 43 M146 43 L104 60" stroke="#C25E00" stroke-width="4" stroke-dasharray="7 5" stroke-linecap="round" fill="none"/>
<rect x="146" y="22" width="34" height="42" rx="6" fill="#111"/>
<circle cx="150" cy="43" r="7" fill="#fff"/><circle cx="150" cy="43" r="3.5" fill="#111"/>
<path d="M99 12 H146 M99 5 V19 M146 5 V19" stroke="#111" stroke-width="4" stroke-linecap="round" fill="none"/>
</g>`
	return fyne.NewStaticResource("forehead-"+side+".svg", []byte(
		`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 120" width="200" height="120">`+body+`</svg>`))
}

// iconClock is the early visitor's: a clock face, the time on screen is
// what matters.
var iconClock = svg("clock", `<circle cx="50" cy="50" r="42" fill="none" stroke="#111" stroke-width="9"/>
<path d="M50 24 V50 L68 62" fill="none" stroke="#111" stroke-width="9" stroke-linecap="round" stroke-linejoin="round"/>`)

// measureGuide is the Measure screen's picture: the forehead at the
// sensor with the distance under the beam, and the arrow to the sensor.
func (u *UI) measureGuide() fyne.CanvasObject {
	pic := canvas.NewImageFromResource(pictogram(u.opts.SensorSide))
	pic.FillMode = canvas.ImageFillContain
	pic.SetMinSize(fyne.NewSize(200, 120))
	dist := para(u.t("measure.distance"), sizeBody, theme.ColorNameForeground, true, fyne.TextAlignCenter)
	arrow := container.NewCenter(icon(arrowIcon(u.opts.SensorSide), 64))
	if u.portrait() { // the height is for the words
		return container.NewCenter(container.NewHBox(container.NewVBox(pic, dist), arrow))
	}
	return container.NewVBox(pic, dist, arrow)
}

// earlyScreen tells a visitor who came before their booking's window when
// it opens. Nothing is stored. While the kiosk waits (the window opens
// within kiosk.EarlyWait) it counts down and goes on by itself; otherwise
// it asks them to come back and returns to the start. Once the window has
// opened with no symptoms question to ask (State.Ready), it waits for the
// visitor to tap Start.
func (u *UI) earlyScreen() fyne.CanvasObject {
	k := u.st.Kiosk
	fg := theme.ColorNameForegroundOnWarning // on amber: a time to wait for, not a refusal
	at := func(t time.Time) string { return t.In(k.Location).Format("15:04") }
	booking := u.t("early.booking_time", "time", at(u.st.Slot))
	if u.st.Service != "" {
		booking = u.t("early.booking", "service", u.st.Service, "time", at(u.st.Slot))
	}
	title := u.t("early.title", "time", at(u.st.Opens))
	if u.st.Ready {
		title = u.t("early.ready")
	}
	lines := []fyne.CanvasObject{
		para(title, sizeHuge, fg, true, fyne.TextAlignLeading),
		para(booking, sizeBody, fg, false, fyne.TextAlignLeading),
	}
	var bar fyne.CanvasObject
	switch {
	case u.st.Ready: // no time to count: the input timeout, as on the code screen
		start := button(u.t("idle.start"), true, u.flow.Start)
		lines = append(lines, para(u.t("early.ready_hint"), sizeBody, fg, true, fyne.TextAlignLeading),
			container.NewHBox(atLeast(start, 3*TouchSize, 1.4*TouchSize)))
	case u.st.Waiting():
		u.countdown = para("", sizeHeadline, fg, true, fyne.TextAlignLeading)
		lines = append(lines, para(u.t("early.wait"), sizeBody, fg, true, fyne.TextAlignLeading), u.countdown)
	default:
		lines = append(lines, para(u.t("early.come_back"), sizeBody, fg, true, fyne.TextAlignLeading))
	}
	if !u.st.Ready {
		u.timeLeft = newTimeBar(fg)
		bar = u.timeLeft.c
	}
	cancel := touch(button(u.t("common.cancel"), false, u.flow.Cancel))
	if !u.st.Waiting() && !u.st.Ready {
		cancel = atLeast(button(u.t("decision.done"), false, u.flow.Done), 1.5*TouchSize, TouchSize)
	}
	side := container.NewVBox(icon(iconClock, 110), container.NewHBox(u.langButton()), cancel)
	if u.portrait() {
		side = container.NewBorder(nil, nil, container.NewHBox(cornerGap(), icon(iconClock, 110)), container.NewVBox(u.langButton(), cancel))
	}
	return container.NewBorder(nil, bar, nil, nil, newSplit(0.22, side, container.NewVBox(append(lines, layout.NewSpacer())...)))
}

// earlyLeft is the time until the window opens in minutes and seconds,
// each with its unit ("2 min 59 s", "1 min", "45 s"): "2:59" could read as
// a time of day.
func (u *UI) earlyLeft(d time.Duration) string {
	s := int((max(0, d) + time.Second - 1) / time.Second)
	m, sec := fmt.Sprint(s/60), fmt.Sprint(s%60)
	switch {
	case s < 60:
		return u.t("early.left_s", "s", sec)
	case s%60 == 0:
		return u.t("early.left_m", "m", m)
	}
	return u.t("early.left_ms", "m", m, "s", sec)
}

// refreshEarly updates the early screen's countdown and bar: the wait's bar
// runs over kiosk.EarlyWait, the come-back screen's over the deny time.
func (u *UI) refreshEarly() {
	left := u.st.Until.Sub(u.opts.Clock.Now())
	total := u.st.Kiosk.DenyTime
	if u.st.Waiting() {
		total = kiosk.EarlyWait
		setText(u.countdown, u.t("early.countdown", "left", u.earlyLeft(left)))
	}
	if u.timeLeft != nil && total > 0 {
		u.timeLeft.set(max(0, min(1, float64(left)/float64(total))))
	}
}

// refreshAttempt updates the Measure screen's "n s left" while it waits
// for a forehead.
func (u *UI) refreshAttempt() {
	if u.attemptLeft == nil {
		return
	}
	left := u.st.AttemptFrom.Add(u.st.Kiosk.AttemptTime).Sub(u.opts.Clock.Now())
	secs := int((max(0, left) + time.Second - 1) / time.Second)
	setText(u.attemptLeft, u.t("measure.time_left", "s", fmt.Sprint(secs)))
}

// setText replaces a paragraph's text, if there is the paragraph.
func setText(t *text, s string) {
	if t != nil {
		t.SetText(s)
	}
}
