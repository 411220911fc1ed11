package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/thermogate/thermogate/internal/admin"
	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

// seeded is a database with a day of screenings yesterday and a booking.
func seeded(t *testing.T) (string, storage.Day) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.db")
	loc := config.Default().Location()
	db, err := storage.Open(path, storage.Options{Vocabulary: kiosk.Vocabulary(), Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	yesterday := storage.DayOf(time.Now(), loc).AddDays(-1)
	shown := 36.6
	for i := range 5 {
		_, err := db.Append(context.Background(), storage.Screening{
			Time: yesterday.Start(loc).Add(time.Duration(9+i) * time.Hour), Kiosk: "door-1",
			Decision: string(kiosk.Admit), Reason: string(kiosk.ReasonOK), ShownC: &shown, ThresholdC: 37.3,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ImportBookings(context.Background(), storage.ActorAdmin, "b.csv", []byte("code,start\nAB12CD,2030-05-02 09:00\n"), "", false); err != nil {
		t.Fatal(err)
	}
	return path, yesterday
}

// serve runs an admin socket on path's database, as the kiosk does.
func serve(t *testing.T, path string) *storage.DB {
	t.Helper()
	db, err := storage.Open(path, storage.Options{Vocabulary: kiosk.Vocabulary(), Location: config.Default().Location()})
	if err != nil {
		t.Fatal(err)
	}
	l, err := admin.Listen(config.SocketPath(path), admin.ListenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: admin.Handler(admin.Local{DB: db})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close(); db.Close() })
	return db
}

func TestDBBackupFromTheFileAndThroughTheKiosk(t *testing.T) {
	t.Setenv("THERMOGATE_MAIN", "1")
	path, day := seeded(t)
	for _, how := range []string{"file", "kiosk"} {
		if how == "kiosk" {
			serve(t, path)
		}
		to := filepath.Join(t.TempDir(), "copy.db")
		code, out, errs := runCLI(t, "", "db", "backup", "--db", path, "--to", to)
		if code != 0 || !strings.Contains(out, "backup written to "+to) {
			t.Fatalf("%s: exit %d %q %q", how, code, out, errs)
		}
		if fi, err := os.Stat(to); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", how, fi, err)
		}
		// The copy is the database: same screenings, chains intact, checks clean.
		code, out, errs = runCLI(t, "", "screenings", "--db", to, "--day", day.String())
		if code != 0 || strings.Count(out, "admit") != 5 {
			t.Errorf("%s: screenings of the copy: %q %q", how, out, errs)
		}
		code, out, errs = runCLI(t, "", "db", "check", "--db", to)
		if code != 0 || !strings.Contains(out, "database ok") {
			t.Errorf("%s: check of the copy: %q %q", how, out, errs)
		}
	}
	code, _, errs := runCLI(t, "", "db", "backup", "--db", path)
	if code != 2 || !strings.Contains(errs, "--to FILE is required") {
		t.Errorf("no --to: %d %q", code, errs)
	}
}

// The hash chains against a manifest, through the CLI: a tail cut after
// the export (the heads rewound) is named.
func TestAuditVerifyManifest(t *testing.T) {
	path, day := seeded(t)
	dir := t.TempDir()
	if code, _, errs := runCLI(t, "", "export", "--db", path, "--dir", dir, "--day", day.String()); code != 0 {
		t.Fatal(errs)
	}
	manifest := filepath.Join(dir, "manifest-"+day.String()+".json")
	code, out, errs := runCLI(t, "", "audit", "verify", "--db", path, "--manifest", manifest)
	if code != 0 || !strings.Contains(out, "screenings intact: 5") || !strings.Contains(out, "the chains hold where manifest-"+day.String()+".json recorded them") {
		t.Fatalf("before: exit %d %q %q", code, out, errs)
	}
	// Remove the last screening and rewind the head, with bbolt itself.
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bbolt.Tx) error {
		scr := tx.Bucket([]byte("screenings"))
		k, _ := scr.Cursor().Last()
		if err := scr.Delete(k); err != nil {
			return err
		}
		idx := tx.Bucket([]byte("screening_times"))
		c := idx.Cursor()
		for ik, _ := c.First(); ik != nil; ik, _ = c.Next() {
			if string(ik[8:]) == string(k) {
				idx.Delete(ik)
				break
			}
		}
		_, v := scr.Cursor().Last()
		sum := storageHash(v)
		return tx.Bucket([]byte("meta")).Put([]byte("screening_head"), []byte(`{"id":4,"hash":"`+sum+`"}`))
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, _, errs = runCLI(t, "", "audit", "verify", "--db", path, "--manifest", manifest)
	if code != 1 || !strings.Contains(errs, "hash chain broken at screening 5") || !strings.Contains(errs, "removed from the end after the export") {
		t.Errorf("after the cut: exit %d %q", code, errs)
	}
}

// A damaged file gets a clear message from every command, never a panic.
func TestCorruptFileCommands(t *testing.T) {
	path, day := seeded(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 2 * 4096; i < len(data); i++ {
		data[i] ^= 0xa5
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("THERMOGATE_MAIN", "1")
	for _, args := range [][]string{
		{"screenings", "--day", day.String()},
		{"audit", "verify"},
		{"bookings", "list", "--day", "all"},
		{"db", "check"},
	} {
		code, out, errs := runCLI(t, "", append(args, "--db", path)...)
		if code != 1 || !strings.Contains(errs, "database corrupt: ") || !strings.Contains(errs, "restore from a backup") {
			t.Errorf("%v: exit %d %q %q", args, code, out, errs)
		}
	}
}

func storageHash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
