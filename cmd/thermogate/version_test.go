package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestDescribeBuild(t *testing.T) {
	vcs := []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-11-24T05:49:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}
	day := time.Date(2026, 11, 24, 5, 49, 0, 0, time.UTC)
	tests := []struct {
		name                 string
		ver, commit, date    string
		settings             []debug.BuildSetting
		wantVer, wantCommit  string
		wantDate             time.Time
		wantNoDate, wantLine string
	}{
		{"make's -ldflags", "v1.2", "abc1234", "2026-11-20T10:00:00+02:00", vcs, "v1.2", "abc1234",
			time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC), "", "thermogate v1.2 (commit abc1234, built 2026-11-20T08:00:00Z, "},
		{"plain go build in git", "", "", "", vcs, "dev", "0123456789ab-dirty", day, "",
			"thermogate dev (commit 0123456789ab-dirty, built 2026-11-24T05:49:00Z, "},
		{"neither", "", "", "", nil, "dev", "unknown", time.Time{}, "-buildvcs=false",
			"thermogate dev (commit unknown, no build date: clock check off, "},
		{"a bad date", "", "", "yesterday", vcs, "dev", "0123456789ab-dirty", time.Time{}, `"yesterday"`,
			"thermogate dev (commit 0123456789ab-dirty, no build date: clock check off, "},
	}
	for _, tt := range tests {
		b := describeBuild(tt.ver, tt.commit, tt.date, tt.settings)
		if b.Version != tt.wantVer || b.Commit != tt.wantCommit || !b.Date.Equal(tt.wantDate) ||
			(tt.wantNoDate == "") != (b.NoDate == "") || !strings.Contains(b.NoDate, tt.wantNoDate) ||
			!strings.HasPrefix(b.String(), tt.wantLine) {
			t.Errorf("%s: got %+v, %q", tt.name, b, b.String())
		}
	}
}

// A test binary has neither -ldflags nor Go's vcs stamp: version says the
// clock check is off, and why, instead of staying silent.
func TestVersionSaysClockCheckOff(t *testing.T) {
	code, out, _ := runCLI(t, "", "version")
	if code != 0 || !strings.Contains(out, "no build date: clock check off") || !strings.Contains(out, "\nclock check off: no build date (") {
		t.Errorf("version: exit %d, %q", code, out)
	}
}

// `go build ./cmd/thermogate` in a git checkout, without make's -ldflags:
// the binary knows the commit's date from Go's vcs.time, prints it, and the
// kiosk starts with the clock check on that date.
func TestPlainGoBuildHasTheCommitDate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the program: not in -short")
	}
	git := func(args ...string) string {
		out, err := exec.Command("git", args...).Output()
		if err != nil {
			t.Skipf("not a git checkout (git %s: %v): Go embeds no commit date", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	if fi, err := os.Stat(filepath.Join(git("rev-parse", "--show-toplevel"), ".git")); err == nil && !fi.IsDir() {
		t.Skip("a git worktree (.git is a file): Go stamps no vcs information there, only in a clone")
	}
	committed, err := time.Parse(time.RFC3339, git("log", "-1", "--format=%cI"))
	if err != nil {
		t.Fatal(err)
	}
	rev := git("rev-parse", "HEAD")
	bin := filepath.Join(t.TempDir(), "thermogate")
	args := []string{"build", "-tags", "migrated_fynedo", "-o", bin}
	if raceBuild {
		args = append(args, "-race") // share the race build's cache: no second cold Fyne build
	}
	cmd := exec.Command("go", append(args, ".")...)
	// A plain build: no -ldflags, and Go's default VCS stamping, which some
	// machines turn off (this project's CI sets GOFLAGS=-buildvcs=false in
	// go env; an empty GOFLAGS would fall back to that).
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=true")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("version: %v\n%s", err, out)
	}
	date := committed.UTC().Format(time.RFC3339)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "thermogate dev (commit "+rev[:12]) ||
		!strings.Contains(lines[0], ", built "+date+", ") ||
		lines[1] != "clock check on: a clock earlier than "+date+" is taken as not set" {
		t.Fatalf("version printed:\n%s\nwant commit %s, built %s and the clock check on", out, rev[:12], date)
	}

	// The kiosk itself takes that date as the earliest its clock may show.
	dir := t.TempDir()
	cfg := writeFile(t, "c.toml", "[sensor]\ndriver = \"sim\"\n[store]\npath = \""+filepath.Join(dir, "t.db")+"\"\n[export]\ndir = \""+filepath.Join(dir, "x")+"\"\n")
	run := exec.Command(bin, "run", "--headless", "--config", cfg)
	pipe, err := run.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer run.Process.Kill()
	var log []string
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		log = append(log, sc.Text())
		if strings.Contains(sc.Text(), "kiosk running") {
			break
		}
	}
	run.Process.Signal(syscall.SIGTERM)
	run.Wait()
	all := strings.Join(log, "\n")
	if !strings.Contains(all, "clock check on") || !strings.Contains(all, "build_date="+date) {
		t.Errorf("the kiosk's log at start does not show the clock check on %s:\n%s", date, all)
	}
}
