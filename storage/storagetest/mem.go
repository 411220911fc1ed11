// Package storagetest is the real bbolt store in a test's temporary
// directory, with failures on demand. The flow's and the touchscreen's tests
// run on it, so what they store is validated, normalised and committed
// exactly as on a kiosk; the wrapper only adds what a test needs: a disk
// that fails or is slow, and short ways to set up bookings and guards.
package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/thermogate/thermogate/storage"
)

// Actor is who sets the store up (bookings, guards): its audit entries and
// screenings are left out of AuditLog and Screenings, which show what the
// code under test wrote.
const Actor = "storagetest"

// Store is a real *storage.DB (every method not listed here is the DB's)
// whose Append and Audit fail or wait on demand.
type Store struct {
	*storage.DB
	t     testing.TB
	vocab storage.Vocabulary

	mu         sync.Mutex
	failAppend error
	failAudit  error
	slow       time.Duration
}

// Open opens a new database in t.TempDir() with opts, closed when the test
// ends. opts.Vocabulary is required (kiosk.Vocabulary(): storage knows no
// rule); a zero opts.PIN means a cheap PIN hash, to keep tests fast.
func Open(t testing.TB, opts storage.Options) *Store {
	t.Helper()
	if opts.PIN == (storage.PINParams{}) {
		opts.PIN = storage.PINParams{Time: 1, MemoryKiB: 64, Threads: 1}
	}
	db, err := storage.Open(filepath.Join(t.TempDir(), "thermogate.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &Store{DB: db, t: t, vocab: opts.Vocabulary}
}

// OpenCopy is Open on a copy of the database file template (closed), in
// t.TempDir(): a test that sets the same bookings and guards up many times
// sets them up once, and each copy costs one commit instead of one per
// booking and guard.
func OpenCopy(t testing.TB, template string, opts storage.Options) *Store {
	t.Helper()
	if opts.PIN == (storage.PINParams{}) {
		opts.PIN = storage.PINParams{Time: 1, MemoryKiB: 64, Threads: 1}
	}
	data, err := os.ReadFile(template)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "thermogate.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &Store{DB: db, t: t, vocab: opts.Vocabulary}
}

// FailAppend makes every Append fail with err until FailAppend(nil).
func (s *Store) FailAppend(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAppend = err
}

// FailAudit makes every Audit fail with err until FailAudit(nil).
func (s *Store) FailAudit(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAudit = err
}

// SlowAppend makes every Append wait d (or until its context ends) before
// storing: a disk that is slow to fsync.
func (s *Store) SlowAppend(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slow = d
}

// Append is the real Append, unless made to fail or wait.
func (s *Store) Append(ctx context.Context, rec storage.Screening) (uint64, error) {
	s.mu.Lock()
	fail, slow := s.failAppend, s.slow
	s.mu.Unlock()
	if fail != nil {
		return 0, fail
	}
	if slow > 0 {
		select {
		case <-time.After(slow):
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	return s.DB.Append(ctx, rec)
}

// Audit is the real Audit, unless made to fail.
func (s *Store) Audit(ctx context.Context, actor, action, detail string) (storage.AuditEntry, error) {
	s.mu.Lock()
	fail := s.failAudit
	s.mu.Unlock()
	if fail != nil {
		return storage.AuditEntry{}, fail
	}
	return s.DB.Audit(ctx, actor, action, detail)
}

// placeholder is the booking that lets PutBooking move a code to another
// day when nothing else is booked on the old one: an import replaces only
// the days its file covers.
const placeholder = "ZZ00PLACEHOLDER"

// PutBooking stores b as the office would: a bookings import (with
// --replace, so it may change an existing booking), then a cancellation if
// b is cancelled, and, if b.UsedAt is set, an admitted screening at UsedAt
// that consumes it (by Actor, left out of Screenings). The code goes
// through the vocabulary's normalising, like any import.
func (s *Store) PutBooking(b storage.Booking) {
	s.t.Helper()
	ctx := context.Background()
	if b.Minutes == 0 {
		b.Minutes = storage.DefaultMinutes
	}
	type row struct {
		Code    string `json:"code"`
		Start   string `json:"start"`
		Minutes int    `json:"minutes"`
		Service string `json:"service,omitempty"`
		Lang    string `json:"lang,omitempty"`
	}
	loc := s.Location()
	asRow := func(b storage.Booking) row {
		return row{b.Code, b.Start.In(loc).Format("2006-01-02 15:04"), b.Minutes, b.Service, b.Lang}
	}
	days := []storage.Day{storage.DayOf(b.Start, loc)}
	code, err := s.vocab.NormalizeCode(b.Code)
	if err != nil {
		s.t.Fatalf("put booking %+v: %v", b, err)
	}
	if old, err := s.DB.Booking(ctx, code); err == nil && storage.DayOf(old.Start, loc) != days[0] {
		days = append(days, storage.DayOf(old.Start, loc))
	}
	// The import replaces the bookings of the days it covers: it carries
	// the others of those days as they are (identical rows keep their
	// status and use).
	rows := []row{asRow(b)}
	for i, d := range days {
		others, err := s.Bookings(ctx, d)
		if err != nil {
			s.t.Fatal(err)
		}
		n := len(rows)
		for _, o := range others {
			if o.Code != code {
				rows = append(rows, asRow(o))
			}
		}
		if i > 0 && len(rows) == n {
			rows = append(rows, row{Code: placeholder, Start: d.Start(loc).Add(12 * time.Hour).Format("2006-01-02 15:04"), Minutes: 15})
		}
	}
	data, err := json.Marshal(rows)
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.ImportBookings(ctx, Actor, "storagetest.json", data, "json", true); err != nil {
		s.t.Fatalf("put booking %+v: %v", b, err)
	}
	if b.Status == storage.StatusCancelled {
		if _, err := s.CancelBooking(ctx, Actor, b.Code); err != nil {
			s.t.Fatalf("cancel booking %s: %v", b.Code, err)
		}
	}
	if !b.UsedAt.IsZero() {
		if len(s.vocab.Reasons) == 0 {
			s.t.Fatal("storagetest: a used booking needs the vocabulary's words")
		}
		rec := storage.Screening{Time: b.UsedAt, Kiosk: Actor, Code: b.Code, Decision: s.vocab.Admit,
			Reason: s.vocab.Reasons[0], BookingUsed: true}
		if _, err := s.DB.Append(ctx, rec); err != nil {
			s.t.Fatalf("use booking %s: %v", b.Code, err)
		}
	}
}

// PutGuard adds a guard with a PIN (which must pass the PIN rules).
func (s *Store) PutGuard(name, pin string) {
	s.t.Helper()
	if _, err := s.AddGuard(context.Background(), Actor, name, pin); err != nil {
		s.t.Fatalf("put guard %s: %v", name, err)
	}
}

// Screenings returns what the code under test stored, in order.
func (s *Store) Screenings() []storage.Screening {
	s.t.Helper()
	var out []storage.Screening
	for id := uint64(1); ; id++ {
		rec, err := s.Screening(context.Background(), id)
		if errors.Is(err, storage.ErrNotFound) {
			return out
		}
		if err != nil {
			s.t.Fatalf("screening %d: %v", id, err)
		}
		if rec.Kiosk != Actor {
			out = append(out, rec)
		}
	}
}

// AuditLog returns the audit entries the code under test wrote, in order.
func (s *Store) AuditLog() []storage.AuditEntry {
	s.t.Helper()
	var out []storage.AuditEntry
	err := s.AuditEntries(context.Background(), func(e storage.AuditEntry) error {
		if e.Actor != Actor {
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		s.t.Fatal(fmt.Errorf("audit log: %w", err))
	}
	return out
}
