// Package promtooltest finds Prometheus's promtool for the tests that check
// metrics and alert rules with it.
package promtooltest

import (
	"os"
	"os/exec"
	"testing"
)

// Path returns promtool's path. Without it the test is skipped with a
// message saying how to get it, except in CI (CI set), where it fails: CI
// installs it through `make deps` (the Debian package prometheus).
func Path(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("promtool not found but CI=%q: the Debian package prometheus must be installed (scripts/deps.sh)", os.Getenv("CI"))
	}
	t.Skip("promtool not found: apt-get install prometheus (Debian's package provides promtool) to run this check")
	return ""
}
