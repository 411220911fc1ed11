package mlxsim

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/sensor/mlx90614"
)

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func c(deg float64) physic.Temperature {
	return physic.ZeroCelsius + physic.Temperature(math.Round(deg*1e9))
}

func newDev(t *testing.T, opts *Opts) (*Sim, *mlx90614.Dev, *clock.Virtual) {
	t.Helper()
	clk := clock.NewVirtual(t0)
	if opts == nil {
		opts = &Opts{}
	}
	opts.Clock = clk
	s := New(opts)
	d, err := mlx90614.New(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, d, clk
}

func mustRead(t *testing.T, f func() (physic.Temperature, error)) physic.Temperature {
	t.Helper()
	v, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// near: an object word within the chip's last-bit flicker (one LSB) of want.
func near(got, want physic.Temperature) bool {
	return got-want <= mlx90614.Resolution && want-got <= mlx90614.Resolution
}

// TestLastBitFlickers: a live chip's object word changes from one read to
// the next even with no noise set, by one LSB at most, and a window's median
// is the value itself.
func TestLastBitFlickers(t *testing.T) {
	s, d, clk := newDev(t, nil)
	s.Present(c(35.51))
	clk.Advance(time.Second)
	prev := mustRead(t, d.Object)
	window := []physic.Temperature{prev}
	for range 9 {
		clk.Advance(100 * time.Millisecond)
		got := mustRead(t, d.Object)
		if got == prev || !near(got, c(35.51)) {
			t.Fatalf("object %s after %s: want a new word within one LSB of 35.51°C", got, prev)
		}
		prev = got
		window = append(window, got)
	}
	slices.Sort(window)
	if window[4] != c(35.51) || window[5] != c(35.51) {
		t.Fatalf("middle of the window %s %s, want 35.51°C", window[4], window[5])
	}
}

func TestSceneThroughDriver(t *testing.T) {
	s, d, clk := newDev(t, &Opts{Ambient: c(21.51)})
	if got := mustRead(t, d.Ambient); got != c(21.51) {
		t.Fatalf("ambient = %s, want 21.51°C", got)
	}
	if got := mustRead(t, d.Object); !near(got, c(21.51)) {
		t.Fatalf("empty room object = %s, want the room's 21.51°C", got)
	}
	s.Present(c(35.41))
	clk.Advance(DefaultRise / 2)
	if got := mustRead(t, d.Object); got <= c(21.51) || got >= c(35.41) {
		t.Fatalf("half-way through the rise object = %s, want between room and forehead", got)
	}
	clk.Advance(DefaultRise)
	if got := mustRead(t, d.Object); !near(got, c(35.41)) {
		t.Fatalf("settled forehead = %s, want 35.41°C", got)
	}
	if got := mustRead(t, d.Object2); !near(got, c(35.41)) {
		t.Fatalf("object2 = %s, want 35.41°C", got)
	}
	s.Remove()
	if got := mustRead(t, d.Object); !near(got, c(21.51)) {
		t.Fatalf("after Remove object = %s, want 21.51°C", got)
	}
}

func TestScheduledVisitLeaves(t *testing.T) {
	s, d, clk := newDev(t, nil)
	s.Schedule(Visit{Arrive: t0.Add(time.Second), Hold: 2 * time.Second, Object: c(36.01)})
	steps := []struct {
		at   time.Duration
		want physic.Temperature
	}{{500 * time.Millisecond, c(22.01)}, {2 * time.Second, c(36.01)}, {3500 * time.Millisecond, c(22.01)}}
	for _, st := range steps {
		clk.Set(t0.Add(st.at))
		if got := mustRead(t, d.Object); !near(got, st.want) {
			t.Errorf("at +%v object = %s, want %s", st.at, got, st.want)
		}
	}
}

func TestNoiseIsSeededGaussian(t *testing.T) {
	read := func() []physic.Temperature {
		s, d, clk := newDev(t, &Opts{Seed: 7})
		s.SetNoise(100 * physic.MilliKelvin)
		s.Present(c(35))
		clk.Advance(time.Second)
		out := make([]physic.Temperature, 2000)
		for i := range out {
			out[i] = mustRead(t, d.Object)
		}
		return out
	}
	a, b := read(), read()
	var sum, sq float64
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("the same seed gave different noise")
		}
		x := a[i].Celsius() - 35
		sum += x
		sq += x * x
	}
	mean := sum / float64(len(a))
	sd := math.Sqrt(sq/float64(len(a)) - mean*mean)
	if math.Abs(mean) > 0.01 || sd < 0.09 || sd > 0.11 {
		t.Fatalf("noise mean %.4f sd %.4f, want about 0 and 0.1", mean, sd)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		fault Fault
		want  error
	}{
		{NACK, ErrNACK},
		{Absent, ErrNoDevice},
		{BadPEC, mlx90614.ErrPEC},
		{Flag, mlx90614.ErrFlag},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			s, d, _ := newDev(t, nil)
			s.SetFault(tt.fault)
			if _, err := d.Object(); !errors.Is(err, tt.want) {
				t.Fatalf("Object() = %v, want %v", err, tt.want)
			}
			s.SetFault(None)
			if _, err := d.Object(); err != nil {
				t.Fatalf("after healing: %v", err)
			}
		})
	}
}

