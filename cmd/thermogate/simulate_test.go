package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

func TestSimulateCommand(t *testing.T) {
	bookings := writeFile(t, "b.csv", "code,start\nAB12CD,2026-11-24 09:00\nEF34GH,2026-11-24 09:15\n")
	visitors := writeFile(t, "v.csv", "at,code,symptoms,forehead,retest,fault\n"+
		"2026-11-24 09:00,ab-12-cd,no,35.3,,\n"+
		"2026-11-24 09:10,EF34GH,no,36.4,35.4,\n"+
		"2026-11-24 09:20,garbage!,no,,,\n")
	db := filepath.Join(t.TempDir(), "sim.db")
	cfg := writeFile(t, "c.toml", "[rule]\nthreshold_c = 37.5\n")
	code, out, errs := runCLI(t, "", "simulate", "--config", cfg, "--visitors", visitors, "--bookings", bookings, "--db", db)
	want := `{"at":"2026-11-24 09:00:00","code":"ab-12-cd","decision":"admit","reason":"ok","shown_c":36.8,"door":true}
{"at":"2026-11-24 09:10:00","code":"EF34GH","decision":"admit","reason":"ok","shown_c":36.9,"door":true}
{"at":"2026-11-24 09:20:00","code":"garbage!","decision":"deny","reason":"unknown_code","shown_c":null}
`
	if code != 0 || out != want {
		t.Fatalf("exit %d, stderr %q\n%s\nwant\n%s", code, errs, out, want)
	}
	if !strings.Contains(errs, "3 visitors") || !strings.Contains(errs, db) {
		t.Fatalf("summary %q", errs)
	}
	code, out, _ = runCLI(t, "", "screenings", "--db", db, "--day", "2026-11-24")
	if code != 0 || !strings.Contains(out, "AB12CD  admit     ok      36.8") || !strings.Contains(out, "EF34GH  admit     ok      36.9   yes") {
		t.Fatalf("screenings: exit %d\n%s", code, out)
	}

	d, err := storage.Open(db, storage.Options{Vocabulary: kiosk.Vocabulary(), Location: config.Default().Location()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var stored []storage.Screening
	d.Screenings(context.Background(), storage.NewDay(2026, 11, 24), func(s storage.Screening) error { stored = append(stored, s); return nil })
	if len(stored) != 2 || stored[1].ThresholdC != 37.5 || !stored[1].Retest || stored[0].Kiosk != "simulate:door-1" {
		t.Fatalf("stored %+v", stored)
	}

	prod := writeFile(t, "prod.toml", "[store]\npath = \""+db+"\"\n")
	if code, _, errs := runCLI(t, "", "simulate", "--config", prod, "--visitors", visitors, "--db", db); code != 2 || !strings.Contains(errs, "the kiosk's own database") {
		t.Fatalf("simulate into the kiosk's own database: exit %d %q", code, errs)
	}

	bad := writeFile(t, "bad.csv", "at,code\n2026-11-24 09:00,A\n2026-11-24 08:00,B\n")
	if code, _, errs := runCLI(t, "", "simulate", "--visitors", bad); code != 1 || !strings.Contains(errs, "line 3") {
		t.Fatalf("malformed visitors: exit %d %q", code, errs)
	}
	if code, _, errs := runCLI(t, "", "simulate"); code != 2 || !strings.Contains(errs, "--visitors") {
		t.Fatalf("no visitors: exit %d %q", code, errs)
	}
}

// TestSimulateWithoutSyncStampsTheOutboxIdentity: a --db a synced run left
// with an outbox keeps queuing when simulate runs without the central
// database (--no-fleet, or no [fleet] url); its records go out with the
// next synced run under the outbox's identity, so they must carry that
// name, not "simulate:<kiosk_id>". An outbox that is not a simulation of
// this kiosk (a copy of a door's own database) is refused, nothing stored.
func TestSimulateWithoutSyncStampsTheOutboxIdentity(t *testing.T) {
	ctx := context.Background()
	visitors := writeFile(t, "v.csv", "at,code,symptoms,forehead,retest,fault\n2026-11-24 09:00,AB12CD,no,35.3,,\n")
	bookings := writeFile(t, "b.csv", "code,start\nAB12CD,2026-11-24 09:00\n")
	cfg := writeFile(t, "c.toml", "kiosk_id = \"door-1\"\n")
	withOutbox := func(id string) string {
		t.Helper()
		path := filepath.Join(t.TempDir(), "sim.db")
		d, err := storage.Open(path, storage.Options{Vocabulary: kiosk.Vocabulary(), Location: config.Default().Location()})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if _, err := d.EnableOutbox(ctx, id); err != nil {
			t.Fatal(err)
		}
		return path
	}
	read := func(path string) (stored []storage.Screening, queued []storage.OutboxItem) {
		t.Helper()
		d, err := storage.Open(path, storage.Options{Vocabulary: kiosk.Vocabulary(), Location: config.Default().Location()})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		d.Screenings(ctx, storage.NewDay(2026, 11, 24), func(s storage.Screening) error { stored = append(stored, s); return nil })
		queued, err = d.Outbox(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		return stored, queued
	}

	const run = "simulate:door-1:20261124T080000Z"
	db := withOutbox(run)
	code, out, errs := runCLI(t, "", "simulate", "--config", cfg, "--no-fleet", "--visitors", visitors, "--bookings", bookings, "--db", db)
	if code != 0 || out == "" || !strings.Contains(errs, "queues for the central database as "+run) {
		t.Errorf("simulate --no-fleet into a synced --db: exit %d %q", code, errs)
	}
	stored, queued := read(db)
	if len(stored) != 1 || stored[0].Kiosk != run {
		t.Errorf("stored %+v; want one screening stamped %s, the name its outbox pushes it under", stored, run)
	}
	for _, it := range queued {
		if it.Kind == storage.OutboxScreening && !strings.Contains(string(it.Record), `"kiosk":"`+run+`"`) {
			t.Errorf("queued under %s: %s", run, it.Record)
		}
	}

	door := withOutbox("door-1") // a copy of the door's own database
	code, _, errs = runCLI(t, "", "simulate", "--config", cfg, "--visitors", visitors, "--bookings", bookings, "--db", door)
	if code != 2 || !strings.Contains(errs, `as "door-1"`) || !strings.Contains(errs, "use another --db") {
		t.Errorf("simulate into a door's outbox: exit %d %q; want refused", code, errs)
	}
	if stored, queued := read(door); len(stored) != 0 || len(queued) != 0 {
		t.Errorf("refused, yet %d screenings stored and %d records queued as door-1", len(stored), len(queued))
	}
}
