package fleet_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/fleet"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

// centralRows counts kind's rows of kiosk centrally.
func centralRows(t testing.TB, c *central, table, kiosk string) int {
	t.Helper()
	var n int
	if err := c.conn.QueryRow(context.Background(), "SELECT count(*) FROM thermogate."+table+" WHERE kiosk_id = $1", kiosk).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// localRows counts the kiosk's own screenings and audit entries.
func localRows(t testing.TB, db *storage.DB) (screenings, audit int) {
	t.Helper()
	ctx := context.Background()
	for d := storage.NewDay(2026, 3, 15); d.Before(storage.NewDay(2026, 3, 18)); d = d.AddDays(1) {
		db.Screenings(ctx, d, func(storage.Screening) error { screenings++; return nil })
	}
	db.AuditEntries(ctx, func(storage.AuditEntry) error { audit++; return nil })
	return
}

// verifyOK fails the test unless the central copy verifies.
func verifyOK(t testing.TB, c *central, when string) []fleet.ChainReport {
	t.Helper()
	reps, ok, err := fleet.Verify(context.Background(), c.conn)
	if err != nil || !ok {
		t.Fatalf("%s: verify %v, %v: %+v", when, ok, err, reps)
	}
	return reps
}

// TestJoinWithAHistoryLeaveAndJoinAgain: a kiosk that screened standalone
// sends its whole history when it joins, verifiable centrally; after
// leaving (outbox dropped) and screening on standalone, joining again sends
// what is new and doubles nothing; what the central retention purged does
// not come back.
func TestJoinWithAHistoryLeaveAndJoinAgain(t *testing.T) {
	c := newCentral(t)
	ctx := context.Background()
	id := uniqueID("hist")
	setup, err := fleet.AddKiosk(ctx, c.conn, id, "")
	if err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(filepath.Join(t.TempDir(), "thermogate.db"), storage.Options{Vocabulary: kiosk.Vocabulary(), Location: vilnius})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, vilnius) }
	for h := 8; h < 12; h++ {
		visit(t, db, at(16, h), "", string(kiosk.Admit), string(kiosk.ReasonOK), false)
	}
	db.Audit(ctx, storage.ActorSystem, "config.loaded", "standalone")

	join := func() *fleet.Agent {
		t.Helper()
		fc := fleet.Default()
		fc.URL, fc.PasswordFile = srv.URL(c.name, setup.Role, ""), "/nonexistent"
		a, err := fleet.New(ctx, fleet.Options{DB: db, Config: fc, KioskID: id, Password: setup.Password})
		if err != nil {
			t.Fatal(err)
		}
		conn, err := a.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		for db.OutboxLen() > 0 {
			if _, err := a.PushOnce(ctx, conn); err != nil {
				t.Fatal(err)
			}
		}
		return a
	}
	join()
	ls, la := localRows(t, db)
	if cs, ca := centralRows(t, c, "screenings", id), centralRows(t, c, "audit", id); cs != ls || ca != la || ls != 4 {
		t.Fatalf("joined with a history: central %d screenings, %d audit; local %d, %d", cs, ca, ls, la)
	}
	verifyOK(t, c, "after joining")

	// Leaving: what is queued is dropped (nothing, here); standalone
	// screenings are not queued anywhere else.
	if _, err := db.LeaveFleet(ctx, storage.ActorAdmin); err != nil {
		t.Fatal(err)
	}
	visit(t, db, at(16, 13), "", string(kiosk.Deny), string(kiosk.ReasonFever), false)
	join()
	ls, la = localRows(t, db)
	if cs, ca := centralRows(t, c, "screenings", id), centralRows(t, c, "audit", id); cs != ls || ca != la || ls != 5 {
		t.Fatalf("joined again: central %d screenings, %d audit; local %d, %d (none doubled: the keys are unique)", cs, ca, ls, la)
	}
	verifyOK(t, c, "after joining again")

	// Retention removes day 16 centrally; joining again after that keeps
	// it removed and sends the new screening on a verifiable chain.
	if _, err := fleet.Purge(ctx, c.conn, at(17, 0)); err != nil {
		t.Fatal(err)
	}
	db.LeaveFleet(ctx, storage.ActorAdmin)
	visit(t, db, at(17, 9), "", string(kiosk.Admit), string(kiosk.ReasonOK), false)
	join()
	if cs := centralRows(t, c, "screenings", id); cs != 1 {
		t.Errorf("after purge and joining again: %d central screenings, want only the new one", cs)
	}
	verifyOK(t, c, "after purge and joining again")
}

