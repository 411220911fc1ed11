package main

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
)

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// A copy of the database kept as evidence must stay byte for byte what it
// was after every command that only reads it, and those commands must work
// on a copy that cannot be written (issue 11, item 8).
func TestReadOnlyCommandsLeaveTheFileAlone(t *testing.T) {
	t.Setenv("THERMOGATE_MAIN", "1") // db check runs this binary as thermogate for its page check
	db := filepath.Join(t.TempDir(), "evidence.db")
	bookings := writeFile(t, "b.csv", "code,start\nAB12CD,2030-05-02 09:00\n")
	if code, _, errs := runCLI(t, "", "bookings", "import", "--db", db, bookings); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := runCLI(t, "1357\n", "guard", "add", "--db", db, "Jonas"); code != 0 {
		t.Fatal(errs)
	}
	if err := os.Chmod(db, 0o400); err != nil {
		t.Fatal(err)
	}
	before := fileSum(t, db)
	for _, args := range [][]string{
		{"audit", "verify"},
		{"screenings", "--day", "2030-05-02"},
		{"bookings", "list", "--day", "all"},
		{"guard", "list"},
		{"db", "check"},
	} {
		code, out, errs := runCLI(t, "", append(args, "--db", db)...)
		if code != 0 {
			t.Errorf("%v: exit %d: %s%s", args, code, out, errs)
		}
		if fileSum(t, db) != before {
			t.Fatalf("%v changed the file", args)
		}
	}
}
