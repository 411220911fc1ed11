package door

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/kiosk"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// edge is one level a recPin was driven to, at the clock's time.
type edge struct {
	at time.Duration // since t0
	l  gpio.Level
}

// recPin is a gpiotest pin that remembers every level it was driven to.
type recPin struct {
	*gpiotest.Pin
	clk   clock.Clock
	mu    sync.Mutex
	edges []edge
	fail  error
}

func newRecPin(name string, clk clock.Clock, start gpio.Level) *recPin {
	return &recPin{Pin: &gpiotest.Pin{N: name, L: start}, clk: clk}
}

func (p *recPin) Out(l gpio.Level) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	p.edges = append(p.edges, edge{p.clk.Now().Sub(t0), l})
	return p.Pin.Out(l)
}

func (p *recPin) level() gpio.Level {
	p.Pin.Lock()
	defer p.Pin.Unlock()
	return p.Pin.L
}

func (p *recPin) history() []edge {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]edge(nil), p.edges...)
}

// waitEdges waits until the pin has been driven n times.
func (p *recPin) waitEdges(t *testing.T, n int) []edge {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if h := p.history(); len(h) >= n {
			return h
		}
	}
	t.Fatalf("pin driven %d times, want %d: %v", len(p.history()), n, p.history())
	return nil
}

// manualClock moves only when the test advances it; Sleep blocks until then.
type manualClock struct {
	mu       sync.Mutex
	now      time.Time
	sleepers map[chan struct{}]time.Time
}

func newManualClock() *manualClock {
	return &manualClock{now: t0, sleepers: map[chan struct{}]time.Time{}}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Sleep(ctx context.Context, d time.Duration) error {
	ch := make(chan struct{})
	c.mu.Lock()
	c.sleepers[ch] = c.now.Add(d)
	c.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.sleepers, ch)
		c.mu.Unlock()
		return ctx.Err()
	}
}

// Advance moves the time and wakes the sleepers whose time has come.
func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for ch, until := range c.sleepers {
		if !until.After(c.now) {
			delete(c.sleepers, ch)
			close(ch)
		}
	}
}

// waitSleeping waits until someone sleeps until exactly at (since t0).
func (c *manualClock) waitSleeping(t *testing.T, at time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		c.mu.Lock()
		for _, u := range c.sleepers {
			if u.Equal(t0.Add(at)) {
				c.mu.Unlock()
				return
			}
		}
		c.mu.Unlock()
	}
	t.Fatalf("nobody sleeps until t0+%v", at)
}

const pulse = 3 * time.Second

func TestDoorIsOffAtStart(t *testing.T) {
	for _, activeHigh := range []bool{true, false} {
		clk := clock.NewVirtual(t0)
		// A relay left energised by a process that died.
		on := gpio.Level(activeHigh)
		pin := newRecPin("GPIO17", clk, on)
		d, err := NewDoor(pin, activeHigh, pulse, clk, nil)
		if err != nil {
			t.Fatal(err)
		}
		if pin.level() != !on || d.Open() {
			t.Errorf("active high %v: pin %v after start, door open %v", activeHigh, pin.level(), d.Open())
		}
		d.Close()
	}
}

func TestPulseIsExactlyThePulseOnTheClock(t *testing.T) {
	for _, activeHigh := range []bool{true, false} {
		clk := clock.NewVirtual(t0)
		pin := newRecPin("GPIO17", clk, gpio.Low)
		d, err := NewDoor(pin, activeHigh, pulse, clk, nil)
		if err != nil {
			t.Fatal(err)
		}
		on, off := gpio.Level(activeHigh), gpio.Level(!activeHigh)
		for i := range 3 {
			if err := d.Pulse(context.Background()); err != nil {
				t.Fatal(err)
			}
			h := pin.waitEdges(t, 3+2*i)
			open, closed := h[1+2*i], h[2+2*i]
			if open.l != on || closed.l != off {
				t.Fatalf("pulse %d: levels %v then %v", i, open.l, closed.l)
			}
			if got := closed.at - open.at; got != pulse {
				t.Errorf("active high %v, pulse %d lasted %v on the clock, want exactly %v", activeHigh, i, got, pulse)
			}
			if d.Open() {
				t.Error("door reports open after the pulse")
			}
		}
		d.Close()
		if h := pin.history(); len(h) != 8 || h[7].l != off {
			t.Errorf("pin driven otherwise than once per pulse: %v", h)
		}
	}
}

