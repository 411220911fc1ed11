package ui

import (
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/thermogate/thermogate/kiosk"
)

// frame is a visitor screen: a header and the body below.
func (u *UI) frame(title string, body fyne.CanvasObject, cancel bool) fyne.CanvasObject {
	return container.NewBorder(u.header(para(title, sizeHeadline, theme.ColorNameForeground, true, fyne.TextAlignLeading), cancel), nil, nil, nil, body)
}

// header puts Cancel (if wanted) and the language button beside what leads
// it; on a portrait panel they get a row of their own above it, or the
// headline would wrap into a column of single words.
func (u *UI) header(lead fyne.CanvasObject, cancel bool) fyne.CanvasObject {
	tools := container.NewHBox()
	if cancel {
		tools.Add(touch(button(u.t("common.cancel"), false, func() {
			u.flow.Cancel() // walking away from a retest stores a decision
		})))
	}
	if u.portrait() {
		// Cancel starts right of the guard's corner, which swallows taps.
		return container.NewVBox(container.NewBorder(nil, nil, container.NewHBox(cornerGap(), tools), u.langButton()), lead)
	}
	tools.Add(u.langButton())
	return container.NewBorder(nil, nil, nil, tools, lead)
}

// portrait reports whether the window is taller than wide: the 720×1280
// panel. Screen builders ask it when they build; the window's content (not
// the canvas, so that it is the very size rootLayout lays out) decides it.
// When the window turns (the first screen is built before the full-screen
// window has its size; a desk window is resized), rootLayout rebuilds the
// screen for the new orientation, without waiting for a change of state.
func (u *UI) portrait() bool {
	sz := u.root.Size()
	return sz.Height > sz.Width
}

// langButton opens the language chooser: a globe and the current language.
func (u *UI) langButton() fyne.CanvasObject {
	b := widget.NewButtonWithIcon(strings.ToUpper(string(u.st.Lang)), iconGlobe, func() {
		u.langOpen = true
		u.rebuild()
	})
	return atLeast(b, 1.5*TouchSize, TouchSize)
}

func (u *UI) languageScreen() fyne.CanvasObject {
	back := touch(button(u.t("common.back"), false, func() {
		u.langOpen = false
		u.rebuild()
	}))
	return container.NewBorder(
		clearOfCorner(para(u.t("idle.language"), sizeHeadline, theme.ColorNameForeground, true, fyne.TextAlignLeading)),
		container.NewHBox(back), nil, nil,
		u.languageButtons())
}

// languageButtons are the four languages by their own names; the current
// one is marked with a tick and a frame on a pale blue, not in the dark blue
// of the screen's main action (Start), which it would otherwise look like.
func (u *UI) languageButtons() fyne.CanvasObject {
	var bs []fyne.CanvasObject
	for _, l := range kiosk.Languages {
		tapped := func() {
			u.langOpen = false
			_ = u.flow.SetLang(l)
			u.rebuild() // the chooser closes now; the language follows with the flow's state
		}
		if l != u.st.Lang {
			bs = append(bs, touch(button(kiosk.LanguageNames[l], false, tapped)))
			continue
		}
		b := widget.NewButton(kiosk.LanguageNames[l], tapped)
		frame := canvas.NewRectangle(color.Transparent)
		frame.StrokeColor, frame.StrokeWidth, frame.CornerRadius = colText, 4, 8
		tick := container.New(tickCorner{}, icon(iconSelected, 20))
		bs = append(bs, touch(container.NewStack(container.NewThemeOverride(b, selectedTheme{newTheme()}), frame, tick)))
	}
	return container.New(keyGrid{2, 2}, bs...)
}

// tickCorner puts its object, small, in the top right-hand corner, clear of
// a button's centred label.
type tickCorner struct{}

func (tickCorner) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(fyne.NewSquareSize(20))
		o.Move(fyne.NewPos(size.Width-28, 6))
	}
}

func (tickCorner) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.Size{} }

// selectedTheme gives a button the chosen language's pale blue.
type selectedTheme struct{ fyne.Theme }

