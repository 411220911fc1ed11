package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/admin"
	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBookingsCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	good := writeFile(t, "bookings.csv", "code,start,minutes,service,lang\nAB12CD,2030-05-02 09:00,15,Passports,lt\nEF34GH,2030-05-02 09:15,,,en\nJK56LM,2030-05-03 10:00,20,,\n")

	code, out, errs := runCLI(t, "", "bookings", "import", "--db", db, good)
	if code != 0 || out != "bookings.csv: 3 bookings imported: 3 added, 0 changed, 0 unchanged, 0 removed (2030-05-02, 2030-05-03)\n" {
		t.Fatalf("import: exit %d, %q %q", code, out, errs)
	}
	code, out, _ = runCLI(t, "", "bookings", "list", "--db", db, "--day", "2030-05-02")
	if code != 0 || !strings.Contains(out, "AB12CD  2030-05-02 09:00  15   lt    active") || strings.Contains(out, "JK56LM") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "bookings", "cancel", "--db", db, "ab-12-cd")
	if code != 0 || out != "AB12CD cancelled (2030-05-02 09:00, 15 min)\n" {
		t.Fatalf("cancel: exit %d %q", code, out)
	}
	code, out, _ = runCLI(t, "", "bookings", "list", "--db", db, "--day", "all")
	if code != 0 || !strings.Contains(out, "AB12CD  2030-05-02 09:00  15   lt    cancelled") || !strings.Contains(out, "JK56LM") {
		t.Fatalf("list all: exit %d\n%s", code, out)
	}

	// A bad file: every bad row named, nothing imported, exit 1.
	bad := writeFile(t, "bad.csv", "code,start,lang\nNEW001,2030-05-04 09:00,lt\nX,2030-05-04 09:00,lt\nNEW002,2030-05-04 9 o'clock,lt\nNEW001,2030-05-04 10:00,de\n")
	code, out, errs = runCLI(t, "", "bookings", "import", "--db", db, bad)
	wantErr := `thermogate bookings import: bad.csv: nothing imported, 3 problems:
  line 3: code "X": bad booking code: 1 characters, want 4–16
  line 4: start "2030-05-04 9 o'clock": want YYYY-MM-DD HH:MM (Europe/Vilnius time) or RFC 3339 such as 2026-03-14T09:00:00+02:00
  line 5: unknown language "de"; want lt, pl, ru or en (or empty)
`
	if code != 1 || out != "" || errs != wantErr {
		t.Fatalf("bad import: exit %d, stdout %q, stderr:\n%s\nwant:\n%s", code, out, errs, wantErr)
	}
	// Line 5 has two problems; the duplicate is found only among good rows.
	code, out, _ = runCLI(t, "", "bookings", "list", "--db", db, "--day", "2030-05-04")
	if code != 0 || out != "no bookings on 2030-05-04\n" {
		t.Fatalf("after bad import: %q", out)
	}

	code, _, errs = runCLI(t, "", "bookings", "cancel", "--db", db, "NOPE99")
	if code != 1 || !strings.Contains(errs, "NOPE99: not found") {
		t.Errorf("cancel unknown: exit %d %q", code, errs)
	}
	code, _, errs = runCLI(t, "", "bookings", "list", "--db", db, "--day", "may 2")
	if code != 2 || !strings.Contains(errs, `--day "may 2": want YYYY-MM-DD`) {
		t.Errorf("bad --day: exit %d %q", code, errs)
	}
	code, _, errs = runCLI(t, "", "bookings", "list", "--db", db, "--timezone", "Mars/Olympus")
	if code != 2 || !strings.Contains(errs, "--timezone") {
		t.Errorf("bad --timezone: exit %d %q", code, errs)
	}
	code, _, errs = runCLI(t, "", "bookings", "import", good, "--db", db)
	if code != 2 || !strings.Contains(errs, "flag --db after the arguments: flags come first") {
		t.Errorf("flag after argument: exit %d %q", code, errs)
	}
	code, _, errs = runCLI(t, "", "bookings", "list", "--db", filepath.Join(t.TempDir(), "typo.db"))
	if code != 1 || !strings.Contains(errs, "no database file (check --db)") {
		t.Errorf("missing database: exit %d %q", code, errs)
	}
	// JSON from standard input.
	code, out, errs = runCLI(t, `[{"code":"QQ11WW","start":"2030-05-05T08:00:00Z","lang":"PL"}]`, "bookings", "import", "--db", db, "-")
	if code != 0 || !strings.Contains(out, "1 bookings imported: 1 added") {
		t.Errorf("JSON on stdin: exit %d %q %q", code, out, errs)
	}
}

