package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/thermogate/thermogate/internal/admin"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

func dbCommand() *command {
	return &command{
		name:    "db",
		summary: "Check the database file and make consistent backups of it.",
		subs:    []*command{dbCheckCommand(), dbBackupCommand(), dbPagesCommand()},
	}
}

func dbCheckCommand() *command {
	return &command{
		name: "check",
		summary: "Check the database: bbolt's page check, every record, the indexes and day counts,\n" +
			"and the hash chains. Exit 1 and list the problems when it is damaged or altered.\n" +
			"On a running kiosk it checks a fresh copy taken through the admin socket.",
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			var d dbFlags
			d.register(fs)
			d.readOnly = true
			return func(ctx context.Context, args []string) error {
				return withAdmin(ctx, &d, false, func(a admin.Service) error {
					r, err := a.Check(ctx)
					if err != nil {
						return err
					}
					// bbolt's page check can fault on a badly damaged file and end
					// the process that runs it: it runs in one of its own, on the
					// file or, while the kiosk holds it, on a copy.
					target := d.path
					if _, local := a.(admin.Local); !local {
						tmp, err := os.MkdirTemp("", "thermogate-check-")
						if err != nil {
							return err
						}
						defer os.RemoveAll(tmp)
						target = filepath.Join(tmp, "copy.db")
						if _, err := storage.SaveBackup(target, func(w io.Writer) (int64, error) { return a.Backup(ctx, w) }); err != nil {
							return err
						}
					}
					pages, err := checkPagesApart(ctx, target)
					if err != nil {
						return err
					}
					problems := append(pages, r.Problems...)
					if !r.Chains.OK && r.Chains.Problem != "" {
						problems = append(problems, fmt.Sprintf("hash chains: %s: %s", r.Chains.Where, r.Chains.Problem))
					}
					if len(problems) > 0 || r.More > 0 {
						msg := fmt.Sprintf("%s: %d problems:\n  %s", d.path, len(problems)+r.More, strings.Join(problems, "\n  "))
						if r.More > 0 {
							msg += fmt.Sprintf("\n  … and %d more", r.More)
						}
						return errors.New(msg + "\nRestore from a backup (README: Backups and restoring).")
					}
					fmt.Fprintf(e.stdout, "database ok: pages, records, indexes and day counts; hash chains intact (%d audit entries, %d screenings, %d bookings)\n",
						r.Chains.Entries, r.Chains.Screenings, r.Chains.Bookings)
					if r.Chains.Unchained {
						fmt.Fprintln(e.stdout, "note: schema 1 file: screenings and bookings are chained when the kiosk next opens it")
					}
					return nil
				})
			}
		},
	}
}

// checkPagesApart runs `thermogate db pages FILE` as a child process.
func checkPagesApart(ctx context.Context, path string) ([]string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	// The problems come one a line on standard output; standard error has
	// whatever else the process logs.
	out, err := exec.CommandContext(ctx, self, "db", "pages", path).Output()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil, nil
	case errors.As(err, &ee) && ee.ExitCode() == exitFailed:
		if len(out) == 0 { // it could not open the file: say why
			return []string{strings.TrimSpace(lastLine(string(ee.Stderr)))}, nil
		}
		return strings.Split(strings.TrimSpace(string(out)), "\n"), nil
	case errors.As(err, &ee):
		// Killed by a fault on a damaged page.
		return []string{fmt.Sprintf("bbolt's page check crashed on a damaged page (%v)", ee.ProcessState)}, nil
	}
	return nil, fmt.Errorf("page check: %w", err)
}

func dbPagesCommand() *command {
	return &command{
		name: "pages",
		args: "FILE",
		summary: "bbolt's page-level check (Tx.Check) of a database file, read-only. db check runs it\n" +
			"in a process of its own, since a badly damaged page can end the process that reads it.",
		nargs: [2]int{1, 1},
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			return func(ctx context.Context, args []string) error {
				db, err := storage.Open(args[0], storage.Options{Vocabulary: kiosk.Vocabulary(), ReadOnly: true})
				if err != nil {
					return err
				}
				defer db.Close()
				problems, err := db.CheckPages()
				if err != nil {
					return err
				}
				for _, p := range problems {
					fmt.Fprintln(e.stdout, p)
				}
				if len(problems) > 0 {
					return fmt.Errorf("%d problems", len(problems))
				}
				return nil
			}
		},
	}
}

func dbBackupCommand() *command {
	return &command{
		name: "backup",
		summary: "Write a consistent copy of the database to --to FILE (mode 0600): through the running\n" +
			"kiosk's admin socket while it screens, or from the file when it is stopped. The copy is\n" +
			"written to a temporary name, fsynced, read back in full and only then renamed.",
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			var d dbFlags
			d.register(fs)
			d.readOnly = true
			to := fs.String("to", "", "`file` to write the copy to (required)")
			return func(ctx context.Context, args []string) error {
				if *to == "" {
					return usagef("--to FILE is required")
				}
				return withAdmin(ctx, &d, false, func(a admin.Service) error {
					if l, ok := a.(admin.Local); ok {
						if same, _ := sameFile(*to, l.DB.Path()); same {
							return fmt.Errorf("--to %s is the database itself", *to)
						}
					}
					r, err := storage.SaveBackup(*to, func(w io.Writer) (int64, error) { return a.Backup(ctx, w) })
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "backup written to %s: %d bytes, sha256 %s\n", r.Path, r.Bytes, r.SHA256)
					return nil
				})
			}
		},
	}
}

func sameFile(a, b string) (bool, error) {
	ia, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	ib, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(ia, ib), nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
