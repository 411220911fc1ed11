package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/thermogate/thermogate/internal/admin"
	"github.com/thermogate/thermogate/storage"
)

// withAdmin reaches the database, runs fn and lets go of it.
func withAdmin(ctx context.Context, d *dbFlags, create bool, fn func(admin.Service) error) error {
	a, err := d.open(ctx, create)
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}

func bookingsCommand() *command {
	return &command{
		name:    "bookings",
		summary: "Import, list and cancel the phone-booked appointments.",
		subs:    []*command{bookingsImportCommand(), bookingsListCommand(), bookingsCancelCommand()},
	}
}

func bookingsImportCommand() *command {
	return &command{
		name: "import",
		args: "FILE",
		summary: "Import bookings from a CSV or JSON file (- for standard input): all rows or none.\n" +
			"CSV has a header row with code and start, and optionally minutes, service, lang.\n" +
			"start is YYYY-MM-DD HH:MM in --timezone, or RFC 3339.",
		nargs: [2]int{1, 1},
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			var d dbFlags
			d.register(fs)
			replace := fs.Bool("replace", false, "replace the bookings of the days the file covers")
			format := fs.String("format", "", "csv or json; by default told by the content")
			return func(ctx context.Context, args []string) error {
				if *format != "" && *format != "csv" && *format != "json" {
					return usagef("--format %q: want csv or json", *format)
				}
				data, err := readImportFile(args[0], e.stdin)
				if err != nil {
					return err
				}
				return withAdmin(ctx, &d, true, func(a admin.Service) error {
					r, err := a.ImportBookings(ctx, admin.ImportRequest{Name: filepath.Base(args[0]), Data: data, Format: *format, Replace: *replace})
					if err != nil {
						return err
					}
					days := make([]string, len(r.Days))
					for i, day := range r.Days {
						days[i] = day.String()
					}
					fmt.Fprintf(e.stdout, "%s: %d bookings imported: %d added, %d changed, %d unchanged, %d removed (%s)\n",
						r.File, r.Rows, r.Added, r.Changed, r.Unchanged, r.Removed, strings.Join(days, ", "))
					return nil
				})
			}
		},
	}
}

// readImportFile reads at most storage.MaxImportBytes, and says so plainly
// rather than reading a huge file into memory.
func readImportFile(name string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, storage.MaxImportBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > storage.MaxImportBytes {
		return nil, fmt.Errorf("%s: %w: more than %d MiB; split it by day", name, storage.ErrTooLarge, storage.MaxImportBytes>>20)
	}
	return data, nil
}

func bookingsListCommand() *command {
	return &command{
		name:    "list",
		summary: "List the bookings of a day.",
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			var d dbFlags
			d.register(fs)
			d.readOnly = true
			dayFlag := fs.String("day", "today", "`day`: YYYY-MM-DD, today, yesterday, or all")
			return func(ctx context.Context, args []string) error {
				loc, err := d.location()
				if err != nil {
					return err
				}
				var day storage.Day
				if *dayFlag != "all" {
					if day, err = parseDay(*dayFlag, loc); err != nil {
						return err
					}
				}
				return withAdmin(ctx, &d, false, func(a admin.Service) error {
					list, err := a.ListBookings(ctx, day)
					if err != nil {
						return err
					}
					if len(list) == 0 {
						if day.IsZero() {
							fmt.Fprintln(e.stdout, "no bookings")
						} else {
							fmt.Fprintf(e.stdout, "no bookings on %s\n", day)
						}
						return nil
					}
					tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
					fmt.Fprintln(tw, "CODE\tSTART\tMIN\tLANG\tSTATUS\tUSED\tSERVICE")
					for _, b := range list {
						used := ""
						if !b.UsedAt.IsZero() {
							used = b.UsedAt.In(loc).Format("15:04")
						}
						fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", b.Code, b.Start.In(loc).Format("2006-01-02 15:04"),
							b.Minutes, b.Lang, b.Status, used, b.Service)
					}
					return tw.Flush()
				})
			}
		},
	}
}

func bookingsCancelCommand() *command {
	return &command{
		name:    "cancel",
		args:    "CODE",
		summary: "Cancel a booking: the kiosk then refuses its code.",
		nargs:   [2]int{1, 1},
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			var d dbFlags
			d.register(fs)
			return func(ctx context.Context, args []string) error {
				return withAdmin(ctx, &d, false, func(a admin.Service) error {
					b, err := a.CancelBooking(ctx, args[0])
					if err != nil {
						return err
					}
					loc, _ := d.location()
					fmt.Fprintf(e.stdout, "%s cancelled (%s, %d min)\n", b.Code, b.Start.In(loc).Format("2006-01-02 15:04"), b.Minutes)
					return nil
				})
			}
		},
	}
}