func (t selectedTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if n == theme.ColorNameButton {
		return colSelected
	}
	return t.Theme.Color(n, v)
}

func (u *UI) idleScreen() fyne.CanvasObject {
	step := func(res fyne.Resource, key string) fyne.CanvasObject {
		return container.NewBorder(nil, nil, icon(res, 44), nil, para(u.t(key), sizeBody, theme.ColorNameForeground, false, fyne.TextAlignLeading))
	}
	title := para(u.t("idle.title"), sizeHeadline, theme.ColorNameForeground, true, fyne.TextAlignLeading)
	steps := container.NewVBox(
		step(iconCode, "idle.step_code"),
		step(iconMask, "idle.step_mask"),
		step(iconDistance, "idle.step_distance"),
		step(iconHands, "idle.step_hands"),
	)
	start := button(u.t("idle.start"), true, u.flow.Start)
	hint := para(u.t("idle.scan_hint"), sizeSmall, theme.ColorNameForeground, false, fyne.TextAlignCenter)
	if u.portrait() { // Start beside the languages, as tall as both their rows
		return container.NewBorder(title, container.NewVBox(
			container.NewBorder(nil, nil, atLeast(start, 1.8*TouchSize, TouchSize), nil, u.languageButtons()), hint), nil, nil, steps)
	}
	return container.NewBorder(title, nil, nil, nil,
		newSplit(0.6, steps, container.NewVBox(atLeast(start, TouchSize, 1.2*TouchSize), hint, u.languageButtons())))
}

func (u *UI) codeScreen() fyne.CanvasObject {
	msg := u.t("code.hint")
	col := theme.ColorNameForeground
	switch {
	case u.full:
		msg, col = u.t("code.full", "max", fmt.Sprint(kiosk.MaxCodeLen)), theme.ColorNameError
	case u.st.Notice != "":
		msg, col = u.t("notice."+u.st.Notice), theme.ColorNameError
	}
	var message fyne.CanvasObject = para(msg, sizeSmall, col, col == theme.ColorNameError, fyne.TextAlignLeading)
	if u.st.Notice == kiosk.NoticeNotFound && !u.full {
		// Amber, not red: a typo to correct, not a refusal.
		box := canvas.NewRectangle(colRefer)
		box.CornerRadius = 8
		message = container.NewStack(box, container.NewPadded(para(msg, sizeBody, theme.ColorNameForegroundOnWarning, true, fyne.TextAlignLeading)))
	}
	ok := touch(button(u.t("code.ok"), true, func() {
		if len(u.code) > 0 {
			u.submitCode()
		}
	}))
	title := para(u.t("code.title"), sizeHeadline, theme.ColorNameForeground, true, fyne.TextAlignLeading)
	switch {
	case u.portrait():
		top := container.NewVBox(container.NewBorder(nil, nil, nil, ok, u.codeField()), message)
		if !u.letters {
			top = container.NewVBox(title, top)
		}
		return container.NewBorder(u.header(container.NewVBox(), true), nil, nil, nil, container.NewBorder(top, nil, nil, nil, u.keypad()))
	case u.letters:
		left := container.NewBorder(message, ok, nil, nil)
		return container.NewBorder(u.header(u.codeField(), true), nil, nil, nil, newSplit(0.2, left, u.keypad()))
	}
	left := container.NewBorder(container.NewVBox(u.codeField(), message), ok, nil, nil)
	return container.NewBorder(u.header(title, true), nil, nil, nil, newSplit(0.5, left, u.keypad()))
}

// codeField shows the code typed so far, large and spaced for reading.
func (u *UI) codeField() fyne.CanvasObject {
	size := float32(textHeadline)
	if len(u.code) > 10 {
		size = textBody
	}
	return entryField(string(u.code), size)
}

