// Package mlxsim is a simulated MLX90614 that implements i2c.Bus at the byte
// level, so the real driver (sensor/mlx90614) runs unchanged in the demo, in
// `thermogate simulate` and in every test above the driver.
//
// It answers SMBus read-word and write-word with correct PEC, keeps an EEPROM
// (emissivity, configuration, address, ID), refuses writes whose PEC is wrong
// and models the erase-before-write rule of the chip's EEPROM. What it "sees"
// comes from a scene on an injectable clock: the room's temperature and
// foreheads that arrive, hold and leave. Faults are injected on demand.
package mlxsim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/sensor/mlx90614"
)

// Fault is a misbehaviour the simulated chip shows on demand.
type Fault int

// Faults.
const (
	None   Fault = iota
	NACK         // the chip does not acknowledge: every transaction fails
	BadPEC       // answers carry a wrong PEC, as from a noisy bus
	Flag         // temperature words carry the error flag (bit 15)
	Stuck        // every answer is frozen at what the chip said when the fault began
	Absent       // nothing answers at the address: no sensor, or a loose wire
	// Freeze: the RAM stops changing once a forehead has been in front of the
	// sensor for a set time (SetFreeze), as a chip whose measurement cycle
	// hangs mid-visit; every answer after that is what the chip said then.
	Freeze
)

var faultNames = [...]string{None: "none", NACK: "nack", BadPEC: "pec", Flag: "flag", Stuck: "stuck", Absent: "absent", Freeze: "freeze"}

// String returns the fault's name as ParseFault accepts it.
func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// ParseFault parses a fault name: none (or empty), nack, pec, flag, stuck,
// absent. Freeze needs its time and is set with SetFreeze.
func ParseFault(s string) (Fault, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return None, nil
	}
	for f, n := range faultNames {
		if s == n && Fault(f) != Freeze {
			return Fault(f), nil
		}
	}
	return None, fmt.Errorf("unknown sensor fault %q (want none, nack, pec, flag, stuck or absent)", s)
}

// Errors the simulated bus returns, like a Linux I²C adapter would.
var (
	ErrNoDevice = errors.New("mlxsim: no device answers at this address")
	ErrNACK     = errors.New("mlxsim: NACK")
)

// DefaultRise is how long a forehead takes to go from the room's temperature
// to its own in the sensor's reading: the chip's filters smooth the step.
const DefaultRise = 300 * time.Millisecond

// Opts configures a simulator. The zero value is usable.
type Opts struct {
	Addr    uint16             // SMBus address; 0 means 0x5A
	Clock   clock.Clock        // the scene's time; nil means the wall clock
	Ambient physic.Temperature // room and die temperature; 0 means 22 °C
	Rise    time.Duration      // forehead rise time; 0 means DefaultRise
	ID      uint64             // the chip's ID words; 0 means a fixed made-up ID
	Seed    uint64             // seed of the noise generator
}

// Visit is a forehead in front of the sensor.
type Visit struct {
	Arrive time.Time
	Hold   time.Duration      // how long it stays; 0 means until Remove
	Object physic.Temperature // what the chip reads once it has settled
}

// Sim is a simulated MLX90614. It is safe for concurrent use.
type Sim struct {
	addr  uint16
	clock clock.Clock
	rise  time.Duration

	mu       sync.Mutex
	ambient  physic.Temperature
	noise    physic.Temperature // standard deviation of the object reading
	rng      *rand.Rand
	visits   []Visit
	eeprom   [32]uint16
	fault    Fault
	glitch   Fault // shown by the next glitches transactions, then gone
	glitches int
	frozen   map[byte][3]byte // answers frozen by the Stuck or Freeze fault
	// The Freeze fault: armed at armedAt, the RAM freezes once a forehead
	// has been in front for freezeAfter (counted from armedAt at the earliest).
	armedAt     time.Time
	freezeAfter time.Duration
	objReads    uint64 // object conversions read so far, for the last-bit flicker
	slow        time.Duration
	writeLog    []uint16
}

