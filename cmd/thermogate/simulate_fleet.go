package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/internal/fleet"
	"github.com/thermogate/thermogate/storage"
)

// simSync is simulate's link to the central database when [fleet] is set:
// it pulls the central bookings before the visitors come and pushes their
// screenings afterwards, under a simulation identity of the kiosk
// (fleet.SimulationID), so that a commissioning run is checked centrally
// without mixing with the door's own screenings.
type simSync struct {
	agent *fleet.Agent
	conn  *pgx.Conn
	id    string
	db    *storage.DB
}

// startSimSync connects with the kiosk's own role and pulls the central
// bookings into db. The identity is the one db's outbox already has (a
// --db simulated into before: its ids go on) or a new run's.
func startSimSync(ctx context.Context, cfg config.Config, passwordFile string, db *storage.DB, stderr io.Writer) (*simSync, int, error) {
	id := db.FleetKiosk()
	if !fleet.IsSimulationOf(id, cfg.KioskID) {
		id = fleet.SimulationID(cfg.KioskID, time.Now().UTC().Format("20060102T150405Z"))
	}
	pw, err := fleet.ReadPassword(simPasswordFile(passwordFile, cfg.Fleet.PasswordFile))
	if err != nil {
		return nil, 0, err
	}
	agent, err := fleet.New(ctx, fleet.Options{
		DB: db, Config: cfg.Fleet, KioskID: cfg.KioskID, PushAs: id, Password: pw, Logger: newLogger(stderr),
	})
	if err != nil {
		return nil, 0, err
	}
	conn, err := agent.Connect(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("%w (simulate --no-fleet simulates without the central database)", err)
	}
	n, err := agent.PullOnce(ctx, conn)
	if err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, 0, err
	}
	return &simSync{agent: agent, conn: conn, id: id, db: db}, n, nil
}

// simPasswordFile is where simulate, run by hand, reads the kiosk's
// password: given, or the credential the units load (password_file a
// credential name) from the credential store on disk when not under
// systemd.
func simPasswordFile(given, name string) string {
	switch {
	case given != "":
		return given
	case filepath.IsAbs(name) || os.Getenv("CREDENTIALS_DIRECTORY") != "" || name != fleet.DefaultPasswordFile:
		return name
	}
	return fleet.CredentialStoreFile
}

// push sends everything the run stored, reconnecting a few times when the
// connection breaks, and returns how many records went.
func (s *simSync) push(ctx context.Context) (int, error) {
	sent, tries := 0, 0
	for s.db.OutboxLen() > 0 {
		n, err := s.agent.PushOnce(ctx, s.conn)
		if err == nil {
			sent += n
			continue
		}
		if tries++; tries > 3 || ctx.Err() != nil {
			return sent, err
		}
		s.conn.Close(context.WithoutCancel(ctx))
		time.Sleep(time.Duration(tries) * 500 * time.Millisecond)
		if s.conn, err = s.agent.Connect(ctx); err != nil {
			return sent, err
		}
	}
	return sent, nil
}

func (s *simSync) close(ctx context.Context) { s.conn.Close(context.WithoutCancel(ctx)) }
