package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/fleet"
	"github.com/thermogate/thermogate/internal/pgtest"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

// TestFleetCommands runs the office's commands against a real server, as
// an administrator would, and a kiosk's agent with what add-kiosk printed.
func TestFleetCommands(t *testing.T) {
	srv, db := pgtest.ForTest(t)
	ctx := context.Background()
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "admin-pw")
	os.WriteFile(pwFile, []byte(srv.Password()+"\n"), 0o600)
	url := srv.URL(db, pgtest.Superuser, "")
	cfg := writeFile(t, "c.toml", "timezone = \"Europe/Vilnius\"\n")
	admin := func(args ...string) (int, string, string) {
		t.Helper()
		full := append([]string{"fleet"}, args[0])
		if args[0] == "bookings" {
			full = append(full, args[1])
			args = args[1:]
		}
		full = append(full, "--url", url, "--password-file", pwFile)
		if args[0] != "migrate" && args[0] != "add-kiosk" && args[0] != "verify" && args[0] != "purge" {
			full = append(full, "--config", cfg)
		}
		return runCLI(t, "", append(full, args[1:]...)...)
	}

	if code, out, errs := admin("migrate"); code != 0 || !strings.Contains(out, "migrated to version 3") {
		t.Fatalf("migrate: %d %q %q", code, out, errs)
	}
	if code, out, _ := admin("migrate"); code != 0 || !strings.Contains(out, "up to date") {
		t.Errorf("migrate again: %d %q", code, out)
	}
	code, out, errs := admin("add-kiosk", "--location", "Archive", "cli-door-1")
	if code != 0 {
		t.Fatalf("add-kiosk: %d %q", code, errs)
	}
	m := regexp.MustCompile(`(?s)url = "postgres://(thermogate_k_cli_door_1)@.*Password \(shown once\):\s+([0-9a-f]+)`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, `location = "Archive"`) || !strings.Contains(out, `kiosk_id = "cli-door-1"`) {
		t.Fatalf("add-kiosk printed:\n%s", out)
	}
	role, password := m[1], m[2]
	if code, _, errs := admin("add-kiosk", "bad name!"); code != 1 || !strings.Contains(errs, "kiosk name") {
		t.Errorf("a bad kiosk name: %d %q", code, errs)
	}

	today := time.Now().In(mustLoc(t)).Format("2006-01-02")
	bookings := writeFile(t, "b.csv", "code,start,location\nCLI111,"+today+" 10:00,Archive\nCLI222,"+today+" 10:15,\n")
	if code, out, errs := admin("bookings", "import", bookings); code != 0 || !strings.Contains(out, "2 added") {
		t.Fatalf("import: %d %q %q", code, out, errs)
	}
	bad := writeFile(t, "bad.csv", "code,start\nOK1234,"+today+" 10:00\nx,"+today+" 10:00\n")
	if code, _, errs := admin("bookings", "import", bad); code != 1 || !strings.Contains(errs, "line 3") || !strings.Contains(errs, "nothing imported") {
		t.Errorf("bad import: %d %q", code, errs)
	}
	if code, out, errs := admin("bookings", "cancel", "cli-222"); code != 0 || !strings.Contains(out, "cancelled CLI222") {
		t.Errorf("cancel: %d %q %q", code, out, errs)
	}
	if code, _, errs := admin("bookings", "cancel", "NOPE99"); code != 1 || !strings.Contains(errs, "not found") {
		t.Errorf("cancel unknown: %d %q", code, errs)
	}

	// The kiosk, with what add-kiosk printed.
	kdb, err := storage.Open(filepath.Join(dir, "k.db"), storage.Options{Vocabulary: kiosk.Vocabulary(), Location: mustLoc(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer kdb.Close()
	fc := fleet.Default()
	fc.URL, fc.Location = srv.URL(db, role, ""), "Archive"
	kpw := filepath.Join(dir, "fleet-password")
	os.WriteFile(kpw, []byte(password+"\n"), 0o600)
	fc.PasswordFile = kpw
	agent, err := fleet.New(ctx, fleet.Options{DB: kdb, Config: fc, KioskID: "cli-door-1", Version: "v-test",
		Status: func() (bool, string) { return false, "sensor_fault" }})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := fleet.Connect(ctx, fc.URL, password)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := agent.PullOnce(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if bk, err := kdb.Booking(ctx, "CLI222"); err != nil || bk.Status != storage.StatusCancelled {
		t.Errorf("at the kiosk: %+v %v", bk, err)
	}
	s := storage.Screening{Time: time.Now(), Kiosk: "cli-door-1", Code: "CLI111", Decision: string(kiosk.Admit), Reason: string(kiosk.ReasonOK),
		Model: "offset/1", ThresholdC: 37.3, BookingUsed: true}
	if _, err := kdb.Append(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.PushOnce(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if err := agent.Heartbeat(ctx, conn); err != nil {
		t.Fatal(err)
	}

	code, out, errs = admin("status")
	if code != 0 || !regexp.MustCompile(`cli-door-1\s+Archive\s+\S+ \S+\s+OUT: sensor_fault\s+0\s+\d+/\d+\s+v-test`).MatchString(out) {
		t.Errorf("status: %d %q %q", code, out, errs)
	}
	code, out, errs = admin("report", "--day", today)
	if code != 0 || !strings.Contains(out, "cli-door-1: 1 screenings (admit 1, deny 0, refer 0)") || !strings.Contains(out, "admit/ok") {
		t.Errorf("report: %d %q %q", code, out, errs)
	}
	if code, _, errs := admin("report", "--day", "yesterday"); code != 2 || !strings.Contains(errs, "--day") {
		t.Errorf("report with a bad day: %d %q", code, errs)
	}
	code, out, errs = admin("verify")
	if code != 0 || !strings.Contains(out, "cli-door-1 screening: 1 (1–1)") {
		t.Errorf("verify: %d %q %q", code, out, errs)
	}
	if code, _, errs := admin("purge"); code != 2 || !strings.Contains(errs, "--older-than is required") {
		t.Errorf("purge without age: %d %q", code, errs)
	}
	if code, out, errs := admin("purge", "--older-than", "30d"); code != 0 || !strings.Contains(out, "purged 0 screenings") {
		t.Errorf("purge: %d %q %q", code, out, errs)
	}
	// simulate on the kiosk, with its [fleet] config.
	kcfg := filepath.Join(dir, "kiosk.toml")
	os.WriteFile(kcfg, []byte("kiosk_id = \"cli-door-1\"\ntimezone = \"Europe/Vilnius\"\n[fleet]\nurl = \""+fc.URL+"\"\nlocation = \"Archive\"\n"), 0o600)
	simDB := filepath.Join(dir, "sim.db")
	simulateFleet := func(extra ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append([]string{"simulate", "--config", kcfg, "--db", simDB,
			"--fleet-password-file", kpw,
			"--bookings", "../../deploy/examples/bookings.csv", "--visitors", "../../deploy/examples/visitors.csv"}, extra...)...)
	}
	expected, err := os.ReadFile("../../deploy/examples/simulate-expected.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs = simulateFleet()
	if code != 0 || out != string(expected) {
		t.Fatalf("simulate with [fleet]: exit %d, stderr %q\n%s\nwant the examples' decisions\n%s", code, errs, out, expected)
	}
	simID := regexp.MustCompile(`simulating as (simulate:cli-door-1:\d{8}T\d{6}Z)`).FindStringSubmatch(errs)
	if simID == nil || !strings.Contains(errs, "sent ") {
		t.Fatalf("simulate's stderr: %q", errs)
	}
	sdb, err := storage.Open(simDB, storage.Options{Vocabulary: kiosk.Vocabulary(), Location: mustLoc(t)})
	if err != nil {
		t.Fatal(err)
	}
	var local int
	sdb.Screenings(ctx, storage.NewDay(2026, 11, 24), func(s storage.Screening) error {
		if s.Kiosk != simID[1] {
			t.Errorf("simulated screening stored as %q, pushed as %s", s.Kiosk, simID[1])
		}
		local++
		return nil
	})
	_, pulled := sdb.Booking(ctx, "CLI111")
	sdb.Close()
	if pulled != nil {
		t.Errorf("simulate did not pull the central bookings first: %v", pulled)
	}
	code, out, errs = admin("verify")
	wantLine := fmt.Sprintf("%s screening: %d (1–%d)", simID[1], local, local)
	if code != 0 || local == 0 || !strings.Contains(out, wantLine) || !strings.Contains(out, "cli-door-1 screening: 1 (1–1)") {
		t.Errorf("verify after simulate: %d %q %q; want %q and the door's own unchanged", code, out, errs, wantLine)
	}
	// Again into the same --db: the same identity, its ids go on; with
	// --no-fleet nothing reaches the central database.
	if code, _, errs := simulateFleet(); code != 0 || !strings.Contains(errs, "simulating as "+simID[1]) {
		t.Errorf("simulate again into the same --db: %d %q", code, errs)
	}
	if code, out, errs := simulateFleet("--no-fleet"); code != 0 || strings.Contains(errs, "simulating as") || out == "" {
		t.Errorf("simulate --no-fleet: %d %q", code, errs)
	}
	code, out, _ = admin("verify")
	if wantLine = fmt.Sprintf("%s screening: %d (1–%d) intact", simID[1], 2*local, 2*local); code != 0 || !strings.Contains(out, wantLine) {
		t.Errorf("verify after the second run: %q, want %q", out, wantLine)
	}

	// Leaving: refused while the config still names the fleet, then
	// --yes drops the outbox (the kiosk's database is not in use).
	kdb.Close()
	kdbFlags := []string{"fleet", "leave", "--db", filepath.Join(dir, "k.db")}
	if code, _, errs := runCLI(t, "", append(kdbFlags, "--config", kcfg)...); code != 1 || !strings.Contains(errs, "still sets [fleet] url") {
		t.Errorf("leave with url set: %d %q", code, errs)
	}
	standalone := writeFile(t, "standalone.toml", "kiosk_id = \"cli-door-1\"\n")
	if code, out, errs := runCLI(t, "", append(kdbFlags, "--config", standalone)...); code != 2 || !strings.Contains(out, "holds 0 records") || !strings.Contains(errs, "--yes") {
		t.Errorf("leave without --yes: %d %q %q", code, out, errs)
	}
	if code, out, errs := runCLI(t, "", append(kdbFlags, "--config", standalone, "--yes")...); code != 0 || !strings.Contains(out, "left the fleet as cli-door-1") {
		t.Errorf("leave --yes: %d %q %q", code, out, errs)
	}
	if code, out, _ := runCLI(t, "", append(kdbFlags, "--config", standalone, "--yes")...); code != 0 || !strings.Contains(out, "in no fleet") {
		t.Errorf("leave twice: %d %q", code, out)
	}

	// A wrong password is a clear failure, not a hang.
	bogus := filepath.Join(dir, "bogus")
	os.WriteFile(bogus, []byte("nope\n"), 0o600)
	if code, _, errs := runCLI(t, "", "fleet", "verify", "--url", url, "--password-file", bogus); code != 1 || !strings.Contains(errs, "password authentication failed") {
		t.Errorf("wrong password: %d %q", code, errs)
	}
	// simulate that cannot reach the central database stops before the
	// first visitor and says how to simulate offline.
	if code, out, errs := simulateFleet("--fleet-password-file", bogus); code != 1 || out != "" || !strings.Contains(errs, "--no-fleet") {
		t.Errorf("simulate with a wrong fleet password: %d %q %q", code, out, errs)
	}
}

func mustLoc(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/Vilnius")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