// New returns a simulator showing an empty room at opts.Ambient.
func New(opts *Opts) *Sim {
	if opts == nil {
		opts = &Opts{}
	}
	s := &Sim{
		addr:    opts.Addr,
		clock:   opts.Clock,
		rise:    opts.Rise,
		ambient: opts.Ambient,
		rng:     rand.New(rand.NewPCG(opts.Seed, 0x5A5A)),
	}
	if s.addr == 0 {
		s.addr = mlx90614.DefaultAddr
	}
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	if s.rise == 0 {
		s.rise = DefaultRise
	}
	if s.ambient == 0 {
		s.ambient = physic.ZeroCelsius + 22*physic.Celsius
	}
	id := opts.ID
	if id == 0 {
		id = 0x0A1B_2C3D_4E5F_6071
	}
	s.eeprom[mlx90614.EEPROMEmissivity&0x1F] = 0xFFFF // ε = 1.0, as shipped
	s.eeprom[mlx90614.EEPROMConfig&0x1F] = 0x9FB4     // factory configuration
	s.eeprom[mlx90614.EEPROMAddress&0x1F] = s.addr
	for i := range 4 {
		s.eeprom[(mlx90614.EEPROMID&0x1F)+i] = uint16(id >> (48 - 16*i))
	}
	return s
}

// String implements i2c.Bus.
func (s *Sim) String() string { return "mlxsim" }

// Close implements i2c.BusCloser; the simulator holds nothing to release.
func (s *Sim) Close() error { return nil }

// SetSpeed implements i2c.Bus. Like the chip, it refuses more than 100 kHz.
func (s *Sim) SetSpeed(f physic.Frequency) error {
	if f > 100*physic.KiloHertz {
		return fmt.Errorf("mlxsim: %s is above the MLX90614's 100kHz maximum", f)
	}
	return nil
}

// SetAmbient sets the room (and die) temperature.
func (s *Sim) SetAmbient(t physic.Temperature) {
	s.mu.Lock()
	s.ambient = t
	s.mu.Unlock()
}

// SetNoise sets the standard deviation of the Gaussian noise on the object
// reading; 0 turns it off.
func (s *Sim) SetNoise(sd physic.Temperature) {
	s.mu.Lock()
	s.noise = sd
	s.mu.Unlock()
}

// Present puts a forehead reading obj in front of the sensor now, until Remove.
// A forehead already there leaves first.
func (s *Sim) Present(obj physic.Temperature) {
	s.Schedule(Visit{Arrive: s.clock.Now(), Object: obj})
}

// Remove takes away whatever forehead is in front of the sensor now.
func (s *Sim) Remove() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endVisitsAt(s.clock.Now())
}

// Schedule adds a visit to the scene. Visits that would still be in front of
// the sensor when v arrives leave at that moment.
func (s *Sim) Schedule(v Visit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endVisitsAt(v.Arrive)
	s.visits = append(s.visits, v)
	// Forget visits long over, so an all-day demo does not grow without end.
	now := s.clock.Now()
	keep := s.visits[:0]
	for _, old := range s.visits {
		if old.Hold == 0 || old.Arrive.Add(old.Hold).After(now.Add(-time.Minute)) {
			keep = append(keep, old)
		}
	}
	s.visits = keep
}

func (s *Sim) endVisitsAt(t time.Time) {
	for i, v := range s.visits {
		if !v.Arrive.After(t) && (v.Hold == 0 || v.Arrive.Add(v.Hold).After(t)) {
			s.visits[i].Hold = t.Sub(v.Arrive)
		}
	}
}