func guardCommand() *command {
	return &command{
		name:    "guard",
		summary: "Add, remove and list the guards who may override the kiosk with a PIN.",
		subs:    []*command{guardAddCommand(), guardRemoveCommand(), guardListCommand()},
	}
}

func guardAddCommand() *command {
	return &command{
		name: "add",
		args: "NAME",
		summary: "Add a guard. The PIN (4–8 digits, not an obvious one) is asked twice on a\n" +
			"terminal, or read from the first line of standard input.",
		nargs: [2]int{1, 1},
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			var d dbFlags
			d.register(fs)
			return func(ctx context.Context, args []string) error {
				pin, err := readPIN(e, args[0])
				if err != nil {
					return err
				}
				return withAdmin(ctx, &d, true, func(a admin.Service) error {
					g, err := a.AddGuard(ctx, args[0], pin)
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "guard %s added\n", g.Name)
					return nil
				})
			}
		},
	}
}

// readPIN asks twice without echo on a terminal, and otherwise reads one
// line, so that a script can pipe the PIN in.
func readPIN(e *env, name string) (string, error) {
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		ask := func(prompt string) (string, error) {
			fmt.Fprint(e.stderr, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(e.stderr)
			return string(b), err
		}
		pin, err := ask(fmt.Sprintf("PIN for %s (4–8 digits): ", name))
		if err != nil {
			return "", err
		}
		if err := storage.CheckPIN(pin); err != nil {
			return "", err
		}
		again, err := ask("The same PIN again: ")
		if err != nil {
			return "", err
		}
		if again != pin {
			return "", errors.New("the two PINs differ; nothing changed")
		}
		return pin, nil
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	pin := strings.TrimRight(line, "\r\n")
	if pin == "" {
		return "", errors.New("no PIN on standard input (give it on the first line)")
	}
	return pin, nil
}

func guardRemoveCommand() *command {
	return &command{
		name:    "remove",
		args:    "NAME",
		summary: "Remove a guard.",
		nargs:   [2]int{1, 1},
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			var d dbFlags
			d.register(fs)
			return func(ctx context.Context, args []string) error {
				return withAdmin(ctx, &d, false, func(a admin.Service) error {
					if err := a.RemoveGuard(ctx, args[0]); err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "guard %s removed\n", args[0])
					return nil
				})
			}
		},
	}
}

func guardListCommand() *command {
	return &command{
		name:    "list",
		summary: "List the guards (names only; PINs are stored as argon2id hashes).",
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			var d dbFlags
			d.register(fs)
			d.readOnly = true
			return func(ctx context.Context, args []string) error {
				loc, err := d.location()
				if err != nil {
					return err
				}
				return withAdmin(ctx, &d, false, func(a admin.Service) error {
					list, err := a.ListGuards(ctx)
					if err != nil {
						return err
					}
					if len(list) == 0 {
						fmt.Fprintln(e.stdout, "no guards; add one with: thermogate guard add NAME")
						return nil
					}
					tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
					fmt.Fprintln(tw, "NAME\tADDED\tPIN HASH COST")
					for _, g := range list {
						fmt.Fprintf(tw, "%s\t%s\t%s\n", g.Name, g.Added.In(loc).Format("2006-01-02 15:04"), g.Cost)
					}
					return tw.Flush()
				})
			}
		},
	}
}

func exportCommand() *command {
	return &command{
		name: "export",
		summary: "Export one day's screenings and audit entries into a directory.\n" +
			"Writes CSV, JSON Lines and a manifest with sha256 and the day's figures, mode 0600.",
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			var d dbFlags
			d.register(fs)
			dayFlag := fs.String("day", "yesterday", "`day` to export: YYYY-MM-DD or yesterday; a day must be over")
			dir := fs.String("dir", ".", "`directory` to write into; made (mode 0700) if missing")
			return func(ctx context.Context, args []string) error {
				loc, err := d.location()
				if err != nil {
					return err
				}
				day, err := parseDay(*dayFlag, loc)
				if err != nil {
					return err
				}
				abs, err := filepath.Abs(*dir) // the daemon, if it runs, has another working directory
				if err != nil {
					return err
				}
				return withAdmin(ctx, &d, false, func(a admin.Service) error {
					r, err := a.Export(ctx, day, abs)
					if err != nil {
						return err
					}
					m := r.Manifest
					fmt.Fprintf(e.stdout, "exported %s to %s: %d screenings, %d audit entries\n", m.Day, r.Dir, m.Screenings, m.AuditEntries)
					for _, f := range append(m.Files, r.File) {
						fmt.Fprintf(e.stdout, "  %-30s %8d bytes  sha256 %s\n", f.Name, f.Bytes, f.SHA256)
					}
					st := m.Stats
					fmt.Fprintf(e.stdout, "admitted %d, denied %d, referred %d", st.Admitted, st.Denied, st.Referred)
					if st.MedianC != nil {
						fmt.Fprintf(e.stdout, "; admitted temperatures: median %.1f °C, 10%% %.1f, 90%% %.1f", *st.MedianC, *st.P10C, *st.P90C)
					}
					fmt.Fprintln(e.stdout)
					if st.CalibrationWarning != "" {
						fmt.Fprintf(e.stdout, "WARNING: %s\n", st.CalibrationWarning)
					}
					return nil
				})
			}
		},
	}
}

