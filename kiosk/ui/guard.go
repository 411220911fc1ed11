package ui

import (
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/thermogate/thermogate/kiosk"
)

func (u *UI) guardFrame(title string, body fyne.CanvasObject, bottom ...fyne.CanvasObject) fyne.CanvasObject {
	return container.NewBorder(clearOfCorner(para(title, sizeBody, theme.ColorNameForeground, true, fyne.TextAlignLeading)),
		container.NewHBox(bottom...), nil, nil, body)
}

func (u *UI) closeGuard() fyne.CanvasObject {
	return touch(button(u.tg("common.cancel"), false, u.guardDo(queued(u.flow.GuardClose))))
}

func (u *UI) guardPINScreen() fyne.CanvasObject {
	if u.guardName == "" {
		return u.guardNamesScreen()
	}
	msg, col := u.tg("guard.enter_pin", "name", u.guardName), theme.ColorNameForeground
	switch {
	case u.checking || u.st.Checking:
		msg = u.tg("guard.checking")
	case u.st.Notice == kiosk.NoticeLocked:
		msg, col = u.tg("notice.locked", "time", u.st.Until.In(u.st.Kiosk.Location).Format("15:04:05")), theme.ColorNameError
	case u.st.Notice == kiosk.NoticeWrongPIN:
		msg, col = u.tg("notice.wrong_pin")+" "+u.tg("guard.tries_left", "n", strconv.Itoa(u.st.TriesLeft))+" "+
			u.tg("guard.enter_pin", "name", u.guardName), theme.ColorNameError
	case u.guardErr != "":
		msg, col = u.guardErr, theme.ColorNameError
	}
	dots := strings.TrimSpace(strings.Repeat("● ", len(u.pin)))
	back := touch(button(u.tg("common.back"), false, func() {
		u.guardName, u.pin = "", nil
		u.rebuild()
	}))
	left := container.NewBorder(container.NewVBox(
		para(msg, sizeBody, col, col == theme.ColorNameError, fyne.TextAlignLeading),
		entryField(dots, textHeadline),
	), container.NewGridWithColumns(2, back, u.closeGuard()), nil, nil)
	var keys []fyne.CanvasObject
	for _, r := range "123456789" {
		keys = append(keys, button(string(r), false, func() { u.pinKey(r) }))
	}
	del := widget.NewButtonWithIcon("", iconBackspace, func() {
		if len(u.pin) > 0 {
			u.pin = u.pin[:len(u.pin)-1]
			u.rebuild()
		}
	})
	ok := button(u.tg("code.ok"), true, u.submitPIN)
	if u.checking || u.st.Checking || u.st.Notice == kiosk.NoticeLocked {
		ok.Disable()
	}
	keys = append(keys, del, button("0", false, func() { u.pinKey('0') }), ok)
	return u.guardFrame(u.tg("guard.title"), newSplit(0.4, left, container.New(keyGrid{3, 3}, keys...)))
}

func (u *UI) guardNamesScreen() fyne.CanvasObject {
	names := u.st.Guards
	var body fyne.CanvasObject
	switch {
	case u.st.GuardsErr != "":
		body = para(u.tg("guard.error", "error", u.st.GuardsErr), sizeBody, theme.ColorNameError, true, fyne.TextAlignLeading)
	case len(names) == 0:
		body = para(u.tg("guard.no_guards"), sizeBody, theme.ColorNameForeground, false, fyne.TextAlignLeading)
	default:
		var bs []fyne.CanvasObject
		for _, n := range names {
			bs = append(bs, touch(button(n, false, func() {
				u.guardName = n
				u.rebuild()
			})))
		}
		body = container.NewVScroll(container.New(layout2col{}, bs...))
	}
	return u.guardFrame(u.tg("guard.choose_name"), body, u.closeGuard())
}

func (u *UI) pinKey(r rune) {
	if len(u.pin) < 8 && !u.checking && !u.st.Checking {
		u.pin = append(u.pin, r)
		u.rebuild()
	}
}

// submitPIN hands the PIN to the flow, which checks it off the UI thread:
// argon2id takes a noticeable moment on a Raspberry Pi, on purpose. The
// screen says "checking" until the flow's next state.
func (u *UI) submitPIN() {
	if len(u.pin) == 0 || u.checking || u.st.Checking {
		return
	}
	name, pin := u.guardName, string(u.pin)
	u.pin, u.checking, u.guardErr = nil, true, ""
	u.rebuild()
	u.flow.GuardLogin(name, pin)
}

