package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"
	_ "time/tzdata" // --timezone works on a system without a zone database

	"github.com/thermogate/thermogate/storage"
)

// admin is every operation of the administrator's commands. The commands
// print only what these return, and arguments and results are plain JSON
// values, so that a later implementation can carry them to the running
// daemon over its admin socket; localAdmin opens the database file itself.
type admin interface {
	ImportBookings(ctx context.Context, req importRequest) (storage.ImportResult, error)
	// ListBookings lists one day's bookings, or all for the zero Day.
	ListBookings(ctx context.Context, day storage.Day) ([]storage.Booking, error)
	CancelBooking(ctx context.Context, code string) (storage.Booking, error)
	AddGuard(ctx context.Context, name, pin string) (storage.Guard, error)
	RemoveGuard(ctx context.Context, name string) error
	ListGuards(ctx context.Context) ([]storage.Guard, error)
	Export(ctx context.Context, day storage.Day, dir string) (storage.ExportResult, error)
	VerifyAudit(ctx context.Context) (storage.AuditReport, error)
	Close() error
}

// importRequest is a bookings file to import.
type importRequest struct {
	Name    string `json:"name"`             // the file's name, for messages and the audit log
	Data    []byte `json:"data"`             // its content, at most storage.MaxImportBytes
	Format  string `json:"format,omitempty"` // "csv", "json" or "" to tell by the content
	Replace bool   `json:"replace"`
}

// localAdmin works on the database file directly; every change is audited
// with the actor "admin".
type localAdmin struct{ db *storage.DB }

var _ admin = localAdmin{}

func (a localAdmin) ImportBookings(ctx context.Context, req importRequest) (storage.ImportResult, error) {
	return a.db.ImportBookings(ctx, storage.ActorAdmin, req.Name, req.Data, req.Format, req.Replace)
}

func (a localAdmin) ListBookings(ctx context.Context, day storage.Day) ([]storage.Booking, error) {
	return a.db.Bookings(ctx, day)
}

func (a localAdmin) CancelBooking(ctx context.Context, code string) (storage.Booking, error) {
	return a.db.CancelBooking(ctx, storage.ActorAdmin, code)
}

func (a localAdmin) AddGuard(ctx context.Context, name, pin string) (storage.Guard, error) {
	return a.db.AddGuard(ctx, storage.ActorAdmin, name, pin)
}

func (a localAdmin) RemoveGuard(ctx context.Context, name string) error {
	return a.db.RemoveGuard(ctx, storage.ActorAdmin, name)
}

func (a localAdmin) ListGuards(ctx context.Context) ([]storage.Guard, error) {
	return a.db.Guards(ctx)
}

func (a localAdmin) Export(ctx context.Context, day storage.Day, dir string) (storage.ExportResult, error) {
	return a.db.ExportDay(ctx, storage.ActorAdmin, day, dir)
}

func (a localAdmin) VerifyAudit(ctx context.Context) (storage.AuditReport, error) {
	return a.db.VerifyAudit(ctx)
}

func (a localAdmin) Close() error { return a.db.Close() }

// DefaultDB is where the kiosk keeps its database.
const DefaultDB = "/var/lib/thermogate/thermogate.db"

// dbFlags are the flags of every command that works on the database.
type dbFlags struct {
	path     string
	timezone string
	wait     time.Duration
}

func (d *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.path, "db", DefaultDB, "database `file`")
	fs.StringVar(&d.timezone, "timezone", "Europe/Vilnius", "time `zone` of days and of booking times without a zone")
	fs.DurationVar(&d.wait, "wait", storage.DefaultTimeout, "how long to wait for another thermogate process to release the database")
}

// location loads --timezone.
func (d *dbFlags) location() (*time.Location, error) {
	loc, err := time.LoadLocation(d.timezone)
	if err != nil {
		return nil, usagef("--timezone %q: not a time zone name such as Europe/Vilnius", d.timezone)
	}
	return loc, nil
}

// open opens the database. Only commands that add data (create) make a new
// file; the others fail on a mistyped --db instead of creating an empty one.
func (d *dbFlags) open(create bool) (admin, error) {
	loc, err := d.location()
	if err != nil {
		return nil, err
	}
	db, err := storage.Open(d.path, storage.Options{Location: loc, Timeout: d.wait, MustExist: !create})
	if errors.Is(err, storage.ErrLocked) {
		return nil, fmt.Errorf("%w\nThe kiosk is running and holds the file: stop the thermogate service first, or run this on a copy of the file", err)
	}
	if err != nil {
		return nil, err
	}
	return localAdmin{db}, nil
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
