package daemon

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/internal/fleet"
	"github.com/thermogate/thermogate/internal/pgtest"
)

// TestStandaloneHasNoOutbox: without [fleet] nothing more is written than
// before.
func TestStandaloneHasNoOutbox(t *testing.T) {
	d := open(t, testConfig(t, nil), &recorder{})
	if d.DB().OutboxEnabled() {
		t.Error("a standalone kiosk queues for a central database")
	}
}

// TestEmptiedURLKeepsTheOutbox: a kiosk whose [fleet] url was emptied
// starts standalone but keeps its outbox, queuing on, and says so: what it
// stores goes out if it joins again, until fleet leave drops it.
func TestEmptiedURLKeepsTheOutbox(t *testing.T) {
	cfg := testConfig(t, nil)
	d := open(t, cfg, &recorder{})
	if _, err := d.DB().EnableOutbox(context.Background(), "door-1"); err != nil {
		t.Fatal(err)
	}
	queued := d.DB().OutboxLen()
	d.Close()

	var log strings.Builder
	d2, err := Open(cfg, Options{Notify: &recorder{}, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if !d2.DB().OutboxEnabled() || d2.DB().OutboxLen() <= queued {
		t.Errorf("after a standalone start: outbox %v, %d queued (had %d): the start's audit entry was not queued", d2.DB().OutboxEnabled(), d2.DB().OutboxLen(), queued)
	}
	if !strings.Contains(log.String(), "thermogate fleet leave drops it") || !strings.Contains(log.String(), "kiosk=door-1") {
		t.Errorf("start log does not tell of the kept outbox:\n%s", log.String())
	}
}

// TestRunSyncsWithTheFleet: with [fleet] set, the running kiosk pulls a
// centrally imported booking within seconds and pushes what it stored (its
// config.loaded audit entry) and its heartbeat; a password file others can
// read stops it at start with a message naming it.
func TestRunSyncsWithTheFleet(t *testing.T) {
	srv, name := pgtest.ForTest(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, srv.SuperURL(name))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := fleet.Migrate(ctx, admin); err != nil {
		t.Fatal(err)
	}
	k, err := fleet.AddKiosk(ctx, admin, "door-e2e", "Hall")
	if err != nil {
		t.Fatal(err)
	}
	pw := filepath.Join(t.TempDir(), "fleet-password")
	os.WriteFile(pw, []byte(k.Password+"\n"), 0o644)
	cfg := testConfig(t, func(c *config.Config) {
		c.KioskID = "door-e2e"
		c.Fleet.URL = srv.URL(name, k.Role, "")
		c.Fleet.Location = "Hall"
		c.Fleet.PasswordFile = pw
	})
	if _, err := Open(cfg, Options{Notify: &recorder{}}); err == nil || !strings.Contains(err.Error(), "can be read by others") {
		t.Fatalf("a world-readable password file: %v", err)
	}
	os.Chmod(pw, 0o600)
	d := open(t, cfg, &recorder{})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(rctx) }()
	defer func() { cancel(); <-done }()

	deadline := time.Now().Add(20 * time.Second)
	start := time.Now().In(cfg.Location()).Format("2006-01-02 15:04")
	if _, err := fleet.ImportBookings(ctx, admin, "b.csv", []byte("code,start,location\nE2E111,"+start+",Hall\n"), cfg.Location()); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := d.DB().Booking(ctx, "E2E111"); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("run stopped: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the booking never reached the kiosk")
		}
	}
	var actions []string
	for time.Now().Before(deadline) {
		rows, _ := admin.Query(ctx, "SELECT action FROM thermogate.audit WHERE kiosk_id = 'door-e2e' ORDER BY id")
		actions, _ = pgx.CollectRows(rows, pgx.RowTo[string])
		var beats int
		admin.QueryRow(ctx, "SELECT count(*) FROM thermogate.heartbeats WHERE kiosk_id = 'door-e2e'").Scan(&beats)
		if len(actions) > 0 && beats == 1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(actions) == 0 || actions[0] != "config.loaded" {
		t.Errorf("central audit of the kiosk: %v, want config.loaded first", actions)
	}
}
