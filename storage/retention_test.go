package storage

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestPurge(t *testing.T) {
	loc := vilnius(t)
	ctx := context.Background()
	// Records on 1, 2, 3 and 20 February, each with an audit entry.
	db, clk := testDBAt(t, time.Date(2026, 2, 1, 9, 0, 0, 0, loc))
	days := []Day{NewDay(2026, 2, 1), NewDay(2026, 2, 2), NewDay(2026, 2, 3), NewDay(2026, 2, 20)}
	for _, d := range days {
		clk.Set(d.Start(loc).Add(9 * time.Hour))
		mustAppend(t, db, screening(clk.Now(), 36.6))
		mustAppend(t, db, screening(clk.Now().Add(time.Minute), 36.7))
		if _, err := db.Audit(ctx, "Ona", "guard.login", ""); err != nil {
			t.Fatal(err)
		}
	}
	// On 10 March, export everything but the 2nd.
	clk.Set(time.Date(2026, 3, 10, 2, 0, 0, 0, loc))
	dir := t.TempDir()
	for _, d := range []Day{days[0], days[2], days[3]} {
		if _, err := db.ExportDay(ctx, ActorSystem, d, dir); err != nil {
			t.Fatal(err)
		}
	}
	// Keep 30 days: 8 February on. The 1st and 3rd go; the 2nd waits for
	// its export; the 20th is recent.
	res, err := db.Purge(ctx, ActorSystem, 30)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(res.Days) != "[2026-02-01 2026-02-03]" || fmt.Sprint(res.Waiting) != "[2026-02-02]" || res.Screenings != 4 {
		t.Errorf("purge %+v", res)
	}
	// The audit entry of the 1st went; the 2nd's blocks those after it, so
	// the chain stays whole from its anchor.
	if res.AuditEntries != 1 {
		t.Errorf("%d audit entries purged, want 1", res.AuditEntries)
	}
	count := func(d Day) int {
		n := 0
		db.Screenings(ctx, d, func(Screening) error { n++; return nil })
		return n
	}
	if count(days[0]) != 0 || count(days[1]) != 2 || count(days[2]) != 0 || count(days[3]) != 2 {
		t.Errorf("left: %d %d %d %d", count(days[0]), count(days[1]), count(days[2]), count(days[3]))
	}
	r, err := db.VerifyAudit(ctx)
	if err != nil || !r.OK || r.Anchor != 1 || r.First != 2 {
		t.Fatalf("audit after purge: %+v %v", r, err)
	}
	rec, _ := db.ExportRecord(ctx, days[0])
	if rec.PurgedAt.IsZero() {
		t.Error("export record not marked purged")
	}
	if _, err := db.ExportDay(ctx, ActorSystem, days[0], dir); !errors.Is(err, ErrPurged) {
		t.Errorf("re-export of a purged day: %v, want ErrPurged", err)
	}
	if got, _ := db.UnexportedDays(ctx, db.Today()); fmt.Sprint(got) != "[2026-02-02]" {
		t.Errorf("unexported after purge: %v", got)
	}

	// Export the 2nd, purge again: now the chain's front goes up to the
	// 3rd, and verification still holds.
	if _, err := db.ExportDay(ctx, ActorSystem, days[1], dir); err != nil {
		t.Fatal(err)
	}
	res, err = db.Purge(ctx, ActorSystem, 30)
	if err != nil || fmt.Sprint(res.Days) != "[2026-02-02]" || res.AuditEntries != 2 || len(res.Waiting) != 0 {
		t.Fatalf("second purge %+v %v", res, err)
	}
	r, err = db.VerifyAudit(ctx)
	if err != nil || !r.OK || r.Anchor != 3 {
		t.Fatalf("audit after second purge: %+v %v", r, err)
	}
	var purges int
	db.AuditEntries(ctx, func(e AuditEntry) error {
		if e.Action == "retention.purge" {
			purges++
		}
		return nil
	})
	if purges != 3 {
		t.Errorf("%d purge entries, want one per day purged", purges)
	}
	if _, err := db.Purge(ctx, ActorSystem, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("keep 0 days: %v", err)
	}
	if r, err := db.Check(context.Background()); err != nil || !r.OK {
		t.Fatalf("check: %+v %v", r, err)
	}
	if false {
		t.Error(err)
	}
}
