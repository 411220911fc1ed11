package sound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"strings"
	"time"
)

// ALSA plays through alsa-utils' aplay, one process per sound.
//
// Why aplay and not a Go audio library: the Go libraries that reach ALSA
// (oto, beep on oto, portaudio) link libasound through cgo, which adds an
// arm64 -dev package to the cross build, and a wedged driver then hangs or
// crashes the kiosk's own process. aplay is part of every Raspberry Pi OS and
// Debian install, resolves every ALSA name (dmix, plughw, hdmi, USB cards,
// .asoundrc) exactly as the installer's `aplay -L` shows them, and runs
// in a child we can time out and kill. Starting it costs a few
// milliseconds (bench/sound.sh), well inside the 100 ms a sound may take.
type ALSA struct {
	Device string // ALSA PCM name; "" is "default"
	Aplay  string // aplay binary; "" finds it on $PATH
}

// Play pipes p to aplay as raw S16_LE and waits for it to finish. ctx cuts
// it off (aplay is killed); a device that stalls is killed after the
// sound's length plus a margin, so a broken driver never holds the player.
func (a ALSA) Play(ctx context.Context, p PCM) error {
	dev := a.Device
	if dev == "" {
		dev = "default"
	}
	if err := validDevice(dev); err != nil {
		return fmt.Errorf("sound device %q: %w", dev, err)
	}
	bin := a.Aplay
	if bin == "" {
		bin = "aplay"
	}
	ctx, cancel := context.WithTimeout(ctx, p.Duration()+3*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-q", "-D", dev, "-t", "raw", "-f", "S16_LE",
		"-c", fmt.Sprint(p.Channels), "-r", fmt.Sprint(p.Rate), "-")
	cmd.Stdin = bytes.NewReader(p.Bytes())
	cmd.WaitDelay = time.Second // a killed aplay never leaves Play waiting on its pipes
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("aplay is not installed (Debian package alsa-utils): %w", err)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("sound device %q stalled: aplay killed after %v", dev, p.Duration()+3*time.Second)
	case ctx.Err() != nil:
		return ctx.Err()
	}
	msg := strings.TrimSpace(errb.String())
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		msg = msg[i+1:]
	}
	return fmt.Errorf("sound device %q: %s (%v)", dev, msg, err)
}
