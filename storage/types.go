package storage

import (
	"errors"
	"fmt"
	"strings"
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
	// ErrBadCode: a booking code that is not 4–16 of A–Z and 0–9 after normalising.
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

// Languages a booking may carry, for the kiosk's screens.
var Languages = []string{"lt", "pl", "ru", "en"}

// Booking is one appointment made by phone. It holds no name: the code is
// the only link to the person, kept in the office's booking system.
type Booking struct {
	Code    string    `json:"code"`              // normalised, see NormalizeCode
	Start   time.Time `json:"start"`             // slot start
	Minutes int       `json:"minutes"`           // slot length
	Service string    `json:"service,omitempty"` // which desk or service, free text
	Lang    string    `json:"lang,omitempty"`    // "", lt, pl, ru or en
	// Location is the building or door group the booking is for ("" for
	// any): a kiosk in a fleet takes the bookings of its own location.
	Location string    `json:"location,omitempty"`
	Status   string    `json:"status"`           // StatusActive or StatusCancelled
	UsedAt   time.Time `json:"used_at,omitzero"` // when a screening consumed it; zero if never
	Version  int       `json:"v"`                // BookingVersion when stored
}

// Decisions of a screening.
const (
	DecisionAdmit = "admit"
	DecisionDeny  = "deny"
	DecisionRefer = "refer" // see the guard
)

// Reasons of a screening's decision.
const (
	ReasonOK          = "ok"
	ReasonFever       = "fever"
	ReasonSymptoms    = "symptoms"
	ReasonUnknownCode = "unknown_code"
	ReasonNotToday    = "not_today"
	ReasonTooEarly    = "too_early"
	ReasonTooLate     = "too_late"
	ReasonUsed        = "already_used"
	ReasonCancelled   = "cancelled"
	ReasonNoReading   = "no_reading"
	ReasonSensorFault = "sensor_fault"
	ReasonStorage     = "storage"
	ReasonGuard       = "guard" // a guard decided; see OverrideReason
)

// ScreeningVersion is the version of the Screening record format.
const ScreeningVersion = 2 // 2: Prev, the hash chain

// Screening is one visitor's screening as stored, exported and audited.
// Temperatures are °C rounded to 0.01; nil when there was no reading.
type Screening struct {
	Version        int                `json:"v"`
	ID             uint64             `json:"id"` // sequence number, set by Append
	Time           time.Time          `json:"time"`
	Kiosk          string             `json:"kiosk"`
	Code           string             `json:"code"` // "" for a walk-in admitted by a guard
	Decision       string             `json:"decision"`
	Reason         string             `json:"reason"`
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

// Code limits after normalising.
const (
	MinCodeLen = 4
	MaxCodeLen = 16
)

// NormalizeCode trims s, upper-cases it and drops spaces, dashes and
// underscores (a scanner or a phone operator may add them), then checks that
// what is left is 4–16 of A–Z and 0–9. The error names what is wrong.
func NormalizeCode(s string) (string, error) {
	if len(s) > 4*MaxCodeLen {
		return "", fmt.Errorf("%w: %d characters, at most %d", ErrBadCode, len(s), MaxCodeLen)
	}
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r == ' ' || r == '-' || r == '_' || r == '\t':
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			return "", fmt.Errorf("%w: character %q is not a letter A–Z or a digit", ErrBadCode, r)
		}
	}
	code := b.String()
	if n := len(code); n < MinCodeLen || n > MaxCodeLen {
		return "", fmt.Errorf("%w: %d characters, want %d–%d", ErrBadCode, n, MinCodeLen, MaxCodeLen)
	}
	return code, nil
}
