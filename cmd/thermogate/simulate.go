package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/internal/admin"
	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/internal/fleet"
	"github.com/thermogate/thermogate/internal/hw"
	"github.com/thermogate/thermogate/internal/simulate"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/sensor/mlxsim"
	"github.com/thermogate/thermogate/storage"
)

func simulateCommand() *command {
	return &command{
		name: "simulate",
		summary: "Run visitors through the real flow, driver and simulated sensor on a simulated clock,\n" +
			"for commissioning and rule checks. Prints one JSON line a visitor and stores every\n" +
			"screening as the kiosk would (in a temporary database unless --db is given).\n" +
			"Visitors CSV columns: at (YYYY-MM-DD HH:MM[:SS]), code, symptoms (yes/no), forehead and\n" +
			"retest (object °C; empty: never presents / same as forehead), fault (nack, pec, flag, stuck, absent, freeze:<ms>).\n" +
			"Screenings are stored with kiosk id simulate:<kiosk_id>; the kiosk's own database is refused.\n" +
			"With [fleet] url set it pulls the central bookings first and pushes the screenings afterwards\n" +
			"under simulate:<kiosk_id>:<run>, apart from the door's own (--no-fleet: no central database).",
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			configPath := fs.String("config", "", "configuration `file` whose rules to check (default: the defaults, or /etc/thermogate/config.toml if it exists)")
			visitorsPath := fs.String("visitors", "", "visitors CSV `file` (required)")
			dbPath := fs.String("db", "", "database `file` to use, with its bookings; default a temporary one")
			bookingsPath := fs.String("bookings", "", "bookings CSV or JSON `file` to import first")
			noise := fs.Bool("noise", false, "add the sensor's usual noise to the readings (seeded: the same every run)")
			ambient := fs.Float64("ambient", 22, "room temperature in °C")
			noFleet := fs.Bool("no-fleet", false, "do not sync with the central database even when [fleet] url is set")
			fleetPassword := fs.String("fleet-password-file", "", "with [fleet]: the kiosk role's password `file` (default: the configuration's password_file; its credential fleet-password outside systemd: "+fleet.CredentialStoreFile+")")
			return func(ctx context.Context, args []string) error {
				if *visitorsPath == "" {
					return usagef("--visitors FILE is required")
				}
				cfg, err := loadConfig(orDefault(*configPath), *configPath != "")
				if err != nil {
					return err
				}
				f, err := os.Open(*visitorsPath)
				if err != nil {
					return err
				}
				visitors, err := simulate.ParseVisitors(f, cfg.Location())
				f.Close()
				if err != nil {
					return fmt.Errorf("%s: %w", *visitorsPath, err)
				}

				path := *dbPath
				if path != "" && samePath(path, cfg.Store.Path) {
					return usagef("--db %s is the kiosk's own database (store.path): simulated screenings would be exported as real ones; use a copy", path)
				}
				if path == "" {
					dir, err := os.MkdirTemp("", "thermogate-simulate-")
					if err != nil {
						return err
					}
					defer os.RemoveAll(dir)
					path = filepath.Join(dir, "simulate.db")
				}
				db, err := storage.Open(path, storage.Options{Vocabulary: kiosk.Vocabulary(), Location: cfg.Location(), Logger: newLogger(e.stderr)})
				if err != nil {
					return err
				}
				defer db.Close()
				// A simulated screening says so in every export and, centrally,
				// under the name it goes out as.
				stampAs := "simulate:" + cfg.KioskID
				var sync *simSync
				if cfg.Fleet.Enabled() && !*noFleet {
					var pulled int
					if sync, pulled, err = startSimSync(ctx, cfg, *fleetPassword, db, e.stderr); err != nil {
						return err
					}
					defer sync.close(ctx)
					stampAs = sync.id
					fmt.Fprintf(e.stderr, "pulled %d central booking changes; simulating as %s\n", pulled, sync.id)
				} else if db.OutboxEnabled() {
					// A --db an earlier run synced keeps queuing: what this run
					// stores goes out with the next run that syncs, under the
					// outbox's identity, so it carries that name.
					id := db.FleetKiosk()
					if !fleet.IsSimulationOf(id, cfg.KioskID) {
						return usagef("--db %s queues its records for the central database as %q, not as a simulation of kiosk %q: simulated screenings would go out under that name; use another --db", path, id, cfg.KioskID)
					}
					stampAs = id
					fmt.Fprintf(e.stderr, "not syncing; --db %s queues for the central database as %s: this run goes out with the next one that syncs\n", path, id)
				}
				if *bookingsPath != "" {
					data, err := readImportFile(*bookingsPath, e.stdin)
					if err != nil {
						return err
					}
					if _, err := (admin.Local{DB: db}).ImportBookings(ctx, admin.ImportRequest{Name: filepath.Base(*bookingsPath), Data: data}); err != nil {
						return err
					}
				}

				clk := clock.NewVirtual(visitors[0].At.Add(-time.Minute))
				rig, sampler, err := hw.Simulated(mlxsim.Opts{Clock: clk, Ambient: physic.ZeroCelsius + physic.Temperature(*ambient*1e9)}, nil)
				if err != nil {
					return err
				}
				if *noise {
					rig.Sim.SetNoise(hw.SimNoise)
				}
				kcfg := cfg.Kiosk(time.Time{})
				kcfg.KioskID = stampAs
				flow, err := kiosk.New(kcfg, db, sampler, clk, nil)
				if err != nil {
					return err
				}
				var results []simulate.Result
				t0 := time.Now()
				err = simulate.Run(ctx, simulate.Rig{Flow: flow, Sim: rig.Sim, Clock: clk}, visitors, func(r simulate.Result) error {
					results = append(results, r)
					return simulate.Encode(e.stdout, r)
				})
				if err != nil {
					return err
				}
				where := "a temporary database, removed"
				if *dbPath != "" {
					where = path
				}
				fmt.Fprintf(e.stderr, "%d visitors in %.2f s: %s; screenings stored in %s\n",
					len(results), time.Since(t0).Seconds(), simulate.Summary(results), where)
				if sync != nil {
					sent, err := sync.push(ctx)
					if err != nil {
						return fmt.Errorf("the decisions above stand, but the central copy of this run is incomplete (%d records sent, %d not): %w", sent, db.OutboxLen(), err)
					}
					fmt.Fprintf(e.stderr, "sent %d records to the central database as %s: thermogate fleet verify, fleet report\n", sent, sync.id)
				}
				return nil
			}
		},
	}
}

// orDefault is the configuration file to read: the one given, or the
// system's.
func orDefault(path string) string {
	if path == "" {
		return config.DefaultPath
	}
	return path
}

// samePath reports whether a and b name the same file (or would).
func samePath(a, b string) bool {
	if fa, err := os.Stat(a); err == nil {
		if fb, err := os.Stat(b); err == nil {
			return os.SameFile(fa, fb)
		}
	}
	aa, _ := filepath.Abs(a)
	bb, _ := filepath.Abs(b)
	return aa == bb
}
