package kiosk

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/internal/hw"
	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/sensor/mlxsim"
	"github.com/thermogate/thermogate/storage"
	"github.com/thermogate/thermogate/storage/storagetest"
)

// notes is a Recorder that writes down what it is told, one line each.
type notes struct {
	mu    sync.Mutex
	lines []string
}

func (n *notes) add(format string, a ...any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.lines = append(n.lines, fmt.Sprintf(format, a...))
}

func (n *notes) Service(cause string) { n.add("service %q", cause) }
func (n *notes) Screening(d Decision, r Reason, attempts int, latency time.Duration) {
	n.add("screening %s/%s attempts=%d latency>0=%v", d, r, attempts, latency > 0)
}
func (n *notes) Audited(action string)   { n.add("audited %s", action) }
func (n *notes) SensorError(err error)   { n.add("sensor error") }
func (n *notes) Room(physic.Temperature) { n.add("room") }
func (n *notes) RoomUnknown()            { n.add("room unknown") }
func (n *notes) has(line string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Contains(n.lines, line)
}
func (n *notes) dump() string { n.mu.Lock(); defer n.mu.Unlock(); return strings.Join(n.lines, "\n") }

// TestRunTellsTheRecorder: the runner reports the service cause, stored
// screenings with their attempts (a retest included) and latency, guard
// actions and their decisions, and the probe's room; never a code.
func TestRunTellsTheRecorder(t *testing.T) {
	store := storagetest.Open(t, storage.Options{Vocabulary: Vocabulary()})
	now := time.Now()
	store.PutBooking(storage.Booking{Code: "AB12CD", Start: now, Status: storage.StatusActive})
	store.PutGuard("Ona", "4826")
	rig, sampler, err := hw.Simulated(mlxsim.Opts{Ambient: c(22.01), Rise: 20 * time.Millisecond},
		&sensor.SamplerOpts{Interval: 5 * time.Millisecond, SettleTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Rule.RetestPause = 50 * time.Millisecond
	flow, err := New(cfg, store, sampler, clock.Real{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := &notes{}
	waitFor := screenWaiter(t, flow, func() string { return "recorded:\n" + n.dump() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- flow.Run(ctx, RunOpts{ProbeEvery: 20 * time.Millisecond, Recorder: n}) }()
	defer func() { cancel(); <-done }()
	waitUntil := func(line string) {
		t.Helper()
		for i := 0; !n.has(line); i++ {
			if i == 500 {
				t.Fatalf("never recorded %q; recorded:\n%s", line, n.dump())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitUntil(`service ""`)
	waitUntil("room")

	// A fever reading asks for a retest; the retest confirms it.
	flow.EnterCode("AB12CD")
	flow.AnswerSymptoms(false)
	waitFor(Measure)
	rig.Sim.Present(c(36.51))
	waitFor(Retest)
	rig.Sim.Remove()
	waitFor(Measure)
	rig.Sim.Present(c(36.51))
	waitFor(Decided)
	waitUntil("screening deny/fever attempts=2 latency>0=true")

	// The guard admits the visitor anyway, then takes the kiosk out of service.
	flow.OpenGuard()
	waitFor(GuardPIN)
	flow.GuardLogin("Ona", "4826")
	waitFor(GuardMenu)
	flow.GuardPick("AB12CD") // the guard picks the visitor from the list
	if err := flow.GuardAdmit(AdmitReasons[0], 0); err != nil {
		t.Fatal(err)
	}
	waitFor(Decided)
	waitUntil("audited guard.login")
	waitUntil("audited guard.admit")
	waitUntil("screening admit/guard attempts=0 latency>0=false")
	flow.OpenGuard()
	flow.GuardLogin("Ona", "4826")
	waitFor(GuardMenu)
	flow.GuardOutOfService()
	waitFor(OutOfService)
	waitUntil("audited kiosk.out_of_service")
	waitUntil(`service "guard"`)
	if strings.Contains(n.dump(), "AB12CD") || strings.Contains(n.dump(), "Ona") {
		t.Fatalf("visitor or guard data reached the recorder:\n%s", n.dump())
	}
}
