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

// The locales an admin's shell, cron, a systemd service or CI may have.
var quietLocales = []struct{ name, value string }{
	{"LANG unset", ""},
	{"C", "C"},
	{"C.UTF-8", "C.UTF-8"},
	{"POSIX", "POSIX"},
	{"en_US.UTF-8", "en_US.UTF-8"},
	{"lt_LT.UTF-8", "lt_LT.UTF-8"},
}

// localeEnv is this environment without any locale variable, with LANG
// set to lang unless it is empty, and THERMOGATE_MAIN=1 (TestMain runs main).
func localeEnv(lang string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "LANG" || k == "LANGUAGE" || strings.HasPrefix(k, "LC_") {
			continue
		}
		env = append(env, kv)
	}
	if lang != "" {
		env = append(env, "LANG="+lang)
	}
	return append(env, "THERMOGATE_MAIN=1")
}

// allCommands is every command's path in the command tree, the root's included.
func allCommands(c *command, path []string) [][]string {
	out := [][]string{path}
	for _, s := range c.subs {
		out = append(out, allCommands(s, append(append([]string{}, path...), s.name))...)
	}
	return out
}

// An admin's command says only its own words: nothing from Fyne (whose lang
// package complains about the locale "C" at program start) under any of the
// usual locales. Each runs this test binary as thermogate, main() and all
// package initialisation included.
func TestCommandsSayOnlyTheirOwnWords(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	real := [][]string{
		{"version"},
		{"config", "default"},
		{"config", "check", "../../deploy/config.example.toml"},
		{"simulate", "--bookings", "../../deploy/examples/bookings.csv", "--visitors", "../../deploy/examples/visitors.csv"},
		{"bookings", "list", "--db", db},
		{"audit", "verify", "--db", db},
		{"frobnicate"}, // a usage error
	}
	cmds := allCommands(commands(), nil)
	for _, loc := range quietLocales {
		t.Run(loc.name, func(t *testing.T) {
			t.Parallel()
			var runs [][]string
			for _, c := range cmds {
				runs = append(runs, append(append([]string{}, c...), "--help"))
			}
			runs = append(runs, real...)
			for _, args := range runs {
				cmd := exec.Command(os.Args[0], args...)
				cmd.Env = localeEnv(loc.value)
				out, _ := cmd.CombinedOutput() // usage errors exit 2: the output is what counts
				if strings.Contains(string(out), "Fyne") || strings.Contains(string(out), "locale") {
					t.Errorf("LANG=%q thermogate %s printed Fyne's words:\n%s", loc.value, strings.Join(args, " "), out)
				}
				if len(out) == 0 {
					t.Errorf("LANG=%q thermogate %s printed nothing at all", loc.value, strings.Join(args, " "))
				}
			}
		})
	}
}

// The kiosk itself (run --headless, which starts Fyne's packages too) prints
// nothing from Fyne under any of the locales, from start to a clean stop.
func TestRunSaysOnlyItsOwnWords(t *testing.T) {
	for _, loc := range quietLocales {
		t.Run(loc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := writeFile(t, "c.toml", "[sensor]\ndriver = \"sim\"\n[store]\npath = \""+filepath.Join(dir, "t.db")+"\"\n[export]\ndir = \""+filepath.Join(dir, "x")+"\"\n")
			cmd := exec.Command(os.Args[0], "run", "--headless", "--config", cfg)
			cmd.Env = localeEnv(loc.value)
			pipe, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var log []string
			running := make(chan bool, 1)
			done := make(chan struct{})
			go func() {
				defer close(done)
				sc := bufio.NewScanner(pipe)
				for sc.Scan() {
					log = append(log, sc.Text())
					if strings.Contains(sc.Text(), "kiosk running") {
						running <- true
					}
				}
			}()
			select {
			case <-running:
			case <-done:
			case <-time.After(30 * time.Second):
			}
			cmd.Process.Signal(syscall.SIGTERM)
			<-done
			err = cmd.Wait()
			all := strings.Join(log, "\n")
			if err != nil || !strings.Contains(all, "kiosk stopped") {
				t.Fatalf("LANG=%q: run --headless did not run and stop cleanly (%v):\n%s", loc.value, err, all)
			}
			if strings.Contains(all, "Fyne") || strings.Contains(all, "user locale") {
				t.Errorf("LANG=%q: run --headless printed Fyne's words:\n%s", loc.value, all)
			}
		})
	}
}

// localefix only works if Go initialises it before Fyne's lang package
// (whose init reads the locale). Go's order (dependency order, then import
// path) is checked here in the binary itself, as it runs.
func TestLocaleFixInitialisedBeforeFyne(t *testing.T) {
	cmd := exec.Command(os.Args[0], "version")
	cmd.Env = append(localeEnv("C.UTF-8"), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	fix, lang := -1, -1
	for i, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || f[0] != "init" {
			continue
		}
		switch f[1] {
		case "github.com/thermogate/thermogate/internal/localefix":
			fix = i
		case "fyne.io/fyne/v2/lang":
			lang = i
		}
	}
	if fix < 0 || lang < 0 {
		t.Fatalf("inittrace names localefix at line %d and fyne.io/fyne/v2/lang at line %d; want both:\n%s", fix, lang, out)
	}
	if fix > lang {
		t.Errorf("localefix is initialised after Fyne's lang package (line %d > %d): Fyne reads the locale first", fix, lang)
	}
}
