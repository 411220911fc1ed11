package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/admin"
	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

func TestRunWithoutDisplayNamesHeadless(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	cfg := writeFile(t, "c.toml", "[sensor]\ndriver = \"sim\"\n[store]\npath = \""+filepath.Join(t.TempDir(), "t.db")+"\"\n")
	code, _, errs := runCLI(t, "", "run", "--config", cfg)
	if code != 1 || !strings.Contains(errs, "--headless") || !strings.Contains(errs, "no display") {
		t.Fatalf("exit %d %q", code, errs)
	}
	code, _, errs = runCLI(t, "", "demo")
	if code != 1 || !strings.Contains(errs, "no display") {
		t.Fatalf("demo without a display: exit %d %q", code, errs)
	}
}

func TestRunHeadlessServesAndStops(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	cfg := writeFile(t, "c.toml", "[sensor]\ndriver = \"sim\"\n[store]\npath = \""+db+"\"\n[export]\ndir = \""+filepath.Join(t.TempDir(), "x")+"\"\n")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs bytes.Buffer
	done := make(chan int)
	go func() {
		done <- execute(ctx, commands(), []string{"run", "--headless", "--config", cfg}, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errs})
	}()
	var c *admin.Client
	for i := 0; i < 300 && c == nil; i++ {
		c, _ = admin.Dial(ctx, config.SocketPath(db))
		time.Sleep(10 * time.Millisecond)
	}
	if c == nil {
		cancel()
		t.Fatalf("no admin socket; stderr:\n%s", errs.String())
	}
	// The command line reaches the running daemon.
	code, stdout, stderr := runCLI(t, "", "guard", "list", "--config", cfg)
	if code != 0 || !strings.Contains(stdout, "no guards") {
		t.Fatalf("guard list through the daemon: exit %d %q %q", code, stdout, stderr)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("run exited %d; stderr:\n%s", code, errs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop")
	}
	for _, want := range []string{"kiosk running", "sensor=\"MLX90614 at 0x5a on mlxsim\"", "kiosk stopped"} {
		if !strings.Contains(errs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, errs.String())
		}
	}
}

func TestDemoBookings(t *testing.T) {
	loc := config.Default().Location()
	db, err := storage.Open(filepath.Join(t.TempDir(), "d.db"), storage.Options{Vocabulary: kiosk.Vocabulary(), Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 24, 10, 7, 0, 0, loc)
	bs, err := demoBookings(context.Background(), db, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 28 || bs[0].Start.In(loc).Format("15:04") != "09:00" || bs[0].Code != "1001" {
		t.Fatalf("first booking %+v of %d", bs[0], len(bs))
	}
	var current, polish, cancelled bool
	for _, b := range bs {
		current = current || (b.Start.In(loc).Format("15:04") == "10:00" && b.Status == storage.StatusActive)
		polish = polish || b.Lang == "pl"
		cancelled = cancelled || b.Status == storage.StatusCancelled
	}
	if !current || !polish || !cancelled {
		t.Fatalf("want a slot open now, a Polish speaker and a cancelled one: %+v", bs)
	}
}
