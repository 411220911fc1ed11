package kiosk

import (
	"log/slog"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/storage"
)

// An Event is something that happened: the visitor's or the guard's input,
// a timer, or the result of an Effect. step applies it to the state.
type Event interface{ isEvent() }

// An Effect is work step asks for: it never does I/O itself. The runner
// carries effects out with the caller's context and returns their results
// as events. A new kind of output (a sound, the door relay, a sync queue) is
// a new Effect and a case in Flow.exec.
type Effect interface{ isEffect() }

// Input events: the visitor's.
type (
	Start           struct{}             // the visitor touched Start on Idle (or on a decision)
	Touch           struct{}             // the visitor is still typing: the input timeout starts again
	SetLang         struct{ Lang Lang }  // the visitor chose a language (any screen)
	Cancel          struct{}             // the visitor walked away from Code, Symptoms, Measure or Retest
	EnterCode       struct{ Raw string } // a booking code from the keypad or the scanner
	AnswerSymptoms  struct{ Yes bool }   // the answer to the symptoms question; Yes asks to confirm
	ConfirmSymptoms struct{}             // the visitor confirms the Yes: a stored denial
	ChangeAnswer    struct{}             // the visitor takes the Yes back: the question again
	Done            struct{}             // the visitor is done with the decision on screen
)

// Input events: the guard's.
type (
	OpenGuard  struct{}                   // the guard's corner was held
	GuardLogin struct{ Name, PIN string } // a PIN to check
	GuardClose struct{}                   // leave the guard screens
	GuardPick  struct{ Code string }      // the guard picks a visitor from State.Visitors ("": none, a walk-in)
	GuardAdmit struct {                   // admit the picked visitor (one of AdmitReasons)
		Reason   string
		Replaces uint64 // the guard decision this one replaces (GuardVisitor.Replaces), confirmed
	}
	GuardDeny struct { // deny the picked visitor (one of DenyReasons)
		Reason   string
		Replaces uint64
	}
	GuardWalkIn   struct{ Reason string } // admit someone without a booking (one of AdmitReasons)
	GuardClinical struct {                // a clinical thermometer's reading, °C, for the picked visitor or a walk-in
		C        float64
		Replaces uint64
	}
	GuardOutOfService  struct{} // take the kiosk out of service
	GuardBackInService struct{} // put it back on Idle
)

// Time events.
type (
	Tick     struct{} // a deadline (State.Until) may be due
	ProbeDue struct{} // time to check the sensor, the room and the clock while idle
)

// Results of effects.
type (
	// BookingFound answers LookupBooking; Err matches storage.ErrNotFound
	// for an unknown code.
	BookingFound struct {
		Code    string
		Booking storage.Booking
		Err     error
	}
	// Progressed is how far the measurement ID has come.
	Progressed struct {
		ID       uint64
		Progress sensor.Progress
	}
	// Measured answers MeasureForehead.
	Measured struct {
		ID      uint64
		Reading sensor.Reading
		Err     error
	}
	// MeasureOverran: measurement ID has run longer than any timeout of the
	// sampler allows; the sensor hangs.
	MeasureOverran struct{ ID uint64 }
	// Stored answers StoreScreening with the record's ID.
	Stored struct {
		ID  uint64
		Err error
	}
	// Audited answers WriteAudit.
	Audited struct {
		Action string
		Then   Event
		Err    error
	}
	// PINChecked answers CheckPIN: Guard is the name as stored.
	PINChecked struct {
		Session uint64
		Name    string
		Guard   string
		Err     error
	}
	// GuardsListed answers ListGuards.
	GuardsListed struct {
		Session uint64
		Names   []string
		Err     error
	}
	// Probed answers ProbeSensor: the room temperature, or the sensor's
	// error, and the data disk's free space if the runner watches it.
	Probed struct {
		Ambient physic.Temperature
		Err     error
		Disk    *DiskSpace // nil: not checked (RunOpts.DataDir unset)
	}
)

// DiskSpace is what the idle probe found of the filesystem holding the
// database: the bytes free in Dir, or why it could not tell.
type DiskSpace struct {
	Dir  string
	Free uint64
	Err  error
}

