package kiosk

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/internal/hw"
	"github.com/thermogate/thermogate/internal/syncbuf"
	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/sensor/mlxsim"
	"github.com/thermogate/thermogate/storage"
	"github.com/thermogate/thermogate/storage/storagetest"
)

// TestRunOnTheWallClock drives a whole visit through Run with real timers
// and goroutines: the measurement starts by itself, the decision times out
// back to Idle, and nothing is left running after ctx ends.
func TestRunOnTheWallClock(t *testing.T) {
	before := runtime.NumGoroutine()
	store := storagetest.Open(t, storage.Options{Vocabulary: Vocabulary()})
	now := time.Now()
	store.PutBooking(storage.Booking{Code: "AB12CD", Start: now, Status: storage.StatusActive})
	rig, sampler, err := hw.Simulated(mlxsim.Opts{Ambient: c(22.01), Rise: 20 * time.Millisecond},
		&sensor.SamplerOpts{Interval: 5 * time.Millisecond, SettleTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	sim := rig.Sim
	cfg := DefaultConfig()
	cfg.DecisionTime = 2 * time.Second
	flow, err := New(cfg, store, sampler, clock.Real{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor := screenWaiter(t, flow, nil)
	var pings atomic.Int64

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- flow.Run(ctx, RunOpts{ProbeEvery: 50 * time.Millisecond, Watchdog: func() { pings.Add(1) }})
	}()

	waitFor(Idle)
	flow.EnterCode("AB12CD")
	flow.AnswerSymptoms(false)
	waitFor(Measure)
	sim.Present(c(35.51))
	st := waitFor(Decided)
	if st.Outcome.Decision != Admit {
		t.Fatalf("outcome %+v", st.Outcome)
	}
	waitFor(Idle) // the decision timed out

	// A fault found by the idle probe, then healed.
	sim.SetFault(mlxsim.Absent)
	waitFor(OutOfService)
	sim.SetFault(mlxsim.None)
	waitFor(Idle)

	// Cancel in the middle of a measurement: Run must stop it and return.
	flow.EnterCode("AB12CD") // used: denied
	store.PutBooking(storage.Booking{Code: "EF34GH", Start: now, Status: storage.StatusActive})
	flow.EnterCode("EF34GH")
	flow.AnswerSymptoms(false)
	waitFor(Measure)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after ctx ended")
	}
	if pings.Load() < 3 {
		t.Fatalf("watchdog pinged %d times", pings.Load())
	}
	for i := 0; runtime.NumGoroutine() > before && i < 100; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after Run returned, %d before", n, before)
	}
}

// TestRunStopsDuringAProbe: the kiosk is told to stop while an idle probe
// is still reading the bus. Run must return cleanly once the read ends.
func TestRunStopsDuringAProbe(t *testing.T) {
	rig, sampler, err := hw.Simulated(mlxsim.Opts{Ambient: c(22.01)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sim := rig.Sim
	flow, err := New(DefaultConfig(), storagetest.Open(t, storage.Options{Vocabulary: Vocabulary()}), sampler, clock.Real{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sim.SetSlow(300 * time.Millisecond) // every transaction: the first probe is under way for a while
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- flow.Run(ctx, RunOpts{}) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after ctx ended during a probe")
	}
}

// TestRunStopsOnAFullDisk: the real runner on the real bbolt file, its
// probe asking the real statfs of the database's directory, less what a
// filler (fallocate in make vm-check) would take. A visit under way ends
// and is stored; then the kiosk stops and takes no code until there is
// room again, when it comes back by itself.
func TestRunStopsOnAFullDisk(t *testing.T) {
	store := storagetest.Open(t, storage.Options{Vocabulary: Vocabulary()})
	now := time.Now()
	store.PutBooking(storage.Booking{Code: "AB12CD", Start: now, Status: storage.StatusActive})
	store.PutBooking(storage.Booking{Code: "EF34GH", Start: now, Status: storage.StatusActive})
	rig, sampler, err := hw.Simulated(mlxsim.Opts{Ambient: c(22.01), Rise: 20 * time.Millisecond},
		&sensor.SamplerOpts{Interval: 5 * time.Millisecond, SettleTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	cfg := DefaultConfig()
	flow, err := New(cfg, store, sampler, clock.Real{}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	waitFor := screenWaiter(t, flow, nil)

	dir := filepath.Dir(store.Path())
	disk := &storagetest.Disk{Full: cfg.MinFree / 2}
	free := disk.FreeSpace
	if n, err := storage.FreeSpace(dir); err != nil || n < 2*cfg.MinFree {
		t.Skipf("the test's filesystem has %d bytes free (%v): too little to tell full from not", n, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error)
	go func() {
		done <- flow.Run(ctx, RunOpts{ProbeEvery: 20 * time.Millisecond, DataDir: dir, FreeSpace: free})
	}()

	waitFor(Idle)
	flow.EnterCode("AB12CD")
	flow.AnswerSymptoms(false)
	waitFor(Measure)
	disk.Fill(true)
	time.Sleep(200 * time.Millisecond) // ten probe periods: none runs during a visit
	if st := flow.State(); st.Screen != Measure {
		t.Fatalf("the disk filled during a visit: %s %q, want Measure", st.Screen, st.OutOfService)
	}
	rig.Sim.Present(c(35.51))
	if st := waitFor(Decided); st.Outcome.Decision != Admit || st.Outcome.ScreeningID == 0 {
		t.Fatalf("outcome %+v", st.Outcome)
	}
	rig.Sim.Remove()
	flow.Done()
	if st := waitFor(OutOfService); st.OutOfService != OOSDiskFull {
		t.Fatalf("out of service for %q, want %q", st.OutOfService, OOSDiskFull)
	}
	if d := disk.Asked(); d != dir {
		t.Fatalf("free space asked of %q, want the database's directory %q", d, dir)
	}
	flow.EnterCode("EF34GH") // refused: nothing looked up, nothing stored
	time.Sleep(100 * time.Millisecond)
	if st := flow.State(); st.Screen != OutOfService {
		t.Fatalf("a code on a full disk: %s", st.Screen)
	}
	if n := len(store.Screenings()); n != 1 {
		t.Fatalf("%d screenings stored, want the one visit before the disk filled", n)
	}
	line := logs.String()
	for _, want := range []string{"level=WARN msg=\"data disk nearly full: out of service until there is room\"", "path=" + dir,
		fmt.Sprintf("free_bytes=%d", cfg.MinFree/2), fmt.Sprintf("min_free_bytes=%d", cfg.MinFree)} {
		if !strings.Contains(line, want) {
			t.Fatalf("log lacks %s:\n%s", want, line)
		}
	}

	disk.Fill(false) // files deleted: room again
	waitFor(Idle)
	flow.EnterCode("EF34GH")
	waitFor(Symptoms)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestRunFreeSpaceUnknown: with RunOpts.FreeSpace unset the runner asks
// the real statfs; a data directory it cannot read (here: gone) fails
// closed, out of service for the disk, the error in the log.
func TestRunFreeSpaceUnknown(t *testing.T) {
	_, sampler, err := hw.Simulated(mlxsim.Opts{Ambient: c(22.01)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	flow, err := New(DefaultConfig(), storagetest.Open(t, storage.Options{Vocabulary: Vocabulary()}), sampler, clock.Real{},
		slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	states := make(chan State, 100)
	flow.Observe(func(s State) { states <- s })
	gone := filepath.Join(t.TempDir(), "gone")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- flow.Run(ctx, RunOpts{ProbeEvery: 20 * time.Millisecond, DataDir: gone}) }()
	defer func() { cancel(); <-done }()
	deadline := time.After(10 * time.Second)
	for st := (State{}); st.Screen != OutOfService; {
		select {
		case st = <-states:
		case <-deadline:
			t.Fatalf("still %s", flow.State().Screen)
		}
	}
	if st := flow.State(); st.OutOfService != OOSDiskFull {
		t.Fatalf("out of service for %q, want %q", st.OutOfService, OOSDiskFull)
	}
	if l := logs.String(); !strings.Contains(l, "level=WARN msg=\"data disk: free space unknown: out of service\" path="+gone) ||
		!strings.Contains(l, "no such file or directory") {
		t.Fatalf("log:\n%s", l)
	}
}
