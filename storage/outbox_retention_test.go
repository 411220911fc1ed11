package storage

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestRetentionDropsPurgedRecordsFromTheOutbox: a kiosk whose [fleet] url
// was emptied keeps queuing, and one offline keeps its backlog; a record
// retention removes must not outlive it in the outbox (code and
// temperature for as long as the kiosk stays away). It leaves the outbox in
// the purge's transaction, the day's retention.purge audit entry counts the
// ones never sent, and records retention keeps stay queued.
func TestRetentionDropsPurgedRecordsFromTheOutbox(t *testing.T) {
	loc := vilnius(t)
	db, clk := testDBAt(t, time.Date(2026, 2, 1, 10, 0, 0, 0, loc))
	ctx := context.Background()
	if _, err := db.EnableOutbox(ctx, "door-1"); err != nil {
		t.Fatal(err)
	}
	sent := screening(clk.Now(), 36.6)
	sent.Code = "SENT11"
	mustAppend(t, db, sent)
	items, err := db.Outbox(ctx, 100)
	if err != nil || len(items) != 1 {
		t.Fatalf("outbox %v, %v", items, err)
	}
	if err := db.OutboxSent(ctx, items[0].Seq); err != nil { // pushed before the kiosk went away
		t.Fatal(err)
	}
	clk.Set(time.Date(2026, 2, 1, 11, 0, 0, 0, loc))
	old := screening(clk.Now(), 38.4)
	old.Code = "AB12CD"
	mustAppend(t, db, old)
	clk.Set(time.Date(2026, 3, 9, 9, 0, 0, 0, loc))
	kept := screening(clk.Now(), 36.7)
	kept.Code = "KEPT11"
	mustAppend(t, db, kept)

	clk.Set(time.Date(2026, 3, 10, 2, 0, 0, 0, loc))
	if _, err := db.ExportDay(ctx, ActorSystem, NewDay(2026, 2, 1), t.TempDir()); err != nil {
		t.Fatal(err)
	}
	res, err := db.Purge(ctx, ActorSystem, 30)
	if err != nil || res.Screenings != 2 || res.Unsent != 1 {
		t.Fatalf("purge %+v, %v; want 2 screenings removed, 1 of them unsent", res, err)
	}
	items, err = db.Outbox(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	var keptQueued, purgeAudited bool
	for _, it := range items {
		switch {
		case it.Kind == OutboxScreening && bytes.Contains(it.Record, []byte("AB12CD")):
			t.Errorf("screening %d was purged by retention (older than 30 days) but its record, with code and 38.4, is still in the outbox: %s", it.ID, it.Record)
		case it.Kind == OutboxScreening && bytes.Contains(it.Record, []byte("KEPT11")):
			keptQueued = true
		case it.Kind == OutboxAudit && bytes.Contains(it.Record, []byte("retention.purge")):
			purgeAudited = bytes.Contains(it.Record, []byte("1 of them not yet sent to the central database"))
		}
	}
	if !keptQueued {
		t.Errorf("the screening retention keeps left the outbox: %d items", len(items))
	}
	if !purgeAudited {
		t.Errorf("no queued retention.purge audit entry counting the unsent screening")
	}
	var detail string
	db.AuditEntries(ctx, func(e AuditEntry) error {
		if e.Action == "retention.purge" {
			detail = e.Detail
		}
		return nil
	})
	if !strings.Contains(detail, "2 screenings") || !strings.Contains(detail, "1 of them not yet sent") {
		t.Errorf("retention.purge audit entry: %q", detail)
	}
}