// SetFault makes the chip misbehave from now on; None heals it. Freeze is
// SetFreeze(0): the RAM freezes as the next forehead arrives.
func (s *Sim) SetFault(f Fault) {
	if f == Freeze {
		s.SetFreeze(0)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == Stuck && s.fault != Stuck {
		s.freezeAt(s.clock.Now())
	}
	if f != Stuck {
		s.frozen = nil
	}
	s.fault = f
}

// SetFreeze arms the Freeze fault: the chip's RAM stops changing once a
// forehead has been in front of the sensor for after — a forehead already
// there counts from now — and stays frozen (with the words of that moment)
// until SetFault(None). A forehead that leaves sooner does not freeze it;
// the next one starts the count again.
func (s *Sim) SetFreeze(after time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault, s.frozen = Freeze, nil
	s.armedAt, s.freezeAfter = s.clock.Now(), max(after, 0)
}

// freezeAt fixes the RAM words at what the chip said at t.
func (s *Sim) freezeAt(t time.Time) {
	s.frozen = map[byte][3]byte{}
	for _, cmd := range []byte{mlx90614.RAMAmbient, mlx90614.RAMObject1, mlx90614.RAMObject2} {
		s.frozen[cmd] = s.answer(cmd, t)
	}
}

// checkFreeze freezes the RAM if the armed Freeze fault is due by now: some
// forehead stayed freezeAfter past its arrival (or past the arming).
func (s *Sim) checkFreeze(now time.Time) {
	if s.fault != Freeze || s.frozen != nil {
		return
	}
	var due time.Time
	for _, v := range s.visits {
		at := v.Arrive
		if at.Before(s.armedAt) {
			at = s.armedAt
		}
		at = at.Add(s.freezeAfter)
		left := v.Hold != 0 && !at.Before(v.Arrive.Add(v.Hold))
		if left || at.After(now) || (!due.IsZero() && !at.Before(due)) {
			continue
		}
		due = at
	}
	if !due.IsZero() {
		s.freezeAt(due)
	}
}

// Glitch makes the next n transactions show fault f (NACK, BadPEC or Flag),
// as a noisy cable does now and then; after them the chip is healthy again.
func (s *Sim) Glitch(f Fault, n int) {
	s.mu.Lock()
	s.glitch, s.glitches = f, n
	s.mu.Unlock()
}

// SetSlow makes every transaction take d on the simulator's clock (0: instant).
func (s *Sim) SetSlow(d time.Duration) {
	s.mu.Lock()
	s.slow = d
	s.mu.Unlock()
}

// EEPROMWrites returns every word written to the EEPROM, in order, including
// the erase writes of 0.
func (s *Sim) EEPROMWrites() []uint16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint16(nil), s.writeLog...)
}

func (s *Sim) object(t time.Time) physic.Temperature {
	for _, v := range s.visits {
		if t.Before(v.Arrive) || (v.Hold != 0 && !t.Before(v.Arrive.Add(v.Hold))) {
			continue
		}
		if in := t.Sub(v.Arrive); in < s.rise {
			return s.ambient + physic.Temperature(float64(v.Object-s.ambient)*float64(in)/float64(s.rise))
		}
		return v.Object
	}
	return s.ambient // an empty room: the sensor sees the wall opposite
}

