package kiosk

import (
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/storage"
)

// Recorder is told what the flow did, for the kiosk's metrics. The runner
// calls it (never step), on the goroutine that applies events, so its
// methods must not block. It never gets visitor data: no booking code, no
// person's temperature, no guard's name.
type Recorder interface {
	// Service is called with every state published (and the state at the
	// start of Run): "" in service, else the out-of-service cause (OOS…).
	Service(cause string)
	// Screening is a screening stored: attempts is how many measurements it
	// took (0 when decided without measuring), latency the time from the
	// stable reading that decided it to its record stored (0 when none).
	Screening(decision Decision, reason Reason, attempts int, latency time.Duration)
	// Audited is an audit entry written for the kiosk's flow: its action
	// ("guard.login", "kiosk.out_of_service", "guard.admit", …).
	Audited(action string)
	// SensorError is a measurement or a probe that failed with err.
	SensorError(err error)
	// Room is the room temperature a probe read; RoomUnknown a probe that
	// read none.
	Room(t physic.Temperature)
	RoomUnknown()
}

// recording is the runner's bookkeeping for the Recorder: what step does
// not keep because no screen shows it.
type recording struct {
	rec      Recorder
	attempts int       // measurements started since the last lookup or store
	stable   time.Time // when the last reading came back; zero for none
	cause    string    // the cause last reported, "-" before the first
}

// cause is the out-of-service cause a state shows, "" in service.
func cause(st State) string {
	if st.Screen == OutOfService {
		if st.OutOfService == "" {
			return "unknown"
		}
		return st.OutOfService
	}
	return ""
}

// service reports st's cause if it changed.
func (r *recording) service(st State) {
	if r.rec == nil {
		return
	}
	if c := cause(st); c != r.cause {
		r.cause = c
		r.rec.Service(c)
	}
}

// event notes what an event tells the recorder, before step applies it.
func (r *recording) event(ev Event) {
	if r.rec == nil {
		return
	}
	switch ev := ev.(type) {
	case Measured:
		r.stable = time.Time{}
		if ev.Err != nil {
			r.rec.SensorError(ev.Err)
		} else {
			r.stable = time.Now()
		}
	case Probed:
		if ev.Err != nil {
			r.rec.SensorError(ev.Err)
			r.rec.RoomUnknown()
		} else {
			r.rec.Room(ev.Ambient)
		}
	}
}

// effect notes an effect step asked for, before the runner carries it out.
func (r *recording) effect(e Effect) {
	switch e.(type) {
	case LookupBooking: // a new visitor
		r.attempts, r.stable = 0, time.Time{}
	case MeasureForehead:
		r.attempts++
	}
}

// stored reports a screening stored, and the guard's decision audited with
// it in the same transaction.
func (r *recording) stored(rec storage.Screening) {
	attempts, stable := r.attempts, r.stable
	r.attempts, r.stable = 0, time.Time{}
	if r.rec == nil {
		return
	}
	var latency time.Duration
	if rec.Guard != "" {
		attempts = 0 // a guard's decision is not a measurement's
		r.rec.Audited("guard." + rec.Decision)
	} else if rec.ObjectC != nil && !stable.IsZero() {
		latency = time.Since(stable)
	}
	r.rec.Screening(Decision(rec.Decision), Reason(rec.Reason), attempts, latency)
}

// audited reports an audit entry written.
func (r *recording) audited(action string) {
	if r.rec != nil {
		r.rec.Audited(action)
	}
}