// guardMenuScreen lists whom the guard can act for; nothing is picked for
// them: Admit and Deny wait until the guard taps a visitor.
func (u *UI) guardMenuScreen() fyne.CanvasObject {
	switch u.page {
	case "admit", "walk_in":
		return u.reasonPage(kiosk.AdmitReasons)
	case "deny":
		return u.reasonPage(kiosk.DenyReasons)
	case "clinical":
		return u.clinicalPage()
	case "confirm":
		if u.confirm != nil {
			return u.confirmPage()
		}
	}
	page := func(p string) func() { return func() { u.page, u.guardErr = p, ""; u.rebuild() } }
	var rows []fyne.CanvasObject
	for _, v := range u.st.Visitors {
		picked := u.st.HasVisitor && v.Code == u.st.Code
		rows = append(rows, u.visitorRow(v, picked))
	}
	msg := u.tg("guard.pick")
	if len(rows) == 0 {
		msg = u.tg("guard.nobody")
	}
	none := !u.st.HasVisitor // Admit and Deny wait until the guard taps a visitor
	actions := []fyne.CanvasObject{
		wrapButton(u.tg("guard.admit"), iconAdmit, widget.SuccessImportance, none, page("admit")),
		wrapButton(u.tg("guard.deny"), iconDeny, widget.DangerImportance, none, page("deny")),
		wrapButton(u.tg("guard.clinical"), nil, widget.MediumImportance, false, page("clinical")),
		wrapButton(u.tg("guard.walk_in"), nil, widget.MediumImportance, false, page("walk_in")),
	}
	serviceKey, serviceDo := "guard.out_of_service", u.guardDo(queued(u.flow.GuardOutOfService))
	if u.st.Resume == kiosk.OutOfService {
		serviceKey, serviceDo = "guard.in_service", u.guardDo(queued(u.flow.GuardBackInService))
	}
	logout := atLeast(button(u.tg("guard.logout"), false, u.guardDo(queued(u.flow.GuardClose))), 2*TouchSize, TouchSize)
	top := []fyne.CanvasObject{u.guardMessage(msg)}
	if u.st.Signals != "" { // the speaker, the door or a lamp fails: the guard should know
		top = append(top, para(u.tg("guard.signals", "error", u.st.Signals), sizeBody, theme.ColorNameWarning, false, fyne.TextAlignLeading))
	}
	// The list shows as many visitors as fit, a page at a time: no scrolling.
	list := container.NewBorder(container.NewVBox(top...), nil, nil, nil, u.pagedList(rows))
	title := para(u.tg("guard.menu_title", "name", u.st.Guard), sizeBody, theme.ColorNameForeground, true, fyne.TextAlignLeading)
	if u.portrait() { // two columns: Admit and Deny with their icons above their words
		actions[0] = wrapButtonIcon(u.tg("guard.admit"), iconAdmit, true, widget.SuccessImportance, none, page("admit"))
		actions[1] = wrapButtonIcon(u.tg("guard.deny"), iconDeny, true, widget.DangerImportance, none, page("deny"))
		actions = append(actions, wrapButton(u.tg(serviceKey), nil, widget.MediumImportance, false, serviceDo))
		head := container.NewBorder(nil, nil, nil, logout, clearOfCorner(title))
		return container.NewBorder(head, container.New(layout2col{two: true}, actions...), nil, nil, list)
	}
	// 800×480: the visitors on the left, the four decisions in a column on
	// the right, service and log out beside the title.
	service := atLeast(button(u.tg(serviceKey), false, serviceDo), 2*TouchSize, TouchSize)
	head := container.NewBorder(nil, nil, nil, container.NewHBox(service, logout), clearOfCorner(title))
	return container.NewBorder(head, nil, nil, nil, newSplit(0.45, list, container.New(column{}, actions...)))
}

// wrapButton is a button whose label wraps onto a second line where a
// translation is long (the guard's buttons: "Измерение медицинским
// термометром" is 514 units wide in one line). The label is a text over a
// blank button; the harness taps it by that text.
func wrapButton(label string, res fyne.Resource, imp widget.Importance, disabled bool, tapped func()) fyne.CanvasObject {
	return wrapButtonIcon(label, res, false, imp, disabled, tapped)
}