// Tx implements i2c.Bus: a read word is w=[cmd], r=[LSB, MSB, PEC]; a write
// word is w=[cmd, LSB, MSB, PEC] with no read.
func (s *Sim) Tx(addr uint16, w, r []byte) error {
	s.mu.Lock()
	slow := s.slow
	s.mu.Unlock()
	if slow > 0 {
		_ = s.clock.Sleep(context.Background(), slow)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	fault := s.fault
	if s.glitches > 0 {
		s.glitches--
		fault = s.glitch
	}
	if addr != s.addr || fault == Absent {
		return fmt.Errorf("%w %#02x", ErrNoDevice, addr)
	}
	if fault == NACK {
		return ErrNACK
	}
	switch {
	case len(w) == 1 && len(r) == 3:
		return s.readWord(w[0], r, fault)
	case len(w) == 4 && len(r) == 0:
		return s.writeWord(w[0], w[1], w[2], w[3])
	default:
		return fmt.Errorf("%w: transaction of %d bytes written, %d read is not an SMBus word", ErrNACK, len(w), len(r))
	}
}

func (s *Sim) readWord(cmd byte, r []byte, fault Fault) error {
	var ans [3]byte
	if fault == Freeze {
		s.checkFreeze(s.clock.Now())
	}
	switch {
	case (fault == Stuck || fault == Freeze) && s.frozen[cmd] != [3]byte{}:
		ans = s.frozen[cmd]
	case cmd <= 0x1F || cmd&0xE0 == mlx90614.EEPROM:
		ans = s.answer(cmd, s.clock.Now())
	default:
		return fmt.Errorf("%w: command %#02x", ErrNACK, cmd)
	}
	if fault == Flag && cmd <= mlx90614.RAMObject2 && cmd >= mlx90614.RAMAmbient {
		ans[1] |= mlx90614.FlagBit >> 8
		ans[2] = s.pec(cmd, ans[0], ans[1])
	}
	if fault == BadPEC {
		ans[2] ^= 0x5A
	}
	copy(r, ans[:])
	return nil
}

// answer builds the chip's answer to a read of cmd at time t.
func (s *Sim) answer(cmd byte, t time.Time) [3]byte {
	var v uint16
	switch {
	case cmd&0xE0 == mlx90614.EEPROM:
		v = s.eeprom[cmd&0x1F]
	case cmd == mlx90614.RAMAmbient:
		v = word(s.ambient, 0)
	case cmd == mlx90614.RAMObject1 || cmd == mlx90614.RAMObject2:
		obj := s.object(t)
		if s.noise > 0 {
			obj += physic.Temperature(s.rng.NormFloat64() * float64(s.noise))
		}
		// A live chip's object word never sits still: its last bit flickers
		// from one conversion to the next even before any noise (SetNoise)
		// is added. Each read is a new conversion here, and the flicker runs
		// 0, +1, 0, −1 LSB, so that no two reads in a row give the same word
		// and the median of any window of them is the value itself.
		s.objReads++
		v = word(obj, flicker[s.objReads%4])
	}
	lsb, msb := byte(v), byte(v>>8)
	return [3]byte{lsb, msb, s.pec(cmd, lsb, msb)}
}

func (s *Sim) pec(cmd, lsb, msb byte) byte {
	a := byte(s.addr << 1)
	return mlx90614.PEC(a, cmd, a|1, lsb, msb)
}

func (s *Sim) writeWord(cmd, lsb, msb, pec byte) error {
	if cmd&0xE0 != mlx90614.EEPROM {
		return fmt.Errorf("%w: write to %#02x, which is not EEPROM", ErrNACK, cmd)
	}
	if want := mlx90614.PEC(byte(s.addr<<1), cmd, lsb, msb); pec != want {
		// The chip does not acknowledge a write with a bad PEC and keeps the cell.
		return fmt.Errorf("%w: write to %#02x with PEC %#02x, want %#02x", ErrNACK, cmd, pec, want)
	}
	v := uint16(lsb) | uint16(msb)<<8
	s.writeLog = append(s.writeLog, v)
	cell := &s.eeprom[cmd&0x1F]
	if v != 0 && *cell != 0 {
		// Not erased first: the cell ends up with neither value, as on the chip.
		*cell &= v
		return nil
	}
	*cell = v
	return nil
}

// flicker is the object word's last-bit pattern over successive reads.
var flicker = [4]float64{0, 1, 0, -1}

// word converts a temperature to the chip's 0.02 K word, plus lsb steps,
// clamped to 15 bits.
func word(t physic.Temperature, lsb float64) uint16 {
	n := math.Round(float64(t)/float64(mlx90614.Resolution)) + lsb
	return uint16(max(0, min(n, 0x7FFF)))
}

var _ i2c.BusCloser = &Sim{}
