package daemon

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/thermogate/thermogate/kiosk"
)

// TestDiskFullWatchesTheDatabasesOwnDisk: with store.path a symlink to a
// database on another disk (a data partition mounted elsewhere, the link
// left where the configuration points), the idle probe must measure the
// disk the database is on, not the one holding the link: that one can have
// room while the database's is full.
func TestDiskFullWatchesTheDatabasesOwnDisk(t *testing.T) {
	c := testConfig(t, nil)
	linkDir := filepath.Dir(c.Store.Path)
	dataDir := t.TempDir() // stands for the data partition
	real := filepath.Join(dataDir, "thermogate.db")
	if err := os.MkdirAll(linkDir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, c.Store.Path); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var asked []string
	free := func(d string) (uint64, error) {
		mu.Lock()
		asked = append(asked, d)
		mu.Unlock()
		if d == linkDir {
			return 1 << 40, nil // the link's disk: plenty of room
		}
		return 1000, nil // any other: full
	}
	d, err := Open(c, Options{Notify: &recorder{}, ProbeEvery: 20 * time.Millisecond, FreeSpace: free})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := os.Stat(real); err != nil {
		t.Fatalf("the database is not where the link points: %v", err)
	}
	r := runDaemon(t, d)
	r.waitFor(t, kiosk.OutOfService, func(s kiosk.State) bool { return s.OutOfService == kiosk.OOSDiskFull })
	mu.Lock()
	defer mu.Unlock()
	for _, a := range asked {
		if a != dataDir {
			t.Fatalf("free space asked of %q, want the database's own directory %q (store.path %s is a link to %s)", a, dataDir, c.Store.Path, real)
		}
	}
}