// Effects.
type (
	// LookupBooking reads the booking with this normalised code.
	LookupBooking struct{ Code string }
	// MeasureForehead starts measurement ID; a measurement under way with
	// another ID is stopped first.
	MeasureForehead struct{ ID uint64 }
	// StopMeasuring abandons measurement ID; its result, if it comes, is dropped.
	StopMeasuring struct{ ID uint64 }
	// StoreScreening stores a screening durably (fsync); the decision is
	// shown only once Stored comes back without an error.
	StoreScreening struct{ Record storage.Screening }
	// WriteAudit appends to the audit log; Then is applied once it is written.
	WriteAudit struct {
		Actor, Action, Detail string
		Then                  Event
	}
	// CheckPIN verifies a guard's PIN (argon2id: slow on purpose).
	CheckPIN struct {
		Session   uint64
		Name, PIN string
	}
	// ListGuards reads the guards' names for the PIN pad.
	ListGuards struct{ Session uint64 }
	// ProbeSensor reads the sensor once, to see that it answers and the room.
	ProbeSensor struct{}
	// Timer arms the one timer at At (zero: disarmed); it fires Tick.
	Timer struct{ At time.Time }
	// Log writes a line to the kiosk's log.
	Log struct {
		Level slog.Level
		Msg   string
		Args  []any
	}
	// Refused: the event did not apply; Do returns Err.
	Refused struct{ Err error }
)

// Continuations: what an audit entry, once written, lets happen.
type (
	guardIn       struct{ Guard string }    // the PIN was right: open the menu
	pinWrong      struct{ Name string }     // a wrong PIN: say so, maybe lock
	pinLocked     struct{}                  // the lockout is audited: show it
	closeGuard    struct{}                  // the logout is audited: back to what was on screen
	goOutOfSvc    struct{ Cause string }    // the guard's out-of-service is audited
	backInService struct{}                  // the guard's back-in-service is audited
	guardDecides  struct{ d guardDecision } // the replacement of an earlier guard decision is audited
)

func (Start) isEvent()              {}
func (Touch) isEvent()              {}
func (SetLang) isEvent()            {}
func (Cancel) isEvent()             {}
func (EnterCode) isEvent()          {}
func (AnswerSymptoms) isEvent()     {}
func (ConfirmSymptoms) isEvent()    {}
func (ChangeAnswer) isEvent()       {}
func (Done) isEvent()               {}
func (OpenGuard) isEvent()          {}
func (GuardLogin) isEvent()         {}
func (GuardClose) isEvent()         {}
func (GuardPick) isEvent()          {}
func (GuardAdmit) isEvent()         {}
func (GuardDeny) isEvent()          {}
func (GuardWalkIn) isEvent()        {}
func (GuardClinical) isEvent()      {}
func (GuardOutOfService) isEvent()  {}
func (GuardBackInService) isEvent() {}
func (Tick) isEvent()               {}
func (ProbeDue) isEvent()           {}
func (BookingFound) isEvent()       {}
func (Progressed) isEvent()         {}
func (Measured) isEvent()           {}
func (MeasureOverran) isEvent()     {}
func (Stored) isEvent()             {}
func (Audited) isEvent()            {}
func (PINChecked) isEvent()         {}
func (GuardsListed) isEvent()       {}
func (Probed) isEvent()             {}
func (guardIn) isEvent()            {}
func (pinWrong) isEvent()           {}
func (pinLocked) isEvent()          {}
func (closeGuard) isEvent()         {}
func (goOutOfSvc) isEvent()         {}
func (backInService) isEvent()      {}
func (guardDecides) isEvent()       {}

func (LookupBooking) isEffect()   {}
func (MeasureForehead) isEffect() {}
func (StopMeasuring) isEffect()   {}
func (StoreScreening) isEffect()  {}
func (WriteAudit) isEffect()      {}
func (CheckPIN) isEffect()        {}
func (ListGuards) isEffect()      {}
func (ProbeSensor) isEffect()     {}
func (Timer) isEffect()           {}
func (Log) isEffect()             {}
func (Refused) isEffect()         {}
