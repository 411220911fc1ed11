package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/internal/door"
)

func gpioCommand() *command {
	return &command{
		name:    "gpio",
		summary: "Test the door relay, guard lamp and service lamp wired to the GPIO header.",
		subs:    []*command{gpioTestCommand(), gpioOffCommand()},
	}
}

// gpioConfig reads [gpio] from the configuration file.
func gpioConfig(fs *flag.FlagSet, path string) (door.Config, error) {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "config" })
	cfg, err := loadConfig(path, given)
	return cfg.GPIO, err
}

func gpioTestCommand() *command {
	return &command{
		name:  "test",
		args:  "door|guard|service",
		nargs: [2]int{1, 1},
		summary: "Switch one output on as the kiosk would, for the installer: the door for door_pulse,\n" +
			"a lamp for --for. Stop the kiosk first: two programs must not drive one pin.",
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			configPath := fs.String("config", config.DefaultPath, "configuration `file` with the [gpio] pins")
			pin := fs.String("pin", "", "pin `name` instead of the configured one, e.g. GPIO17")
			lit := fs.Duration("for", 3*time.Second, "how long a lamp stays lit")
			return func(ctx context.Context, args []string) error {
				cfg, err := gpioConfig(fs, *configPath)
				if err != nil {
					return err
				}
				if *lit <= 0 || *lit > time.Minute {
					return usagef("--for %v: want up to 1m", *lit)
				}
				var key *string
				switch args[0] {
				case "door":
					key = &cfg.DoorPin
				case "guard":
					key = &cfg.GuardPin
				case "service":
					key = &cfg.ServicePin
				default:
					return usagef("unknown output %q: want door, guard or service", args[0])
				}
				if *pin != "" {
					*key = *pin
				}
				if *key == "" {
					return fmt.Errorf("gpio.%s_pin is empty in %s: set it, or give --pin", args[0], *configPath)
				}
				o, err := door.Open(cfg, clock.Real{}, newLogger(e.stderr))
				if err != nil {
					return err
				}
				defer o.Close()
				var on func() bool
				switch args[0] {
				case "door":
					fmt.Fprintf(e.stdout, "%s: open for %v\n", o.Door, cfg.DoorPulse)
					if err := o.Door.Pulse(ctx); err != nil {
						return err
					}
					on = o.Door.Open
				case "guard", "service":
					l := o.Guard
					if args[0] == "service" {
						l = o.Service
					}
					fmt.Fprintf(e.stdout, "%s: lit for %v\n", l, *lit)
					if err := l.Set(true); err != nil {
						return err
					}
					deadline := time.Now().Add(*lit)
					on = func() bool { return time.Now().Before(deadline) }
				}
				for on() {
					select {
					case <-ctx.Done():
						return ctx.Err() // Close, deferred, switches it off
					case <-time.After(10 * time.Millisecond):
					}
				}
				if err := o.Close(); err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, "off")
				return nil
			}
		},
	}
}

func gpioOffCommand() *command {
	return &command{
		name: "off",
		summary: "Switch every configured output off: the door closed, the lamps out. For a service\n" +
			"unit's ExecStopPost, so a kiosk killed mid-pulse does not leave the door open.",
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			configPath := fs.String("config", config.DefaultPath, "configuration `file` with the [gpio] pins")
			return func(ctx context.Context, args []string) error {
				cfg, err := gpioConfig(fs, *configPath)
				if err != nil {
					return err
				}
				o, err := door.Open(cfg, clock.Real{}, newLogger(e.stderr))
				if err != nil {
					return err
				}
				return o.Close()
			}
		},
	}
}
