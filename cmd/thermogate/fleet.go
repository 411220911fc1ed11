package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/thermogate/thermogate/internal/admin"
	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/internal/fleet"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

// fleetFlags are the flags of the office's commands on the central
// database. They connect as an administrator (or the booking system's
// role), not as a kiosk.
type fleetFlags struct {
	fs           *flag.FlagSet
	url          string
	passwordFile string
	configPath   string
	timezone     string
}

func (f *fleetFlags) register(fs *flag.FlagSet, withZone bool) {
	f.fs = fs
	fs.StringVar(&f.url, "url", "",
		"central database `URL`, e.g. postgres://admin@db.office.lan/thermogate?sslmode=verify-full (default $THERMOGATE_FLEET_URL; empty: libpq's PGHOST, PGUSER, PGDATABASE …)")
	fs.StringVar(&f.passwordFile, "password-file", "", "read the password from `file` (otherwise $PGPASSWORD or ~/.pgpass)")
	if withZone {
		def := config.Default()
		fs.StringVar(&f.configPath, "config", config.DefaultPath, "configuration `file`; its timezone is the default of --timezone")
		fs.StringVar(&f.timezone, "timezone", def.Timezone, "time `zone` of days and of booking times without a zone")
	}
}

func (f *fleetFlags) connect(ctx context.Context) (*pgx.Conn, error) {
	pw := ""
	if f.passwordFile != "" {
		var err error
		if pw, err = fleet.ReadPassword(f.passwordFile); err != nil {
			return nil, err
		}
	}
	url := f.url
	if url == "" {
		url = os.Getenv("THERMOGATE_FLEET_URL") // read here, so the help (and the manual) never shows it
	}
	return fleet.Connect(ctx, url, pw)
}

// location is --timezone, or the configuration's zone when not given.
func (f *fleetFlags) location() (*time.Location, error) {
	given := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	tz := f.timezone
	if !given["timezone"] {
		c, err := loadConfig(f.configPath, given["config"])
		if err != nil {
			return nil, err
		}
		tz = c.Timezone
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, usagef("--timezone %q: not a time zone name such as Europe/Vilnius", tz)
	}
	return loc, nil
}

// officeFunc is an office command's work: it checks the flags and
// arguments (loc is the zone of --timezone, nil for a command without
// one) and returns what to do on the connection, which is made only when
// they are good.
type officeFunc func(ctx context.Context, loc *time.Location, args []string) (func(*pgx.Conn) error, error)

// officeSetup is the setup of a command of the office's on the central
// database: the fleet flags (with --config and --timezone when zone), the
// command's own flags registered by setup, and one connection for its work.
func officeSetup(zone bool, setup func(fs *flag.FlagSet, e *env) officeFunc) func(*flag.FlagSet, *env) runFunc {
	return func(fs *flag.FlagSet, e *env) runFunc {
		var f fleetFlags
		f.register(fs, zone)
		work := setup(fs, e)
		return func(ctx context.Context, args []string) error {
			var loc *time.Location
			if zone {
				var err error
				if loc, err = f.location(); err != nil {
					return err
				}
			}
			fn, err := work(ctx, loc, args)
			if err != nil {
				return err
			}
			return f.with(ctx, fn)
		}
	}
}

// with connects, runs fn and disconnects.
func (f *fleetFlags) with(ctx context.Context, fn func(*pgx.Conn) error) error {
	conn, err := f.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return fn(conn)
}

func fleetCommand() *command {
	return &command{
		name: "fleet",
		summary: "The office's central PostgreSQL database: schema, kiosks' roles, bookings, status, reports.\n" +
			"Kiosks sync with it when [fleet] url is set in their configuration.",
		subs: []*command{
			fleetMigrateCommand(), fleetAddKioskCommand(), fleetBookingsCommand(),
			fleetStatusCommand(), fleetReportCommand(), fleetVerifyCommand(), fleetPurgeCommand(),
			fleetLeaveCommand(),
		},
	}
}

