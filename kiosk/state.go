package kiosk

import (
	"errors"
	"fmt"
	"time"

	"github.com/thermogate/thermogate/sensor"
)

// Screen is what the kiosk shows.
type Screen int

// Screens.
const (
	Idle Screen = iota
	Code
	Symptoms
	Measure
	Retest
	Decided // a decision, stored, is on screen
	GuardPIN
	GuardMenu
	OutOfService
	// Early: the booking's window has not opened yet. Nothing is stored:
	// the kiosk waits for the window (see EarlyWait) or tells the time.
	Early
)

var screenNames = [...]string{"idle", "code", "symptoms", "measure", "retest", "decision", "guard-pin", "guard-menu", "out-of-service", "early"}

// String returns the screen's name, e.g. "guard-pin".
func (s Screen) String() string {
	if s >= 0 && int(s) < len(screenNames) {
		return screenNames[s]
	}
	return fmt.Sprintf("Screen(%d)", int(s))
}

// Why the kiosk is out of service.
const (
	OOSSensor  = "sensor"  // the sensor fails; back by itself when it answers
	OOSAmbient = "ambient" // the room is outside the range the sensor can judge in
	OOSClock   = "clock"   // the clock is plainly wrong (no RTC, no NTP yet)
	OOSStorage = "storage" // a screening could not be stored; a guard puts it back
	OOSGuard   = "guard"   // a guard took it out of service
	// OOSCorrupt: the database file is damaged (storage.ErrCorrupt). Nothing
	// can be stored until it is restored from a backup and the kiosk
	// restarted; a guard cannot put it back.
	OOSCorrupt = "database_corrupt"
	// OOSDiskFull: the filesystem holding the database has less free space
	// than Config.MinFree (or cannot say how much it has). Screenings that
	// may not be kept are not taken; back by itself once there is room.
	OOSDiskFull = "disk_full"
)

// OOSCauses are every out-of-service cause, for the words the screens, the
// metrics and the status show for each.
var OOSCauses = []string{OOSSensor, OOSAmbient, OOSClock, OOSStorage, OOSGuard, OOSCorrupt, OOSDiskFull}

// selfHealing reports whether an out-of-service cause clears by itself once
// the sensor, room, clock and data disk are fine.
func selfHealing(cause string) bool {
	return cause == OOSSensor || cause == OOSAmbient || cause == OOSClock || cause == OOSDiskFull
}

// Notices: a message on the current screen. The UI translates the key.
const (
	NoticeCodeFormat = "code_format" // Code: not a booking code (characters, length)
	NoticeNotFound   = "not_found"   // Code: no booking with this code: check it and try again
	NoticeConfirmYes = "confirm_yes" // Symptoms: "Yes" means no entry today: change the answer or confirm
	NoticeNoForehead = "no_forehead" // Measure: nothing came in front of the sensor
	NoticeUnstable   = "unstable"    // Measure: the forehead did not hold still
	NoticeTooCold    = "too_cold"    // Measure: below the plausible range: closer
	NoticeTooHot     = "too_hot"     // Measure: above the plausible range
	NoticeStepBack   = "step_back"   // Measure: the reading did not change at all: step back and come again
	NoticeWrongPIN   = "wrong_pin"   // GuardPIN
	NoticeLocked     = "locked"      // GuardPIN: too many wrong PINs, see Until
	NoticeError      = "error"       // guard screens: something failed; State.Detail says what
)

// Errors of events, matched with errors.Is. Do returns them; the screens
// see their effect in the State.
var (
	// ErrCodeFormat: what was entered cannot be a booking code.
	ErrCodeFormat = errors.New("not a booking code")
	// ErrNotNow: the event does not apply to the current screen.
	ErrNotNow = errors.New("not possible on this screen")
	// ErrLocked: too many wrong PINs; try again after State.Until.
	ErrLocked = errors.New("PIN entry locked")
	// ErrNoVisitor: a guard action needs a visitor and there is none.
	ErrNoVisitor = errors.New("no current visitor")
	// ErrChecking: a PIN is being checked; another waits for the answer.
	ErrChecking = errors.New("a PIN is being checked")
	// ErrBusy: the flow waits for the store; the event came in between.
	ErrBusy = errors.New("waiting for the store")
	// ErrReplaces: the picked visitor already has a guard's decision; a new
	// one must name it (GuardVisitor.Replaces) to confirm it replaces it.
	ErrReplaces = errors.New("the visitor already has a guard's decision: confirm replacing it")
)

