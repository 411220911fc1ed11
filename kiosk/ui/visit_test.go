package ui

import (
	"image"
	"image/color"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

// A visitor a minute early, tapped through: amber, the opening and the
// booking's time, a countdown, nothing stored; the check goes on by itself
// when the window opens, and the visit ends as any other.
func TestEarlyVisitorWaitsThenGoesOn(t *testing.T) {
	for _, p := range panels {
		t.Run(p.name, func(t *testing.T) {
			h := newHarness(t, p, english)
			h.store.PutBooking(storage.Booking{Code: "EARLY1", Start: t0.Add(16 * time.Minute), Minutes: 15, Status: storage.StatusActive})
			h.tap("Start")
			h.typeKeys("EARLY1")
			h.tap("OK")
			h.want(kiosk.Early)
			h.mustShow("Your check opens at 10:01", "Your booking is at 10:16.", "starts by itself", "Starts in 1 min")
			if h.ui.bg.FillColor != colRefer {
				t.Fatalf("background %v, want amber: a time to wait for, not a refusal", h.ui.bg.FillColor)
			}
			if h.shows("No entry") || len(h.store.Screenings()) != 0 {
				t.Fatalf("coming early refused or stored: %q, %d stored", h.texts(), len(h.store.Screenings()))
			}
			h.clk.Advance(time.Second)
			h.ui.refreshTime()
			h.mustShow("Starts in 59 s")
			h.clk.Advance(34 * time.Second)
			h.ui.refreshTime()
			h.mustShow("Starts in 25 s")
			h.clk.Advance(25 * time.Second)
			h.Tick()
			h.want(kiosk.Symptoms)
			h.tap("No")
			h.forehead(35.51)
			h.want(kiosk.Decided)
			if recs := h.store.Screenings(); len(recs) != 1 || recs[0].Decision != string(kiosk.Admit) || recs[0].Code != "EARLY1" {
				t.Fatalf("stored %+v", recs)
			}
		})
	}
}

// An hour early: the time to come back, the service booked, a Done button;
// nothing stored, and the start screen after deny_time or Done.
func TestEarlyVisitorToldToComeBack(t *testing.T) {
	h := newHarness(t, landscape, english)
	h.store.PutBooking(storage.Booking{Code: "EARLY2", Start: t0.Add(time.Hour), Minutes: 15, Service: "Passports", Status: storage.StatusActive})
	h.scan("EARLY2")
	h.want(kiosk.Early)
	h.mustShow("Your check opens at 10:45", "Your booking: Passports, 11:00", "come back then", "still valid")
	if h.shows("Starts in") {
		t.Fatal("a countdown of an hour: the visitor is not meant to wait")
	}
	h.tap("Done")
	h.want(kiosk.Idle)
	h.scan("EARLY2")
	h.clk.Advance(20 * time.Second) // deny_time
	h.Tick()
	h.want(kiosk.Idle)
	if n := len(h.store.Screenings()); n != 0 {
		t.Fatalf("%d screenings stored for coming early", n)
	}
}

// The countdown says minutes and seconds with their units, in every
// language: "2:59" could be read as a time of day.
func TestEarlyCountdownNamesItsUnits(t *testing.T) {
	want := map[kiosk.Lang][]string{ // 2:59, 3:00 and 0:45 before the opening
		"en": {"Starts in 2 min 59 s", "Starts in 3 min", "Starts in 45 s"},
		"lt": {"Pradėsime po 2 min. 59 s", "Pradėsime po 3 min.", "Pradėsime po 45 s"},
		"pl": {"Początek za 2 min 59 s", "Początek za 3 min", "Początek za 45 s"},
		"ru": {"Начнём через 2 мин 59 с", "Начнём через 3 мин", "Начнём через 45 с"},
	}
	for _, lang := range kiosk.Languages {
		h := newHarness(t, landscape, func(c *kiosk.Config) { c.Lang = lang })
		h.store.PutBooking(storage.Booking{Code: "EARLY1", Start: t0.Add(15*time.Minute + kiosk.EarlyWait), Minutes: 15, Status: storage.StatusActive})
		h.scan("EARLY1")
		h.want(kiosk.Early)
		h.mustShow(want[lang][1])
		h.clk.Advance(time.Second)
		h.ui.refreshTime()
		h.mustShow(want[lang][0])
		h.clk.Advance(2*time.Minute + 14*time.Second)
		h.ui.refreshTime()
		h.mustShow(want[lang][2])
	}
}

// Without the symptoms question nothing asks, at the opening, whether the
// early visitor is still there: the screen asks them to tap Start. Tapped,
// the check goes on; untouched, the start screen comes back after the input
// timeout with nothing measured or stored.
func TestEarlyVisitorStartsWithoutSymptomsQuestion(t *testing.T) {
	noQuestion := func(c *kiosk.Config) { c.Lang = "en"; c.Rule.Symptoms = false }
	arrive := func(t *testing.T, p panel) *harness {
		h := newHarness(t, p, noQuestion)
		h.store.PutBooking(storage.Booking{Code: "EARLY1", Start: t0.Add(16 * time.Minute), Minutes: 15, Status: storage.StatusActive})
		h.scan("EARLY1")
		h.want(kiosk.Early)
		h.clk.Advance(time.Minute)
		h.Tick()
		h.want(kiosk.Early)
		h.mustShow("You can start your check now", "Your booking is at 10:16.", "Tap Start")
		if h.shows("Starts in") || h.shows("opens at") {
			t.Fatalf("the window is open: %q", h.texts())
		}
		return h
	}
	for _, p := range panels {
		t.Run(p.name+": Start", func(t *testing.T) {
			h := arrive(t, p)
			h.tap("Start")
			h.want(kiosk.Measure)
			h.forehead(35.51)
			h.want(kiosk.Decided)
			if recs := h.store.Screenings(); len(recs) != 1 || recs[0].Decision != string(kiosk.Admit) || recs[0].Code != "EARLY1" {
				t.Fatalf("stored %+v", recs)
			}
		})
	}
	t.Run("walked away", func(t *testing.T) {
		h := arrive(t, landscape)
		h.clk.Advance(kiosk.DefaultConfig().InputTimeout)
		h.Tick()
		h.want(kiosk.Idle)
		if n := len(h.store.Screenings()); n != 0 {
			t.Fatalf("%d stored for a visitor who left", n)
		}
	})
}

func TestEarlyVisitorCancels(t *testing.T) {
	h := newHarness(t, landscape, english)
	h.store.PutBooking(storage.Booking{Code: "EARLY1", Start: t0.Add(16 * time.Minute), Minutes: 15, Status: storage.StatusActive})
	h.scan("EARLY1")
	h.tap("Cancel")
	h.want(kiosk.Idle)
	h.clk.Advance(time.Minute)
	h.Tick()
	h.want(kiosk.Idle) // walked away: nothing goes on by itself
	if n := len(h.store.Screenings()); n != 0 {
		t.Fatalf("%d stored", n)
	}
}

// The Measure screen guides: the forehead at the sensor drawn, the
// distance under it, the seconds left of the attempt, and "Attempt n of 3"
// only from the second.
func TestMeasureGuidance(t *testing.T) {
	h := newHarness(t, landscape, english)
	toMeasure(h)
	h.want(kiosk.Measure)
	if !h.showsImage("forehead-right.svg") {
		t.Fatal("no pictogram of the forehead at the sensor")
	}
	h.mustShow("2–5 cm", "15 s left")
	if h.shows("Attempt") {
		t.Fatalf("%q: the attempt counted at the first", h.texts())
	}
	h.clk.Advance(4 * time.Second)
	h.ui.refreshTime()
	h.mustShow("11 s left")
	h.forehead(31.01) // too cold: once more
	h.mustShow("Attempt 2 of 3", "15 s left")
}

func TestMeasurePictogramFollowsTheSensor(t *testing.T) {
	h := newHarness(t, landscape, english)
	h.ui.opts.SensorSide = "left"
	toMeasure(h)
	if !h.showsImage("forehead-left.svg") {
		t.Fatal("the pictogram does not face a sensor on the left")
	}
}

func (h *harness) showsImage(name string) bool {
	for _, p := range h.objects() {
		if img, ok := p.obj.(*canvas.Image); ok && img.Resource != nil && img.Resource.Name() == name {
			return true
		}
	}
	return false
}

// The pictogram is drawn at the panel's own resolution: its head is a
// solid shape with sharp edges, not an upscaled blur, on both panels.
func TestMeasurePictogramIsCrisp(t *testing.T) {
	head := color.NRGBA{0x0B, 0x3D, 0x91, 0xFF}
	for _, p := range panels {
		t.Run(p.name, func(t *testing.T) {
			h := newHarness(t, p, english)
			toMeasure(h)
			var pic *placed
			for _, o := range h.objects() {
				if img, ok := o.obj.(*canvas.Image); ok && img.Resource != nil && strings.HasPrefix(img.Resource.Name(), "forehead-") {
					pic = &o
				}
			}
			if pic == nil {
				t.Fatal("no pictogram")
			}
			shot := h.win.Canvas().Capture()
			r := image.Rect(int(pic.pos.X*p.scale), int(pic.pos.Y*p.scale),
				int((pic.pos.X+pic.obj.Size().Width)*p.scale), int((pic.pos.Y+pic.obj.Size().Height)*p.scale))
			solid, edge := 0, 0
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for x := r.Min.X; x < r.Max.X; x++ {
					c := color.NRGBAModel.Convert(shot.At(x, y)).(color.NRGBA)
					switch d := dist(c, head); {
					case d < 12:
						solid++
					case d < dist(color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}, head)-12 && c.B > c.R && c.B > c.G:
						edge++ // between the head's blue and the white around it
					}
				}
			}
			// The head is about 80×100 of the 200×120 drawing: well over a
			// thousand solid pixels on either panel, and anti-aliasing only
			// at its outline.
			if solid < 1500 || float64(edge) > 0.25*float64(solid) {
				t.Fatalf("pictogram %v: %d solid head pixels, %d blurred ones: want ≥ 1500 and ≤ 25 %%", r, solid, edge)
			}
			t.Logf("%s: %v, %d solid, %d edge pixels", p.name, r.Size(), solid, edge)
		})
	}
}

