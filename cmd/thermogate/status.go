package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/thermogate/thermogate/internal/admin"
	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/internal/metrics"
	"github.com/thermogate/thermogate/storage"
)

func statusCommand() *command {
	return &command{
		name: "status",
		summary: "Show the running kiosk's state on one screen, through its admin socket: in service or\n" +
			"why not, the room, screenings and sensor errors since it started, decision and commit\n" +
			"times, guard actions, the last export and the database's size (the facts /metrics\n" +
			"serves). Exit 1 when the kiosk is not screening or not running.",
		setup: func(fs *flag.FlagSet, e *env) runFunc {
			def := config.Default()
			configPath := fs.String("config", config.DefaultPath, "configuration `file`; its store.path is the default of --db")
			path := fs.String("db", def.Store.Path, "database `file` of the kiosk; its admin socket is beside it")
			wait := fs.Duration("wait", storage.DefaultTimeout, "how long to wait for the kiosk to answer (at least 1s)")
			return func(ctx context.Context, args []string) error {
				given := map[string]bool{}
				fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
				if !given["db"] {
					c, err := loadConfig(*configPath, given["config"])
					if err != nil {
						return err
					}
					*path = c.Store.Path
				}
				socks := []string{config.SocketPath(*path)}
				if p, err := filepath.EvalSymlinks(*path); err == nil && config.SocketPath(p) != socks[0] {
					socks = append(socks, config.SocketPath(p))
				}
				var c *admin.Client
				var err error
				for _, sock := range socks {
					if c, err = admin.DialWait(ctx, sock, *wait); !errors.Is(err, admin.ErrNoDaemon) {
						break
					}
				}
				if errors.Is(err, admin.ErrNoDaemon) {
					return fmt.Errorf("the kiosk is not running: nothing answers on %s (start it: systemctl start thermogate-kiosk; "+
						"status is the running kiosk's, `thermogate db check` looks at the file)", socks[0])
				}
				if err != nil {
					return err
				}
				defer c.Close()
				st, err := c.Status(ctx)
				if err != nil {
					return err
				}
				fmt.Fprint(e.stdout, st.Text)
				switch st.Cause {
				case "":
					return nil
				case metrics.Starting:
					return errors.New("the kiosk is starting: not screening yet")
				}
				return fmt.Errorf("the kiosk is out of service: %s", st.Cause)
			}
		},
	}
}
