// Package storagetest is an in-memory store for the tests of the flow and
// the touchscreen, with failures on demand. The daemon, `simulate` and the
// demo use the real bbolt store; this one exists to make a disk fail.
package storagetest

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/thermogate/thermogate/storage"
)

// Mem holds bookings, screenings, guards' PINs (in clear: tests only) and
// audit entries in memory. Set FailAppend or FailAudit to make writes fail.
type Mem struct {
	mu         sync.Mutex
	bookings   map[string]storage.Booking
	screenings []storage.Screening
	pins       map[string]string
	audit      []storage.AuditEntry

	FailAppend error
	FailAudit  error
}

// New returns an empty store.
func New() *Mem {
	return &Mem{bookings: map[string]storage.Booking{}, pins: map[string]string{}}
}

// PutBooking adds or replaces a booking.
func (m *Mem) PutBooking(b storage.Booking) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.bookings[b.Code] = b
}

// PutGuard adds a guard with a PIN.
func (m *Mem) PutGuard(name, pin string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pins[name] = pin
}

// Booking returns a booking by code or storage.ErrNotFound.
func (m *Mem) Booking(_ context.Context, code string) (storage.Booking, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.bookings[code]
	if !ok {
		return storage.Booking{}, storage.ErrNotFound
	}
	return b, nil
}

// Append stores a screening, marks its booking used if asked and audits a
// guard's decision, as the real store does in one transaction.
func (m *Mem) Append(_ context.Context, rec storage.Screening) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.FailAppend != nil {
		return 0, m.FailAppend
	}
	rec.ID = uint64(len(m.screenings) + 1)
	m.screenings = append(m.screenings, rec)
	if b, ok := m.bookings[rec.Code]; ok && rec.BookingUsed && b.UsedAt.IsZero() {
		b.UsedAt = rec.Time
		m.bookings[rec.Code] = b
	}
	if rec.Guard != "" {
		m.audit = append(m.audit, storage.AuditEntry{ID: uint64(len(m.audit) + 1), Actor: rec.Guard,
			Action: "guard." + rec.Decision, Detail: storage.GuardAuditDetail(rec)})
	}
	return rec.ID, nil
}

// VerifyGuardPIN compares a PIN. Names match ignoring case, as in the real
// store, and the guard comes back under the name as stored.
func (m *Mem) VerifyGuardPIN(_ context.Context, name, pin string) (storage.Guard, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for stored, p := range m.pins {
		if strings.EqualFold(stored, name) {
			if p != pin {
				return storage.Guard{}, storage.ErrBadPIN
			}
			return storage.Guard{Name: stored}, nil
		}
	}
	return storage.Guard{}, storage.ErrNotFound
}

// Guards lists the guards, sorted by name.
func (m *Mem) Guards(context.Context) ([]storage.Guard, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var gs []storage.Guard
	for n := range m.pins {
		gs = append(gs, storage.Guard{Name: n})
	}
	slices.SortFunc(gs, func(a, b storage.Guard) int { return strings.Compare(a.Name, b.Name) })
	return gs, nil
}

// Audit appends an audit entry.
func (m *Mem) Audit(_ context.Context, actor, action, detail string) (storage.AuditEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.FailAudit != nil {
		return storage.AuditEntry{}, m.FailAudit
	}
	e := storage.AuditEntry{ID: uint64(len(m.audit) + 1), Actor: actor, Action: action, Detail: detail}
	m.audit = append(m.audit, e)
	return e, nil
}

// Screenings returns a copy of what was stored.
func (m *Mem) Screenings() []storage.Screening {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.screenings)
}

// AuditLog returns a copy of the audit entries.
func (m *Mem) AuditLog() []storage.AuditEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.audit)
}
