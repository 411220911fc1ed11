package storage

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestFreeSpace: FreeSpace agrees with df on a real directory, and a
// directory that is not there is an error naming it.
func TestFreeSpace(t *testing.T) {
	dir := t.TempDir()
	got, err := FreeSpace(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got == 0 {
		t.Fatalf("FreeSpace(%s) = 0 on a filesystem the test just wrote to", dir)
	}
	if _, err := exec.LookPath("df"); err == nil {
		out, err := exec.Command("df", "--output=avail", "-B1", dir).Output()
		if err != nil {
			t.Fatalf("df: %v", err)
		}
		fields := strings.Fields(string(out))
		df, err := strconv.ParseUint(fields[len(fields)-1], 10, 64)
		if err != nil {
			t.Fatalf("df said %q", out)
		}
		// Other processes write to the same filesystem meanwhile.
		const slack = 256 << 20
		if diff := int64(got) - int64(df); diff > slack || diff < -slack {
			t.Fatalf("FreeSpace = %d, df --output=avail = %d", got, df)
		}
	}

	missing := filepath.Join(dir, "gone")
	if _, err := FreeSpace(missing); !errors.Is(err, syscall.ENOENT) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("FreeSpace(%s) = %v, want ENOENT naming the path", missing, err)
	}
}
