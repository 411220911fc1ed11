package storage

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// tamperDB has ten screenings on 14 March (screening 5 a fever denial at
// 38.0), three bookings (EF34GH cancelled) and the clock on 16 March.
func tamperDB(t *testing.T) *DB {
	t.Helper()
	loc := vilnius(t)
	db, clk := testDBAt(t, time.Date(2026, 3, 14, 9, 0, 0, 0, loc))
	ctx := context.Background()
	csv := "code,start\nAB12CD,2026-03-16 09:00\nEF34GH,2026-03-16 09:15\nJK56LM,2026-03-17 10:00\n"
	if _, err := db.ImportBookings(ctx, ActorAdmin, "b.csv", []byte(csv), "", false); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CancelBooking(ctx, ActorAdmin, "EF34GH"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 10; i++ {
		s := screening(clk.Now().Add(time.Duration(i)*time.Minute), 36.6)
		if i == 5 {
			s.Decision, s.Reason, s.ShownC = DecisionDeny, ReasonFever, ptr(38.0)
		}
		if id := mustAppend(t, db, s); id != uint64(i) {
			t.Fatalf("id %d, want %d", id, i)
		}
	}
	clk.Advance(48 * time.Hour)
	return db
}

// raw edits the file as someone with the file and bbolt would: records
// rewritten in place, indexes and day counts kept consistent.
func raw(t *testing.T, db *DB, fn func(tx *bbolt.Tx)) {
	t.Helper()
	if err := db.update(func(tx *bbolt.Tx) error { fn(tx); return nil }); err != nil {
		t.Fatal(err)
	}
}

func setDayCount(tx *bbolt.Tx, day string, delta int) {
	var c dayCounts
	json.Unmarshal(tx.Bucket(bucketDays).Get([]byte(day)), &c)
	c.Screenings = uint64(int(c.Screenings) + delta)
	b, _ := json.Marshal(c)
	tx.Bucket(bucketDays).Put([]byte(day), b)
}

func wantBroken(t *testing.T, db *DB, where, problem string) {
	t.Helper()
	r, err := db.VerifyAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.OK || r.Where != where || !strings.Contains(r.Problem, problem) {
		t.Errorf("report %+v\nwant broken at %q: %q", r, where, problem)
	}
}

func TestVerifyChainsIntact(t *testing.T) {
	db := tamperDB(t)
	r, err := db.VerifyAudit(context.Background())
	if err != nil || !r.OK || r.Screenings != 10 || r.Bookings != 3 {
		t.Fatalf("%+v %v", r, err)
	}
}

// Issue 11, item 9: changing, deleting or inserting a screening, or
// un-cancelling a booking, inside the file is reported with what and where.
func TestVerifyFindsScreeningChanged(t *testing.T) {
	db := tamperDB(t)
	raw(t, db, func(tx *bbolt.Tx) {
		b := tx.Bucket(bucketScreenings)
		v := string(b.Get(u64key(5)))
		v = strings.Replace(v, `"decision":"deny","reason":"fever","shown_c":38`, `"decision":"admit","reason":"ok","shown_c":36.6`, 1)
		b.Put(u64key(5), []byte(v))
	})
	wantBroken(t, db, "screening 6", "screening 5 was changed")
}

func TestVerifyFindsLastScreeningChanged(t *testing.T) {
	db := tamperDB(t)
	raw(t, db, func(tx *bbolt.Tx) {
		b := tx.Bucket(bucketScreenings)
		b.Put(u64key(10), []byte(strings.Replace(string(b.Get(u64key(10))), `"admit"`, `"deny"`, 1)))
	})
	wantBroken(t, db, "screening 10", "screening 10 was changed")
}

func TestVerifyFindsScreeningDeletedCleanly(t *testing.T) {
	db := tamperDB(t)
	raw(t, db, func(tx *bbolt.Tx) {
		var s Screening
		json.Unmarshal(tx.Bucket(bucketScreenings).Get(u64key(5)), &s)
		tx.Bucket(bucketScreenings).Delete(u64key(5))
		tx.Bucket(bucketScreeningTimes).Delete(timeKey(s.Time, 5))
		setDayCount(tx, "2026-03-14", -1)
	})
	wantBroken(t, db, "screening 5", "screening 5 is missing")
}

func TestVerifyFindsScreeningsRenumbered(t *testing.T) {
	// Screening 5 deleted and the later ones moved down by one: every id
	// follows the one before, but the links do not.
	db := tamperDB(t)
	raw(t, db, func(tx *bbolt.Tx) {
		b, idx := tx.Bucket(bucketScreenings), tx.Bucket(bucketScreeningTimes)
		for id := uint64(5); id <= 10; id++ {
			var s Screening
			json.Unmarshal(b.Get(u64key(id)), &s)
			b.Delete(u64key(id))
			idx.Delete(timeKey(s.Time, id))
			if id == 5 {
				continue
			}
			s.ID = id - 1
			v, _ := json.Marshal(s)
			b.Put(u64key(s.ID), v)
			idx.Put(timeKey(s.Time, s.ID), nil)
		}
		b.SetSequence(9)
		setDayCount(tx, "2026-03-14", -1)
	})
	wantBroken(t, db, "screening 5", "screening 4 was changed")
}

func TestVerifyFindsScreeningInserted(t *testing.T) {
	db := tamperDB(t)
	raw(t, db, func(tx *bbolt.Tx) {
		b := tx.Bucket(bucketScreenings)
		s := screening(time.Date(2026, 3, 14, 9, 30, 0, 0, db.loc), 36.6)
		s.ID, _ = b.NextSequence()
		s.Version = ScreeningVersion
		v, _ := json.Marshal(s)
		b.Put(u64key(s.ID), v)
		tx.Bucket(bucketScreeningTimes).Put(timeKey(s.Time, s.ID), nil)
		setDayCount(tx, "2026-03-14", 1)
	})
	wantBroken(t, db, "screening 11", "screening 11")
}

func TestVerifyFindsBookingUncancelled(t *testing.T) {
	db := tamperDB(t)
	raw(t, db, func(tx *bbolt.Tx) {
		b := tx.Bucket(bucketBookings)
		b.Put([]byte("EF34GH"), []byte(strings.Replace(string(b.Get([]byte("EF34GH"))), `"cancelled"`, `"active"`, 1)))
	})
	wantBroken(t, db, "booking EF34GH", "changed")
}

func TestVerifyFindsBookingInsertedAndRemoved(t *testing.T) {
	db := tamperDB(t)
	raw(t, db, func(tx *bbolt.Tx) {
		b := tx.Bucket(bucketBookings)
		v := strings.Replace(string(b.Get([]byte("AB12CD"))), "AB12CD", "ZZ99ZZ", 1)
		b.Put([]byte("ZZ99ZZ"), []byte(v))
	})
	wantBroken(t, db, "booking ZZ99ZZ", "not in the booking log")
	db = tamperDB(t)
	raw(t, db, func(tx *bbolt.Tx) { tx.Bucket(bucketBookings).Delete([]byte("JK56LM")) })
	wantBroken(t, db, "booking JK56LM", "removed")
}

// Cutting the tail of every chain after an export (the last screenings,
// audit entries and the booking log's last change, heads rewound) keeps
// the file consistent in itself; the manifest's chain heads catch it.
func TestVerifyManifestFindsTheTailCut(t *testing.T) {
	db := tamperDB(t)
	ctx := context.Background()
	res, err := db.ExportDay(ctx, ActorSystem, NewDay(2026, 3, 14), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m := res.Manifest
	if m.Chain.Screenings.ID != 10 || m.Chain.Audit.ID == 0 || m.Chain.Bookings.ID == 0 {
		t.Fatalf("manifest chain %+v", m.Chain)
	}
	path := filepath.Join(res.Dir, res.File.Name)
	read, err := ReadManifest(path)
	if err != nil || read.Chain != m.Chain {
		t.Fatalf("read back %+v %v", read.Chain, err)
	}
	if r, err := db.VerifyManifest(ctx, read); err != nil || !r.OK {
		t.Fatalf("before the cut: %+v %v", r, err)
	}
	raw(t, db, func(tx *bbolt.Tx) {
		b := tx.Bucket(bucketScreenings)
		var s Screening
		json.Unmarshal(b.Get(u64key(10)), &s)
		b.Delete(u64key(10))
		tx.Bucket(bucketScreeningTimes).Delete(timeKey(s.Time, 10))
		setDayCount(tx, "2026-03-14", -1)
		writeMark(tx.Bucket(bucketMeta), metaScreeningHead, chainMark{ID: 9, Hash: hashHex(b.Get(u64key(9)))})
	})
	if r, err := db.VerifyAudit(ctx); err != nil || !r.OK {
		t.Fatalf("the cut file is consistent in itself: %+v %v", r, err)
	}
	r, err := db.VerifyManifest(ctx, read)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK || r.Where != "screening 10" || !strings.Contains(r.Problem, "manifest-2026-03-14.json") {
		t.Errorf("after the cut: %+v", r)
	}
}

// A schema 1 file (screenings without links, bookings without a log) is
// brought into the chains when opened for writing, with an audit entry;
// opened read-only it is left alone and only its audit log is checked.
func TestMigrateSchema1(t *testing.T) {
	db := tamperDB(t)
	path := db.Path()
	// Make it what thermogate wrote before schema 2, with screenings 1–2
	// purged back then.
	raw(t, db, func(tx *bbolt.Tx) {
		b := tx.Bucket(bucketScreenings)
		for id := uint64(1); id <= 10; id++ {
			var s Screening
			json.Unmarshal(b.Get(u64key(id)), &s)
			if id <= 2 {
				b.Delete(u64key(id))
				tx.Bucket(bucketScreeningTimes).Delete(timeKey(s.Time, id))
				continue
			}
			s.Prev, s.Version = "", 1
			v, _ := json.Marshal(s)
			b.Put(u64key(id), v)
		}
		tx.DeleteBucket(bucketBookingLog)
		tx.DeleteBucket(bucketScreeningGaps)
		meta := tx.Bucket(bucketMeta)
		meta.Delete(metaScreeningHead)
		meta.Delete(metaBookingHead)
		meta.Put(metaSchema, []byte("1"))
	})
	db.Close()
	sum := func() string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return hashHex(b)
	}
	before := sum()
	ro, err := Open(path, Options{Vocabulary: testVocab, ReadOnly: true, Location: db.loc})
	if err != nil {
		t.Fatal(err)
	}
	r, err := ro.VerifyAudit(context.Background())
	ro.Close()
	if err != nil || !r.OK || !r.Unchained {
		t.Fatalf("read-only schema 1: %+v %v", r, err)
	}
	if sum() != before {
		t.Fatal("the read-only open changed the file")
	}

	db, err = Open(path, Options{Vocabulary: testVocab, Location: db.loc})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err = db.VerifyAudit(context.Background())
	if err != nil || !r.OK || r.Unchained || r.Screenings != 8 || r.Bookings != 3 {
		t.Fatalf("after the migration: %+v %v", r, err)
	}
	var last AuditEntry
	db.AuditEntries(context.Background(), func(e AuditEntry) error { last = e; return nil })
	if last.Action != "schema.migrate" || !strings.Contains(last.Detail, "8 screenings and 3 bookings") {
		t.Errorf("audit entry %+v", last)
	}
	// From here on, tampering shows.
	raw(t, db, func(tx *bbolt.Tx) {
		b := tx.Bucket(bucketScreenings)
		b.Put(u64key(5), []byte(strings.Replace(string(b.Get(u64key(5))), `"deny"`, `"admit"`, 1)))
	})
	wantBroken(t, db, "screening 6", "screening 5 was changed")
}
