package mlx90614

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
)

// DefaultAddr is the factory SMBus address of every MLX90614.
const DefaultAddr = 0x5A

// Commands: RAM addresses are used as they are, EEPROM addresses are
// EEPROM|offset. The simulator in sensor/mlxsim answers the same commands.
const (
	RAMAmbient = 0x06 // Ta, the die temperature
	RAMObject1 = 0x07 // Tobj1
	RAMObject2 = 0x08 // Tobj2, dual-zone parts only

	EEPROM           = 0x20 // EEPROM access: EEPROM | address
	EEPROMEmissivity = EEPROM | 0x04
	EEPROMConfig     = EEPROM | 0x05
	EEPROMAddress    = EEPROM | 0x0E
	EEPROMID         = EEPROM | 0x1C // four words, 0x3C..0x3F
)

// FlagBit is set in a RAM word when the chip reports an error.
const FlagBit = 0x8000

// Resolution is the weight of one LSB of a temperature word.
const Resolution = 20 * physic.MilliKelvin

// EEPROMWriteDelay is how long the driver waits after each EEPROM erase or
// write. The datasheet asks for at least 5 ms; 10 leaves a margin.
const EEPROMWriteDelay = 10 * time.Millisecond

// Sentinel errors, matched with errors.Is.
var (
	// ErrPEC is returned when the packet error code of an answer does not
	// match its bytes: the bus corrupted the transfer.
	ErrPEC = errors.New("mlx90614: PEC mismatch")
	// ErrFlag is returned when the chip set the error flag (bit 15) of a
	// temperature word.
	ErrFlag = errors.New("mlx90614: error flag set")
	// ErrRange is returned for a value outside what the chip can hold or
	// measure: an emissivity outside 0.1–1.0, or a temperature word outside
	// the register's raw range (see the raw limits below).
	ErrRange = errors.New("mlx90614: value out of range")
)

// Raw limits of the temperature words (0.02 K a step), checked on the word
// itself so that every value the chip can output is accepted and nothing else.
//
// Object (RAM 0x07, 0x08): the datasheet's RAM description (section "RAM" of
// the SMBus chapter; also Melexis' application note "SMBus communication
// with MLX90614", table 7 and the text below it) says To "will sweep between
// 0x27AD to 0x7FFF as the object temperature changes from −70.01 °C to
// +382.19 °C": 0x27AD = 10157 → 203.14 K, 0x7FFF = 32767 → 655.34 K.
//
// Ambient (RAM 0x06): the datasheet's features and Ta section give the
// sensor (die) temperature range as −40…+125 °C. Its raw ends, by the same
// rule as the object's (the word at or just beyond the stated end): 0x2D89 =
// 11657 → 233.14 K = −40.01 °C and 0x4DC4 = 19908 → 398.16 K = +125.01 °C.
const (
	ambientRawMin = 0x2D89
	ambientRawMax = 0x4DC4
	objectRawMin  = 0x27AD
	objectRawMax  = 0x7FFF
)

// Opts holds the configuration options.
type Opts struct {
	// Addr is the 7-bit SMBus address; 0 means DefaultAddr.
	Addr uint16
}

// DefaultOpts is the recommended default options.
var DefaultOpts = Opts{Addr: DefaultAddr}

// Dev is a handle to one MLX90614.
type Dev struct {
	c     i2c.Dev
	sleep func(time.Duration)

	mu sync.Mutex // one SMBus transaction at a time, and the EEPROM sequence whole
	w  [4]byte    // transfer buffers, guarded by mu: slices passed to an
	r  [3]byte    // interface escape, and a read must not allocate
}

// New returns a handle to the MLX90614 at opts.Addr on bus. A nil opts means
// DefaultOpts. It does no bus traffic: the first read tells whether a chip
// answers.
func New(bus i2c.Bus, opts *Opts) (*Dev, error) {
	if bus == nil {
		return nil, errors.New("mlx90614: nil bus")
	}
	if opts == nil {
		opts = &DefaultOpts
	}
	addr := opts.Addr
	if addr == 0 {
		addr = DefaultAddr
	}
	if addr > 0x7F {
		return nil, fmt.Errorf("mlx90614: address %#x is not a 7-bit address: %w", addr, ErrRange)
	}
	return &Dev{c: i2c.Dev{Bus: bus, Addr: addr}, sleep: time.Sleep}, nil
}

// String implements conn.Resource.
func (d *Dev) String() string {
	return fmt.Sprintf("MLX90614 at %#02x on %s", d.c.Addr, d.c.Bus)
}

// Halt implements conn.Resource. The chip measures continuously on its own;
// there is nothing to stop.
func (d *Dev) Halt() error { return nil }

// Ambient reads the die temperature (RAM 0x06).
func (d *Dev) Ambient() (physic.Temperature, error) {
	return d.readTemp(RAMAmbient, ambientRawMin, ambientRawMax)
}

// Object reads the temperature seen by the first IR channel (RAM 0x07).
func (d *Dev) Object() (physic.Temperature, error) {
	return d.readTemp(RAMObject1, objectRawMin, objectRawMax)
}

