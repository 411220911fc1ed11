// Package storagetest is an in-memory store for the tests of the flow and
// the touchscreen, with failures on demand. The daemon, `simulate` and the
// demo use the real bbolt store; this one exists to make a disk fail.
package storagetest

import (
	"slices"
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
func (m *Mem) Booking(code string) (storage.Booking, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.bookings[code]
	if !ok {
		return storage.Booking{}, storage.ErrNotFound
	}
	return b, nil
}

// Append stores a screening and marks its booking used if asked.
func (m *Mem) Append(rec *storage.Screening) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.FailAppend != nil {
		return m.FailAppend
	}
	rec.ID = uint64(len(m.screenings) + 1)
	m.screenings = append(m.screenings, *rec)
	if b, ok := m.bookings[rec.Code]; ok && rec.BookingUsed {
		b.UsedAt = rec.Time
		m.bookings[rec.Code] = b
	}
	return nil
}

// VerifyGuard compares a PIN.
func (m *Mem) VerifyGuard(name, pin string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.pins[name]
	switch {
	case !ok:
		return storage.ErrNotFound
	case p != pin:
		return storage.ErrBadPIN
	}
	return nil
}

// GuardNames lists the guards, sorted.
func (m *Mem) GuardNames() ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var names []string
	for n := range m.pins {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

// Audit appends an audit entry.
func (m *Mem) Audit(actor, action, detail string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.FailAudit != nil {
		return m.FailAudit
	}
	m.audit = append(m.audit, storage.AuditEntry{ID: uint64(len(m.audit) + 1), Actor: actor, Action: action, Detail: detail})
	return nil
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
