package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets a test run this very binary as thermogate: with
// THERMOGATE_MAIN=1 it is main() itself, signals and exit code included.
func TestMain(m *testing.M) {
	if os.Getenv("THERMOGATE_MAIN") == "1" {
		os.Args = append([]string{"thermogate"}, os.Args[1:]...)
		main()
		return
	}
	os.Exit(m.Run())
}

func TestRunStopsCleanlyOnSIGTERMAndSIGHUP(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			cfg := writeFile(t, "c.toml", "[sensor]\ndriver = \"sim\"\n[store]\npath = \""+filepath.Join(dir, "t.db")+"\"\n[export]\ndir = \""+filepath.Join(dir, "x")+"\"\n")
			cmd := exec.Command(os.Args[0], "run", "--headless", "--config", cfg)
			cmd.Env = append(os.Environ(), "THERMOGATE_MAIN=1")
			pipe, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := make(chan string, 100)
			go func() {
				sc := bufio.NewScanner(pipe)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			var log []string
			wait := func(what string) {
				t.Helper()
				for {
					select {
					case l, ok := <-lines:
						if !ok {
							t.Fatalf("the program ended before %q:\n%s", what, strings.Join(log, "\n"))
						}
						if log = append(log, l); strings.Contains(l, what) {
							return
						}
					case <-time.After(15 * time.Second):
						cmd.Process.Kill()
						t.Fatalf("no %q:\n%s", what, strings.Join(log, "\n"))
					}
				}
			}
			wait("kiosk running")
			cmd.Process.Signal(sig)
			wait("kiosk stopped")
			for range lines {
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("after %v: %v", sig, err)
			}
		})
	}
}
