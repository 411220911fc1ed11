//go:build ignore

// The floor for bench/ui.sh: the smallest Fyne program, one window with one
// label, built the way thermogate is. Run by the script, never shipped.
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.New()
	w := a.NewWindow("floor")
	w.SetContent(widget.NewLabel("floor"))
	w.Resize(fyne.NewSize(727, 436))
	w.ShowAndRun()
}