// entryField is a box showing what was typed; empty, it shows only a
// caret, so that nothing in it can be taken for a typed character (a "·"
// placeholder was, and a "–" read as a minus).
func entryField(shown string, size float32) fyne.CanvasObject {
	var inside fyne.CanvasObject
	if shown == "" {
		caret := canvas.NewRectangle(colPrimary)
		caret.SetMinSize(fyne.NewSize(4, size*1.2))
		inside = caret
	} else {
		txt := canvas.NewText(shown, theme.Color(theme.ColorNameForeground))
		txt.TextSize = size
		txt.TextStyle = fyne.TextStyle{Monospace: true, Bold: true}
		txt.Alignment = fyne.TextAlignCenter
		inside = txt
	}
	box := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	box.StrokeColor = theme.Color(theme.ColorNameInputBorder)
	box.StrokeWidth = 3
	box.CornerRadius = 8
	return atLeast(container.NewStack(box, container.NewCenter(inside)), 0, TouchSize)
}

// keypad is digits, or letters after "ABC": codes are 4–16 of A–Z and 0–9.
func (u *UI) keypad() fyne.CanvasObject {
	key := func(r rune) fyne.CanvasObject { return button(string(r), false, func() { u.keyTap(r) }) }
	del := widget.NewButtonWithIcon("", iconBackspace, u.deleteRune)
	var keys []fyne.CanvasObject
	if u.letters {
		for r := 'A'; r <= 'Z'; r++ {
			keys = append(keys, key(r))
		}
		keys = append(keys, button(u.t("code.digits"), false, func() { u.letters = false; u.rebuild() }), del)
		return container.New(keyGrid{5, 7}, keys...)
	}
	for _, r := range "123456789" {
		keys = append(keys, key(r))
	}
	keys = append(keys, button(u.t("code.letters"), false, func() { u.letters = true; u.rebuild() }), key('0'), del)
	return container.New(keyGrid{3, 3}, keys...)
}

// symptomsScreen asks the question; Yes and No look different and stand
// far apart, and a Yes, which means no entry today, asks to confirm.
func (u *UI) symptomsScreen() fyne.CanvasObject {
	gap := canvas.NewRectangle(color.Transparent)
	gap.SetMinSize(fyne.NewSize(1.5*TouchSize, 1.5*TouchSize))
	pair := func(a, b fyne.CanvasObject) fyne.CanvasObject {
		if u.portrait() {
			return container.NewCenter(container.NewVBox(a, gap, b))
		}
		return container.NewCenter(container.NewHBox(a, gap, b))
	}
	if u.st.Notice == kiosk.NoticeConfirmYes {
		change := widget.NewButtonWithIcon(u.t("symptoms.change"), theme.NavigateBackIcon(), u.flow.ChangeAnswer)
		change.Importance = widget.HighImportance
		confirm := decisionButton(u.t("symptoms.confirm_yes"), iconDeny, widget.DangerImportance, u.flow.ConfirmSymptoms)
		return u.frame(u.t("symptoms.confirm"), pair(atLeast(change, 3*TouchSize, 1.4*TouchSize), atLeast(confirm, 3*TouchSize, 1.4*TouchSize)), true)
	}
	yes := button(u.t("symptoms.yes"), false, func() { u.flow.AnswerSymptoms(true) })
	yes.Importance = widget.WarningImportance
	no := button(u.t("symptoms.no"), true, func() { u.flow.AnswerSymptoms(false) })
	return u.frame(u.t("symptoms.question"), pair(atLeast(yes, 2*TouchSize, 1.6*TouchSize), atLeast(no, 2*TouchSize, 1.6*TouchSize)), true)
}

