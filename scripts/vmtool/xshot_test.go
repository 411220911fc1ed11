package main

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// xauthEntry is one Xauthority entry: family FamilyLocal (256), host,
// display number, MIT-MAGIC-COOKIE-1 and the cookie.
func xauthEntry(display string, cookie []byte) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint16(b, 256)
	for _, f := range [][]byte{[]byte("testhost"), []byte(display), []byte("MIT-MAGIC-COOKIE-1"), cookie} {
		b = binary.BigEndian.AppendUint16(b, uint16(len(f)))
		b = append(b, f...)
	}
	return b
}

// xvfb starts a real Xvfb with an authorization file on a free display
// and returns its socket.
func xvfb(t *testing.T, auth string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("Xvfb is missing (make test installs it)")
		}
		t.Skip("no Xvfb")
	}
	for d := 170; d < 200; d++ {
		sock := fmt.Sprintf("/tmp/.X11-unix/X%d", d)
		if _, err := os.Stat(sock); err == nil {
			continue
		}
		cmd := exec.Command("Xvfb", append([]string{fmt.Sprintf(":%d", d), "-nolisten", "tcp", "-auth", auth}, args...)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		for range 100 {
			if _, err := os.Stat(sock); err == nil {
				return sock
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("Xvfb :%d did not start", d)
	}
	t.Fatal("no free display")
	return ""
}

func TestXshotReadsTheRootWindow(t *testing.T) {
	dir := t.TempDir()
	cookie := make([]byte, 16)
	_, _ = rand.Read(cookie)
	auth := filepath.Join(dir, "Xauthority")
	if err := os.WriteFile(auth, xauthEntry("0", cookie), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want uint8 // every pixel's red, green and blue
	}{
		{[]string{"-screen", "0", "96x40x24"}, 0},
		{[]string{"-screen", "0", "96x40x24", "-wr"}, 255}, // white root window
	} {
		sock := xvfb(t, auth, tc.args...)
		out := filepath.Join(dir, "shot.png")
		if err := xshot(sock, auth, out); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		img, err := readPNG(out)
		if err != nil {
			t.Fatal(err)
		}
		if s := img.Bounds().Size(); s.X != 96 || s.Y != 40 {
			t.Fatalf("%v: got a %v picture", tc.args, s)
		}
		for y := range 40 {
			for x := range 96 {
				r, g, b, _ := img.At(x, y).RGBA()
				if uint8(r>>8) != tc.want || uint8(g>>8) != tc.want || uint8(b>>8) != tc.want {
					t.Fatalf("%v: pixel %d,%d is %d,%d,%d, want all %d", tc.args, x, y, r>>8, g>>8, b>>8, tc.want)
				}
			}
		}
	}
}

func TestXshotWithoutTheCookieIsRefused(t *testing.T) {
	dir := t.TempDir()
	cookie := make([]byte, 16)
	_, _ = rand.Read(cookie)
	auth := filepath.Join(dir, "Xauthority")
	if err := os.WriteFile(auth, xauthEntry("0", cookie), 0o600); err != nil {
		t.Fatal(err)
	}
	sock := xvfb(t, auth, "-screen", "0", "64x32x24")
	wrong := filepath.Join(dir, "wrong")
	cookie[0] ^= 0xff
	if err := os.WriteFile(wrong, xauthEntry("0", cookie), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{wrong, filepath.Join(dir, "missing")} {
		err := xshot(sock, a, filepath.Join(dir, "shot.png"))
		if err == nil || !strings.Contains(err.Error(), "refused") {
			t.Errorf("xshot with %s: %v, want a refused connection", filepath.Base(a), err)
		}
	}
}