// wrapButtonIcon is wrapButton with its icon above the words, where the
// button is narrow, rather than beside them.
func wrapButtonIcon(label string, res fyne.Resource, above bool, imp widget.Importance, disabled bool, tapped func()) fyne.CanvasObject {
	b := widget.NewButton("", tapped)
	b.Importance = imp
	fg := map[widget.Importance]fyne.ThemeColorName{
		widget.HighImportance: theme.ColorNameForegroundOnPrimary, widget.SuccessImportance: theme.ColorNameForegroundOnSuccess,
		widget.DangerImportance: theme.ColorNameForegroundOnError, widget.WarningImportance: theme.ColorNameForegroundOnWarning,
	}[imp]
	if fg == "" {
		fg = theme.ColorNameForeground
	}
	if disabled {
		b.Disable()
		fg = theme.ColorNameDisabled
	}
	var content fyne.CanvasObject = para(label, sizeGuardButton, fg, true, fyne.TextAlignCenter)
	if res != nil {
		img := icon(res, 32)
		if disabled {
			img = icon(theme.NewDisabledResource(res), 32)
		}
		if above {
			content = container.NewVBox(container.NewCenter(img), content)
		} else {
			content = container.NewBorder(nil, nil, container.NewCenter(img), nil, content)
		}
	}
	// As wide as its longest word at least: a word is never broken.
	w := float32(0)
	for _, word := range strings.Fields(label) {
		w = max(w, fyne.MeasureText(word, textGuardButton, fyne.TextStyle{Bold: true}).Width)
	}
	w += 4 * pad // the text's own margins and the button's
	if res != nil && !above {
		w += 32 + pad
	}
	return atLeast(container.NewStack(b, container.New(vcenter{}, content)), max(TouchSize, w), TouchSize)
}

// vcenter lays its one object out at full width, less padding, at the
// height it then needs, centred from top to bottom.
type vcenter struct{}

func (vcenter) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		w := max(0, size.Width-2*pad)
		o.Resize(fyne.NewSize(w, size.Height))
		h := min(o.MinSize().Height, size.Height)
		o.Resize(fyne.NewSize(w, h))
		o.Move(fyne.NewPos(pad, (size.Height-h)/2))
	}
}

func (vcenter) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s.AddWidthHeight(2*pad, 0)
}

// column stacks touch targets from the top, each TouchSize high or, if
// there is more room, sharing it up to 1.3 times that.
type column struct{}

func (column) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	n := float32(len(objs))
	h := min(1.3*TouchSize, (size.Height-pad*(n-1))/n)
	for i, o := range objs {
		o.Move(fyne.NewPos(0, float32(i)*(h+pad)))
		o.Resize(fyne.NewSize(size.Width, h))
	}
}

func (column) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w float32
	for _, o := range objs {
		w = max(w, o.MinSize().Width)
	}
	n := float32(len(objs))
	return fyne.NewSize(w, n*TouchSize+(n-1)*pad)
}

// pagedList shows the visitors' rows a page at a time, as many as fit
// its height, with up and down arrows beside them when they do not all fit.
func (u *UI) pagedList(rows []fyne.CanvasObject) fyne.CanvasObject {
	l := &pages{u: u, n: len(rows)}
	l.up = widget.NewButtonWithIcon("", theme.MoveUpIcon(), func() { u.visitorPage = max(0, l.page-1); u.rebuild() })
	l.down = widget.NewButtonWithIcon("", theme.MoveDownIcon(), func() { u.visitorPage = l.page + 1; u.rebuild() })
	return container.New(l, append(rows, l.up, l.down)...)
}

type pages struct {
	u        *UI
	n        int // rows; the last two objects are the arrows
	page     int // the page shown
	up, down *widget.Button
}