func (u *UI) measureScreen() fyne.CanvasObject {
	status, statusCol := u.t("measure.waiting"), theme.ColorNameForeground
	switch {
	case u.st.Progress.Present:
		status = u.t("measure.measuring")
	case u.st.Notice != "":
		status, statusCol = u.t("notice."+u.st.Notice), theme.ColorNameError
	}
	u.progress = widget.NewProgressBar()
	u.progress.TextFormatter = func() string { return "" }
	u.progress.SetValue(u.st.Progress.Fraction)
	// "Attempt n of 3" only once there was a first: at the first it only worries.
	attempt := ""
	if u.st.Attempt > 1 {
		attempt = u.t("measure.attempt", "n", fmt.Sprint(u.st.Attempt), "max", fmt.Sprint(u.st.Kiosk.MaxAttempts))
	}
	if u.st.Retest {
		attempt = strings.TrimSuffix(u.t("measure.retest")+" · "+attempt, " · ")
	}
	lines := container.NewVBox(
		para(u.t("measure.instruction")+" "+u.t("measure.where."+u.opts.SensorSide), sizeBody, theme.ColorNameForeground, true, fyne.TextAlignLeading),
		para(status, sizeBody, statusCol, statusCol == theme.ColorNameError, fyne.TextAlignLeading),
	)
	// One row under the bar: the seconds left of the attempt, the attempt.
	var left, count fyne.CanvasObject
	if !u.st.Progress.Present && !u.st.AttemptFrom.IsZero() && u.st.Kiosk.AttemptTime > 0 {
		// Each attempt waits so long for a forehead: the visitor sees it run.
		u.attemptLeft = line("", sizeBody, theme.ColorNameForeground, true, fyne.TextAlignLeading)
		left = u.attemptLeft
	}
	if attempt != "" {
		count = container.NewCenter(line(attempt, sizeSmall, theme.ColorNameForeground, false, fyne.TextAlignTrailing))
	}
	lines.Add(atLeast(u.progress, 0, 36))
	if left != nil || count != nil {
		lines.Add(container.NewBorder(nil, nil, left, count))
	}
	return u.frame(u.t("measure.title"), newSplit(0.28, u.measureGuide(), lines), true)
}

func (u *UI) retestScreen() fyne.CanvasObject {
	u.countdown = para("", sizeHeadline, theme.ColorNameForeground, true, fyne.TextAlignCenter)
	body := container.NewBorder(nil,
		para(u.t("fever.clinical_hint"), sizeSmall, theme.ColorNameForeground, false, fyne.TextAlignLeading), nil, nil,
		container.NewVBox(
			para(u.t("retest.body"), sizeBody, theme.ColorNameForeground, false, fyne.TextAlignLeading),
			u.countdown,
		))
	return u.frame(u.t("retest.title"), body, false)
}

func (u *UI) decisionScreen() fyne.CanvasObject {
	out := u.st.Outcome
	fg, res := theme.ColorNameForegroundOnWarning, iconHand // on amber: see background
	switch out.Decision {
	case kiosk.Admit:
		fg, res = theme.ColorNameForegroundOnSuccess, iconAdmit
	case kiosk.Deny:
		fg, res = theme.ColorNameForegroundOnError, iconDeny
	}
	lines := []fyne.CanvasObject{para(u.t("decision."+string(out.Decision)), sizeHuge, fg, true, fyne.TextAlignLeading)}
	if out.Shown != nil && u.showsTemperature(out.Decision) {
		// Smaller on an admit: the decision is what matters, and the queue can read it.
		size := sizeHeadline
		if out.Decision == kiosk.Admit {
			size = sizeBody
		}
		lines = append(lines, para(u.t("decision.temperature", "t", u.temp(out.Shown.Celsius())), size, fg, out.Decision != kiosk.Admit, fyne.TextAlignLeading))
	}
	lines = append(lines,
		para(u.reasonText(out), sizeBody, fg, false, fyne.TextAlignLeading),
		para(u.nextText(out), sizeBody, fg, true, fyne.TextAlignLeading))
	feverHint := out.Decision == kiosk.Deny && out.Reason == kiosk.ReasonFever && out.Guard == ""
	if phone := u.st.Kiosk.BookingPhone; phone != "" && u.portrait() && !feverHint && strings.Contains(u.nextText(out), phone) {
		// The number to note, large; the 800×480 panel (and a fever denial,
		// with its thermometer hint) has no room for it twice, and the
		// sentence above has it in bold.
		lines = append(lines, para(phone, sizeHeadline, fg, true, fyne.TextAlignLeading))
	}
	if feverHint {
		// A skin reading is a screen: a medical thermometer confirms it (IEC 80601-2-59).
		lines = append(lines, para(u.t("fever.clinical_hint"), sizeSmall, fg, false, fyne.TextAlignLeading))
	}
	u.timeLeft = newTimeBar(fg)
	u.refreshTime()
	done := atLeast(button(u.t("decision.done"), false, u.flow.Done), 1.5*TouchSize, TouchSize)
	side := container.NewVBox(icon(res, 130), container.NewHBox(u.langButton()), done)
	if u.portrait() { // the buttons beside the icon: the words need the height
		side = container.NewBorder(nil, nil, icon(res, 130), container.NewVBox(u.langButton(), done))
	}
	return container.NewBorder(nil, u.timeLeft.c, nil, nil, newSplit(0.22, side, container.NewVBox(lines...)))
}

