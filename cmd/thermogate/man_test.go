package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

const manFile = "../../deploy/thermogate.1"

// The packaged manual is the one the command tree renders now: a changed
// command, summary or flag changes the help, and this test then asks for
// `make man` (THERMOGATE_WRITE_MAN=1 writes the file).
func TestManPageCurrent(t *testing.T) {
	want := manPage(commands())
	if os.Getenv("THERMOGATE_WRITE_MAN") == "1" {
		if err := os.WriteFile(manFile, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(manFile)
	if err != nil {
		t.Fatalf("%v: run make man", err)
	}
	if string(got) != want {
		t.Fatalf("%s is not what the commands' help renders now: run make man", manFile)
	}
}

// Every command and every flag of the help is in the manual.
func TestManPageHasEveryCommandAndFlag(t *testing.T) {
	page := manPage(commands())
	for _, path := range allCommands(commands(), nil) {
		c, p, err := find(commands(), path)
		if err != nil {
			t.Fatal(err)
		}
		if c.subs != nil {
			continue
		}
		if !strings.Contains(page, roffQuote(usageLine(c, p))) {
			t.Errorf("the manual lacks %q", usageLine(c, p))
		}
		code, out, _ := runCLI(t, "", append(path, "-h")...)
		if code != 0 {
			t.Fatalf("%s -h: exit %d", p, code)
		}
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) > 0 && strings.HasPrefix(l, "  -") {
				flag := `\-\-` + roffEscape(strings.TrimPrefix(f[0], "-"))
				if !strings.Contains(page, ".B "+flag+"\n") && !strings.Contains(page, `.BI "`+flag+` " `) {
					t.Errorf("the manual lacks %s's flag %s", p, f[0])
				}
			}
		}
	}
}

// man itself reads the page without a warning (as lintian checks it).
func TestManPageRendersWithoutWarnings(t *testing.T) {
	if _, err := exec.LookPath("groff"); err != nil {
		t.Skip("groff is not installed (make test installs it)")
	}
	cmd := exec.Command("groff", "-man", "-ww", "-z")
	cmd.Stdin = strings.NewReader(manPage(commands()))
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("groff -man -ww: %v\n%s", err, out)
	}
}