func TestImportReplaceFlag(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	first := writeFile(t, "a.csv", "code,start\nAB12CD,2030-05-02 09:00\nEF34GH,2030-05-02 09:15\n")
	second := writeFile(t, "b.csv", "code,start\nAB12CD,2030-05-02 11:00\n")
	if code, _, errs := runCLI(t, "", "bookings", "import", "--db", db, first); code != 0 {
		t.Fatal(errs)
	}
	code, _, errs := runCLI(t, "", "bookings", "import", "--db", db, second)
	if code != 1 || !strings.Contains(errs, "line 2: code AB12CD is already booked for 2030-05-02 09:00, 15 min") {
		t.Fatalf("without --replace: exit %d %q", code, errs)
	}
	code, out, errs := runCLI(t, "", "bookings", "import", "--replace", "--db", db, second)
	if code != 0 || !strings.Contains(out, "1 changed, 0 unchanged, 1 removed") {
		t.Fatalf("--replace: exit %d %q %q", code, out, errs)
	}
}

func TestGuardCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	code, out, errs := runCLI(t, "4729\n", "guard", "add", "--db", db, "Ona")
	if code != 0 || out != "guard Ona added\n" {
		t.Fatalf("add: exit %d %q %q", code, out, errs)
	}
	for _, tt := range []struct{ stdin, want string }{
		{"1234\n", "PIN refused: digits in a row"},
		{"12\n", "PIN refused: want 4 to 8 digits"},
		{"", "no PIN on standard input"},
	} {
		code, _, errs := runCLI(t, tt.stdin, "guard", "add", "--db", db, "Jonas")
		if code != 1 || !strings.Contains(errs, tt.want) {
			t.Errorf("PIN %q: exit %d %q", tt.stdin, code, errs)
		}
	}
	code, _, errs = runCLI(t, "1357\n", "guard", "add", "--db", db, "ONA")
	if code != 1 || !strings.Contains(errs, "already exists") {
		t.Errorf("duplicate: exit %d %q", code, errs)
	}
	code, out, _ = runCLI(t, "", "guard", "list", "--db", db)
	if code != 0 || !strings.Contains(out, "Ona") || !strings.Contains(out, "m=32768,t=3,p=2") || strings.Contains(out, "4729") {
		t.Errorf("list: %q", out)
	}
	code, out, _ = runCLI(t, "", "guard", "remove", "--db", db, "Ona")
	if code != 0 || out != "guard Ona removed\n" {
		t.Errorf("remove: exit %d %q", code, out)
	}
	code, _, errs = runCLI(t, "", "guard", "remove", "--db", db, "Ona")
	if code != 1 || !strings.Contains(errs, "not found") {
		t.Errorf("remove twice: exit %d %q", code, errs)
	}
	code, out, _ = runCLI(t, "", "audit", "verify", "--db", db)
	if code != 0 || out != "audit log intact: 2 entries (1–2)\nscreenings intact: 0; bookings intact: 0, 0 changes\n" {
		t.Errorf("audit verify: exit %d %q", code, out)
	}
}

func TestCommandsWhileTheDatabaseIsInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := storage.Open(path, storage.Options{Vocabulary: kiosk.Vocabulary()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	code, _, errs := runCLI(t, "", "guard", "list", "--db", path, "--wait", "200ms")
	if code != 1 || !strings.Contains(errs, "database in use by another thermogate process") || !strings.Contains(errs, "does not answer on") {
		t.Errorf("exit %d %q", code, errs)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
}

func TestExportCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	loc, _ := time.LoadLocation("Europe/Vilnius")
	db, err := storage.Open(path, storage.Options{Vocabulary: kiosk.Vocabulary(), Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	yesterday := storage.DayOf(time.Now(), loc).AddDays(-1)
	shown := 36.6
	for i := range 3 {
		_, err := db.Append(context.Background(), storage.Screening{
			Time: yesterday.Start(loc).Add(time.Duration(10+i) * time.Hour), Kiosk: "door-1",
			Decision: string(kiosk.Admit), Reason: string(kiosk.ReasonOK), ShownC: &shown, ThresholdC: 37.3,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	dir := filepath.Join(t.TempDir(), "out")
	code, out, errs := runCLI(t, "", "export", "--db", path, "--dir", dir)
	if code != 0 || !strings.Contains(out, "exported "+yesterday.String()) || !strings.Contains(out, "3 screenings") || !strings.Contains(out, "median 36.6 °C") {
		t.Fatalf("export: exit %d %q %q", code, out, errs)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "manifest-"+yesterday.String()+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m storage.Manifest
	if err := json.Unmarshal(raw, &m); err != nil || m.Screenings != 3 {
		t.Errorf("manifest %s: %v", raw, err)
	}
	code, _, errs = runCLI(t, "", "export", "--db", path, "--dir", dir, "--day", "today")
	if code != 1 || !strings.Contains(errs, "day not over yet") {
		t.Errorf("export today: exit %d %q", code, errs)
	}
	code, out, _ = runCLI(t, "", "audit", "verify", "--db", path)
	if code != 0 || !strings.Contains(out, "audit log intact: 1 entry") {
		t.Errorf("audit verify after export: %q", out)
	}
}

// TestCommandsThroughTheDaemon runs the same commands once on the file and
// once through a daemon's admin socket: the output must be the same.
func TestCommandsThroughTheDaemon(t *testing.T) {
	bookings := writeFile(t, "bookings.csv", "code,start\nAB12CD,2030-05-02 09:00\n")
	bad := writeFile(t, "bad.csv", "code,start\nX,2030-05-02 09:00\n")
	script := [][]string{
		{"bookings", "import", bookings},
		{"bookings", "import", bad},
		{"bookings", "list", "--day", "2030-05-02"},
		{"guard", "list"},
		{"bookings", "cancel", "AB12CD"},
		{"bookings", "cancel", "NOPE99"},
		{"guard", "remove", "Nobody"},
		{"audit", "verify"},
		{"screenings", "--day", "2030-05-02"},
		{"db", "check"},
	}
	t.Setenv("THERMOGATE_MAIN", "1") // db check runs this binary as thermogate for its page check
	run := func(db string) []string {
		var outs []string
		for _, args := range script {
			full := append([]string{args[0], args[1], "--db", db}, args[2:]...)
			code, out, errs := runCLI(t, "", full...)
			outs = append(outs, fmt.Sprintf("exit %d\n%s%s", code, out, strings.ReplaceAll(errs, db, "DB")))
		}
		code, out, errs := runCLI(t, "4826\n", "guard", "add", "--db", db, "Ona")
		outs = append(outs, fmt.Sprintf("exit %d\n%s%s", code, out, errs))
		return outs
	}
	direct := run(filepath.Join(t.TempDir(), "t.db"))

	path := filepath.Join(t.TempDir(), "t.db")
	// The daemon opens the database in the configured zone, as the CLI does.
	db, err := storage.Open(path, storage.Options{Vocabulary: kiosk.Vocabulary(), Location: config.Default().Location()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := admin.Listen(config.SocketPath(path), admin.ListenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: admin.Handler(admin.Local{DB: db})}
	go srv.Serve(l)
	defer srv.Close()
	viaDaemon := run(path)

	for i := range direct {
		if direct[i] != viaDaemon[i] {
			t.Errorf("step %d differs:\non the file:\n%s\nthrough the daemon:\n%s", i, direct[i], viaDaemon[i])
		}
	}
	if gs, _ := db.Guards(context.Background()); len(gs) != 1 || gs[0].Name != "Ona" {
		t.Fatalf("the guard added through the daemon is not in its database: %+v", gs)
	}
	// The running kiosk reads times in its own zone: another --timezone is refused.
	code, _, errs := runCLI(t, "", "bookings", "import", "--db", path, "--timezone", "Europe/Warsaw", bookings)
	if code != 2 || !strings.Contains(errs, "configured zone, Europe/Vilnius") {
		t.Fatalf("--timezone through the daemon: exit %d %q", code, errs)
	}
}