func dist(a, b color.NRGBA) int {
	d := func(x, y uint8) int {
		if x > y {
			return int(x - y)
		}
		return int(y - x)
	}
	return max(d(a.R, b.R), d(a.G, b.G), d(a.B, b.B))
}

// ui.show_temperature: the temperature on the result, smaller on an admit,
// never, or on a denial only.
func TestShowTemperature(t *testing.T) {
	admit := func(h *harness) { toMeasure(h); h.forehead(35.51) } // 37.0 °C
	fever := func(h *harness) {
		toRetest(h)
		h.clk.Advance(time.Minute)
		h.Tick()
		h.forehead(36.31) // 37.8 °C
	}
	for _, tt := range []struct {
		opt          string
		admit, fever bool
	}{
		{"", true, true},
		{ShowTemperatureAlways, true, true},
		{ShowTemperatureNever, false, false},
		{ShowTemperatureDenyOnly, false, true},
	} {
		for _, v := range []struct {
			name  string
			run   func(*harness)
			text  string
			shown bool
			size  fyne.ThemeSizeName
		}{
			{"admit", admit, "37.0 °C", tt.admit, sizeBody},
			{"fever", fever, "37.8 °C", tt.fever, sizeHeadline},
		} {
			t.Run(tt.opt+"/"+v.name, func(t *testing.T) {
				h := newHarness(t, landscape, english)
				if tt.opt != "" {
					h.ui.opts.ShowTemperature = tt.opt
				}
				v.run(h)
				h.want(kiosk.Decided)
				rt := h.richText(v.text)
				if (rt != nil) != v.shown {
					t.Fatalf("temperature shown %v, want %v: %q", rt != nil, v.shown, h.texts())
				}
				if rt == nil {
					return
				}
				if got := rt.Segments[0].(*widget.TextSegment).Style.SizeName; got != v.size {
					t.Fatalf("size %s, want %s", got, v.size)
				}
			})
		}
	}
}

func TestShowTemperatureRefusesUnknownValue(t *testing.T) {
	h := newHarness(t, landscape, english)
	_, err := New(testApp, test.NewWindow(nil), h.flow, Options{ShowTemperature: "maybe"})
	if err == nil || !strings.Contains(err.Error(), `ui.show_temperature = "maybe"`) || !strings.Contains(err.Error(), "deny_only") {
		t.Fatalf("error %v: want the key, the value and what is allowed", err)
	}
}

// richText is the paragraph on screen containing s (a no-break space read
// as a space), or nil.
func (h *harness) richText(s string) *widget.RichText {
	for _, p := range h.objects() {
		if rt, ok := p.obj.(*widget.RichText); ok && strings.Contains(plain(rt.String()), s) {
			return rt
		}
	}
	return nil
}
