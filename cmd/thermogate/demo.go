package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/internal/admin"
	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/internal/daemon"
	"github.com/thermogate/thermogate/internal/demo"
	"github.com/thermogate/thermogate/internal/door"
	"github.com/thermogate/thermogate/internal/signals"
	"github.com/thermogate/thermogate/internal/sound"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

// The demo guard.
const (
	demoGuard = "Demo"
	demoPIN   = "4826"
)

func demoCommand() *command {
	return &command{
		name: "demo",
		summary: "Try the kiosk without hardware or setup: the simulated sensor, a temporary database,\n" +
			"sample bookings for today every 15 minutes, a demo guard, and a demo panel to present\n" +
			"a forehead, a fever, or a sensor fault.",
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			lang := fs.String("lang", "en", "default `language` of the screens: lt, pl, ru or en")
			fullscreen := fs.Bool("fullscreen", false, "full screen, as on the kiosk")
			keep := fs.Bool("keep", false, "keep the temporary directory (database and exports) afterwards")
			return func(ctx context.Context, args []string) error {
				if _, err := kiosk.ParseLang(*lang); err != nil {
					return usagef("--lang: %v", err)
				}
				if err := needDisplay(); err != nil {
					return err
				}
				dir, err := os.MkdirTemp("", "thermogate-demo-")
				if err != nil {
					return err
				}
				if *keep {
					defer fmt.Fprintf(e.stderr, "demo data kept in %s\n", dir)
				} else {
					defer os.RemoveAll(dir)
				}
				cfg, err := config.Parse([]byte(fmt.Sprintf("kiosk_id = \"demo\"\n[sensor]\ndriver = \"sim\"\n[store]\npath = %q\n[export]\ndir = %q\n[ui]\nlang = %q\n",
					filepath.Join(dir, "thermogate.db"), filepath.Join(dir, "export"), *lang)), "demo")
				if err != nil {
					return err
				}
				log := newLogger(e.stderr)
				sig := demoSignals(cfg, log)
				defer sig.Close()
				d, err := daemon.Open(cfg, daemon.Options{Logger: log, NotBefore: notBefore(log), Signals: sig})
				if err != nil {
					return err
				}
				defer d.Close()
				bookings, err := demoBookings(ctx, d.DB(), time.Now())
				if err != nil {
					return err
				}
				if _, err := d.DB().AddGuard(ctx, storage.ActorAdmin, demoGuard, demoPIN); err != nil {
					return err
				}
				printDemoCodes(e, bookings, cfg.Location())
				panel := func(a fyne.App) {
					w := a.NewWindow("thermogate demo panel")
					w.SetContent(demo.Panel(demo.Options{
						Sim: d.Rig().Sim, Model: cfg.Kiosk(time.Time{}).Model, Ambient: physic.ZeroCelsius + 22*physic.Celsius,
						Bookings: bookings, Location: cfg.Location(), Guard: demoGuard, PIN: demoPIN, Outputs: sig,
					}))
					w.Resize(fyne.NewSize(560, 520))
					w.Show()
				}
				return runTouchscreen(ctx, d, cfg, *fullscreen, panel)
			}
		},
	}
}

// demoSignals are the demo's outputs: the door and the lamps on gpiotest
// pins, which the panel shows, and sounds on the default ALSA device when
// this machine has a sound card, prompts cached in the user's cache.
func demoSignals(cfg config.Config, log *slog.Logger) *signals.Outputs {
	pins := door.Pins{Door: &gpiotest.Pin{N: "door"}, Guard: &gpiotest.Pin{N: "guard"}, Service: &gpiotest.Pin{N: "service"}}
	sc := cfg.Sound
	if _, err := os.Stat("/dev/snd"); err != nil {
		sc.Enabled = false // no sound card: a silent demo, not an error a minute
	}
	o := signals.Options{Params: sound.Params{ThresholdC: cfg.Rule.ThresholdC}, Log: log, NoPrepare: true, Pins: &pins}
	if dir, err := os.UserCacheDir(); err == nil {
		o.Cache = filepath.Join(dir, "thermogate", "sounds")
	}
	return signals.Open(sc, cfg.GPIO, o)
}

// demoBookings imports slots every 15 minutes from an hour before now to six
// hours after, with four-digit codes; one is for a Polish speaker and one is
// cancelled, to show both.
func demoBookings(ctx context.Context, db *storage.DB, now time.Time) ([]storage.Booking, error) {
	loc := db.Location()
	first := now.In(loc).Truncate(15 * time.Minute).Add(-time.Hour)
	var csv strings.Builder
	csv.WriteString("code,start,lang\n")
	for i := range 28 {
		lang := ""
		if i == 6 {
			lang = "pl"
		}
		fmt.Fprintf(&csv, "%d,%s,%s\n", 1001+i, first.Add(time.Duration(i)*15*time.Minute).Format(time.RFC3339), lang)
	}
	a := admin.Local{DB: db}
	if _, err := a.ImportBookings(ctx, admin.ImportRequest{Name: "demo.csv", Data: []byte(csv.String())}); err != nil {
		return nil, err
	}
	if _, err := a.CancelBooking(ctx, "1008"); err != nil {
		return nil, err
	}
	return a.ListBookings(ctx, storage.Day{})
}

func printDemoCodes(e *env, bookings []storage.Booking, loc *time.Location) {
	fmt.Fprintln(e.stdout, "thermogate demo: today's sample bookings (a code is good from 15 minutes before its slot to 15 after):")
	for _, b := range bookings {
		note := ""
		switch {
		case b.Status == storage.StatusCancelled:
			note = "  cancelled"
		case b.Lang != "":
			note = "  screens in " + kiosk.LanguageNames[kiosk.Lang(b.Lang)]
		}
		fmt.Fprintf(e.stdout, "  %s  %s%s\n", b.Start.In(loc).Format("15:04"), b.Code, note)
	}
	fmt.Fprintf(e.stdout, "Guard %q, PIN %s: hold the top-left corner of the kiosk for 2 seconds.\n", demoGuard, demoPIN)
	fmt.Fprintln(e.stdout, "Use the demo panel to present a forehead, a fever or a sensor fault. Close the kiosk window to stop.")
}
