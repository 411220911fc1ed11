package demo

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/thermogate/thermogate/internal/door"
	"github.com/thermogate/thermogate/internal/signals"
	"github.com/thermogate/thermogate/internal/sound"
)

// labels returns the text of every label in o.
func labels(o fyne.CanvasObject) []string {
	var out []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			out = append(out, x.Text)
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

// TestPanelShowsTheOutputs: the door indicator is lit while the relay (a
// gpiotest pin, through internal/door) is energised, and only then.
func TestPanelShowsTheOutputs(t *testing.T) {
	test.NewTempApp(t)
	gc := door.Default()
	gc.DoorPulse = 300 * time.Millisecond
	out := signals.Open(sound.Config{}, gc, signals.Options{
		Pins: &door.Pins{Door: &gpiotest.Pin{N: "door"}, Guard: &gpiotest.Pin{N: "guard"}, Service: &gpiotest.Pin{N: "service"}}})
	defer out.Close()
	p, update := newIndicators(out)
	has := func(s string) bool {
		update()
		return strings.Contains(strings.Join(labels(p), "|"), s)
	}
	wait := func(s string) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if has(s) {
				return
			}
		}
		t.Fatalf("no %q on the panel: %v", s, labels(p))
	}
	wait("○ door")
	if err := out.OpenDoor(context.Background()); err != nil {
		t.Fatal(err)
	}
	wait("● door")
	wait("○ door") // the pulse ended
	if err := out.CallGuard("refer"); err != nil {
		t.Fatal(err)
	}
	wait("● guard lamp")
}
