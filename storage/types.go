package storage

import (
	"errors"
	"time"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrNotFound: no booking, guard or record by that key.
	ErrNotFound = errors.New("not found")
	// ErrExists: a guard of that name, or a different booking with that code, already exists.
	ErrExists = errors.New("already exists")
	// ErrLocked: another process holds the database file.
	ErrLocked = errors.New("database in use by another thermogate process")
	// ErrBadCode: a booking code the vocabulary's NormalizeCode refused.
	ErrBadCode = errors.New("bad booking code")
	// ErrWeakPIN: a PIN that is not 4–8 digits, or an obvious one.
	ErrWeakPIN = errors.New("PIN refused")
	// ErrBadPIN: the PIN does not match the guard's.
	ErrBadPIN = errors.New("wrong PIN")
)

// Booking statuses.
const (
	StatusActive    = "active"
	StatusCancelled = "cancelled"
)

// DefaultMinutes is a visit's length when the import does not say: the
// office's rule allows at most 15 minutes.
const DefaultMinutes = 15

// Booking is one appointment made by phone. It holds no name: the code is
// the only link to the person, kept in the office's booking system.
type Booking struct {
	Code    string    `json:"code"`              // normalised, see Vocabulary.NormalizeCode
	Start   time.Time `json:"start"`             // slot start
	Minutes int       `json:"minutes"`           // slot length
	Service string    `json:"service,omitempty"` // which desk or service, free text
	Lang    string    `json:"lang,omitempty"`    // "" or one of Vocabulary.Langs
	// Location is the building or door group the booking is for ("" for
	// any): a kiosk in a fleet takes the bookings of its own location.
	Location string    `json:"location,omitempty"`
	Status   string    `json:"status"`           // StatusActive or StatusCancelled
	UsedAt   time.Time `json:"used_at,omitzero"` // when a screening consumed it; zero if never
	Version  int       `json:"v"`                // BookingVersion when stored
}

// ScreeningVersion is the version of the Screening record format.
const ScreeningVersion = 2 // 2: Prev, the hash chain

// Screening is one visitor's screening as stored, exported and audited.
// Temperatures are °C rounded to 0.01; nil when there was no reading.
type Screening struct {
	Version        int                `json:"v"`
	ID             uint64             `json:"id"` // sequence number, set by Append
	Time           time.Time          `json:"time"`
	Kiosk          string             `json:"kiosk"`
	Code           string             `json:"code"`      // "" for a walk-in admitted by a guard
	Decision       string             `json:"decision"`  // one of Vocabulary.Decisions
	Reason         string             `json:"reason"`    // one of Vocabulary.Reasons
	ShownC         *float64           `json:"shown_c"`   // what the screen showed and the rule judged, 0.1 °C
	ObjectC        *float64           `json:"object_c"`  // raw object (skin) temperature
	AmbientC       *float64           `json:"ambient_c"` // raw ambient temperature
	Model          string             `json:"model"`     // body-temperature model and version, e.g. "offset/1"
	Params         map[string]float64 `json:"params,omitempty"`
	ThresholdC     float64            `json:"threshold_c"` // the fever threshold in force
	Retest         bool               `json:"retest"`      // the decision came from a retest
	ClinicalC      *float64           `json:"clinical_c,omitempty"`
	Guard          string             `json:"guard,omitempty"` // guard who decided or overrode
	OverrideReason string             `json:"override_reason,omitempty"`
	// BookingUsed: Append marks the booking used in the same transaction.
	BookingUsed bool `json:"booking_used,omitempty"`
	// Prev is the sha256 of the stored bytes of the screening before this
	// one, set by Append: the screenings are hash-chained like the audit log.
	Prev string `json:"prev,omitempty"`
}

// AuditEntry is one entry of the hash-chained audit log.
type AuditEntry struct {
	ID     uint64    `json:"id"`
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`  // a guard's name, "admin" for the CLI, "system" for the daemon
	Action string    `json:"action"` // e.g. "guard.admit", "bookings.import", "export.done"
	Detail string    `json:"detail,omitempty"`
	Prev   string    `json:"prev"` // hex sha256 of the previous entry's stored bytes
	// Version is AuditVersion when stored.
	Version int `json:"v"`
}
