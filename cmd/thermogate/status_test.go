package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// `thermogate status` shows the running kiosk's screen of facts through its
// socket, and says plainly when no kiosk runs.
func TestStatus(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runCLI(t, "", "status", "--db", filepath.Join(dir, "thermogate.db"))
	if code != 1 || out != "" || !strings.Contains(errs, "the kiosk is not running: nothing answers on "+filepath.Join(dir, "thermogate.sock")) {
		t.Fatalf("status without a kiosk: exit %d, stdout %q, stderr %q", code, out, errs)
	}

	_, db := startKiosk(t, dir)
	for i := 0; ; i++ {
		code, out, errs = runCLI(t, "", "status", "--db", db)
		if code == 0 || i == 100 {
			break
		}
		time.Sleep(50 * time.Millisecond) // the first probe of the sensor
	}
	if code != 0 || errs != "" {
		t.Fatalf("status: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	for _, want := range []string{"Service:", "IN SERVICE", "Room:", "Screenings:", "0 since start", "Sensor errors:", "Export:", "Database:"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
}
