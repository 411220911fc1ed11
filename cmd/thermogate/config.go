package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/thermogate/thermogate/deploy"
	"github.com/thermogate/thermogate/internal/config"
)

func configCommand() *command {
	return &command{
		name:    "config",
		summary: "Check a configuration file, or print the default one.",
		subs: []*command{
			{
				name:    "check",
				args:    "FILE",
				nargs:   [2]int{1, 1},
				summary: "Check FILE: every unknown key and bad value is reported with its name.",
				setup: func(fs *flag.FlagSet, e *env) runFunc {
					return func(ctx context.Context, args []string) error {
						c, err := config.Load(args[0])
						if err != nil {
							return err
						}
						fmt.Fprintf(e.stdout, "%s: OK (kiosk %s, threshold %.1f °C, model %s, sensor %s)\n",
							args[0], c.KioskID, c.Rule.ThresholdC, c.Kiosk(readBuild().Date).Model, c.Sensor.Driver)
						return nil
					}
				},
			},
			{
				name:    "default",
				summary: "Print the default configuration, every key commented.",
				setup: func(fs *flag.FlagSet, e *env) runFunc {
					return func(ctx context.Context, args []string) error {
						// The values are the code's (config.Default), the
						// comments and layout deploy/config.example.toml's.
						b, err := config.Render(config.Default(), deploy.ConfigExample)
						if err != nil {
							return err
						}
						_, err = e.stdout.Write(b)
						return err
					}
				},
			},
		},
	}
}

// loadConfig reads the configuration at path; the default path may be
// missing, and then the defaults apply.
func loadConfig(path string, explicit bool) (config.Config, error) {
	c, err := config.Load(path)
	if err != nil && !explicit && isNotExist(err) {
		return config.Default(), nil
	}
	return c, err
}
