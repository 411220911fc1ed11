package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/thermogate/thermogate/internal/admin"
	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

// dbFlags are the flags of every command that works on the database. The
// configuration file gives the defaults of --db and --timezone.
type dbFlags struct {
	fs          *flag.FlagSet
	configPath  string
	path        string
	timezone    string
	wait        time.Duration
	resolved    bool
	tzGiven     bool   // --timezone was given
	cfgTimezone string // the configuration's zone, the running kiosk's
	// readOnly: the command only reads, so the file is opened read-only and
	// stays byte for byte as it was (a copy kept as evidence, a read-only file).
	readOnly bool
}

func (d *dbFlags) register(fs *flag.FlagSet) {
	d.fs = fs
	def := config.Default()
	fs.StringVar(&d.configPath, "config", config.DefaultPath, "configuration `file`; its store.path and timezone are the defaults of --db and --timezone")
	fs.StringVar(&d.path, "db", def.Store.Path, "database `file`")
	fs.StringVar(&d.timezone, "timezone", def.Timezone, "time `zone` of days and of booking times without a zone")
	fs.DurationVar(&d.wait, "wait", storage.DefaultTimeout, "how long to wait for another thermogate process to release the database, and for the running kiosk to answer (at least 1s)")
}

// resolve takes --db and --timezone from the configuration file unless they
// were given. A missing file at the default path is no error.
func (d *dbFlags) resolve() error {
	if d.resolved {
		return nil
	}
	d.resolved = true
	given := map[string]bool{}
	d.fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	c, err := loadConfig(d.configPath, given["config"])
	if err != nil {
		return err
	}
	if !given["db"] {
		d.path = c.Store.Path
	}
	d.tzGiven, d.cfgTimezone = given["timezone"], c.Timezone
	if !d.tzGiven {
		d.timezone = c.Timezone
	}
	return nil
}

// location loads --timezone.
func (d *dbFlags) location() (*time.Location, error) {
	if err := d.resolve(); err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(d.timezone)
	if err != nil {
		return nil, usagef("--timezone %q: not a time zone name such as Europe/Vilnius", d.timezone)
	}
	return loc, nil
}

// open reaches the database: through the running kiosk's admin socket when
// the kiosk holds the very --db file (same device and inode, which the
// kiosk reports), else by opening the file. Only commands that add data
// (create) make a new file; the others fail on a mistyped --db instead of
// creating an empty one.
func (d *dbFlags) open(ctx context.Context, create bool) (admin.Service, error) {
	loc, err := d.location()
	if err != nil {
		return nil, err
	}
	want, statErr := admin.FileOf(d.path)
	// unreached says why a kiosk that may hold the file could not be asked:
	// the message for a file that turns out to be held.
	var unreached error
	for _, sock := range d.sockets(want) {
		c, err := admin.DialWait(ctx, sock, d.wait)
		switch {
		case errors.Is(err, admin.ErrNoDaemon):
			continue
		case err != nil:
			if unreached == nil {
				unreached = err
			}
			continue
		}
		held, _ := c.Database(ctx)
		if statErr != nil || !held.Same(want) {
			c.Close() // a kiosk on another file beside this one
			continue
		}
		if d.tzGiven && d.timezone != d.cfgTimezone {
			c.Close()
			return nil, usagef("--timezone %s: the running kiosk reads and shows times in its configured zone, %s; "+
				"leave --timezone out, or give booking times in RFC 3339 with their offset", d.timezone, d.cfgTimezone)
		}
		return c, nil
	}
	db, err := storage.Open(d.path, storage.Options{Vocabulary: kiosk.Vocabulary(), Location: loc, Timeout: d.wait, MustExist: !create, ReadOnly: d.readOnly})
	if unreached != nil && (errors.Is(err, storage.ErrLocked) || errors.Is(err, os.ErrPermission)) {
		return nil, fmt.Errorf("%w\n(%v)", unreached, err)
	}
	if errors.Is(err, storage.ErrLocked) {
		return nil, fmt.Errorf("%w\nAnother thermogate process holds the file and does not answer on %s: stop it first, or run this on a copy of the file", err, config.SocketPath(d.path))
	}
	if err != nil {
		return nil, err
	}
	return admin.Local{DB: db, Owned: true}, nil
}

// sockets are where a kiosk holding the --db file would listen: beside the
// path given, and beside the file it resolves to.
func (d *dbFlags) sockets(f admin.DBFile) []string {
	socks := []string{config.SocketPath(d.path)}
	if f.Path != "" && config.SocketPath(f.Path) != socks[0] {
		socks = append(socks, config.SocketPath(f.Path))
	}
	return socks
}

// parseDay reads a --day: YYYY-MM-DD, "today" or "yesterday" in loc.
func parseDay(s string, loc *time.Location) (storage.Day, error) {
	today := storage.DayOf(time.Now(), loc)
	switch s {
	case "today":
		return today, nil
	case "yesterday":
		return today.AddDays(-1), nil
	}
	d, err := storage.ParseDay(s)
	if err != nil {
		return storage.Day{}, usagef("--day %q: want YYYY-MM-DD, today or yesterday", s)
	}
	return d, nil
}