// Outcome is a decision as shown.
type Outcome struct {
	Decision    Decision
	Reason      Reason
	Shown       *Tenths // nil when there was no reading
	Retest      bool    // decided by the retest
	Guard       string  // the guard who decided, if one did
	Override    string  // the guard's reason
	ScreeningID uint64  // the stored record; 0 if storing failed
}

// State is everything a screen shows. Observers get a copy on every change.
type State struct {
	Seq      uint64 // increases with every published state
	Screen   Screen
	Lang     Lang            // language of the visitor's screens
	Code     string          // the visitor's normalised code
	Typed    string          // on Code after a refused code: what was typed, kept for correcting
	Service  string          // the booking's service, if any
	Slot     time.Time       // the booking's slot start, if any
	Notice   string          // Notice…, or ""
	Detail   string          // with NoticeError: what went wrong, in words
	Attempt  int             // measurement attempt, from 1
	Retest   bool            // this measurement is the retest
	Progress sensor.Progress // latest progress of the measurement
	Until    time.Time       // when the screen times out, a countdown ends or a lockout lifts
	// Opens is, on Early, when the booking's window opens. Until equals it
	// while the kiosk waits to go on by itself (Waiting); otherwise Until is
	// when the screen returns to Idle.
	Opens time.Time
	// Ready is, on Early, that the window opened while the visitor waited
	// and, with no symptoms question to ask, the check waits for them to
	// tap Start (the visitor may have left: nothing is measured or stored
	// for nobody). Until is then the input timeout.
	Ready bool
	// AttemptFrom is, on Measure, when this attempt's measurement started:
	// the visitor has Settings.AttemptTime from it to bring their forehead.
	AttemptFrom  time.Time
	Outcome      *Outcome       // on Decided (and OutOfService after a failed store)
	OutOfService string         // OOS…, when Screen is OutOfService
	Guard        string         // the guard logged in, on GuardMenu
	HasVisitor   bool           // on GuardMenu: a visitor is picked (Code) that the guard can admit or deny
	Visitors     []GuardVisitor // on GuardMenu: whom the guard can act for, newest first
	TriesLeft    int            // on GuardPIN: wrong PINs left before PIN entry locks
	Resume       Screen         // on the guard screens: where closing returns to
	Checking     bool           // on GuardPIN: a PIN is being checked
	Guards       []string       // on GuardPIN: the guards' names, once read
	GuardsErr    string         // on GuardPIN: why the names could not be read
	Kiosk        Settings       // what the screens show of the configuration
	Signals      string         // what fails of the speaker, the door and the lamps, for the guard; "" while all work
}

// GuardVisitor is a visitor the guard menu lists: one referred or denied
// in the last GuardRecall, or the one on screen now. The guard picks one
// explicitly (GuardPick); nothing is picked for them.
type GuardVisitor struct {
	Code     string
	OnScreen bool     // being screened now, not decided yet
	Decision Decision // the kiosk's decision ("" when OnScreen)
	Reason   Reason   // why
	Shown    *Tenths  // the temperature shown, if there was one
	Minutes  int      // how long ago the kiosk decided, in whole minutes
	Guard    *Outcome // the latest guard decision for this visitor, if any
	// Replaces is the screening a new guard decision replaces: non-zero
	// when Guard is set, and to be passed back with the new decision.
	Replaces uint64
}

// Settings is what the screens show of the configuration.
type Settings struct {
	Lang         Lang           // the default language: the guard's screens, back on Idle
	ThresholdC   float64        // the fever threshold, for "above 37.3 °C"
	MaxAttempts  int            // for "attempt 1 of 3"
	EarlyMin     int            // minutes before the slot a booking admits, for "come back at"
	Location     *time.Location // the kiosk's time zone, for times on screen
	BookingPhone string         // the office's booking number, for "call … to book"
	DecisionTime time.Duration  // how long an admit stays on screen, for the countdown bar
	DenyTime     time.Duration  // how long a denial or referral stays
	AttemptTime  time.Duration  // how long one measurement waits for a forehead (the sampler's WaitTimeout); 0 unknown
}

// Waiting reports whether, on Early, the kiosk waits for the booking's
// window to open and then goes on by itself.
func (s State) Waiting() bool {
	return s.Screen == Early && !s.Opens.IsZero() && s.Until.Equal(s.Opens)
}
