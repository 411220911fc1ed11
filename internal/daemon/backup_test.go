package daemon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

// The nightly run leaves a checked copy of the database beside the export
// and keeps the newest export.backups of them; other files stay.
func TestNightlyBackupKeepsTheLastN(t *testing.T) {
	c := testConfig(t, func(c *config.Config) { c.Export.Backups = 3 })
	if err := os.MkdirAll(c.Export.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"backup-2026-01-01.db", "backup-2026-01-02.db", "backup-2026-01-03.db", "backup-2026-01-04.db", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(c.Export.Dir, name), []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	d := open(t, c, &recorder{})
	screen(t, d.db, time.Now(), 36.6)
	d.exportDue(context.Background())

	entries, _ := os.ReadDir(c.Export.Dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	today := storage.BackupName(storage.DayOf(time.Now(), c.Location()))
	want := []string{"backup-2026-01-03.db", "backup-2026-01-04.db", today, "notes.txt"}
	if len(names) != len(want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("files %v, want %v", names, want)
		}
	}
	fi, err := os.Stat(filepath.Join(c.Export.Dir, today))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup %v %v", fi, err)
	}
	// The copy is a working database with today's screening.
	b, err := storage.Open(filepath.Join(c.Export.Dir, today), storage.Options{Vocabulary: kiosk.Vocabulary(), ReadOnly: true, Location: c.Location()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	n := 0
	b.Screenings(context.Background(), storage.DayOf(time.Now(), c.Location()), func(storage.Screening) error { n++; return nil })
	if r, err := b.VerifyAudit(context.Background()); n != 1 || err != nil || !r.OK {
		t.Errorf("backup: %d screenings, %+v %v", n, r, err)
	}
}

// A damaged database file must not stop the daemon (systemd would restart
// it into the same file forever): it opens, every store call fails with
// ErrCorrupt, and the nightly run logs instead of panicking.
func TestCorruptDatabaseDoesNotStopTheDaemon(t *testing.T) {
	c := testConfig(t, nil)
	d := open(t, c, &recorder{})
	screen(t, d.db, time.Now().Add(-48*time.Hour), 36.6)
	d.Close()
	data, err := os.ReadFile(c.Store.Path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 4096; i < len(data); i++ { // every page but the first meta: bbolt is lost
		data[i] = 0xff
	}
	if err := os.WriteFile(c.Store.Path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	d2, err := Open(c, Options{Notify: &recorder{}})
	if err != nil {
		t.Fatalf("open on a damaged file: %v", err)
	}
	defer d2.Close()
	if !errors.Is(d2.DB().Err(), storage.ErrCorrupt) {
		t.Fatalf("db.Err() = %v, want ErrCorrupt", d2.DB().Err())
	}
	d2.exportDue(context.Background()) // logs; must not panic
	if _, err := d2.DB().Booking(context.Background(), "AB12CD"); !errors.Is(err, storage.ErrCorrupt) {
		t.Errorf("booking lookup: %v", err)
	}
}
