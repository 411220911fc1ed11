package main

import (
	"context"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/internal/daemon"
	"github.com/thermogate/thermogate/kiosk/ui"
)

// runTouchscreen shows the kiosk's screens over a running daemon until ctx
// ends (SIGTERM) or the window closes, and returns once the daemon has
// stopped. extra, if set, adds windows of its own (the demo panel). This is
// the only place that imports fyne.io/fyne/v2/app.
func runTouchscreen(ctx context.Context, d *daemon.Daemon, cfg config.Config, fullscreen bool, extra func(fyne.App)) error {
	a := app.NewWithID("org.thermogate.kiosk")
	w := a.NewWindow("thermogate")
	u, err := ui.New(a, w, d.Flow(), ui.Options{SensorSide: cfg.UI.SensorSide, ShowTemperature: string(cfg.UI.ShowTemperature)})
	if err != nil {
		return err
	}
	if fullscreen {
		w.SetFullScreen(true)
	} else {
		w.Resize(fyne.NewSize(800/1.1, 480/1.1)) // the 7" panel's size, for a desk
	}
	w.SetMaster()
	if extra != nil {
		extra(a)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var runErr error
	wg.Go(func() {
		runErr = d.Run(ctx)
		fyne.Do(a.Quit) // the daemon stopped (SIGTERM, or a failure): so does the screen
	})
	wg.Go(func() { u.Tick(ctx) })
	w.Show()
	a.Run()
	cancel()
	wg.Wait()
	return runErr
}
