package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"runtime"
	"runtime/debug"
	"time"
)

// Set at build time with -ldflags "-X main.version=… -X main.commit=… -X main.buildDate=…"
// (make does). Without them, the build is described by what Go embeds from
// the git checkout it was built in (see readBuild).
var (
	version   = ""
	commit    = ""
	buildDate = ""
)

// build describes this binary: its version, commit and build date, and
// where the date came from.
type build struct {
	Version string
	Commit  string
	// Date is the commit's date (make passes it; Go's vcs.time is the same
	// date), zero when neither -ldflags nor Go's build information gives one.
	Date time.Time
	// NoDate says why Date is zero, for the version line and the log.
	NoDate string
}

// readBuild takes the version, commit and date from -ldflags, and what
// -ldflags leaves out from the build information Go embeds when it builds
// the main package in a git checkout (vcs.revision, vcs.time, vcs.modified;
// `go build` does so unless -buildvcs=false).
func readBuild() build {
	var settings []debug.BuildSetting
	if bi, ok := debug.ReadBuildInfo(); ok {
		settings = bi.Settings
	}
	return describeBuild(version, commit, buildDate, settings)
}

func describeBuild(ldVersion, ldCommit, ldDate string, settings []debug.BuildSetting) build {
	vcs := map[string]string{}
	for _, s := range settings {
		vcs[s.Key] = s.Value
	}
	b := build{Version: ldVersion, Commit: ldCommit}
	if b.Commit == "" {
		if rev := vcs["vcs.revision"]; rev != "" {
			b.Commit = rev[:min(12, len(rev))]
			if vcs["vcs.modified"] == "true" {
				b.Commit += "-dirty"
			}
		} else {
			b.Commit = "unknown"
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	switch {
	case ldDate != "":
		t, err := time.Parse(time.RFC3339, ldDate)
		if err != nil {
			b.NoDate = fmt.Sprintf("the build date %q given to the linker is not an RFC 3339 time", ldDate)
		} else {
			b.Date = t
		}
	case vcs["vcs.time"] != "":
		t, err := time.Parse(time.RFC3339, vcs["vcs.time"])
		if err != nil {
			b.NoDate = fmt.Sprintf("Go's vcs.time %q is not an RFC 3339 time", vcs["vcs.time"])
		} else {
			b.Date = t
		}
	default:
		b.NoDate = "built outside a git checkout or with -buildvcs=false, and without -ldflags main.buildDate (make sets it)"
	}
	return b
}

// String is the version line: `thermogate VERSION (commit C, built DATE, GO OS/ARCH)`.
func (b build) String() string {
	built := "built " + b.Date.UTC().Format(time.RFC3339)
	if b.Date.IsZero() {
		built = "no build date: clock check off"
	}
	return fmt.Sprintf("thermogate %s (commit %s, %s, %s %s/%s)",
		b.Version, b.Commit, built, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func versionCommand() *command {
	return &command{
		name: "version",
		summary: "Print the version, commit and build date. The kiosk takes a clock earlier than the\n" +
			"build date as not set (a Pi without a real-time clock before NTP) and stops until it is.",
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			return func(ctx context.Context, args []string) error {
				b := readBuild()
				fmt.Fprintln(e.stdout, b)
				if b.Date.IsZero() {
					fmt.Fprintf(e.stdout, "clock check off: no build date (%s)\n", b.NoDate)
				} else {
					fmt.Fprintf(e.stdout, "clock check on: a clock earlier than %s is taken as not set\n", b.Date.UTC().Format(time.RFC3339))
				}
				return nil
			}
		},
	}
}

// notBefore is the build date, the earliest time the kiosk's clock may
// show, or zero when the build has none. It says which in the log, so a
// kiosk without the check says so at start instead of silently.
func notBefore(log *slog.Logger) time.Time {
	b := readBuild()
	if b.Date.IsZero() {
		log.Warn("clock check off: no build date", "why", b.NoDate)
	} else {
		log.Info("clock check on: a clock earlier than the build date is taken as not set", "build_date", b.Date.UTC().Format(time.RFC3339))
	}
	return b.Date
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
