package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestOutboxQueuesInTheSameTransaction: once enabled, each screening and
// audit entry is queued with its exact stored bytes, in the order stored,
// and a write that fails queues nothing.
func TestOutboxQueuesInTheSameTransaction(t *testing.T) {
	db, clk := testDB(t)
	ctx := context.Background()
	if db.OutboxEnabled() {
		t.Fatal("a new database has an outbox")
	}
	if _, err := db.Outbox(ctx, 10); !errors.Is(err, ErrNoOutbox) {
		t.Fatalf("Outbox without one: %v, want ErrNoOutbox", err)
	}
	if n, err := db.EnableOutbox(ctx, "door-1"); err != nil || n != 0 {
		t.Fatalf("enable on an empty database: queued %d, %v", n, err)
	}
	if n, err := db.EnableOutbox(ctx, "door-1"); err != nil || n != 0 {
		t.Fatal("enabling twice:", n, err)
	}
	s := screening(clk.Now(), 36.7)
	s.Guard, s.Decision, s.Reason, s.OverrideReason = "Ona", DecisionAdmit, ReasonGuard, "booking confirmed"
	id := mustAppend(t, db, s) // a screening and its guard's audit entry, one transaction
	if _, err := db.Audit(ctx, ActorSystem, "config.loaded", "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Append(ctx, Screening{}); err == nil {
		t.Fatal("an invalid screening was stored")
	}
	items, err := db.Outbox(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 || db.OutboxLen() != 3 {
		t.Fatalf("outbox has %d items (len %d), want 3: %+v", len(items), db.OutboxLen(), items)
	}
	if items[0].Kind != OutboxScreening || items[0].ID != id || items[1].Kind != OutboxAudit || items[2].Kind != OutboxAudit {
		t.Errorf("order or kinds wrong: %+v", items)
	}
	var got Screening
	if err := json.Unmarshal(items[0].Record, &got); err != nil || got.ID != id || got.Guard != "Ona" {
		t.Errorf("queued screening %s: %v", items[0].Record, err)
	}
	stored, _ := db.Screening(ctx, id)
	want, _ := json.Marshal(stored)
	if string(want) != string(items[0].Record) {
		t.Errorf("queued bytes differ from stored:\n%s\n%s", items[0].Record, want)
	}
	// Audit: the queued bytes hash to the next entry's Prev.
	var e1, e2 AuditEntry
	json.Unmarshal(items[1].Record, &e1)
	json.Unmarshal(items[2].Record, &e2)
	if e2.Prev != hashHex(items[1].Record) {
		t.Errorf("audit entry %d's prev %s is not the hash of the queued entry %d", e2.ID, e2.Prev, e1.ID)
	}

	if err := db.OutboxSent(ctx, items[1].Seq); err != nil {
		t.Fatal(err)
	}
	rest, _ := db.Outbox(ctx, 10)
	if len(rest) != 1 || rest[0].Seq != items[2].Seq {
		t.Fatalf("after marking up to %d sent: %+v", items[1].Seq, rest)
	}
}

// TestOutboxTakesTheHistory: a kiosk that joins a fleet with screenings and
// audit entries already stored queues all of them once, with their exact
// stored bytes and in id order per kind; the outbox is bound to the
// identity it was made for; leaving drops it (and what it still holds) in
// one audited transaction and keeps the records.
func TestOutboxTakesTheHistory(t *testing.T) {
	db, clk := testDB(t)
	ctx := context.Background()
	first := mustAppend(t, db, screening(clk.Now(), 36.6))
	second := mustAppend(t, db, screening(clk.Now(), 36.8))
	if _, err := db.Audit(ctx, ActorSystem, "config.loaded", "before the fleet"); err != nil {
		t.Fatal(err)
	}
	var audits int
	db.AuditEntries(ctx, func(AuditEntry) error { audits++; return nil })
	n, err := db.EnableOutbox(ctx, "door-1")
	if err != nil || n != 2+audits {
		t.Fatalf("enable with a history: queued %d, %v; want %d", n, err, 2+audits)
	}
	items, err := db.Outbox(ctx, 100)
	if err != nil || len(items) != n {
		t.Fatalf("outbox %d items, %v", len(items), err)
	}
	if items[0].Kind != OutboxScreening || items[0].ID != first || items[1].ID != second || items[2].Kind != OutboxAudit || items[2].ID != 1 {
		t.Errorf("history order: %+v", items[:3])
	}
	stored, _ := db.Screening(ctx, second)
	want, _ := json.Marshal(stored)
	if string(items[1].Record) != string(want) {
		t.Errorf("queued history bytes differ from stored:\n%s\n%s", items[1].Record, want)
	}
	if n, err := db.EnableOutbox(ctx, "door-1"); err != nil || n != 0 || db.OutboxLen() != len(items) {
		t.Errorf("enable again queued %d (len %d), %v: the history twice", n, db.OutboxLen(), err)
	}
	if _, err := db.EnableOutbox(ctx, "door-2"); err == nil || !strings.Contains(err.Error(), `kiosk "door-1"'s`) {
		t.Errorf("an outbox of door-1 taken as door-2: %v", err)
	}
	if got := db.FleetKiosk(); got != "door-1" {
		t.Errorf("FleetKiosk %q", got)
	}
	if err := db.ApplyBookingChanges(ctx, nil, 42); err != nil {
		t.Fatal(err)
	}

	dropped, err := db.LeaveFleet(ctx, ActorAdmin)
	if err != nil || dropped != len(items) {
		t.Fatalf("leave: dropped %d, %v; want %d", dropped, err, len(items))
	}
	if db.OutboxEnabled() || db.FleetKiosk() != "" {
		t.Error("the outbox outlived leaving")
	}
	if seq, _ := db.FleetBookingSeq(); seq != 0 {
		t.Errorf("booking change number %d kept after leaving", seq)
	}
	if _, err := db.Screening(ctx, first); err != nil {
		t.Errorf("leaving lost a screening: %v", err)
	}
	var last AuditEntry
	db.AuditEntries(ctx, func(e AuditEntry) error { last = e; return nil })
	if last.Action != "fleet.leave" || !strings.Contains(last.Detail, fmt.Sprintf("%d queued records dropped", dropped)) {
		t.Errorf("leaving audited as %+v", last)
	}
	if _, err := db.LeaveFleet(ctx, ActorAdmin); !errors.Is(err, ErrNoOutbox) {
		t.Errorf("leaving twice: %v", err)
	}
	// Joining again (as another door, now allowed) takes the whole history
	// again, the leave entry included: the push skips what the server has.
	if n, err := db.EnableOutbox(ctx, "door-2"); err != nil || n != len(items)+1 {
		t.Errorf("join again: queued %d, %v; want %d", n, err, len(items)+1)
	}
}

// TestApplyBookingChanges: one transaction with the change number; a use
// known here survives a central copy that has not heard of it; a removal
// removes; an older batch is refused.
func TestApplyBookingChanges(t *testing.T) {
	db, clk := testDB(t)
	ctx := context.Background()
	start := clk.Now().Add(time.Hour)
	bk := func(code string) Booking {
		return Booking{Code: code, Start: start, Minutes: 15, Status: StatusActive, Location: "hall"}
	}
	if seq, _ := db.FleetBookingSeq(); seq != 0 {
		t.Fatalf("seq %d on a new database", seq)
	}
	if err := db.ApplyBookingChanges(ctx, []BookingChange{{Seq: 3, Booking: bk("AAAA1")}, {Seq: 5, Booking: bk("BBBB2")}}, 7); err != nil {
		t.Fatal(err)
	}
	if seq, _ := db.FleetBookingSeq(); seq != 7 {
		t.Errorf("seq %d, want 7", seq)
	}
	// Used here; the central copy still says unused, then cancels B.
	s := screening(clk.Now(), 36.6)
	s.Code, s.BookingUsed = "AAAA1", true
	mustAppend(t, db, s)
	cancelled := bk("BBBB2")
	cancelled.Status = StatusCancelled
	if err := db.ApplyBookingChanges(ctx, []BookingChange{{Seq: 8, Booking: bk("AAAA1")}, {Seq: 9, Booking: cancelled}}, 9); err != nil {
		t.Fatal(err)
	}
	a, _ := db.Booking(ctx, "AAAA1")
	if a.UsedAt.IsZero() || a.Location != "hall" {
		t.Errorf("the local use was lost: %+v", a)
	}
	b, _ := db.Booking(ctx, "BBBB2")
	if b.Status != StatusCancelled {
		t.Errorf("cancellation not applied: %+v", b)
	}
	if err := db.ApplyBookingChanges(ctx, []BookingChange{{Seq: 10, Booking: bk("BBBB2"), Remove: true}}, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Booking(ctx, "BBBB2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("removed booking still there: %v", err)
	}
	if err := db.ApplyBookingChanges(ctx, nil, 4); err == nil {
		t.Error("changes through 4 accepted at 10")
	}
	if err := db.ApplyBookingChanges(ctx, []BookingChange{{Seq: 11, Booking: bk("bad code!")}}, 11); err == nil {
		t.Error("a bad code was stored")
	}
	if seq, _ := db.FleetBookingSeq(); seq != 10 {
		t.Errorf("seq %d after refused batches, want 10", seq)
	}
}

// TestImportLocationColumn: the optional location column is read and
// checked.
func TestImportLocationColumn(t *testing.T) {
	loc := vilnius(t)
	rows, err := testVocab.ParseBookings("b.csv", []byte("code,start,location\nAB12CD,2026-03-16 14:00,Archive\nEF34GH,2026-03-16 14:00,\n"), "", loc)
	if err != nil {
		t.Fatal(err)
	}
	if rows[0].Booking.Location != "Archive" || rows[1].Booking.Location != "" {
		t.Errorf("locations: %+v", rows)
	}
	_, err = testVocab.ParseBookings("b.csv", []byte("code,start,location\nAB12CD,2026-03-16 14:00,\"a\tb\"\n"), "", loc)
	var ie *ImportError
	if !errors.As(err, &ie) || ie.Problems[0].Line != 2 {
		t.Errorf("a location with a tab: %v", err)
	}
}