// reasonText says why, in plain words.
func (u *UI) reasonText(out *kiosk.Outcome) string {
	return u.t("reason."+string(out.Reason), "threshold", u.temp(u.st.Kiosk.ThresholdC))
}

// nextText says what to do now.
func (u *UI) nextText(out *kiosk.Outcome) string {
	at := ""
	if !u.st.Slot.IsZero() {
		k := u.st.Kiosk
		at = u.st.Slot.Add(-time.Duration(k.EarlyMin) * time.Minute).In(k.Location).Format("15:04")
	}
	return u.t("next."+string(out.Reason), "phone", u.st.Kiosk.BookingPhone, "time", at)
}

// temp formats °C with one decimal, with the decimal comma Lithuanian,
// Polish and Russian readers expect.
func (u *UI) temp(c float64) string { return u.tempIn(u.st.Lang, c) }

// tempIn formats °C for lang (the guard's screens use the kiosk's language).
func (u *UI) tempIn(lang kiosk.Lang, c float64) string {
	s := fmt.Sprintf("%.1f", c)
	if lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// outOfServiceScreen says "please wait" in all four languages at once:
// nothing changes on it while the kiosk is out of service, so it has no
// language button, and whoever comes reads their own. The kiosk's own
// language comes first; the cause, for the guard, last and small.
func (u *UI) outOfServiceScreen() fyne.CanvasObject {
	langs := []kiosk.Lang{u.st.Kiosk.Lang}
	for _, l := range kiosk.Languages {
		if l != u.st.Kiosk.Lang {
			langs = append(langs, l)
		}
	}
	fg := theme.ColorNameForegroundOnWarning
	var lines []fyne.CanvasObject
	for _, l := range langs {
		// The title in bold, its words below it.
		size := sizeBody
		if !u.portrait() {
			size = sizeSmall // four of them two by two on 800×480
		}
		lines = append(lines, container.New(tight{}, para(u.cat.T(l, "oos.title"), sizeBody, fg, true, fyne.TextAlignLeading),
			para(u.cat.T(l, "oos.body"), size, fg, false, fyne.TextAlignLeading)))
	}
	cause := para(u.tg("oos.cause."+u.st.OutOfService), sizeSmall, fg, false, fyne.TextAlignLeading)
	if u.portrait() { // one below the other, the hand beside the first
		// A smaller hand than on the wide panel: the first language's title
		// keeps to one line beside it ("Пожалуйста, подождите" wrapped
		// beside a 100-unit hand, and with a two-line cause the screen
		// needed 764 units of the panel's 753).
		lines[0] = container.NewBorder(nil, nil, nil, icon(iconHand, 72), lines[0])
		return container.NewBorder(nil, cause, nil, nil, container.NewVBox(lines...))
	}
	// Two by two on the 800×480 panel, the hand beside them.
	text := container.NewBorder(nil, cause, nil, nil, container.NewGridWithColumns(2, lines...))
	return newSplit(0.15, container.NewVBox(icon(iconHand, 100)), text)
}

// tight stacks its objects from the top with no gap between them: a title
// and its paragraph, whose texts have margins of their own.
type tight struct{}

func (tight) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	y := float32(0)
	for _, o := range objs {
		o.Resize(fyne.NewSize(size.Width, o.MinSize().Height))
		h := o.MinSize().Height // wrapped text knows its height once it knows its width
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h
	}
}

func (tight) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		m := o.MinSize()
		s = fyne.NewSize(max(s.Width, m.Width), s.Height+m.Height)
	}
	return s
}
