package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"

	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/internal/daemon"
)

func runCommand() *command {
	return &command{
		name: "run",
		summary: "Run the kiosk: the touchscreen, or with --headless the screening flow alone. It stores\n" +
			"screenings, serves the admin socket beside the database and exports every night.",
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			configPath := fs.String("config", config.DefaultPath, "configuration `file`")
			headless := fs.Bool("headless", false, "no touchscreen: the flow, storage, admin socket and export only")
			window := fs.Bool("window", false, "show the touchscreen in a window instead of full screen")
			return func(ctx context.Context, args []string) error {
				given := false
				fs.Visit(func(f *flag.Flag) { given = given || f.Name == "config" })
				cfg, err := loadConfig(*configPath, given)
				if err != nil {
					return err
				}
				if !*headless {
					if err := needDisplay(); err != nil {
						return err
					}
				}
				log := newLogger(e.stderr)
				used := *configPath
				if _, err := os.Stat(used); err != nil {
					used = ""
					log.Warn("no configuration file: running on the defaults", "path", *configPath)
				}
				b := readBuild()
				d, err := daemon.Open(cfg, daemon.Options{ConfigPath: used, Logger: log, NotBefore: notBefore(log),
					Version: b.Version, Commit: b.Commit})
				if err != nil {
					return err
				}
				defer d.Close()
				if err := simForehead(d, cfg, log); err != nil {
					return err
				}
				if *headless {
					return d.Run(ctx)
				}
				return runTouchscreen(ctx, d, cfg, !*window && cfg.UI.Fullscreen, nil)
			}
		},
	}
}

// needDisplay fails early, and says what to do, when there is no display to
// draw on: Fyne would otherwise stop with a graphics driver error.
func needDisplay() error {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return errors.New("no display (DISPLAY is not set): run with --headless for the flow without a touchscreen, " +
			"or start it in the kiosk's X session (deploy/README.md)")
	}
	return nil
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
