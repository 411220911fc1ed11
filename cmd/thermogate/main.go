// Command thermogate is the entrance health-screening kiosk: the touchscreen,
// the headless daemon, the simulator and the administrator's tools, in one
// binary. Run `thermogate help` for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // time zones even on a system without tzdata: days and booking slots depend on them

	// Before Fyne reads the locale (its lang package's init): no "Error
	// parsing user locale C" under LANG=C.UTF-8 and friends.
	_ "github.com/thermogate/thermogate/internal/localefix"
)

func main() {
	// SIGHUP too: xinit sends it to the kiosk when the X session ends.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := execute(ctx, commands(), os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	os.Exit(code)
}

// commands is the whole command tree.
func commands() *command {
	return &command{
		name:    "thermogate",
		summary: "thermogate is an entrance health-screening kiosk: booking code, one symptoms\nquestion, a contactless forehead reading, ADMIT or DENY.",
		subs: []*command{
			runCommand(),
			bookingsCommand(),
			guardCommand(),
			screeningsCommand(),
			exportCommand(),
			auditCommand(),
			dbCommand(),
			statusCommand(),
			fleetCommand(),
			configCommand(),
			demoCommand(),
			sensorCommand(),
			simulateCommand(),
			soundCommand(),
			gpioCommand(),
			versionCommand(),
		},
	}
}
