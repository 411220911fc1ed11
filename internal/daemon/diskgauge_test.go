package daemon

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/thermogate/thermogate/internal/config"
)

// TestDataDiskGauge: the daemon's metrics carry the free space of the
// disk the database really is on (store.path a link to the data
// partition), measured by the same FreeSpace the idle probe uses, and
// store.min_free beside it, so the alert warns about the disk that will
// stop the kiosk.
func TestDataDiskGauge(t *testing.T) {
	c := testConfig(t, func(c *config.Config) { c.Store.MinFree = "8MB" })
	linkDir := filepath.Dir(c.Store.Path)
	dataDir := t.TempDir() // stands for the data partition
	if err := os.MkdirAll(linkDir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dataDir, "thermogate.db"), c.Store.Path); err != nil {
		t.Fatal(err)
	}
	free := func(d string) (uint64, error) {
		if d == dataDir {
			return 12_345_678, nil
		}
		return 1 << 40, nil // the link's disk, or any other: plenty
	}
	d, err := Open(c, Options{Notify: &recorder{}, FreeSpace: free})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if got, ok := metricValue(t, d, "thermogate_data_disk_free_bytes"); !ok || got != 12_345_678 {
		t.Errorf("thermogate_data_disk_free_bytes = %.0f (present %v), want 12345678: the free space of %s, where the link points", got, ok, dataDir)
	}
	if got, ok := metricValue(t, d, "thermogate_data_disk_min_free_bytes"); !ok || got != 8_000_000 {
		t.Errorf("thermogate_data_disk_min_free_bytes = %.0f (present %v), want store.min_free's 8000000", got, ok)
	}
}
