package daemon

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

// damage overwrites every page of the bbolt file at path but the two meta
// pages, in place (the running daemon's map sees it), as a dying SD card.
func damage(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	const keep = 2 * 4096
	junk := make([]byte, fi.Size()-keep)
	for i := range junk {
		junk[i] = 0xff
	}
	if _, err := f.WriteAt(junk, keep); err != nil {
		t.Fatal(err)
	}
}

// TestCorruptDatabaseTakesTheKioskOutOfService: a damaged database file,
// found at start, on a booking lookup or on storing a screening, puts the
// kiosk out of service with the cause "database_corrupt" on its screen, in
// the metrics and on /healthz; nobody is admitted, nothing panics, and
// neither the probe nor a guard brings it back.
func TestCorruptDatabaseTakesTheKioskOutOfService(t *testing.T) {
	for _, when := range []string{"start", "lookup", "append"} {
		t.Run(when, func(t *testing.T) {
			addr := freeAddr(t)
			c := testConfig(t, func(c *config.Config) {
				c.Metrics.Listen = addr
				c.Rule.Symptoms = false
			})
			d := open(t, c, &recorder{})
			now := time.Now()
			if _, err := d.DB().ImportBookings(context.Background(), storage.ActorAdmin, "b.csv",
				[]byte("code,start\nAB12CD,"+now.Format(time.RFC3339)+"\n"), "csv", false); err != nil {
				t.Fatal(err)
			}
			if when == "start" {
				d.Close()
				damage(t, c.Store.Path)
				var err error
				if d, err = Open(c, Options{Notify: &recorder{}, ProbeEvery: 20 * time.Millisecond}); err != nil {
					t.Fatalf("open on a damaged file: %v", err)
				}
				t.Cleanup(func() { d.Close() })
				if st := d.Flow().State(); st.Screen != kiosk.OutOfService || st.OutOfService != kiosk.OOSCorrupt {
					t.Fatalf("at start: %s %q, want out of service for %q", st.Screen, st.OutOfService, kiosk.OOSCorrupt)
				}
			}
			var admitted []kiosk.State
			d.Flow().Observe(func(s kiosk.State) {
				if s.Outcome != nil && s.Outcome.Decision == kiosk.Admit {
					admitted = append(admitted, s) // on the loop goroutine; read after Run ends
				}
			})
			r := runDaemon(t, d)
			sim := d.Rig().Sim

			switch when {
			case "lookup":
				r.waitFor(t, kiosk.Idle, nil)
				damage(t, c.Store.Path)
				d.Flow().EnterCode("AB12CD")
			case "append":
				d.Flow().EnterCode("AB12CD")
				r.waitFor(t, kiosk.Measure, nil)
				damage(t, c.Store.Path)
				sim.Present(celsius(35.51)) // a healthy forehead: would be an admit
			}
			st := r.waitFor(t, kiosk.OutOfService, func(s kiosk.State) bool { return s.OutOfService == kiosk.OOSCorrupt })
			if when != "start" && (st.Outcome == nil || st.Outcome.Decision != kiosk.Refer || st.Outcome.Reason != kiosk.ReasonStorage) {
				t.Errorf("the visitor was shown %+v, want refer/storage", st.Outcome)
			}
			waitHealth(t, "http://"+addr, http.StatusServiceUnavailable, "out of service: database_corrupt\n")

			// Probes come and go; the guard cannot log in to put it back
			// (the PIN check reads the damaged file) and says why.
			d.Flow().OpenGuard()
			d.Flow().GuardLogin("Ona", "4826")
			g := r.waitFor(t, kiosk.GuardPIN, func(s kiosk.State) bool { return s.Notice == kiosk.NoticeError || s.GuardsErr != "" })
			if !strings.Contains(g.Detail+g.GuardsErr, "database corrupt") {
				t.Errorf("the guard's screen says %q / %q, want the database named", g.Detail, g.GuardsErr)
			}
			d.Flow().GuardBackInService() // not on the menu: refused
			d.Flow().GuardClose()
			time.Sleep(100 * time.Millisecond) // several probes
			if st := d.Flow().State(); st.Screen != kiosk.OutOfService || st.OutOfService != kiosk.OOSCorrupt {
				t.Fatalf("later: %s %q, want still out of service for %q", st.Screen, st.OutOfService, kiosk.OOSCorrupt)
			}
			if h := d.Metrics().Health(); h != kiosk.OOSCorrupt {
				t.Errorf("metrics health %q", h)
			}
			d.Flow().EnterCode("AB12CD")
			time.Sleep(50 * time.Millisecond)
			r.cancel()
			<-r.done
			r.done <- nil // for the cleanup
			if len(admitted) > 0 {
				t.Fatalf("admitted on a damaged database: %+v", admitted[0])
			}
		})
	}
}