func (l *pages) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	per := max(1, int((size.Height+pad)/(TouchSize+pad)))
	w := size.Width
	paged := l.n > per
	if paged {
		w -= TouchSize + pad
		per = max(1, per)
	}
	last := max(0, (l.n-1)/per)
	l.page = max(0, min(l.u.visitorPage, last))
	for i, o := range objs[:l.n] {
		if i/per != l.page {
			o.Hide()
			continue
		}
		o.Show()
		o.Move(fyne.NewPos(0, float32(i%per)*(TouchSize+pad)))
		o.Resize(fyne.NewSize(w, TouchSize))
	}
	l.up.Hidden, l.down.Hidden = !paged, !paged
	if paged {
		l.up.Move(fyne.NewPos(w+pad, 0))
		l.up.Resize(fyne.NewSquareSize(TouchSize))
		l.down.Move(fyne.NewPos(w+pad, max(TouchSize+pad, size.Height-TouchSize)))
		l.down.Resize(fyne.NewSquareSize(TouchSize))
		if l.page == 0 {
			l.up.Disable()
		} else {
			l.up.Enable()
		}
		if l.page == last {
			l.down.Disable()
		} else {
			l.down.Enable()
		}
	}
}

func (l *pages) MinSize([]fyne.CanvasObject) fyne.Size {
	if l.n == 0 {
		return fyne.Size{}
	}
	return fyne.NewSize(2*TouchSize, TouchSize)
}

// decisionButton is Admit (green, a tick) or Deny (red, a cross).
func decisionButton(label string, res fyne.Resource, imp widget.Importance, tapped func()) *widget.Button {
	b := widget.NewButtonWithIcon(label, res, tapped)
	b.Importance = imp
	return b
}

// visitorRow is one visitor on the guard's list, a touch target that
// picks them (or, picked already, unpicks them).
func (u *UI) visitorRow(v kiosk.GuardVisitor, picked bool) fyne.CanvasObject {
	col := theme.ColorNameForeground
	if picked {
		col = theme.ColorNameForegroundOnPrimary
	}
	b := button("", picked, func() {
		code := v.Code
		if picked {
			code = ""
		}
		u.guardErr = ""
		u.flow.GuardPick(code)
	})
	return atLeast(container.NewStack(b, para(u.visitorLine(v), sizeSmall, col, picked, fyne.TextAlignLeading)), TouchSize, TouchSize)
}

// visitorLine is "AB12CD · fever 38.2 °C · 3 min ago · Ona: admitted".
func (u *UI) visitorLine(v kiosk.GuardVisitor) string {
	parts := []string{v.Code}
	if v.OnScreen {
		parts = append(parts, u.tg("guard.why.on_screen"))
	} else {
		why := u.tg("guard.why." + string(v.Reason))
		if v.Shown != nil {
			why += " " + u.tempIn(u.st.Kiosk.Lang, v.Shown.Celsius()) + "\u00a0°C"
		}
		parts = append(parts, why, u.tg("guard.ago", "n", strconv.Itoa(v.Minutes)))
	}
	if v.Guard != nil {
		parts = append(parts, u.decidedText(v.Guard))
	}
	return strings.Join(parts, " · ")
}

func (u *UI) decidedText(o *kiosk.Outcome) string {
	return u.tg("guard.decided."+string(o.Decision), "guard", o.Guard)
}

// pickedVisitor is the visitor the guard picked, if any.
func (u *UI) pickedVisitor() (kiosk.GuardVisitor, bool) {
	for _, v := range u.st.Visitors {
		if u.st.HasVisitor && v.Code == u.st.Code {
			return v, true
		}
	}
	return kiosk.GuardVisitor{}, false
}

// guardAction is a guard decision waiting for Confirm.
type guardAction struct {
	kind   string // "admit", "deny", "walk_in", "clinical"
	reason string
	c      float64
	from   string // the page Back returns to
}