func TestGlitchPasses(t *testing.T) {
	s, d, _ := newDev(t, nil)
	s.Glitch(BadPEC, 2)
	for i := range 2 {
		if _, err := d.Object(); !errors.Is(err, mlx90614.ErrPEC) {
			t.Fatalf("glitched read %d = %v, want ErrPEC", i, err)
		}
	}
	if _, err := d.Object(); err != nil {
		t.Fatalf("read after the glitch: %v", err)
	}
}

func TestStuckFreezesAnswers(t *testing.T) {
	s, d, clk := newDev(t, nil)
	s.Present(c(36.11))
	clk.Advance(time.Second)
	s.SetFault(Stuck)
	s.Remove()
	s.SetAmbient(c(25.01))
	clk.Advance(time.Minute)
	if got := mustRead(t, d.Object); !near(got, c(36.11)) {
		t.Fatalf("stuck object = %s, want the frozen 36.11°C", got)
	}
	if got := mustRead(t, d.Ambient); got != c(22.01) {
		t.Fatalf("stuck ambient = %s, want the frozen 22.01°C (22 °C quantised)", got)
	}
	s.SetFault(None)
	if got := mustRead(t, d.Object); !near(got, c(25.01)) {
		t.Fatalf("healed object = %s, want the room's 25.01°C", got)
	}
}

func TestSlowAnswersTakeClockTime(t *testing.T) {
	s, d, clk := newDev(t, nil)
	s.SetSlow(250 * time.Millisecond)
	mustRead(t, d.Object)
	if got := clk.Now().Sub(t0); got != 250*time.Millisecond {
		t.Fatalf("a slow read took %v of clock time, want 250ms", got)
	}
}

func TestWrongAddress(t *testing.T) {
	s := New(&Opts{Clock: clock.NewVirtual(t0)})
	d, _ := mlx90614.New(s, &mlx90614.Opts{Addr: 0x5B})
	if _, err := d.Object(); !errors.Is(err, ErrNoDevice) {
		t.Fatalf("read at 0x5B = %v, want ErrNoDevice", err)
	}
}

func TestEEPROMThroughDriver(t *testing.T) {
	s, d, _ := newDev(t, &Opts{ID: 0x1122334455667788})
	if e, err := d.Emissivity(); err != nil || e != 1 {
		t.Fatalf("factory emissivity = %v, %v", e, err)
	}
	if err := d.SetEmissivity(0.98); err != nil {
		t.Fatal(err)
	}
	if e, err := d.Emissivity(); err != nil || math.Abs(e-0.98) > 1e-4 {
		t.Fatalf("emissivity after set = %v, %v", e, err)
	}
	if w := s.EEPROMWrites(); len(w) != 2 || w[0] != 0 || w[1] != 0xFAE0 {
		t.Fatalf("EEPROM writes = %#04x, want erase then 0xFAE0", w)
	}
	if id, err := d.ID(); err != nil || id != 0x1122334455667788 {
		t.Fatalf("ID = %#x, %v", id, err)
	}
	if cfg, err := d.Config(); err != nil || cfg != 0x9FB4 {
		t.Fatalf("config = %#04x, %v", cfg, err)
	}
}

func TestEEPROMWriteRules(t *testing.T) {
	s := New(&Opts{Clock: clock.NewVirtual(t0)})
	a := byte(0x5A << 1)
	write := func(lsb, msb, pec byte) error {
		return s.Tx(0x5A, []byte{0x24, lsb, msb, pec}, nil)
	}
	read := func() uint16 {
		var r [3]byte
		if err := s.Tx(0x5A, []byte{0x24}, r[:]); err != nil {
			t.Fatal(err)
		}
		return uint16(r[0]) | uint16(r[1])<<8
	}
	if err := write(0xE0, 0xFA, 0x00); !errors.Is(err, ErrNACK) {
		t.Fatalf("write with a bad PEC = %v, want NACK", err)
	}
	if got := read(); got != 0xFFFF {
		t.Fatalf("a write with a bad PEC changed the cell to %#04x", got)
	}
	// Writing over a cell that was not erased leaves neither value.
	if err := write(0xE0, 0x0A, mlx90614.PEC(a, 0x24, 0xE0, 0x0A)); err != nil {
		t.Fatal(err)
	}
	if err := write(0x1F, 0xF5, mlx90614.PEC(a, 0x24, 0x1F, 0xF5)); err != nil {
		t.Fatal(err)
	}
	if got := read(); got == 0xF51F || got == 0x0AE0 {
		t.Fatalf("unerased write gave a clean %#04x", got)
	}
	if err := s.Tx(0x5A, []byte{0x07, 1, 2, 3}, nil); !errors.Is(err, ErrNACK) {
		t.Fatalf("write to RAM = %v, want NACK", err)
	}
}

func TestSetSpeed(t *testing.T) {
	s := New(nil)
	if err := s.SetSpeed(100 * physic.KiloHertz); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSpeed(400 * physic.KiloHertz); err == nil {
		t.Fatal("400 kHz accepted")
	}
}

