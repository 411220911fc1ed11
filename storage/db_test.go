package storage

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func TestOpenSecondProcessGetsErrLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := Open(path, Options{Vocabulary: testVocab})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// bbolt's flock is per open file, so a second Open in this process
	// meets the lock exactly as another process would.
	start := time.Now()
	_, err = Open(path, Options{Vocabulary: testVocab, Timeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "database in use by another thermogate process") || !strings.Contains(err.Error(), path) {
		t.Errorf("message %q should name the file and say it is in use", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second open took %v; the timeout was 100ms", d)
	}
	db.Close()
	db2, err := Open(path, Options{Vocabulary: testVocab, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	db2.Close()
}

func TestOpenSchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := Open(path, Options{Vocabulary: testVocab})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.view(func(tx *bbolt.Tx) error {
		if got := string(tx.Bucket(bucketMeta).Get(metaSchema)); got != "2" {
			t.Errorf("schema %q, want 2", got)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// A newer thermogate wrote the file.
	if err := db.update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketMeta).Put(metaSchema, []byte("3")) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(path, Options{Vocabulary: testVocab})
	if !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), "schema 3") {
		t.Fatalf("open newer schema: %v, want ErrNewerSchema naming schema 3", err)
	}
}

func TestOpenRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	// A bbolt file of some other program.
	other := filepath.Join(dir, "other.db")
	b, err := bbolt.Open(other, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("widgets")); return err })
	b.Close()
	if _, err := Open(other, Options{Vocabulary: testVocab}); !errors.Is(err, ErrNotThermogate) {
		t.Errorf("open another program's bbolt file: %v, want ErrNotThermogate", err)
	}
	// Not a database at all.
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte(strings.Repeat("hello\n", 2000)), 0o600)
	if _, err := Open(text, Options{Vocabulary: testVocab}); err == nil {
		t.Error("opened a text file as a database")
	}
	// MustExist does not create.
	missing := filepath.Join(dir, "missing.db")
	if _, err := Open(missing, Options{Vocabulary: testVocab, MustExist: true}); !errors.Is(err, ErrNoDatabase) {
		t.Errorf("MustExist on a missing file: %v, want ErrNoDatabase", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Error("MustExist created the file")
	}
}

func TestOpenCreatesFileMode0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := Open(path, Options{Vocabulary: testVocab})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600: the file holds health data", fi.Mode().Perm())
	}
}

func TestDay(t *testing.T) {
	loc := vilnius(t)
	d, err := ParseDay("2026-03-29") // clocks go forward: a 23-hour day
	if err != nil {
		t.Fatal(err)
	}
	if got := d.AddDays(1).Start(loc).Sub(d.Start(loc)); got != 23*time.Hour {
		t.Errorf("2026-03-29 in Vilnius lasts %v, want 23h", got)
	}
	if d.String() != "2026-03-29" || d.AddDays(3).String() != "2026-04-01" || !d.Before(d.AddDays(1)) || d.Before(d) {
		t.Errorf("day arithmetic wrong: %v %v", d, d.AddDays(3))
	}
	if DayOf(time.Date(2026, 3, 28, 22, 30, 0, 0, time.UTC), loc) != d {
		t.Error("22:30 UTC on the 28th is the 29th in Vilnius")
	}
	for _, bad := range []string{"", "2026-3-1", "2026-02-30", "yesterday"} {
		if _, err := ParseDay(bad); err == nil {
			t.Errorf("ParseDay(%q) accepted", bad)
		}
	}
	var back Day
	if err := back.UnmarshalText([]byte(d.String())); err != nil || back != d {
		t.Errorf("text round trip: %v %v", back, err)
	}
}