// confirmPage says what the decision does, for whom, and what it
// replaces; only Confirm hands it to the flow.
func (u *UI) confirmPage() fyne.CanvasObject {
	a := *u.confirm
	v, picked := u.pickedVisitor()
	who, why := u.tg("guard.walk_in_who"), ""
	if picked && a.kind != "walk_in" {
		who = v.Code
		if v.OnScreen {
			why = u.tg("guard.why.on_screen")
		} else {
			why = u.tg("guard.why." + string(v.Reason))
			if v.Shown != nil {
				why += " " + u.tempIn(u.st.Kiosk.Lang, v.Shown.Celsius()) + "\u00a0°C"
			}
		}
	}
	var text string
	switch a.kind {
	case "clinical":
		text = u.tg("guard.confirm.clinical", "t", u.tempIn(u.st.Kiosk.Lang, a.c), "code", who)
	default:
		text = u.tg("guard.confirm."+a.kind, "code", who, "why", why, "reason", u.tg("override."+a.reason))
	}
	lines := []fyne.CanvasObject{u.guardMessage(""), para(text, sizeBody, theme.ColorNameForeground, true, fyne.TextAlignLeading)}
	var replaces uint64
	if picked && a.kind != "walk_in" && v.Guard != nil {
		replaces = v.Replaces
		lines = append(lines, para(u.tg("guard.replaces", "decided", u.decidedText(v.Guard)), sizeBody, theme.ColorNameError, true, fyne.TextAlignLeading))
	}
	act := func() error {
		switch a.kind {
		case "admit":
			return u.flow.GuardAdmit(a.reason, replaces)
		case "deny":
			return u.flow.GuardDeny(a.reason, replaces)
		case "walk_in":
			return u.flow.GuardWalkIn(a.reason)
		default:
			return u.flow.GuardClinical(a.c, replaces)
		}
	}
	back := touch(button(u.tg("common.back"), false, func() { u.page, u.confirm, u.guardErr = a.from, nil, ""; u.rebuild() }))
	imp := widget.SuccessImportance
	res := iconAdmit
	if a.kind == "deny" {
		imp, res = widget.DangerImportance, iconDeny
	}
	ok := decisionButton(u.tg("guard.confirm"), res, imp, u.guardDo(act))
	if a.kind == "clinical" {
		ok = button(u.tg("guard.confirm"), true, u.guardDo(act))
	}
	return u.guardFrame(u.tg("guard."+a.kind), container.NewVBox(lines...), back, atLeast(ok, 2*TouchSize, TouchSize))
}

// guardMessage is a line on the guard menu, or the last error in its place.
func (u *UI) guardMessage(text string) fyne.CanvasObject {
	if u.guardErr != "" {
		return para(u.guardErr, sizeBody, theme.ColorNameError, true, fyne.TextAlignLeading)
	}
	return para(text, sizeBody, theme.ColorNameForeground, false, fyne.TextAlignLeading)
}

// guardDo queues a guard action (the flow stores and audits it off the UI
// thread); input it refuses at once comes back to the screen in words.
func (u *UI) guardDo(action func() error) func() {
	return func() {
		if err := action(); err != nil {
			u.guardErr = u.guardErrorText(err.Error())
			u.rebuild()
		}
	}
}

// queued makes an event method that cannot refuse its input fit guardDo.
func queued(event func()) func() error { return func() error { event(); return nil } }

func (u *UI) reasonPage(reasons []string) fyne.CanvasObject {
	from := u.page
	var bs []fyne.CanvasObject
	for _, r := range reasons {
		bs = append(bs, wrapButton(u.tg("override."+r), nil, widget.MediumImportance, false, func() {
			u.guardErr = ""
			if from == "admit" && r == "clinical_normal" {
				u.page = "clinical" // a normal clinical reading is entered, not just claimed
			} else {
				u.page, u.confirm = "confirm", &guardAction{kind: from, reason: r, from: from}
			}
			u.rebuild()
		}))
	}
	// Back beside the title: the reasons take the height, without scrolling.
	back := atLeast(button(u.tg("common.back"), false, func() { u.page = ""; u.rebuild() }), 2*TouchSize, TouchSize)
	title := clearOfCorner(para(u.tg("guard."+u.page), sizeBody, theme.ColorNameForeground, true, fyne.TextAlignLeading))
	return container.NewBorder(container.NewBorder(nil, nil, nil, back, title), nil, nil, nil,
		container.NewBorder(u.guardMessage(u.tg("guard.choose_reason")), nil, nil, nil, container.New(layout2col{two: !u.portrait()}, bs...)))
}