func fleetMigrateCommand() *command {
	return &command{
		name: "migrate",
		summary: "Create or upgrade the central schema, its roles (thermogate_kiosk, thermogate_office)\n" +
			"and row-level security. Run as the database's owner with CREATEROLE, or a superuser.",
		setup: officeSetup(false, func(fs *flag.FlagSet, e *env) officeFunc {
			return func(ctx context.Context, loc *time.Location, _ []string) (func(*pgx.Conn) error, error) {
				return func(conn *pgx.Conn) error {
					applied, err := fleet.Migrate(ctx, conn)
					if err != nil {
						return err
					}
					if len(applied) == 0 {
						fmt.Fprintf(e.stdout, "central schema is up to date (version %d)\n", fleet.SchemaVersion())
						return nil
					}
					fmt.Fprintf(e.stdout, "central schema migrated to version %d (applied %s)\n", fleet.SchemaVersion(), joinInts(applied))
					return nil
				}, nil
			}
		}),
	}
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

func fleetAddKioskCommand() *command {
	return &command{
		name: "add-kiosk",
		args: "NAME",
		summary: "Register a kiosk with its own PostgreSQL role and print its [fleet] setup.\n" +
			"NAME is the kiosk's kiosk_id. Again for the same NAME: a new password.",
		nargs: [2]int{1, 1},
		setup: officeSetup(false, func(fs *flag.FlagSet, e *env) officeFunc {
			location := fs.String("location", "", "the kiosk's location: it takes the bookings of this location and those without one")
			out := fs.String("write-password", "", "write the new password to `file` (mode 0600) instead of printing it")
			return func(ctx context.Context, loc *time.Location, args []string) (func(*pgx.Conn) error, error) {
				return func(conn *pgx.Conn) error {
					k, err := fleet.AddKiosk(ctx, conn, args[0], *location)
					if err != nil {
						return err
					}
					cfg := conn.Config()
					host := cfg.Host
					if strings.HasPrefix(host, "/") {
						host = "DBHOST"
					}
					fmt.Fprintf(e.stdout, "kiosk %s: role %s, member of %s\n\n", k.ID, k.Role, fleet.RoleKiosk)
					fmt.Fprintf(e.stdout, "On the kiosk, /etc/thermogate/config.toml:\n\n")
					fmt.Fprintf(e.stdout, "  kiosk_id = %q\n\n  [fleet]\n  url = \"postgres://%s@%s/%s?sslmode=verify-full&sslrootcert=/etc/thermogate/fleet-ca.pem\"\n",
						k.ID, k.Role, host, cfg.Database)
					fmt.Fprintf(e.stdout, "  location = %q\n  password_file = %q\n\n", k.Location, fleet.DefaultPasswordFile)
					fmt.Fprintf(e.stdout, "and the password in %s (root, mode 0600; the units hand it over with LoadCredential=).\n", fleet.CredentialStoreFile)
					if *out != "" {
						if err := writeSecret(*out, k.Password); err != nil {
							return err
						}
						fmt.Fprintf(e.stdout, "The password is in %s.\n", *out)
						return nil
					}
					fmt.Fprintf(e.stdout, "Password (shown once):\n\n  %s\n", k.Password)
					return nil
				}, nil
			}
		}),
	}
}

// writeSecret writes a password file readable by its owner only.
func writeSecret(name, secret string) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".pw-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err == nil {
		_, err = tmp.WriteString(secret + "\n")
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

func fleetBookingsCommand() *command {
	return &command{
		name:    "bookings",
		summary: "Import and cancel bookings centrally; every door pulls the change within seconds.",
		subs:    []*command{fleetBookingsImportCommand(), fleetBookingsCancelCommand()},
	}
}

func fleetBookingsImportCommand() *command {
	return &command{
		name: "import",
		args: "FILE",
		summary: "Import bookings from a CSV or JSON file (- for standard input) into the central database:\n" +
			"checked as a kiosk's own import, all rows or none. Columns: code, start, and optionally\n" +
			"minutes, service, lang, location. A row identical to a booking changes nothing.",
		nargs: [2]int{1, 1},
		setup: officeSetup(true, func(fs *flag.FlagSet, e *env) officeFunc {
			return func(ctx context.Context, loc *time.Location, args []string) (func(*pgx.Conn) error, error) {
				data, err := readImportFile(args[0], e.stdin)
				if err != nil {
					return nil, err
				}
				return func(conn *pgx.Conn) error {
					r, err := fleet.ImportBookings(ctx, conn, filepath.Base(args[0]), data, loc)
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "%s: %d bookings: %d added, %d unchanged\n", r.File, r.Rows, r.Added, r.Unchanged)
					return nil
				}, nil
			}
		}),
	}
}

