package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"net"
	"os"
	"time"
)

// xshot takes the X server's own picture of its root window (core
// protocol GetImage, no X library: the guest image has none of the X
// clients) and writes it as PNG. vm-check runs it inside the guest when a
// step fails: where QEMU's screendump is black but this is not, X draws
// and the virtual GPU does not show it; where both are black, nothing drew.
//
// sock is the X server's socket (under /proc/PID/root for a server in its
// own /tmp), xauth an Xauthority file whose MIT-MAGIC-COOKIE-1 is used
// (missing or empty: no authorization, as for a server started without one).
func xshot(sock, xauth, out string) error {
	c, err := net.DialTimeout("unix", sock, 10*time.Second)
	if err != nil {
		return fmt.Errorf("xshot: %w", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(60 * time.Second))
	name, cookie := readCookie(xauth)
	img, err := xGetRoot(c, name, cookie)
	if err != nil {
		return fmt.Errorf("xshot: %w", err)
	}
	return writePNG(out, img)
}

// readCookie returns the first MIT-MAGIC-COOKIE-1 in an Xauthority file
// (entries: family, then address, display number, name and data, each a
// big-endian 16-bit length and its bytes), or nothing.
func readCookie(path string) (string, []byte) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", nil
	}
	r := bytes.NewReader(b)
	field := func() ([]byte, error) {
		var n uint16
		if err := binary.Read(r, binary.BigEndian, &n); err != nil {
			return nil, err
		}
		v := make([]byte, n)
		_, err := io.ReadFull(r, v)
		return v, err
	}
	for {
		var family uint16
		if binary.Read(r, binary.BigEndian, &family) != nil {
			return "", nil
		}
		var f [4][]byte
		for i := range f {
			if f[i], err = field(); err != nil {
				return "", nil
			}
		}
		if string(f[2]) == "MIT-MAGIC-COOKIE-1" {
			return string(f[2]), f[3]
		}
	}
}

func pad4(n int) int { return (4 - n%4) % 4 }

// xGetRoot sets up an X connection on c and reads the first screen's root
// window with GetImage (ZPixmap), for 24/32-bit TrueColor screens.
func xGetRoot(c io.ReadWriter, authName string, authData []byte) (*image.RGBA, error) {
	le := binary.LittleEndian
	req := []byte{'l', 0, 11, 0, 0, 0}
	req = le.AppendUint16(req, uint16(len(authName)))
	req = le.AppendUint16(req, uint16(len(authData)))
	req = append(req, 0, 0)
	req = append(req, authName...)
	req = append(req, make([]byte, pad4(len(authName)))...)
	req = append(req, authData...)
	req = append(req, make([]byte, pad4(len(authData)))...)
	if _, err := c.Write(req); err != nil {
		return nil, err
	}
	head := make([]byte, 8)
	if _, err := io.ReadFull(c, head); err != nil {
		return nil, fmt.Errorf("connection setup: %w", err)
	}
	setup := make([]byte, 4*int(le.Uint16(head[6:])))
	if _, err := io.ReadFull(c, setup); err != nil {
		return nil, fmt.Errorf("connection setup: %w", err)
	}
	if head[0] != 1 {
		reason := setup
		if head[0] == 0 && int(head[1]) <= len(setup) {
			reason = setup[:head[1]]
		}
		return nil, fmt.Errorf("the X server refused the connection: %q", reason)
	}
	if len(setup) < 32 {
		return nil, errors.New("short connection setup")
	}
	vendorLen := int(le.Uint16(setup[16:]))
	nFormats := int(setup[21])
	if setup[22] != 0 {
		return nil, errors.New("the X server's images are big-endian: not handled")
	}
	formats := 32 + vendorLen + pad4(vendorLen)
	scr := formats + 8*nFormats
	if len(setup) < scr+40 {
		return nil, errors.New("short connection setup")
	}
	root := le.Uint32(setup[scr:])
	w, h := int(le.Uint16(setup[scr+20:])), int(le.Uint16(setup[scr+22:]))
	depth := setup[scr+38]
	bpp := 0
	for i := range nFormats {
		if f := setup[formats+8*i:]; f[0] == depth {
			bpp = int(f[1])
		}
	}
	if depth != 24 && depth != 32 || bpp != 32 {
		return nil, fmt.Errorf("root window of depth %d at %d bits a pixel: only 24/32 bits handled", depth, bpp)
	}

	// GetImage: opcode 73, format ZPixmap (2), 5 words.
	get := []byte{73, 2, 5, 0}
	get = le.AppendUint32(get, root)
	get = le.AppendUint16(get, 0)
	get = le.AppendUint16(get, 0)
	get = le.AppendUint16(get, uint16(w))
	get = le.AppendUint16(get, uint16(h))
	get = le.AppendUint32(get, 0xffffffff)
	if _, err := c.Write(get); err != nil {
		return nil, err
	}
	rep := make([]byte, 32)
	for rep[0] != 1 { // events before the reply are skipped
		if _, err := io.ReadFull(c, rep); err != nil {
			return nil, fmt.Errorf("GetImage: %w", err)
		}
		if rep[0] == 0 {
			return nil, fmt.Errorf("GetImage: X error %d", rep[1])
		}
	}
	data := make([]byte, 4*int(le.Uint32(rep[4:])))
	if _, err := io.ReadFull(c, data); err != nil {
		return nil, fmt.Errorf("GetImage: %w", err)
	}
	if len(data) < 4*w*h {
		return nil, fmt.Errorf("GetImage: %d bytes for %dx%d", len(data), w, h)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for p := range w * h {
		// BGRX in memory, little-endian 0x00RRGGBB.
		img.Pix[4*p], img.Pix[4*p+1], img.Pix[4*p+2], img.Pix[4*p+3] = data[4*p+2], data[4*p+1], data[4*p], 255
	}
	return img, nil
}