// clinicalPage takes a clinical thermometer's reading: digits only, the
// decimal separator (a comma where the language writes one) put in after
// the second digit, every message in the guard's language.
func (u *UI) clinicalPage() fyne.CanvasObject {
	lang := u.st.Kiosk.Lang
	sep := "."
	if lang != "en" {
		sep = ","
	}
	value := strings.ReplaceAll(string(u.clinical), ".", sep)
	if value == "" {
		value = "__" + sep + "_"
	}
	rangeText := u.tg("guard.clinical_range", "min", u.tempIn(lang, kiosk.ClinicalMinC), "max", u.tempIn(lang, kiosk.ClinicalMaxC))
	back := touch(button(u.tg("common.back"), false, func() { u.page, u.clinical = "", nil; u.rebuild() }))
	save := touch(button(u.tg("guard.save"), true, func() {
		c, err := strconv.ParseFloat(string(u.clinical), 64)
		if err != nil || !(c >= kiosk.ClinicalMinC && c <= kiosk.ClinicalMaxC) {
			u.guardErr = u.tg("guard.error", "error", rangeText)
		} else {
			u.page, u.confirm, u.guardErr = "confirm", &guardAction{kind: "clinical", c: c, from: "clinical"}, ""
		}
		u.rebuild()
	}))
	left := container.NewBorder(
		container.NewVBox(u.guardMessage(rangeText), para(value+"\u00a0°C", sizeHeadline, theme.ColorNameForeground, true, fyne.TextAlignCenter)),
		container.NewGridWithColumns(2, back, save), nil, nil)
	var keys []fyne.CanvasObject
	for _, r := range "1234567890" {
		keys = append(keys, button(string(r), false, func() { u.clinicalKey(r) }))
	}
	keys = append(keys, widget.NewButtonWithIcon("", iconBackspace, func() {
		if n := len(u.clinical); n > 0 {
			u.clinical = u.clinical[:n-1]
			if n-1 == 3 { // "37." left: the separator goes with its digit
				u.clinical = u.clinical[:2]
			}
			u.rebuild()
		}
	}))
	return u.guardFrame(u.tg("guard.clinical_title"), newSplit(0.45, left, container.New(keyGrid{3, 3}, keys...)))
}

// clinicalKey types a digit of a clinical reading, "dd.d": the separator
// comes by itself after two digits, so "378" is 37.8.
func (u *UI) clinicalKey(r rune) {
	if len(u.clinical) >= 4 {
		return
	}
	u.clinical = append(u.clinical, r)
	if len(u.clinical) == 2 {
		u.clinical = append(u.clinical, '.')
	}
	u.rebuild()
}

// guardErrorText says in the guard's language why the flow refused an action.
func (u *UI) guardErrorText(detail string) string {
	switch {
	case strings.Contains(detail, kiosk.ErrReplaces.Error()):
		return u.tg("guard.err.replaces")
	case strings.Contains(detail, kiosk.ErrNoVisitor.Error()):
		return u.tg("guard.err.no_visitor")
	case strings.Contains(detail, kiosk.ErrBusy.Error()):
		return u.tg("guard.err.busy")
	}
	return u.tg("guard.error", "error", detail)
}

// layout2col stacks buttons in two columns when wide (or always, with
// two), one when narrow, each row at its tallest button's minimum height;
// a last button alone in its row takes the whole row.
type layout2col struct{ two bool }

func (l layout2col) cols(w float32) int {
	if l.two || w >= 2*TouchSize*3 {
		return 2
	}
	return 1
}

func (l layout2col) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	cols := l.cols(size.Width)
	w := (size.Width - pad*float32(cols-1)) / float32(cols)
	y := float32(0)
	for i := 0; i < len(objs); i += cols {
		h := float32(0)
		for j := i; j < min(i+cols, len(objs)); j++ {
			h = max(h, objs[j].MinSize().Height)
		}
		rw := w
		if i+1 == len(objs) {
			rw = size.Width // an odd one out at the end takes the whole row
		}
		for j := i; j < min(i+cols, len(objs)); j++ {
			objs[j].Move(fyne.NewPos(float32(j-i)*(w+pad), y))
			objs[j].Resize(fyne.NewSize(rw, h))
		}
		y += h + pad
	}
}

func (l layout2col) MinSize(objs []fyne.CanvasObject) fyne.Size {
	cols := 1
	if l.two {
		cols = 2
	}
	var w, h float32
	for i := 0; i < len(objs); i += cols {
		var rw, rh float32
		for j := i; j < min(i+cols, len(objs)); j++ {
			m := objs[j].MinSize()
			rw, rh = rw+m.Width+pad, max(rh, m.Height)
		}
		w, h = max(w, rw-pad), h+rh+pad
	}
	return fyne.NewSize(w, max(0, h-pad))
}
