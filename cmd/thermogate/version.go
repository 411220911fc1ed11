package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"runtime"
	"time"
)

// Set at build time with -ldflags "-X main.version=… -X main.commit=… -X main.buildDate=…".
var (
	version   = "dev"
	commit    = "unknown"
	buildDate = "unknown"
)

func versionCommand() *command {
	return &command{
		name:    "version",
		summary: "Print the version, commit and build date.",
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			return func(ctx context.Context, args []string) error {
				fmt.Fprintf(e.stdout, "thermogate %s (commit %s, built %s, %s %s/%s)\n",
					version, commit, buildDate, runtime.Version(), runtime.GOOS, runtime.GOARCH)
				return nil
			}
		},
	}
}

// buildTime is the build date set at link time, or zero when unknown. A
// clock earlier than it is plainly wrong.
func buildTime() time.Time {
	t, err := time.Parse(time.RFC3339, buildDate)
	if err != nil {
		return time.Time{}
	}
	return t
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