func screeningsCommand() *command {
	return &command{
		name:    "screenings",
		summary: "List a day's screenings: time, code, decision, reason, shown temperature, guard.",
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			var d dbFlags
			d.register(fs)
			d.readOnly = true
			dayFlag := fs.String("day", "today", "`day`: YYYY-MM-DD, today or yesterday")
			return func(ctx context.Context, args []string) error {
				loc, err := d.location()
				if err != nil {
					return err
				}
				day, err := parseDay(*dayFlag, loc)
				if err != nil {
					return err
				}
				return withAdmin(ctx, &d, false, func(a admin.Service) error {
					list, err := a.ListScreenings(ctx, day)
					if err != nil {
						return err
					}
					if len(list) == 0 {
						fmt.Fprintf(e.stdout, "no screenings on %s\n", day)
						return nil
					}
					tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
					fmt.Fprintln(tw, "ID\tTIME\tCODE\tDECISION\tREASON\tSHOWN\tRETEST\tGUARD")
					for _, s := range list {
						shown, retest := "", ""
						if s.ShownC != nil {
							shown = fmt.Sprintf("%.1f", *s.ShownC)
						}
						if s.Retest {
							retest = "yes"
						}
						guard := s.Guard
						if s.OverrideReason != "" {
							guard += " (" + s.OverrideReason + ")"
						}
						fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Time.In(loc).Format("15:04:05"), s.Code, s.Decision, s.Reason, shown, retest, guard)
					}
					return tw.Flush()
				})
			}
		},
	}
}

func auditCommand() *command {
	return &command{
		name:    "audit",
		summary: "Check the hash-chained audit log.",
		subs: []*command{{
			name: "verify",
			summary: "Check every link of the hash chains (audit log, screenings, booking changes and the\n" +
				"bookings themselves); exit 1 and name the first broken one. With --manifest, also check\n" +
				"that the chains still hold where an export's manifest recorded them at the end of its day.",
			setup: func(fs *flag.FlagSet, e *env) runFunc {
				var d dbFlags
				d.register(fs)
				d.readOnly = true
				manifest := fs.String("manifest", "", "an export's manifest-YYYY-MM-DD.json `file` to check the chains against")
				return func(ctx context.Context, args []string) error {
					var m storage.Manifest
					if *manifest != "" {
						var err error
						if m, err = storage.ReadManifest(*manifest); err != nil {
							return err
						}
					}
					return withAdmin(ctx, &d, false, func(a admin.Service) error {
						var r storage.AuditReport
						var err error
						if *manifest != "" {
							r, err = a.VerifyManifest(ctx, m)
						} else {
							r, err = a.VerifyAudit(ctx)
						}
						if err != nil {
							return err
						}
						if !r.OK {
							if strings.HasPrefix(r.Where, "audit entry") {
								return fmt.Errorf("audit log broken at entry %d: %s", r.Broken, r.Problem)
							}
							return fmt.Errorf("hash chain broken at %s: %s", r.Where, r.Problem)
						}
						fmt.Fprintf(e.stdout, "audit log intact: %d %s", r.Entries, plural(r.Entries, "entry", "entries"))
						if r.Entries > 0 {
							fmt.Fprintf(e.stdout, " (%d–%d)", r.First, r.Last)
						}
						if r.Anchor > 0 {
							fmt.Fprintf(e.stdout, ", continuing from entry %d, the last one purged", r.Anchor)
						}
						fmt.Fprintln(e.stdout)
						if r.Unchained {
							fmt.Fprintln(e.stdout, "screenings and bookings: not chained yet (schema 1 file); the kiosk chains them when it next opens it")
						} else {
							fmt.Fprintf(e.stdout, "screenings intact: %d; bookings intact: %d, %d %s\n", r.Screenings, r.Bookings, r.BookingChanges, plural(r.BookingChanges, "change", "changes"))
						}
						if r.Manifest != "" {
							fmt.Fprintf(e.stdout, "the chains hold where %s recorded them\n", r.Manifest)
						}
						return nil
					})
				}
			},
		}},
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
