package fleet_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/fleet"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

// TestPushRefusesANewDatabaseBelowThePurgeAnchor: a door whose database
// starts again (SD card replaced without a backup, or its kiosk_id given
// to a new door) after `fleet purge` anchored its chain numbers its
// records from 1 again. Those at or below the anchor are not the records
// purge removed: the push must refuse them (and keep them queued), never
// skip them as sent — a skipped admission would leave its booking unused
// centrally and admitted again at every other door.
func TestPushRefusesANewDatabaseBelowThePurgeAnchor(t *testing.T) {
	c := newCentral(t)
	ctx := context.Background()
	a := newDoor(t, c, "sdcard", "", nil)
	day := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, vilnius) }
	for h := 8; h < 13; h++ {
		visit(t, a.db, day(10, h), "", string(kiosk.Admit), string(kiosk.ReasonOK), false)
	}
	ac := a.connect(t)
	for a.db.OutboxLen() > 0 {
		if _, err := a.agent.PushOnce(ctx, ac); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := fleet.Purge(ctx, c.conn, day(11, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := fleet.ImportBookings(ctx, c.conn, "b.csv", []byte("code,start\nNEW111,2026-03-20 10:00\n"), vilnius); err != nil {
		t.Fatal(err)
	}

	// The same door on a new database.
	fresh := func() (*storage.DB, *fleet.Agent) {
		t.Helper()
		db, err := storage.Open(filepath.Join(t.TempDir(), "fresh.db"), storage.Options{Vocabulary: kiosk.Vocabulary(), Location: vilnius})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		fc := fleet.Default()
		fc.URL, fc.PasswordFile = a.url, "/nonexistent"
		agent, err := fleet.New(ctx, fleet.Options{DB: db, Config: fc, KioskID: a.id, Password: a.setup.Password,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		return db, agent
	}
	db, agent := fresh()
	id := visit(t, db, day(20, 10), "NEW111", string(kiosk.Admit), string(kiosk.ReasonOK), true)
	n, err := agent.PushOnce(ctx, ac)
	if err == nil || !strings.Contains(err.Error(), "was the kiosk's database replaced") || !strings.Contains(err.Error(), "newer than that purge's cutoff") {
		t.Errorf("pushing screening %d (new, below the anchor 5): n=%d, %v; want it refused as a replaced database", id, n, err)
	}
	if db.OutboxLen() != 1 {
		t.Errorf("the refused screening left the outbox: %d queued, want 1", db.OutboxLen())
	}
	var central int
	c.conn.QueryRow(ctx, "SELECT count(*) FROM thermogate.screenings WHERE kiosk_id = $1", a.id).Scan(&central)
	if central != 0 {
		t.Errorf("%d central screenings after a refused push, want 0 (purged)", central)
	}

	// A new database whose records are as old as the purged ones: the
	// record at the anchor's id is not the one purge removed.
	db2, agent2 := fresh()
	for h := 8; h < 13; h++ {
		visit(t, db2, day(10, h).Add(time.Minute), "", string(kiosk.Admit), string(kiosk.ReasonOK), false)
	}
	if _, err := agent2.PushOnce(ctx, ac); err == nil || !strings.Contains(err.Error(), "not the record purge removed") {
		t.Errorf("old-looking records of another database under the anchor: %v; want refused", err)
	}
	if db2.OutboxLen() != 5 {
		t.Errorf("outbox %d after a refused push, want 5", db2.OutboxLen())
	}

	// The door's own database joining again with its history still skips
	// what purge removed, and goes on.
	visit(t, a.db, day(20, 11), "NEW111", string(kiosk.Admit), string(kiosk.ReasonOK), true)
	if _, err := a.db.LeaveFleet(ctx, storage.ActorAdmin); err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.EnableOutbox(ctx, a.id); err != nil {
		t.Fatal(err)
	}
	for a.db.OutboxLen() > 0 {
		if _, err := a.agent.PushOnce(ctx, ac); err != nil {
			t.Fatalf("the door's own history after purge: %v", err)
		}
	}
	var used *time.Time
	c.conn.QueryRow(ctx, "SELECT count(*) FROM thermogate.screenings WHERE kiosk_id = $1", a.id).Scan(&central)
	c.conn.QueryRow(ctx, "SELECT used_at FROM thermogate.bookings WHERE code = 'NEW111'").Scan(&used)
	if central != 1 || used == nil {
		t.Errorf("the door's own history: %d central screenings (want only the new one), NEW111 used_at %v", central, used)
	}
	verifyOK(t, c, "after the door's own history came back")
}

// TestMigrationKeepsThePurgeCutoffOfOlderAnchors: anchors made before
// schema version 3 kept no cutoff; the migration gives each the time of
// the first record purge left (every removed record was older), or its own
// time when purge left none, so a push checks them like new ones.
func TestMigrationKeepsThePurgeCutoffOfOlderAnchors(t *testing.T) {
	c := newCentral(t)
	ctx := context.Background()
	a := newDoor(t, c, "oldanchor", "", nil)
	at := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, vilnius) }
	for _, d := range []int{10, 10, 12} {
		visit(t, a.db, at(d, 9), "", string(kiosk.Admit), string(kiosk.ReasonOK), false)
	}
	ac := a.connect(t)
	for a.db.OutboxLen() > 0 {
		if _, err := a.agent.PushOnce(ctx, ac); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := fleet.Purge(ctx, c.conn, at(11, 0)); err != nil {
		t.Fatal(err)
	}
	// Back to version 2 as it was: no cutoff column.
	for _, q := range []string{
		"ALTER TABLE thermogate.chain_anchors DROP COLUMN cutoff",
		"DELETE FROM thermogate.migrations WHERE version = 3",
		"INSERT INTO thermogate.chain_anchors (kiosk_id, kind, id, hash) VALUES ('gone', 'audit', 7, 'x')",
	} {
		if _, err := c.conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	before := time.Now()
	if v, err := fleet.Migrate(ctx, c.conn); err != nil || len(v) != 1 || v[0] != 3 {
		t.Fatalf("migrate from 2: %v, %v", v, err)
	}
	var cut, gone time.Time
	c.conn.QueryRow(ctx, "SELECT cutoff FROM thermogate.chain_anchors WHERE kiosk_id = $1 AND kind = 'screening'", a.id).Scan(&cut)
	c.conn.QueryRow(ctx, "SELECT cutoff FROM thermogate.chain_anchors WHERE kiosk_id = 'gone'").Scan(&gone)
	if !cut.Equal(at(12, 9)) {
		t.Errorf("backfilled cutoff %v, want the first record left, %v", cut, at(12, 9))
	}
	if gone.Before(before.Add(-time.Minute)) {
		t.Errorf("an anchor with nothing left: cutoff %v, want the migration's time", gone)
	}
	// Checked as before: a new record under the purged ids is refused.
	db, err := storage.Open(filepath.Join(t.TempDir(), "fresh.db"), storage.Options{Vocabulary: kiosk.Vocabulary(), Location: vilnius})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fc := fleet.Default()
	fc.URL, fc.PasswordFile = a.url, "/nonexistent"
	agent, err := fleet.New(ctx, fleet.Options{DB: db, Config: fc, KioskID: a.id, Password: a.setup.Password})
	if err != nil {
		t.Fatal(err)
	}
	visit(t, db, at(20, 9), "", string(kiosk.Admit), string(kiosk.ReasonOK), false)
	if _, err := agent.PushOnce(ctx, ac); err == nil || !strings.Contains(err.Error(), "was the kiosk's database replaced") {
		t.Errorf("after the migration: %v; want refused", err)
	}
}