// TestSimulationIdentity: a simulation run pushes under its own identity
// with the kiosk's role, never marks a real booking used, verifies as its
// own chain, and a kiosk cannot push as another kiosk's simulation.
func TestSimulationIdentity(t *testing.T) {
	c := newCentral(t)
	ctx := context.Background()
	a := newDoor(t, c, "real", "", nil)
	b := newDoor(t, c, "other", "", nil)
	if _, err := fleet.ImportBookings(ctx, c.conn, "b.csv", []byte("code,start\nSIM111,2026-03-16 14:00\n"), vilnius); err != nil {
		t.Fatal(err)
	}
	visit(t, a.db, time.Date(2026, 3, 16, 9, 0, 0, 0, vilnius), "", string(kiosk.Admit), string(kiosk.ReasonOK), false)
	ac := a.connect(t)
	if _, err := a.agent.PushOnce(ctx, ac); err != nil {
		t.Fatal(err)
	}

	simID := fleet.SimulationID(a.id, "20260316T120000Z")
	simDB, err := storage.Open(filepath.Join(t.TempDir(), "sim.db"), storage.Options{Vocabulary: kiosk.Vocabulary(), Location: vilnius})
	if err != nil {
		t.Fatal(err)
	}
	defer simDB.Close()
	fc := fleet.Default()
	fc.URL, fc.PasswordFile = a.url, "/nonexistent"
	sim, err := fleet.New(ctx, fleet.Options{DB: simDB, Config: fc, KioskID: a.id, PushAs: simID, Password: a.setup.Password})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.PullOnce(ctx, ac); err != nil {
		t.Fatal(err)
	}
	visit(t, simDB, time.Date(2026, 3, 16, 14, 0, 0, 0, vilnius), "SIM111", string(kiosk.Admit), string(kiosk.ReasonOK), true)
	if n, err := sim.PushOnce(ctx, ac); err != nil || n != 1 {
		t.Fatalf("simulation push: %d, %v", n, err)
	}
	if n := centralRows(t, c, "screenings", simID); n != 1 {
		t.Errorf("%d central screenings of the simulation", n)
	}
	if n := centralRows(t, c, "screenings", a.id); n != 1 {
		t.Errorf("the door's own screenings: %d, want 1 (the simulation mixed in?)", n)
	}
	var used *time.Time
	c.conn.QueryRow(ctx, "SELECT used_at FROM thermogate.bookings WHERE code = 'SIM111'").Scan(&used)
	if used != nil {
		t.Errorf("a simulated screening marked the real booking used at %s", used)
	}
	reps := verifyOK(t, c, "with a simulation")
	var seen bool
	for _, r := range reps {
		seen = seen || (r.Kiosk == simID && r.Kind == storage.OutboxScreening && r.Rows == 1)
	}
	if !seen {
		t.Errorf("verify does not check the simulation's chain: %+v", reps)
	}

	// B's role can neither push as A's simulation nor read it.
	bc := b.connect(t)
	rec := `{"id":1}`
	tag, err := bc.Exec(ctx, `INSERT INTO thermogate.screenings (kiosk_id, id, time, decision, reason, record) VALUES ($1, 7, now(), 'admit', 'ok', $2)`,
		fleet.SimulationID(a.id, "x"), rec)
	if err == nil && tag.RowsAffected() > 0 {
		t.Error("kiosk B pushed as kiosk A's simulation")
	}
	var n int
	if err := bc.QueryRow(ctx, "SELECT count(*) FROM thermogate.screenings").Scan(&n); err != nil || n != 0 {
		t.Errorf("kiosk B reads %d screenings of A's, %v", n, err)
	}
	if _, err := fleet.New(ctx, fleet.Options{DB: simDB, Config: fc, KioskID: a.id, PushAs: "simulate:" + b.id + ":1", Password: a.setup.Password}); err == nil || !strings.Contains(err.Error(), "BUG") {
		t.Errorf("an agent pushing as another kiosk's simulation: %v", err)
	}
}