// Object2 reads the second IR channel (RAM 0x08) of dual-zone parts.
func (d *Dev) Object2() (physic.Temperature, error) {
	return d.readTemp(RAMObject2, objectRawMin, objectRawMax)
}

// Emissivity reads the emissivity coefficient from EEPROM 0x24.
func (d *Dev) Emissivity() (float64, error) {
	v, err := d.ReadWord(EEPROMEmissivity)
	if err != nil {
		return 0, err
	}
	return float64(v) / 65535, nil
}

// SetEmissivity stores e (0.1–1.0) in EEPROM 0x24 as round(65535·e): it erases
// the cell, waits, writes, waits and reads the value back. When the cell
// already holds that value it writes nothing, sparing the EEPROM.
func (d *Dev) SetEmissivity(e float64) error {
	if math.IsNaN(e) || e < 0.1 || e > 1.0 {
		return fmt.Errorf("mlx90614: emissivity %v outside 0.1–1.0: %w", e, ErrRange)
	}
	return d.WriteEEPROM(EEPROMEmissivity, uint16(math.Round(65535*e)))
}

// Config reads the configuration register (EEPROM 0x25).
func (d *Dev) Config() (uint16, error) {
	return d.ReadWord(EEPROMConfig)
}

// ID reads the 64-bit identification number from EEPROM 0x3C, 0x3D, 0x3E and
// 0x3F, in that order; the word at 0x3C is the most significant.
func (d *Dev) ID() (uint64, error) {
	var id uint64
	for i := range byte(4) {
		w, err := d.ReadWord(EEPROMID + i)
		if err != nil {
			return 0, err
		}
		id = id<<16 | uint64(w)
	}
	return id, nil
}

// ReadWord reads one word with the SMBus read-word protocol: a combined write
// of cmd and read of LSB, MSB and PEC. It checks the PEC, nothing else.
func (d *Dev) ReadWord(cmd byte) (uint16, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.readWord(cmd)
}

func (d *Dev) readWord(cmd byte) (uint16, error) {
	d.w[0] = cmd
	if err := d.c.Tx(d.w[:1], d.r[:]); err != nil {
		return 0, fmt.Errorf("mlx90614: read %#02x: %w", cmd, err)
	}
	r := d.r
	a := byte(d.c.Addr << 1)
	if want := PEC(a, cmd, a|1, r[0], r[1]); r[2] != want {
		return 0, fmt.Errorf("mlx90614: read %#02x: got PEC %#02x, want %#02x: %w", cmd, r[2], want, ErrPEC)
	}
	return uint16(r[0]) | uint16(r[1])<<8, nil
}

// WriteEEPROM writes v to the EEPROM cell cmd (EEPROM|address) the way the
// datasheet asks: erase (write 0), wait, write, wait, read back and compare.
// It writes nothing when the cell already holds v.
func (d *Dev) WriteEEPROM(cmd byte, v uint16) error {
	if cmd&0xE0 != EEPROM {
		return fmt.Errorf("mlx90614: %#02x is not an EEPROM command: %w", cmd, ErrRange)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	old, err := d.readWord(cmd)
	if err != nil {
		return err
	}
	if old == v {
		return nil
	}
	if err := d.writeWord(cmd, 0); err != nil {
		return fmt.Errorf("mlx90614: erase %#02x: %w", cmd, err)
	}
	d.sleep(EEPROMWriteDelay)
	if err := d.writeWord(cmd, v); err != nil {
		return fmt.Errorf("mlx90614: write %#02x: %w", cmd, err)
	}
	d.sleep(EEPROMWriteDelay)
	got, err := d.readWord(cmd)
	if err != nil {
		return err
	}
	if got != v {
		return fmt.Errorf("mlx90614: EEPROM %#02x reads back %#04x after writing %#04x", cmd, got, v)
	}
	return nil
}

func (d *Dev) writeWord(cmd byte, v uint16) error {
	lsb, msb := byte(v), byte(v>>8)
	d.w = [4]byte{cmd, lsb, msb, PEC(byte(d.c.Addr<<1), cmd, lsb, msb)}
	return d.c.Tx(d.w[:], nil)
}

func (d *Dev) readTemp(cmd byte, lo, hi uint16) (physic.Temperature, error) {
	v, err := d.ReadWord(cmd)
	if err != nil {
		return 0, err
	}
	if v&FlagBit != 0 {
		return 0, fmt.Errorf("mlx90614: read %#02x: word %#04x: %w", cmd, v, ErrFlag)
	}
	t := physic.Temperature(v) * Resolution
	if v < lo || v > hi {
		return 0, fmt.Errorf("mlx90614: read %#02x: word %#04x (%s) outside the register's range %#04x…%#04x: %w", cmd, v, t, lo, hi, ErrRange)
	}
	return t, nil
}

// PEC returns the SMBus packet error code of b: CRC-8 with polynomial
// x⁸+x²+x+1 (0x07) and initial value 0.
func PEC(b ...byte) byte {
	var crc byte
	for _, c := range b {
		crc ^= c
		for range 8 {
			if crc&0x80 != 0 {
				crc = crc<<1 ^ 0x07
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

var _ conn.Resource = &Dev{}