func fleetBookingsCancelCommand() *command {
	return &command{
		name:    "cancel",
		args:    "CODE",
		summary: "Cancel a booking centrally: every door refuses the code once it has synced.",
		nargs:   [2]int{1, 1},
		setup: officeSetup(true, func(fs *flag.FlagSet, e *env) officeFunc {
			return func(ctx context.Context, loc *time.Location, args []string) (func(*pgx.Conn) error, error) {
				return func(conn *pgx.Conn) error {
					b, err := fleet.CancelBooking(ctx, conn, args[0])
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "cancelled %s (%s, %d min%s)\n", b.Code, b.Start.In(loc).Format("2006-01-02 15:04"), b.Minutes, atLoc(b.Location))
					return nil
				}, nil
			}
		}),
	}
}

func atLoc(l string) string {
	if l == "" {
		return ""
	}
	return ", " + l
}

func fleetStatusCommand() *command {
	return &command{
		name:    "status",
		summary: "Every door: last seen, in or out of service and why, backlog, bookings, version.",
		setup: officeSetup(true, func(fs *flag.FlagSet, e *env) officeFunc {
			return func(ctx context.Context, loc *time.Location, _ []string) (func(*pgx.Conn) error, error) {
				return func(conn *pgx.Conn) error {
					doors, seq, err := fleet.Status(ctx, conn)
					if err != nil {
						return err
					}
					tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
					fmt.Fprintln(tw, "KIOSK\tLOCATION\tLAST SEEN\tSERVICE\tBACKLOG\tBOOKINGS\tVERSION")
					for _, d := range doors {
						seen, service := "never", "-"
						if !d.Seen.IsZero() {
							seen = d.Seen.In(loc).Format("2006-01-02 15:04:05")
							service = "in service"
							if !d.InService {
								service = "OUT: " + d.Why
							}
						}
						books := fmt.Sprintf("%d/%d", d.BookingSeq, seq)
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.Location, seen, service, d.Backlog, books, d.Version)
					}
					if err := tw.Flush(); err != nil {
						return err
					}
					if len(doors) == 0 {
						fmt.Fprintln(e.stdout, "no kiosks yet: thermogate fleet add-kiosk NAME")
					}
					return nil
				}, nil
			}
		}),
	}
}

func fleetReportCommand() *command {
	return &command{
		name:    "report",
		summary: "A day's screenings per door: counts by decision and reason, and per hour.",
		setup: officeSetup(true, func(fs *flag.FlagSet, e *env) officeFunc {
			day := fs.String("day", "", "the `day`, YYYY-MM-DD (default today)")
			return func(ctx context.Context, loc *time.Location, _ []string) (func(*pgx.Conn) error, error) {
				d := storage.DayOf(time.Now(), loc)
				if *day != "" {
					var err error
					if d, err = storage.ParseDay(*day); err != nil {
						return nil, usagef("--day %q: want YYYY-MM-DD", *day)
					}
				}
				return func(conn *pgx.Conn) error {
					reps, err := fleet.Report(ctx, conn, d, loc)
					if err != nil {
						return err
					}
					if len(reps) == 0 {
						fmt.Fprintf(e.stdout, "%s: no screenings\n", d)
						return nil
					}
					for _, r := range reps {
						fmt.Fprintf(e.stdout, "%s %s: %d screenings (admit %d, deny %d, refer %d)\n", d, r.Kiosk, r.Total,
							r.Decision[string(kiosk.Admit)], r.Decision[string(kiosk.Deny)], r.Decision[string(kiosk.Refer)])
						keys := make([]string, 0, len(r.Counts))
						for k := range r.Counts {
							keys = append(keys, k)
						}
						slices.Sort(keys)
						for _, k := range keys {
							fmt.Fprintf(e.stdout, "  %-28s %d\n", k, r.Counts[k])
						}
						fmt.Fprintf(e.stdout, "  per hour:")
						for h, n := range r.PerHour {
							if n > 0 {
								fmt.Fprintf(e.stdout, " %02d:00 %d;", h, n)
							}
						}
						fmt.Fprintln(e.stdout)
					}
					return nil
				}, nil
			}
		}),
	}
}

