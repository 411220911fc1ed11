package mlx90614

import (
	"errors"
	"testing"
	"time"

	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"
)

// celsius builds an exact physic.Temperature from hundredths of a degree.
func celsius(centi int64) physic.Temperature {
	return physic.ZeroCelsius + physic.Temperature(centi)*10*physic.MilliKelvin
}

func TestPECDatasheetVector(t *testing.T) {
	// Datasheet: read of Tobj1 at 0x5A returns D2 3A with PEC 30.
	if got := PEC(0xB4, 0x07, 0xB5, 0xD2, 0x3A); got != 0x30 {
		t.Fatalf("PEC(B4 07 B5 D2 3A) = %#02x, want 0x30", got)
	}
	if got := PEC(); got != 0 {
		t.Fatalf("PEC() = %#02x, want 0", got)
	}
	// Appending the PEC to a frame makes its CRC zero: a property of CRC-8.
	if got := PEC(0xB4, 0x07, 0xB5, 0xD2, 0x3A, 0x30); got != 0 {
		t.Fatalf("PEC over frame and its PEC = %#02x, want 0", got)
	}
}

func TestReadTemperatures(t *testing.T) {
	tests := []struct {
		name string
		read func(*Dev) (physic.Temperature, error)
		io   i2ctest.IO
		want physic.Temperature
		err  error
	}{
		{"object datasheet vector", (*Dev).Object,
			i2ctest.IO{Addr: 0x5A, W: []byte{0x07}, R: []byte{0xD2, 0x3A, 0x30}}, celsius(2801), nil},
		{"ambient", (*Dev).Ambient,
			i2ctest.IO{Addr: 0x5A, W: []byte{0x06}, R: []byte{0xD2, 0x3A, PEC(0xB4, 0x06, 0xB5, 0xD2, 0x3A)}}, celsius(2801), nil},
		{"object2", (*Dev).Object2,
			// 0x3C4E = 15438 → 308.76 K = 35.61 °C
			i2ctest.IO{Addr: 0x5A, W: []byte{0x08}, R: []byte{0x4E, 0x3C, PEC(0xB4, 0x08, 0xB5, 0x4E, 0x3C)}}, celsius(3561), nil},
		{"bad PEC", (*Dev).Object,
			i2ctest.IO{Addr: 0x5A, W: []byte{0x07}, R: []byte{0xD2, 0x3A, 0x31}}, 0, ErrPEC},
		{"error flag", (*Dev).Object,
			i2ctest.IO{Addr: 0x5A, W: []byte{0x07}, R: []byte{0xFF, 0xFF, PEC(0xB4, 0x07, 0xB5, 0xFF, 0xFF)}}, 0, ErrFlag},
		{"zero word is out of range", (*Dev).Object,
			i2ctest.IO{Addr: 0x5A, W: []byte{0x07}, R: []byte{0x00, 0x00, PEC(0xB4, 0x07, 0xB5, 0x00, 0x00)}}, 0, ErrRange},
		{"ambient above 125 °C", (*Dev).Ambient,
			// 0x4E20 = 20000 → 400 K = 126.85 °C
			i2ctest.IO{Addr: 0x5A, W: []byte{0x06}, R: []byte{0x20, 0x4E, PEC(0xB4, 0x06, 0xB5, 0x20, 0x4E)}}, 0, ErrRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := &i2ctest.Playback{Ops: []i2ctest.IO{tt.io}, DontPanic: true}
			d, err := New(bus, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tt.read(d)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
			if err := bus.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestBusErrorIsWrapped(t *testing.T) {
	bus := &i2ctest.Playback{DontPanic: true} // no ops: every Tx fails
	d, _ := New(bus, nil)
	if _, err := d.Object(); err == nil {
		t.Fatal("no error from a bus that fails")
	}
}

func TestNewAddress(t *testing.T) {
	if _, err := New(nil, nil); err == nil {
		t.Fatal("New(nil bus) succeeded")
	}
	if _, err := New(&i2ctest.Playback{}, &Opts{Addr: 0x80}); !errors.Is(err, ErrRange) {
		t.Fatalf("New(addr 0x80) = %v, want ErrRange", err)
	}
	bus := &i2ctest.Playback{Ops: []i2ctest.IO{
		{Addr: 0x33, W: []byte{0x07}, R: []byte{0xD2, 0x3A, PEC(0x66, 0x07, 0x67, 0xD2, 0x3A)}},
	}, DontPanic: true}
	d, err := New(bus, &Opts{Addr: 0x33})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := d.Object(); err != nil || got != celsius(2801) {
		t.Fatalf("Object() at 0x33 = %s, %v", got, err)
	}
	if s := d.String(); s != "MLX90614 at 0x33 on playback" {
		t.Fatalf("String() = %q", s)
	}
}

func TestEmissivity(t *testing.T) {
	bus := &i2ctest.Playback{Ops: []i2ctest.IO{
		{Addr: 0x5A, W: []byte{0x24}, R: []byte{0xFF, 0xFF, PEC(0xB4, 0x24, 0xB5, 0xFF, 0xFF)}},
	}, DontPanic: true}
	d, _ := New(bus, nil)
	e, err := d.Emissivity()
	if err != nil || e != 1.0 {
		t.Fatalf("Emissivity() = %v, %v; want 1.0", e, err)
	}
}

func TestSetEmissivitySequence(t *testing.T) {
	// 0.98 → round(65535·0.98) = 64224 = 0xFAE0.
	bus := &i2ctest.Playback{Ops: []i2ctest.IO{
		{Addr: 0x5A, W: []byte{0x24}, R: []byte{0xFF, 0xFF, PEC(0xB4, 0x24, 0xB5, 0xFF, 0xFF)}},
		{Addr: 0x5A, W: []byte{0x24, 0x00, 0x00, PEC(0xB4, 0x24, 0x00, 0x00)}},
		{Addr: 0x5A, W: []byte{0x24, 0xE0, 0xFA, PEC(0xB4, 0x24, 0xE0, 0xFA)}},
		{Addr: 0x5A, W: []byte{0x24}, R: []byte{0xE0, 0xFA, PEC(0xB4, 0x24, 0xB5, 0xE0, 0xFA)}},
	}, DontPanic: true}
	d, _ := New(bus, nil)
	var waits []time.Duration
	d.sleep = func(w time.Duration) { waits = append(waits, w) }
	if err := d.SetEmissivity(0.98); err != nil {
		t.Fatal(err)
	}
	if err := bus.Close(); err != nil {
		t.Fatal(err)
	}
	if len(waits) != 2 || waits[0] < 5*time.Millisecond || waits[1] < 5*time.Millisecond {
		t.Fatalf("waits after erase and write = %v, want two of at least 5 ms", waits)
	}
}

func TestSetEmissivityUnchangedWritesNothing(t *testing.T) {
	bus := &i2ctest.Playback{Ops: []i2ctest.IO{
		{Addr: 0x5A, W: []byte{0x24}, R: []byte{0xE0, 0xFA, PEC(0xB4, 0x24, 0xB5, 0xE0, 0xFA)}},
	}, DontPanic: true}
	d, _ := New(bus, nil)
	d.sleep = func(time.Duration) { t.Fatal("slept: an EEPROM write happened") }
	if err := d.SetEmissivity(0.98); err != nil {
		t.Fatal(err)
	}
	if err := bus.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSetEmissivityReadBackMismatch(t *testing.T) {
	bus := &i2ctest.Playback{Ops: []i2ctest.IO{
		{Addr: 0x5A, W: []byte{0x24}, R: []byte{0xFF, 0xFF, PEC(0xB4, 0x24, 0xB5, 0xFF, 0xFF)}},
		{Addr: 0x5A, W: []byte{0x24, 0x00, 0x00, PEC(0xB4, 0x24, 0x00, 0x00)}},
		{Addr: 0x5A, W: []byte{0x24, 0xE0, 0xFA, PEC(0xB4, 0x24, 0xE0, 0xFA)}},
		{Addr: 0x5A, W: []byte{0x24}, R: []byte{0x00, 0x00, PEC(0xB4, 0x24, 0xB5, 0x00, 0x00)}},
	}, DontPanic: true}
	d, _ := New(bus, nil)
	d.sleep = func(time.Duration) {}
	if err := d.SetEmissivity(0.98); err == nil {
		t.Fatal("a write that did not stick reported success")
	}
}

func TestSetEmissivityRange(t *testing.T) {
	d, _ := New(&i2ctest.Playback{DontPanic: true}, nil)
	for _, e := range []float64{0, 0.09, 1.01, -1} {
		if err := d.SetEmissivity(e); !errors.Is(err, ErrRange) {
			t.Errorf("SetEmissivity(%v) = %v, want ErrRange", e, err)
		}
	}
}

func TestConfigAndID(t *testing.T) {
	word := func(cmd, lsb, msb byte) i2ctest.IO {
		return i2ctest.IO{Addr: 0x5A, W: []byte{cmd}, R: []byte{lsb, msb, PEC(0xB4, cmd, 0xB5, lsb, msb)}}
	}
	bus := &i2ctest.Playback{Ops: []i2ctest.IO{
		word(0x25, 0xB4, 0x9F),
		word(0x3C, 0x11, 0x22), word(0x3D, 0x33, 0x44), word(0x3E, 0x55, 0x66), word(0x3F, 0x77, 0x88),
	}, DontPanic: true}
	d, _ := New(bus, nil)
	c, err := d.Config()
	if err != nil || c != 0x9FB4 {
		t.Fatalf("Config() = %#04x, %v", c, err)
	}
	id, err := d.ID()
	if err != nil || id != 0x2211443366558877 {
		t.Fatalf("ID() = %#016x, %v", id, err)
	}
	if err := bus.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestWriteEEPROMRefusesRAM(t *testing.T) {
	d, _ := New(&i2ctest.Playback{DontPanic: true}, nil)
	if err := d.WriteEEPROM(RAMObject1, 1); !errors.Is(err, ErrRange) {
		t.Fatalf("WriteEEPROM(RAM) = %v, want ErrRange", err)
	}
}

// FuzzReadWord feeds arbitrary 3-byte answers: the driver must return a
// temperature or an error, never panic, and never accept a word whose PEC is
// wrong or whose error flag is set.
func FuzzReadWord(f *testing.F) {
	f.Add([]byte{0xD2, 0x3A, 0x30})
	f.Add([]byte{0xFF, 0xFF, 0x00})
	f.Add([]byte{0x00, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, r []byte) {
		if len(r) != 3 {
			return
		}
		bus := &i2ctest.Playback{Ops: []i2ctest.IO{{Addr: 0x5A, W: []byte{0x07}, R: r}}, DontPanic: true}
		d, _ := New(bus, nil)
		got, err := d.Object()
		pecOK := PEC(0xB4, 0x07, 0xB5, r[0], r[1]) == r[2]
		switch {
		case !pecOK && !errors.Is(err, ErrPEC):
			t.Fatalf("answer % x with a bad PEC gave %s, %v", r, got, err)
		case pecOK && r[1]&0x80 != 0 && !errors.Is(err, ErrFlag):
			t.Fatalf("answer % x with the error flag gave %s, %v", r, got, err)
		case err == nil && (got < objectRawMin*Resolution || got > objectRawMax*Resolution):
			t.Fatalf("answer % x gave %s outside the object range", r, got)
		}
	})
}

// wordIO answers a read of cmd with the 16-bit word v and its correct PEC.
func wordIO(cmd byte, v uint16) i2ctest.IO {
	lsb, msb := byte(v), byte(v>>8)
	return i2ctest.IO{Addr: 0x5A, W: []byte{cmd}, R: []byte{lsb, msb, PEC(0xB4, cmd, 0xB5, lsb, msb)}}
}

// TestDatasheetRawLimits reads both ends of each register's raw range, and
// one word past each end: every word the chip can output is accepted, none
// outside it.
func TestDatasheetRawLimits(t *testing.T) {
	tests := []struct {
		name string
		read func(*Dev) (physic.Temperature, error)
		cmd  byte
		word uint16
		want physic.Temperature // 0: ErrRange
	}{
		{"object lowest −70.01 °C", (*Dev).Object, RAMObject1, 0x27AD, 10157 * Resolution},
		{"object highest +382.19 °C", (*Dev).Object, RAMObject1, 0x7FFF, 32767 * Resolution},
		{"object below the lowest", (*Dev).Object, RAMObject1, 0x27AC, 0},
		{"object2 lowest", (*Dev).Object2, RAMObject2, 0x27AD, 10157 * Resolution},
		{"object2 highest", (*Dev).Object2, RAMObject2, 0x7FFF, 32767 * Resolution},
		{"object2 below the lowest", (*Dev).Object2, RAMObject2, 0x27AC, 0},
		{"ambient lowest −40.01 °C", (*Dev).Ambient, RAMAmbient, 0x2D89, 11657 * Resolution},
		{"ambient highest +125.01 °C", (*Dev).Ambient, RAMAmbient, 0x4DC4, 19908 * Resolution},
		{"ambient below the lowest", (*Dev).Ambient, RAMAmbient, 0x2D88, 0},
		{"ambient above the highest", (*Dev).Ambient, RAMAmbient, 0x4DC5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := &i2ctest.Playback{Ops: []i2ctest.IO{wordIO(tt.cmd, tt.word)}, DontPanic: true}
			d, _ := New(bus, nil)
			got, err := tt.read(d)
			if tt.want == 0 {
				if !errors.Is(err, ErrRange) {
					t.Fatalf("word %#04x: %s, %v; want ErrRange", tt.word, got, err)
				}
			} else if err != nil || got != tt.want {
				t.Fatalf("word %#04x: %s, %v; want %s", tt.word, got, err, tt.want)
			}
			if err := bus.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
