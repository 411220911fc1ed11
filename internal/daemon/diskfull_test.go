package daemon

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/admin"
	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
	"github.com/thermogate/thermogate/storage/storagetest"
)

// TestDiskFullTakesTheKioskOutOfService: the daemon watches the
// filesystem of store.path. Filled below store.min_free (the real statfs
// of the database's directory, less a filler as fallocate would take), the
// kiosk goes out of service with the cause disk_full on its screen, on
// /healthz and in `thermogate status`; a code is refused and nothing is
// stored; with room again it screens by itself.
func TestDiskFullTakesTheKioskOutOfService(t *testing.T) {
	addr := freeAddr(t)
	c := testConfig(t, func(c *config.Config) {
		c.Metrics.Listen = addr
		c.Store.MinFree = "8MB"
	})
	dir := filepath.Dir(c.Store.Path)
	disk := &storagetest.Disk{Full: 3_000_000}
	free := disk.FreeSpace
	if n, err := storage.FreeSpace(t.TempDir()); err != nil || n < 16_000_000 {
		t.Skipf("the test's filesystem has %d bytes free (%v): too little to tell full from not", n, err)
	}
	d, err := Open(c, Options{Notify: &recorder{}, ProbeEvery: 20 * time.Millisecond, FreeSpace: free})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.DB().ImportBookings(context.Background(), storage.ActorAdmin, "b.csv",
		[]byte("code,start\nAB12CD,"+time.Now().Format(time.RFC3339)+"\n"), "csv", false); err != nil {
		t.Fatal(err)
	}
	r := runDaemon(t, d)
	base := "http://" + addr
	r.waitFor(t, kiosk.Idle, nil)
	waitHealth(t, base, http.StatusOK, "in service\n")

	disk.Fill(true)
	r.waitFor(t, kiosk.OutOfService, func(s kiosk.State) bool { return s.OutOfService == kiosk.OOSDiskFull })
	if got := disk.Asked(); got != dir {
		t.Fatalf("free space asked of %q, want store.path's directory %q", got, dir)
	}
	waitHealth(t, base, http.StatusServiceUnavailable, "out of service: disk_full\n")
	cl, err := admin.Dial(context.Background(), config.SocketPath(c.Store.Path))
	if err != nil {
		t.Fatal(err)
	}
	status, err := cl.Status(context.Background())
	cl.Close()
	if err != nil || status.Cause != kiosk.OOSDiskFull || !strings.Contains(status.Text, "OUT OF SERVICE: disk_full — the data disk is (nearly) full") {
		t.Errorf("status: %v %q\n%s", err, status.Cause, status.Text)
	}
	d.Flow().EnterCode("AB12CD")
	time.Sleep(100 * time.Millisecond) // several probes
	if st := d.Flow().State(); st.Screen != kiosk.OutOfService || st.OutOfService != kiosk.OOSDiskFull {
		t.Fatalf("a code on a full disk: %s %q", st.Screen, st.OutOfService)
	}
	n := 0
	if err := d.DB().Screenings(context.Background(), storage.DayOf(time.Now(), c.Location()), func(storage.Screening) error { n++; return nil }); err != nil || n != 0 {
		t.Fatalf("stored on a full disk: %d, %v", n, err)
	}

	disk.Fill(false)
	r.waitFor(t, kiosk.Idle, nil)
	waitHealth(t, base, http.StatusOK, "in service\n")
}
