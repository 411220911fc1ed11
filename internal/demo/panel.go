// Package demo is `thermogate demo`'s own part: its sample bookings and
// guard, and the panel that plays the visitor and the hardware (present a
// forehead, break the sensor, heat the room). The kiosk's packages know
// nothing of it.
package demo

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/sensor/mlxsim"
	"github.com/thermogate/thermogate/storage"
)

// Options describes the demo's scene for its panel.
type Options struct {
	Sim      *mlxsim.Sim
	Model    sensor.Model       // to present a forehead that shows a chosen temperature
	Ambient  physic.Temperature // the simulated room
	Bookings []storage.Booking  // today's sample bookings, to show their codes
	Location *time.Location
	Guard    string // the demo guard's name and PIN
	PIN      string
	// Outputs, if set, are shown as indicators, lit while energised: the
	// door relay, the guard lamp and the service lamp.
	Outputs Indicators
}

// Indicators are the kiosk's outputs as the panel shows them.
type Indicators interface {
	DoorOpen() bool
	GuardLit() bool
	ServiceLit() bool
}

// indicators shows o's outputs, polled every 100 ms on a goroutine of their
// own and drawn on Fyne's thread.
func indicators(o Indicators) fyne.CanvasObject {
	obj, update := newIndicators(o)
	go func() {
		for range time.Tick(100 * time.Millisecond) {
			fyne.Do(update)
		}
	}()
	return obj
}

// newIndicators makes the indicators and the function, to run on Fyne's
// thread, that shows the outputs' state now.
func newIndicators(o Indicators) (fyne.CanvasObject, func()) {
	lamp := func(name string) *widget.Label { return widget.NewLabel("○ " + name) }
	door, guard, service := lamp("door"), lamp("guard lamp"), lamp("service lamp")
	show := func(l *widget.Label, name string, on bool) {
		mark := "○ "
		if on {
			mark = "● "
		}
		if t := mark + name; l.Text != t {
			l.Importance = widget.MediumImportance
			if on {
				l.Importance = widget.SuccessImportance
			}
			l.SetText(t)
		}
	}
	update := func() {
		show(door, "door", o.DoorOpen())
		show(guard, "guard lamp", o.GuardLit())
		show(service, "service lamp", o.ServiceLit())
	}
	// A grid, not a row: the panel keeps its width, its buttons their places.
	return container.NewGridWithColumns(3, door, guard, service), update
}

// Panel is the demo's control window content: present a normal or a
// feverish forehead, take it away, break the sensor or heat the room, and
// see today's booking codes and the guard's PIN.
func Panel(o Options) fyne.CanvasObject {
	status := widget.NewLabel("Nothing in front of the sensor.")
	status.Wrapping = fyne.TextWrapWord
	present := func(body float64, what string) func() {
		return func() {
			o.Sim.Present(o.Model.Object(physic.ZeroCelsius+physic.Temperature(body*1e9), o.Ambient))
			status.SetText(fmt.Sprintf("%s in front of the sensor: it should show %.1f °C.", what, body))
		}
	}
	fault := func(f mlxsim.Fault, what string) func() {
		return func() {
			o.Sim.SetFault(f)
			status.SetText(what)
		}
	}
	room := func(c float64) func() {
		return func() {
			o.Sim.SetAmbient(physic.ZeroCelsius + physic.Temperature(c*1e9))
			status.SetText(fmt.Sprintf("Room at %.0f °C.", c))
		}
	}
	small := func(label string, tapped func()) fyne.CanvasObject { return widget.NewButton(label, tapped) }
	outputs := fyne.CanvasObject(container.NewHBox())
	if o.Outputs != nil {
		outputs = indicators(o.Outputs)
	}
	codes := widget.NewLabel(panelCodes(o))
	codes.TextStyle = fyne.TextStyle{Monospace: true}
	return container.NewBorder(
		container.NewVBox(
			widget.NewLabelWithStyle("Demo panel", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
			container.NewGridWithColumns(2,
				small("Normal forehead (36.6 °C)", present(36.6, "A healthy forehead")),
				small("Feverish forehead (38.2 °C)", present(38.2, "A feverish forehead")),
				small("Borderline (37.3 °C)", present(37.3, "A forehead at the threshold")),
				small("Remove forehead", func() { o.Sim.Remove(); status.SetText("Nothing in front of the sensor.") }),
				small("Sensor fault: no answer", fault(mlxsim.NACK, "The sensor does not answer (NACK).")),
				small("Sensor unplugged", fault(mlxsim.Absent, "No sensor on the bus.")),
				small("Sensor healthy", fault(mlxsim.None, "The sensor answers again.")),
				small("Room too warm (35 °C)", room(35)),
				small("Room normal (22 °C)", room(22)),
			),
			status,
			outputs,
			widget.NewLabelWithStyle(fmt.Sprintf("Guard %s, PIN %s: hold the top-left corner of the kiosk for 2 s.", o.Guard, o.PIN),
				fyne.TextAlignLeading, fyne.TextStyle{Italic: true}),
			widget.NewSeparator(),
			widget.NewLabelWithStyle("Today's booking codes (slot ± 15 min):", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		), nil, nil, nil,
		container.NewVScroll(codes))
}

func panelCodes(o Options) string {
	s := ""
	for i, b := range o.Bookings {
		note := ""
		switch {
		case b.Status == storage.StatusCancelled:
			note = " (cancelled)"
		case b.Lang != "":
			note = " (" + kiosk.LanguageNames[kiosk.Lang(b.Lang)] + ")"
		}
		sep := "   "
		if i%3 == 2 {
			sep = "\n"
		}
		s += fmt.Sprintf("%s %s%s%s", b.Start.In(o.Location).Format("15:04"), b.Code, note, sep)
	}
	return s
}