func fleetVerifyCommand() *command {
	return &command{
		name:    "verify",
		summary: "Check every door's central screenings and audit log: nothing missing or changed.",
		setup: officeSetup(false, func(fs *flag.FlagSet, e *env) officeFunc {
			return func(ctx context.Context, loc *time.Location, _ []string) (func(*pgx.Conn) error, error) {
				return func(conn *pgx.Conn) error {
					reps, ok, err := fleet.Verify(ctx, conn)
					if err != nil {
						return err
					}
					for _, r := range reps {
						state := "intact"
						if r.Problem != "" {
							state = "BROKEN: " + r.Problem
						} else if !r.Linked && r.Rows > 0 {
							state = "complete (records without hash links)"
						}
						span := "none"
						if r.Rows > 0 {
							span = fmt.Sprintf("%d–%d", r.First, r.Last)
						}
						fmt.Fprintf(e.stdout, "%s %s: %d (%s) %s\n", r.Kiosk, r.Kind, r.Rows, span, state)
					}
					if !ok {
						return fmt.Errorf("the central copy does not verify")
					}
					return nil
				}, nil
			}
		}),
	}
}

func fleetPurgeCommand() *command {
	return &command{
		name:    "purge",
		summary: "Remove central records and bookings older than --older-than; the chains stay verifiable.",
		setup: officeSetup(false, func(fs *flag.FlagSet, e *env) officeFunc {
			older := fs.String("older-than", "", "age, e.g. 90d or 2160h (required)")
			return func(ctx context.Context, loc *time.Location, _ []string) (func(*pgx.Conn) error, error) {
				age, err := parseAge(*older)
				if err != nil {
					return nil, err
				}
				return func(conn *pgx.Conn) error {
					r, err := fleet.Purge(ctx, conn, time.Now().Add(-age))
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "purged %d screenings, %d audit entries, %d bookings\n", r.Screenings, r.Audit, r.Bookings)
					return nil
				}, nil
			}
		}),
	}
}

// parseAge reads "90d" or a Go duration of at least a day.
func parseAge(s string) (time.Duration, error) {
	if s == "" {
		return 0, usagef("--older-than is required, e.g. --older-than 90d")
	}
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, usagef("--older-than %q: want days such as 90d, or a duration such as 2160h", s)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, usagef("--older-than %q: want days such as 90d, or a duration such as 2160h", s)
		}
	}
	if d < 24*time.Hour {
		return 0, usagef("--older-than %q: at least a day", s)
	}
	return d, nil
}

func fleetLeaveCommand() *command {
	return &command{
		name: "leave",
		summary: "On a kiosk whose [fleet] url was emptied: drop its outbox, the records still queued for the\n" +
			"central database, after --yes. The screenings stay in the kiosk's database and exports.\n" +
			"Without leaving, an emptied url keeps the outbox: it goes out when the kiosk joins again.\n" +
			"Run it with the kiosk stopped.",
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			var d dbFlags
			d.register(fs)
			yes := fs.Bool("yes", false, "drop the queued records; without it, only say what would be dropped")
			return func(ctx context.Context, _ []string) error {
				if err := d.resolve(); err != nil {
					return err
				}
				given := map[string]bool{}
				fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
				cfg, err := loadConfig(d.configPath, given["config"])
				if err != nil {
					return err
				}
				if cfg.Fleet.Enabled() {
					return fmt.Errorf("%s still sets [fleet] url: empty it first, or the kiosk joins again at its next start", d.configPath)
				}
				return withAdmin(ctx, &d, false, func(a admin.Service) error {
					l, ok := a.(admin.Local)
					if !ok {
						return errors.New("the kiosk is running: stop it first (systemctl stop thermogate-kiosk or thermogate-headless), then leave")
					}
					if !l.DB.OutboxEnabled() {
						fmt.Fprintln(e.stdout, "this kiosk is in no fleet: nothing to drop")
						return nil
					}
					who, n := l.DB.FleetKiosk(), l.DB.OutboxLen()
					if !*yes {
						fmt.Fprintf(e.stdout, "the outbox of %s holds %d records never sent to the central database; "+
							"leaving drops them (they stay in this database and its exports).\n", orUnnamed(who), n)
						return usagef("add --yes to leave the fleet")
					}
					dropped, err := l.DB.LeaveFleet(ctx, storage.ActorAdmin)
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "left the fleet as %s: %d unsent records dropped from the outbox\n", orUnnamed(who), dropped)
					return nil
				})
			}
		},
	}
}

func orUnnamed(id string) string {
	if id == "" {
		return "this kiosk"
	}
	return id
}
