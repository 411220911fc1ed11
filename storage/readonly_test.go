package storage

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// readAll runs every read on a read-only database and checks that a change
// is refused with ErrReadOnly.
func readAll(db *DB) error {
	ctx := context.Background()
	if _, err := db.Bookings(ctx, Day{}); err != nil {
		return err
	}
	if err := db.Screenings(ctx, NewDay(2026, 3, 14), func(Screening) error { return nil }); err != nil {
		return err
	}
	if _, err := db.Guards(ctx); err != nil {
		return err
	}
	if r, err := db.VerifyAudit(ctx); err != nil || !r.OK {
		return errors.Join(err, errors.New("audit verify: "+r.Problem))
	}
	if r, err := db.Check(ctx); err != nil || !r.OK {
		return errors.Join(err, errors.New("check failed"))
	}
	if _, err := db.WriteTo(io.Discard); err != nil {
		return err
	}
	if _, err := db.Audit(ctx, ActorAdmin, "x", ""); !errors.Is(err, ErrReadOnly) {
		return errors.Join(err, errors.New("a change on a read-only database was not refused"))
	}
	return nil
}

// TestReadOnlyOpenAsAnotherUser opens a mode 0400 file of another user
// read-only, as that user: root ignores file modes, so the test drops to
// nobody to have a path on which writing really fails (issue 11, item 8).
func TestReadOnlyOpenAsAnotherUser(t *testing.T) {
	if p := os.Getenv("THERMOGATE_RO_CHILD"); p != "" {
		if _, err := os.OpenFile(p, os.O_RDWR, 0); !errors.Is(err, os.ErrPermission) {
			t.Fatalf("the file can be opened for writing (%v): not a read-only path", err)
		}
		db, err := Open(p, Options{Vocabulary: testVocab, ReadOnly: true, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := readAll(db); err != nil {
			t.Fatal(err)
		}
		return
	}
	src := fullDB(t)
	dir, err := os.MkdirTemp("", "thermogate-ro-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "evidence.db")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o400); err != nil {
		t.Fatal(err)
	}
	before := hashHex(data)
	if os.Geteuid() != 0 {
		db, err := Open(path, Options{Vocabulary: testVocab, ReadOnly: true, Location: vilnius(t)})
		if err != nil {
			t.Fatal(err)
		}
		if err := readAll(db); err != nil {
			t.Fatal(err)
		}
		db.Close()
	} else {
		// As nobody: a copy of this test binary they may run, the file theirs
		// with mode 0400.
		const nobody = 65534
		self, err := os.ReadFile(os.Args[0])
		if err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(dir, "storage.test")
		if err := os.WriteFile(bin, self, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{dir, path} {
			if err := os.Chown(p, nobody, nobody); err != nil {
				t.Fatal(err)
			}
		}
		os.Chmod(dir, 0o755)
		cmd := exec.Command(bin, "-test.run=^TestReadOnlyOpenAsAnotherUser$", "-test.v")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "THERMOGATE_RO_CHILD="+path, "HOME="+dir, "TZ=Europe/Vilnius")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("as nobody: %v\n%s", err, out)
		}
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if hashHex(after) != before {
		t.Fatal("reading changed the file")
	}
}