func TestParseFault(t *testing.T) {
	for f := None; f <= Absent; f++ {
		got, err := ParseFault(f.String())
		if err != nil || got != f {
			t.Errorf("ParseFault(%q) = %v, %v", f.String(), got, err)
		}
	}
	if got, err := ParseFault(""); err != nil || got != None {
		t.Errorf(`ParseFault("") = %v, %v`, got, err)
	}
	for _, bad := range []string{"smoke", "freeze"} { // freeze needs its time: SetFreeze
		if _, err := ParseFault(bad); err == nil {
			t.Errorf("ParseFault(%s) accepted", bad)
		}
	}
}

// TestFreezeStopsTheRAMAfterTheForeheadArrives: armed before the forehead
// comes, the RAM keeps changing until the forehead has been there for the
// set time, then every word stays what it was at that moment (the rise's
// value, with the die's) until the fault is healed.
func TestFreezeStopsTheRAMAfterTheForeheadArrives(t *testing.T) {
	s, d, clk := newDev(t, &Opts{Ambient: c(22.01)})
	arrive := t0.Add(time.Second)
	s.Schedule(Visit{Arrive: arrive, Object: c(37.01)})
	s.SetFreeze(150 * time.Millisecond) // half-way through the 300 ms rise
	var before []physic.Temperature
	for clk.Now().Before(arrive.Add(150 * time.Millisecond)) {
		before = append(before, mustRead(t, d.Object))
		clk.Advance(50 * time.Millisecond)
	}
	if before[0] == before[1] {
		t.Fatalf("the RAM froze before the forehead came: %s", before)
	}
	frozen := mustRead(t, d.Object)
	if !near(frozen, c(29.51)) { // half-way from 22.01 to 37.01
		t.Fatalf("frozen at %s, want the rise's 29.51°C of that moment", frozen)
	}
	s.SetAmbient(c(25.01))
	for range 20 {
		clk.Advance(100 * time.Millisecond)
		if got := mustRead(t, d.Object); got != frozen {
			t.Fatalf("object %s after the freeze at %s", got, frozen)
		}
		if got := mustRead(t, d.Ambient); got != c(22.01) {
			t.Fatalf("ambient %s after the freeze, want the frozen 22.01°C", got)
		}
	}
	s.SetFault(None)
	if got := mustRead(t, d.Object); !near(got, c(37.01)) {
		t.Fatalf("healed object = %s, want the forehead's 37.01°C", got)
	}
}

// TestFreezeWaitsForAForeheadThatStays: a forehead that leaves before the
// set time does not freeze the RAM; the next one starts the count again.
func TestFreezeWaitsForAForeheadThatStays(t *testing.T) {
	s, d, clk := newDev(t, nil)
	s.SetFreeze(time.Second)
	s.Schedule(Visit{Arrive: t0.Add(time.Second), Hold: 500 * time.Millisecond, Object: c(36.01)})
	s.Schedule(Visit{Arrive: t0.Add(5 * time.Second), Object: c(35.01)})
	clk.Set(t0.Add(4 * time.Second))
	a, b := mustRead(t, d.Object), mustRead(t, d.Object)
	if a == b {
		t.Fatalf("frozen by a forehead that left after 0.5 s: %s, %s", a, b)
	}
	clk.Set(t0.Add(5*time.Second + 900*time.Millisecond))
	if a, b = mustRead(t, d.Object), mustRead(t, d.Object); a == b {
		t.Fatalf("frozen 0.9 s into the second forehead: %s", a)
	}
	clk.Set(t0.Add(7 * time.Second))
	if a, b = mustRead(t, d.Object), mustRead(t, d.Object); a != b || !near(a, c(35.01)) {
		t.Fatalf("2 s into the second forehead: %s, %s; want frozen at 35.01°C", a, b)
	}
	// A forehead already there when the fault is armed counts from then.
	s.SetFault(None)
	s.SetFreeze(300 * time.Millisecond)
	clk.Advance(200 * time.Millisecond)
	if a, b = mustRead(t, d.Object), mustRead(t, d.Object); a == b {
		t.Fatalf("frozen 200 ms after arming: %s", a)
	}
	clk.Advance(200 * time.Millisecond)
	if a, b = mustRead(t, d.Object), mustRead(t, d.Object); a != b {
		t.Fatalf("not frozen 400 ms after arming: %s, %s", a, b)
	}
}

func TestLongDemoDoesNotGrow(t *testing.T) {
	s, _, clk := newDev(t, nil)
	for range 10000 {
		s.Present(c(35))
		clk.Advance(time.Second)
		s.Remove()
		clk.Advance(2 * time.Minute)
	}
	s.mu.Lock()
	n := len(s.visits)
	s.mu.Unlock()
	if n > 3 {
		t.Fatalf("%d visits kept after 10000 came and went", n)
	}
}

func BenchmarkObjectRead(b *testing.B) {
	s := New(&Opts{Clock: clock.NewVirtual(t0)})
	s.Present(c(36))
	d, _ := mlx90614.New(s, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Object(); err != nil {
			b.Fatal(err)
		}
	}
}
