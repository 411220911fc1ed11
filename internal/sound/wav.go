package sound

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// PCM is signed 16-bit audio, channels interleaved.
type PCM struct {
	Rate     int // samples per second per channel
	Channels int // 1 or 2
	Samples  []int16
}

// Duration is how long p plays.
func (p PCM) Duration() time.Duration {
	if p.Rate <= 0 || p.Channels <= 0 {
		return 0
	}
	frames := len(p.Samples) / p.Channels
	return time.Duration(frames) * time.Second / time.Duration(p.Rate)
}

// Peak is the largest absolute sample: 0 for silence.
func (p PCM) Peak() int {
	peak := 0
	for _, s := range p.Samples {
		a := int(s)
		if a < 0 {
			a = -a
		}
		peak = max(peak, a)
	}
	return peak
}

// Scaled returns p with every sample multiplied by gain (0…1).
func (p PCM) Scaled(gain float64) PCM {
	out := PCM{Rate: p.Rate, Channels: p.Channels, Samples: make([]int16, len(p.Samples))}
	for i, s := range p.Samples {
		out.Samples[i] = int16(float64(s) * gain)
	}
	return out
}

// Trimmed returns p without the silence before and after the sound, but
// for margin of it on either side: espeak-ng starts and ends every prompt
// with a pause that would only delay it.
func (p PCM) Trimmed(margin time.Duration) PCM {
	if p.Channels <= 0 {
		return p
	}
	first, last := -1, -1
	for i, s := range p.Samples {
		if s > silent || s < -silent {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return p
	}
	m := int(margin.Seconds()*float64(p.Rate)) * p.Channels
	from := max(0, first/p.Channels*p.Channels-m)
	to := min(len(p.Samples), (last/p.Channels+1)*p.Channels+m)
	return PCM{Rate: p.Rate, Channels: p.Channels, Samples: p.Samples[from:to]}
}

// Bytes is p as raw little-endian S16 frames, what aplay -t raw -f S16_LE reads.
func (p PCM) Bytes() []byte {
	b := make([]byte, 2*len(p.Samples))
	for i, s := range p.Samples {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	return b
}

// WAV encodes p as a canonical PCM WAV file.
func (p PCM) WAV() []byte {
	data := p.Bytes()
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	w(uint32(36 + len(data)))
	b.WriteString("WAVEfmt ")
	w(uint32(16))
	w(uint16(1)) // PCM
	w(uint16(p.Channels))
	w(uint32(p.Rate))
	w(uint32(p.Rate * p.Channels * 2))
	w(uint16(p.Channels * 2))
	w(uint16(16))
	b.WriteString("data")
	w(uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}

// Limits on a WAV the kiosk plays: what espeak-ng writes (22050 Hz mono
// 16-bit) and what an office records with any editor, short enough not to
// keep the next visitor waiting.
const (
	MinRate     = 8000
	MaxRate     = 48000
	MinDuration = 200 * time.Millisecond
	MaxDuration = 8 * time.Second
)

// ErrNotWAV is returned for a file that is not a RIFF/WAVE file.
var ErrNotWAV = errors.New("not a WAV file (want RIFF/WAVE)")

// DecodeWAV reads a PCM WAV file: format 1, 16 bits, 1 or 2 channels. It
// accepts the "unknown size" headers espeak-ng and streaming tools write
// (data size 0 or near 2³¹: the data runs to the end of the file).
func DecodeWAV(b []byte) (PCM, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return PCM{}, ErrNotWAV
	}
	var (
		p      PCM
		gotFmt bool
	)
	r := b[12:]
	for len(r) >= 8 {
		id, size := string(r[0:4]), binary.LittleEndian.Uint32(r[4:8])
		r = r[8:]
		if id == "data" && (size == 0 || size >= 0x7FFF0000 && int64(size) > int64(len(r))) {
			size = uint32(len(r)) // a streamed file: the data runs to the end
		}
		if int(size) > len(r) {
			return PCM{}, fmt.Errorf("WAV chunk %q says %d bytes, file has %d: truncated", id, size, len(r))
		}
		body := r[:size]
		r = r[size:]
		if size%2 == 1 && len(r) > 0 {
			r = r[1:] // chunks are padded to even sizes
		}
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return PCM{}, errors.New("WAV fmt chunk too short")
			}
			format := binary.LittleEndian.Uint16(body[0:2])
			p.Channels = int(binary.LittleEndian.Uint16(body[2:4]))
			p.Rate = int(binary.LittleEndian.Uint32(body[4:8]))
			bits := binary.LittleEndian.Uint16(body[14:16])
			if format == 0xFFFE && len(body) >= 26 { // WAVE_FORMAT_EXTENSIBLE: the sub-format's first word
				format = binary.LittleEndian.Uint16(body[24:26])
			}
			if format != 1 || bits != 16 {
				return PCM{}, fmt.Errorf("WAV format %d with %d bits: want PCM (1) with 16 bits", format, bits)
			}
			if p.Channels != 1 && p.Channels != 2 {
				return PCM{}, fmt.Errorf("WAV has %d channels: want 1 (mono) or 2", p.Channels)
			}
			gotFmt = true
		case "data":
			if !gotFmt {
				return PCM{}, errors.New("WAV data before its fmt chunk")
			}
			n := len(body) / 2
			p.Samples = make([]int16, n)
			for i := range n {
				p.Samples[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			p.Samples = p.Samples[:n-n%p.Channels]
			return p, nil
		}
	}
	if !gotFmt {
		return PCM{}, errors.New("WAV has no fmt chunk")
	}
	return PCM{}, errors.New("WAV has no data chunk")
}

// ValidateWAV decodes a recording and checks it is playable at the kiosk:
// 16-bit PCM, mono or stereo, MinRate–MaxRate Hz, MinDuration–MaxDuration
// long and not silent. The error says what is wrong, for the log and for
// `thermogate sound list`.
func ValidateWAV(r io.Reader) (PCM, error) {
	b, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return PCM{}, err
	}
	p, err := DecodeWAV(b)
	if err != nil {
		return PCM{}, err
	}
	if p.Rate < MinRate || p.Rate > MaxRate {
		return PCM{}, fmt.Errorf("sample rate %d Hz: want %d–%d Hz (22050 or 44100 are best)", p.Rate, MinRate, MaxRate)
	}
	if d := p.Duration(); d < MinDuration || d > MaxDuration {
		return PCM{}, fmt.Errorf("length %.2f s: want %.1f–%.0f s", d.Seconds(), MinDuration.Seconds(), MaxDuration.Seconds())
	}
	if p.Peak() < silent {
		return PCM{}, errors.New("the recording is silent")
	}
	return p, nil
}

// silent is the peak below which a sound is taken for silence (−50 dBFS).
const silent = 100