func TestSecondPulseRestartsWithoutReleasing(t *testing.T) {
	clk := newManualClock()
	pin := newRecPin("GPIO17", clk, gpio.Low)
	d, _ := NewDoor(pin, true, pulse, clk, nil)
	defer d.Close()
	d.Pulse(context.Background())
	clk.waitSleeping(t, pulse)
	clk.Advance(2 * time.Second)
	d.Pulse(context.Background()) // a second ADMIT at t0+2s: open until t0+5s
	clk.Advance(time.Second)      // t0+3s: the first pulse's end
	clk.waitSleeping(t, 5*time.Second)
	if !d.Open() || pin.level() != gpio.High {
		t.Fatal("the door closed at the first pulse's end though a second ADMIT came")
	}
	clk.Advance(2 * time.Second) // t0+5s
	h := pin.waitEdges(t, 3)
	want := []edge{{0, gpio.Low}, {0, gpio.High}, {5 * time.Second, gpio.Low}}
	if fmt.Sprint(h) != fmt.Sprint(want) {
		t.Errorf("pin history %v, want %v (no release in between)", h, want)
	}
}

func TestDoorReleasedOnEveryExitPath(t *testing.T) {
	open := func(t *testing.T) (*Door, *recPin, *manualClock) {
		clk := newManualClock()
		pin := newRecPin("GPIO17", clk, gpio.Low)
		d, err := NewDoor(pin, true, pulse, clk, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Pulse(context.Background()); err != nil {
			t.Fatal(err)
		}
		if pin.level() != gpio.High {
			t.Fatal("not open")
		}
		return d, pin, clk
	}
	released := func(t *testing.T, pin *recPin) {
		t.Helper()
		pin.waitEdges(t, 3)
		if pin.level() != gpio.Low {
			t.Fatal("door left open")
		}
	}

	t.Run("Close", func(t *testing.T) {
		d, pin, _ := open(t)
		d.Close()
		released(t, pin)
		if err := d.Pulse(context.Background()); !errors.Is(err, ErrClosed) {
			t.Errorf("Pulse after Close: %v", err)
		}
		if pin.level() != gpio.Low || len(pin.history()) != 3 {
			t.Errorf("a closed door moved: %v", pin.history())
		}
	})
	t.Run("Halt", func(t *testing.T) {
		d, pin, _ := open(t)
		defer d.Close()
		d.Halt()
		released(t, pin)
	})
	t.Run("ctx", func(t *testing.T) {
		clk := newManualClock()
		pin := newRecPin("GPIO17", clk, gpio.Low)
		d, _ := NewDoor(pin, true, pulse, clk, nil)
		defer d.Close()
		ctx, cancel := context.WithCancel(context.Background())
		d.Pulse(ctx)
		cancel()
		released(t, pin)
		// A ctx already done never opens it.
		if err := d.Pulse(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Pulse with a done ctx: %v", err)
		}
		if pin.level() != gpio.Low {
			t.Error("opened with a done ctx")
		}
	})
	t.Run("panic", func(t *testing.T) {
		clk := newManualClock()
		pin := newRecPin("GPIO17", clk, gpio.Low)
		func() {
			defer func() { recover() }()
			d, _ := NewDoor(pin, true, pulse, clk, nil)
			defer d.Close()
			d.Pulse(context.Background())
			panic("the flow broke")
		}()
		released(t, pin)
	})
	t.Run("out of service", func(t *testing.T) {
		d, pin, _ := open(t)
		defer d.Close()
		d.SetOutOfService(true)
		released(t, pin)
		if err := d.Pulse(context.Background()); !errors.Is(err, ErrOutOfService) {
			t.Errorf("Pulse out of service: %v", err)
		}
		if pin.level() != gpio.Low || len(pin.history()) != 3 {
			t.Errorf("an out-of-service kiosk moved the door: %v", pin.history())
		}
		d.SetOutOfService(false)
		if err := d.Pulse(context.Background()); err != nil || pin.level() != gpio.High {
			t.Errorf("back in service, Pulse: %v", err)
		}
	})
}

func TestAFailingPinLeavesTheDoorClosedAndIsReported(t *testing.T) {
	clk := newManualClock()
	pin := newRecPin("GPIO17", clk, gpio.Low)
	o, err := New(Config{DoorPin: "GPIO17", DoorActiveHigh: true, DoorPulse: pulse, GuardSignalTimeout: time.Minute}, Pins{Door: pin}, clk, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	pin.mu.Lock()
	pin.fail = errors.New("gpio: write failed")
	pin.mu.Unlock()
	if err := o.Admitted(context.Background()); err == nil {
		t.Fatal("Pulse on a failing pin said nothing")
	}
	if o.Door.Open() {
		t.Error("door reported open though the pin failed")
	}
	if err := o.Health(); err == nil {
		t.Error("Health does not report the failing pin")
	}
	pin.mu.Lock()
	pin.fail = nil
	pin.mu.Unlock()
	if err := o.Admitted(context.Background()); err != nil || o.Health() != nil {
		t.Errorf("after the pin works again: %v, health %v", err, o.Health())
	}
}

func TestFailingPinAtStartIsAnError(t *testing.T) {
	clk := newManualClock()
	pin := newRecPin("GPIO17", clk, gpio.High)
	pin.fail = errors.New("permission denied")
	if _, err := NewDoor(pin, true, pulse, clk, nil); err == nil {
		t.Fatal("a door that cannot be driven off was made")
	}
}

func TestOutputsFollowTheKiosk(t *testing.T) {
	for _, onDeny := range []bool{false, true} {
		clk := newManualClock()
		door, guard, service := newRecPin("GPIO17", clk, gpio.Low), newRecPin("GPIO27", clk, gpio.Low), newRecPin("GPIO22", clk, gpio.Low)
		cfg := Default()
		cfg.DoorPin, cfg.GuardPin, cfg.ServicePin = "GPIO17", "GPIO27", "GPIO22"
		cfg.GuardOnDeny = onDeny
		o, err := New(cfg, Pins{Door: door, Guard: guard, Service: service}, clk, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Every decision: the lamp follows REFER (and DENY when asked);
		// Decided never opens the door, whatever the decision.
		for _, d := range kiosk.Strings(kiosk.Decisions) {
			o.GuardOpened()
			o.Decided(d)
			want := d == string(kiosk.Refer) || (onDeny && d == string(kiosk.Deny))
			if o.Guard.Lit() != want || (guard.level() == gpio.High) != want {
				t.Errorf("on_deny %v, %s: guard lamp %v, want %v", onDeny, d, o.Guard.Lit(), want)
			}
			if door.level() != gpio.Low {
				t.Fatalf("%s: Decided opened the door", d)
			}
		}
		// The guard opens the menu: the lamp goes out.
		o.Decided(string(kiosk.Refer))
		o.GuardOpened()
		if o.Guard.Lit() || guard.level() != gpio.Low {
			t.Error("guard lamp still lit after the guard came")
		}
		// Nobody comes: the lamp goes out after the timeout, not before.
		o.Decided(string(kiosk.Refer))
		now := clk.Now().Sub(t0)
		clk.waitSleeping(t, now+cfg.GuardSignalTimeout)
		clk.Advance(cfg.GuardSignalTimeout - time.Second)
		if !o.Guard.Lit() {
			t.Error("guard lamp out before the timeout")
		}
		clk.Advance(time.Second)
		for deadline := time.Now().Add(5 * time.Second); o.Guard.Lit() && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		if o.Guard.Lit() || guard.level() != gpio.Low {
			t.Error("guard lamp still lit after guard_signal_timeout")
		}
		// Out of service: service lamp lit, door refused; back: out, door works.
		o.SetOutOfService(true)
		if service.level() != gpio.High || !o.Service.Lit() {
			t.Error("service lamp not lit out of service")
		}
		if err := o.Admitted(context.Background()); !errors.Is(err, ErrOutOfService) || door.level() != gpio.Low {
			t.Errorf("out of service, Admitted: %v, door %v", err, door.level())
		}
		o.SetOutOfService(false)
		if service.level() != gpio.Low {
			t.Error("service lamp lit in service")
		}
		if err := o.Admitted(context.Background()); err != nil || door.level() != gpio.High {
			t.Errorf("Admitted: %v", err)
		}
		o.Close()
		for _, p := range []*recPin{door, guard, service} {
			if p.level() != gpio.Low {
				t.Errorf("%s on after Close", p.N)
			}
		}
		// The door moved for the one Admitted in service, and for nothing else.
		var opens int
		for _, e := range door.history() {
			if e.l == gpio.High {
				opens++
			}
		}
		if opens != 1 {
			t.Errorf("door opened %d times, want once: %v", opens, door.history())
		}
	}
}

func TestNothingWired(t *testing.T) {
	o, err := New(Default(), Pins{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if err := o.Admitted(context.Background()); err != nil {
		t.Errorf("Admitted without a door: %v", err)
	}
	if err := o.Door.Pulse(context.Background()); !errors.Is(err, ErrNotWired) {
		t.Errorf("Pulse without a door: %v", err)
	}
	o.Decided(string(kiosk.Refer))
	o.SetOutOfService(true)
	if o.Health() != nil || o.Door.Open() {
		t.Error("an unwired door reports something")
	}
}

func TestConfig(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.DoorPin, c.GuardPin, c.ServicePin = "GPIO17", "gpio17", "GPIO2"
	c.DoorPulse = time.Minute
	c.GuardSignalTimeout = 0
	err := c.Validate()
	for _, want := range []string{"gpio.guard_pin = \"gpio17\": already used by gpio.door_pin", "gpio.service_pin = \"GPIO2\": that pin carries", "gpio.door_pulse = 1m0s", "gpio.guard_signal_timeout = 0s"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v\nwant %q", err, want)
		}
	}
	c = Default()
	c.DoorPin = "GPIO17; rm"
	if c.Validate() == nil {
		t.Error("a garbled pin name was accepted")
	}
}
