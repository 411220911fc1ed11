package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fullDB writes a database with something in every bucket, closes it and
// returns its path: bookings (one cancelled, one used), a guard, screenings
// over two days, audit entries, an export and a purge anchor.
func fullDB(t *testing.T) string {
	t.Helper()
	loc := vilnius(t)
	db, clk := testDBAt(t, time.Date(2026, 3, 14, 8, 0, 0, 0, loc))
	ctx := context.Background()
	csv := "code,start\nAB12CD,2026-03-16 09:00\nEF34GH,2026-03-16 09:15\nJK56LM,2026-03-15 10:00\n"
	if _, err := db.ImportBookings(ctx, ActorAdmin, "b.csv", []byte(csv), "", false); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CancelBooking(ctx, ActorAdmin, "EF34GH"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddGuard(ctx, ActorAdmin, "Jonas", "1357"); err != nil {
		t.Fatal(err)
	}
	for i := range 60 {
		s := screening(clk.Now().Add(time.Duration(i)*40*time.Minute), 36.0+float64(i%15)/10)
		if i%7 == 3 {
			s.Decision, s.Reason, s.Guard, s.OverrideReason = DecisionDeny, ReasonGuard, "Jonas", "no mask"
		}
		if i == 5 {
			s.Code, s.BookingUsed = "JK56LM", true
		}
		mustAppend(t, db, s)
	}
	clk.Advance(48 * time.Hour)
	if _, err := db.ExportDay(ctx, ActorSystem, NewDay(2026, 3, 14), t.TempDir()); err != nil {
		t.Fatal(err)
	}
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// everyPath runs every read and write of the package on db and returns
// the errors, by name. A panic escaping here fails the test.
func everyPath(t *testing.T, db *DB) map[string]error {
	ctx := context.Background()
	errs := map[string]error{}
	note := func(name string, err error) { errs[name] = err }
	_, err := db.Bookings(ctx, Day{})
	note("bookings", err)
	_, err = db.Booking(ctx, "AB12CD")
	note("booking", err)
	note("screenings", db.Screenings(ctx, NewDay(2026, 3, 14), func(Screening) error { return nil }))
	_, err = db.Screening(ctx, 5)
	note("screening", err)
	_, err = db.Guards(ctx)
	note("guards", err)
	_, err = db.VerifyGuardPIN(ctx, "Jonas", "1357")
	note("pin", err)
	_, err = db.VerifyAudit(ctx)
	note("verify", err)
	note("audit entries", db.AuditEntries(ctx, func(AuditEntry) error { return nil }))
	_, err = db.ExportRecord(ctx, NewDay(2026, 3, 14))
	note("export record", err)
	_, err = db.UnexportedDays(ctx, NewDay(2026, 3, 20))
	note("unexported", err)
	_, err = db.Check(ctx)
	note("check", err)
	_, err = db.Backup(ctx, filepath.Join(t.TempDir(), "b.db"))
	note("backup", err)
	_, err = db.Append(ctx, screening(time.Date(2026, 3, 16, 11, 0, 0, 0, db.loc), 36.6))
	note("append", err)
	_, err = db.Audit(ctx, ActorSystem, "test", "x")
	note("audit", err)
	_, err = db.CancelBooking(ctx, ActorAdmin, "AB12CD")
	note("cancel", err)
	_, err = db.ImportBookings(ctx, ActorAdmin, "c.csv", []byte("code,start\nZZ99YY,2026-03-17 09:00\n"), "", false)
	note("import", err)
	_, err = db.AddGuard(ctx, ActorAdmin, "Ona", "2468")
	note("add guard", err)
	note("remove guard", db.RemoveGuard(ctx, ActorAdmin, "Jonas"))
	_, err = db.ExportDay(ctx, ActorSystem, NewDay(2026, 3, 15), t.TempDir())
	note("export", err)
	_, err = db.Purge(ctx, ActorSystem, 1)
	note("purge", err)
	return errs
}

// TestCorruptFileNeverPanics flips one byte at a time over the whole of a
// real file and runs every read and write on each copy: the outcome is data
// or an error, never a panic, and bbolt's assertions come back as
// ErrCorrupt with "restore from a backup" (issue 11, item 5).
func TestCorruptFileNeverPanics(t *testing.T) {
	orig := fullDB(t)
	data, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	// A prime stride, so offsets fall everywhere within pages; 97 (1,352
	// flips) passed, and THERMOGATE_FLIP_STRIDE=97 runs it so again.
	stride := 997
	if s, err := strconv.Atoi(os.Getenv("THERMOGATE_FLIP_STRIDE")); err == nil && s > 0 {
		stride = s
	}
	dir := t.TempDir()
	corrupt, refused, flips := 0, 0, 0
	for off := 0; off < len(data); off += stride {
		flips++
		bad := append([]byte(nil), data...)
		bad[off] ^= 0x5a
		path := filepath.Join(dir, fmt.Sprintf("flip-%d.db", off))
		if err := os.WriteFile(path, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := Open(path, Options{Vocabulary: testVocab, Location: vilnius(t), PIN: cheapPIN, Timeout: time.Second})
		if err != nil {
			refused++
			if errors.Is(err, ErrCorrupt) && !strings.Contains(err.Error(), "restore from a backup") {
				t.Errorf("offset %d: %v", off, err)
			}
			os.Remove(path)
			continue
		}
		for name, err := range everyPath(t, db) {
			if errors.Is(err, ErrCorrupt) {
				corrupt++
				if !strings.Contains(err.Error(), "database corrupt: ") || !strings.HasSuffix(err.Error(), "restore from a backup") {
					t.Errorf("offset %d, %s: %v", off, name, err)
				}
			}
		}
		db.Close()
		os.Remove(path)
	}
	t.Logf("%d flips over %d bytes: %d refused at open, %d calls failed as corrupt", flips, len(data), refused, corrupt)
}
