package fleet_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/fleet"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

func TestMigrateIsIdempotentAndRefusesNewer(t *testing.T) {
	c := newCentral(t)
	ctx := context.Background()
	applied, err := fleet.Migrate(ctx, c.conn)
	if err != nil || len(applied) != 0 {
		t.Fatalf("second migrate applied %v, %v; want nothing", applied, err)
	}
	if err := fleet.CheckSchema(ctx, c.conn); err != nil {
		t.Fatal(err)
	}
	if _, err := c.conn.Exec(ctx, "INSERT INTO thermogate.migrations (version, name) VALUES (99, 'future')"); err != nil {
		t.Fatal(err)
	}
	if _, err := fleet.Migrate(ctx, c.conn); !errors.Is(err, fleet.ErrNewerSchema) {
		t.Errorf("migrate over a newer schema: %v", err)
	}
	if err := fleet.CheckSchema(ctx, c.conn); !errors.Is(err, fleet.ErrNewerSchema) {
		t.Errorf("check of a newer schema: %v", err)
	}

	// A database without the schema says what to run.
	empty := c.fresh(t)
	if _, err := empty.Exec(ctx, "DROP SCHEMA thermogate CASCADE"); err != nil {
		t.Fatal(err)
	}
	if err := fleet.CheckSchema(ctx, empty); err == nil || !strings.Contains(err.Error(), "fleet migrate") {
		t.Errorf("check without the schema: %v", err)
	}
}

// TestRowLevelSecurity: kiosk A cannot write as B nor read B's screenings,
// audit or heartbeat; it reads bookings but cannot change them.
func TestRowLevelSecurity(t *testing.T) {
	c := newCentral(t)
	ctx := context.Background()
	a := newDoor(t, c, "a", "", nil)
	b := newDoor(t, c, "b", "", nil)
	now := time.Now()
	visit(t, b.db, now, "", string(kiosk.Deny), string(kiosk.ReasonFever), false)
	if _, err := b.db.Audit(ctx, storage.ActorSystem, "test.b", "b's"); err != nil {
		t.Fatal(err)
	}
	bc := b.connect(t)
	if n, err := b.agent.PushOnce(ctx, bc); err != nil || n != 2 {
		t.Fatalf("b's push: %d, %v", n, err)
	}
	if err := b.agent.Heartbeat(ctx, bc); err != nil {
		t.Fatal(err)
	}
	if _, err := fleet.ImportBookings(ctx, c.conn, "b.csv", []byte("code,start\nAB12CD,2026-03-16 14:00\n"), vilnius); err != nil {
		t.Fatal(err)
	}

	ac := a.connect(t)
	rec := `{"id":1}`
	for _, q := range []string{
		`INSERT INTO thermogate.screenings (kiosk_id, id, time, decision, reason, record) VALUES ('` + b.id + `', 100, now(), 'admit', 'ok', '` + rec + `')`,
		`INSERT INTO thermogate.audit (kiosk_id, id, time, actor, action, record) VALUES ('` + b.id + `', 100, now(), 'x', 'y', '` + rec + `')`,
		`INSERT INTO thermogate.heartbeats (kiosk_id, seen_at, in_service) VALUES ('` + b.id + `', now(), true)`,
		`UPDATE thermogate.heartbeats SET in_service = false`,
		`UPDATE thermogate.bookings SET status = 'cancelled'`,
		`INSERT INTO thermogate.bookings (code, start_at) VALUES ('ZZZZ9', now())`,
		`DELETE FROM thermogate.screenings`,
		`INSERT INTO thermogate.kiosks (id, role) VALUES ('evil', 'x')`,
	} {
		tag, err := ac.Exec(ctx, q)
		if err == nil && tag.RowsAffected() > 0 {
			t.Errorf("kiosk A could: %s (%s)", q, tag)
		}
	}
	for _, table := range []string{"screenings", "audit", "heartbeats"} {
		var n int
		if err := ac.QueryRow(ctx, "SELECT count(*) FROM thermogate."+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("kiosk A reads %d rows of %s, all B's", n, table)
		}
		if err := bc.QueryRow(ctx, "SELECT count(*) FROM thermogate."+table).Scan(&n); err != nil || n == 0 {
			t.Errorf("kiosk B reads %d of its own %s: %v", n, table, err)
		}
	}
	var n int
	if err := ac.QueryRow(ctx, "SELECT count(*) FROM thermogate.bookings").Scan(&n); err != nil || n != 1 {
		t.Errorf("kiosk A reads %d bookings, %v; want 1", n, err)
	}
	// Its own rows it may write, through the agent.
	visit(t, a.db, now, "", string(kiosk.Admit), string(kiosk.ReasonOK), false)
	if n, err := a.agent.PushOnce(ctx, ac); err != nil || n != 1 {
		t.Errorf("a's own push: %d, %v", n, err)
	}

	// An agent configured as B but logging in as A's role pushes nothing.
	opts := fleet.Default()
	opts.URL, opts.PasswordFile = a.url, "/x"
	impostor, err := fleet.New(ctx, fleet.Options{DB: b.db, Config: opts, KioskID: b.id, Password: a.setup.Password})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	visit(t, b.db, now, "", string(kiosk.Admit), string(kiosk.ReasonOK), false)
	impostor.Run(cctx)
	if st := impostor.State(); !strings.Contains(st.LastError, "kiosk_id") || st.Backlog != 1 {
		t.Errorf("an agent with the wrong role: %+v", st)
	}
}

// TestBookingChangesReachTheDoorWithin2s: imported centrally → admitted at
// the door; cancelled centrally → refused, each within 2 s, with the poll
// at 30 s so that only the notification can be that fast.
func TestBookingChangesReachTheDoorWithin2s(t *testing.T) {
	c := newCentral(t)
	ctx := context.Background()
	d := newDoor(t, c, "hall", "", nil)
	d.run(t)
	now := time.Now().In(vilnius).Truncate(time.Minute)
	csv := "code,start,minutes\nNEW123,\"" + now.Format("2006-01-02 15:04") + "\",15\n"
	eventually(t, 5*time.Second, "first pull", func() bool { return !d.agent.State().LastPull.IsZero() })

	if _, err := fleet.ImportBookings(ctx, c.conn, "today.csv", []byte(csv), vilnius); err != nil {
		t.Fatal(err)
	}
	took := eventually(t, 2*time.Second, "booking at the door", func() bool {
		_, err := d.db.Booking(ctx, "NEW123")
		return err == nil
	})
	t.Logf("import → at the door: %s", took)
	bk, _ := d.db.Booking(ctx, "NEW123")
	if r := kiosk.DefaultBookingRules.CheckBooking(bk, now, vilnius); r != kiosk.ReasonOK {
		t.Errorf("an imported booking checks %s", r)
	}

	if _, err := fleet.CancelBooking(ctx, c.conn, "new-123"); err != nil {
		t.Fatal(err)
	}
	took = eventually(t, 2*time.Second, "cancellation at the door", func() bool {
		bk, err := d.db.Booking(ctx, "NEW123")
		return err == nil && bk.Status == storage.StatusCancelled
	})
	t.Logf("cancel → at the door: %s", took)
	bk, _ = d.db.Booking(ctx, "NEW123")
	if r := kiosk.DefaultBookingRules.CheckBooking(bk, now, vilnius); r != kiosk.ReasonCancelled {
		t.Errorf("a cancelled booking checks %s", r)
	}
	if _, err := fleet.CancelBooking(ctx, c.conn, "NOPE99"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("cancelling an unknown code: %v", err)
	}
}

// TestUsedAtOneDoorIsAlreadyUsedAtAnother, and the location filter.
func TestUsedAtOneDoorIsAlreadyUsedAtAnother(t *testing.T) {
	c := newCentral(t)
	ctx := context.Background()
	a := newDoor(t, c, "a", "Archive", nil)
	b := newDoor(t, c, "b", "Archive", nil)
	other := newDoor(t, c, "o", "Registry", nil)
	for _, d := range []*door{a, b, other} {
		d.run(t)
	}
	now := time.Now().In(vilnius).Truncate(time.Minute)
	start := now.Format("2006-01-02 15:04")
	csv := "code,start,location\nUSE111," + start + ",Archive\nALL222," + start + ",\nREG333," + start + ",Registry\n"
	if _, err := fleet.ImportBookings(ctx, c.conn, "b.csv", []byte(csv), vilnius); err != nil {
		t.Fatal(err)
	}
	// Each door pulls on its own: wait for every booking a door should get.
	eventually(t, 3*time.Second, "bookings at the doors", func() bool {
		for _, w := range []struct {
			d    *door
			code string
		}{{a, "USE111"}, {a, "ALL222"}, {b, "USE111"}, {other, "REG333"}, {other, "ALL222"}} {
			if _, err := w.d.db.Booking(ctx, w.code); err != nil {
				return false
			}
		}
		return true
	})
	for _, tc := range []struct {
		d     *door
		code  string
		there bool
	}{{a, "USE111", true}, {a, "ALL222", true}, {a, "REG333", false}, {other, "USE111", false}, {other, "ALL222", true}} {
		_, err := tc.d.db.Booking(ctx, tc.code)
		if (err == nil) != tc.there {
			t.Errorf("door %s has %s: %v, want %v", tc.d.id, tc.code, err == nil, tc.there)
		}
	}

	// Admitted at A: the kiosk checks, stores with the use.
	bk, err := a.db.Booking(ctx, "USE111")
	if err != nil {
		t.Fatal(err)
	}
	if r := kiosk.DefaultBookingRules.CheckBooking(bk, now, vilnius); r != kiosk.ReasonOK {
		t.Fatalf("at A: %s", r)
	}
	visit(t, a.db, now, "USE111", string(kiosk.Admit), string(kiosk.ReasonOK), true)
	took := eventually(t, 3*time.Second, "use at B", func() bool {
		bk, err := b.db.Booking(ctx, "USE111")
		return err == nil && !bk.UsedAt.IsZero()
	})
	t.Logf("admitted at A → used at B: %s", took)
	bk, _ = b.db.Booking(ctx, "USE111")
	if r := kiosk.DefaultBookingRules.CheckBooking(bk, now.Add(time.Minute), vilnius); r != kiosk.ReasonUsed {
		t.Errorf("at B after A admitted: %s, want already_used", r)
	}
	var usedBy string
	if err := c.conn.QueryRow(ctx, "SELECT used_by FROM thermogate.bookings WHERE code = 'USE111'").Scan(&usedBy); err != nil || usedBy != a.id {
		t.Errorf("central used_by %q, %v", usedBy, err)
	}
	// Moving a booking to another location takes it from the doors here.
	if _, err := c.conn.Exec(ctx, "UPDATE thermogate.bookings SET location = 'Registry' WHERE code = 'ALL222'"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 3*time.Second, "moved booking gone from A", func() bool {
		_, err := a.db.Booking(ctx, "ALL222")
		return errors.Is(err, storage.ErrNotFound)
	})
}

// TestCentralImportChecksLikeTheKiosk: the same parser, all or nothing,
// line numbers; an identical row again changes nothing; deleting is refused.
func TestCentralImportChecksLikeTheKiosk(t *testing.T) {
	c := newCentral(t)
	ctx := context.Background()
	good := "code,start,minutes,service,lang,location\nAB12CD,2026-03-16 14:00,15,Passports,lt,Hall\nEF34GH,2026-03-16 14:15,,,,\n"
	r, err := fleet.ImportBookings(ctx, c.conn, "day.csv", []byte(good), vilnius)
	if err != nil || r.Added != 2 {
		t.Fatalf("import: %+v, %v", r, err)
	}
	var seq1 int64
	c.conn.QueryRow(ctx, "SELECT max(seq) FROM thermogate.bookings").Scan(&seq1)
	r, err = fleet.ImportBookings(ctx, c.conn, "day.csv", []byte(good), vilnius)
	if err != nil || r.Added != 0 || r.Unchanged != 2 {
		t.Errorf("importing the same again: %+v, %v", r, err)
	}
	var seq2 int64
	c.conn.QueryRow(ctx, "SELECT max(seq) FROM thermogate.bookings").Scan(&seq2)
	if seq2 != seq1 {
		t.Errorf("an unchanged import made changes %d → %d", seq1, seq2)
	}

	bad := "code,start\nNEW999,2026-03-16 15:00\nAB12CD,2026-03-16 16:00\nx,2026-03-16 15:00\nGOOD77,yesterday\n"
	_, err = fleet.ImportBookings(ctx, c.conn, "bad.csv", []byte(bad), vilnius)
	var ie *storage.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("bad import: %v", err)
	}
	lines := map[int]bool{}
	for _, p := range ie.Problems {
		lines[p.Line] = true
	}
	// The parser finds lines 4 and 5 first; line 3 (a clash with the
	// central copy) is checked once the file itself is sound.
	if !lines[4] || !lines[5] {
		t.Errorf("problems %v, want lines 4 and 5", ie)
	}
	_, err = fleet.ImportBookings(ctx, c.conn, "clash.csv", []byte("code,start\nNEW999,2026-03-16 15:00\nAB12CD,2026-03-16 16:00\n"), vilnius)
	if !errors.As(err, &ie) || len(ie.Problems) != 1 || ie.Problems[0].Line != 3 {
		t.Errorf("clash: %v", err)
	}
	var n int
	c.conn.QueryRow(ctx, "SELECT count(*) FROM thermogate.bookings").Scan(&n)
	if n != 2 {
		t.Errorf("%d bookings after refused imports, want 2 (nothing of them written)", n)
	}
	if _, err := c.conn.Exec(ctx, "DELETE FROM thermogate.bookings WHERE code = 'AB12CD'"); err == nil || !strings.Contains(err.Error(), "cancel") {
		t.Errorf("delete: %v", err)
	}
	var loc, lang string
	c.conn.QueryRow(ctx, "SELECT location, lang FROM thermogate.bookings WHERE code = 'AB12CD'").Scan(&loc, &lang)
	if loc != "Hall" || lang != "lt" {
		t.Errorf("location %q lang %q", loc, lang)
	}
}

// TestReportStatusVerifyPurge runs the office's commands over one door's day.
func TestReportStatusVerifyPurge(t *testing.T) {
	c := newCentral(t)
	ctx := context.Background()
	a := newDoor(t, c, "a", "Hall", nil)
	day := storage.NewDay(2026, 3, 16)
	at := func(h, m int) time.Time { return time.Date(2026, 3, 16, h, m, 0, 0, vilnius) }
	visit(t, a.db, at(9, 0), "", string(kiosk.Admit), string(kiosk.ReasonOK), false)
	visit(t, a.db, at(9, 30), "", string(kiosk.Deny), string(kiosk.ReasonFever), false)
	visit(t, a.db, at(14, 5), "", string(kiosk.Admit), string(kiosk.ReasonOK), false)
	visit(t, a.db, at(23, 59), "", string(kiosk.Refer), string(kiosk.ReasonNoReading), false)
	visit(t, a.db, at(24, 1), "", string(kiosk.Admit), string(kiosk.ReasonOK), false) // the next day
	for i := 0; i < 3; i++ {
		a.db.Audit(ctx, storage.ActorSystem, "test", "entry")
	}
	ac := a.connect(t)
	if _, err := a.agent.PushOnce(ctx, ac); err != nil {
		t.Fatal(err)
	}
	if err := a.agent.Heartbeat(ctx, ac); err != nil {
		t.Fatal(err)
	}

	reps, err := fleet.Report(ctx, c.conn, day, vilnius)
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 1 || reps[0].Total != 4 || reps[0].Counts["admit/ok"] != 2 || reps[0].Counts["deny/fever"] != 1 ||
		reps[0].PerHour[9] != 2 || reps[0].PerHour[14] != 1 || reps[0].PerHour[23] != 1 {
		t.Errorf("report: %+v", reps)
	}

	doors, _, err := fleet.Status(ctx, c.conn)
	if err != nil || len(doors) != 1 || doors[0].Seen.IsZero() || !doors[0].InService || doors[0].Location != "Hall" || doors[0].Version != "test" {
		t.Errorf("status: %+v, %v", doors, err)
	}

	reports, ok, err := fleet.Verify(ctx, c.conn)
	if err != nil || !ok {
		t.Fatalf("verify: %+v %v %v", reports, ok, err)
	}
	// An altered column, then an altered record, are found.
	if _, err := c.conn.Exec(ctx, "UPDATE thermogate.screenings SET decision = 'admit' WHERE reason = 'fever'"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := fleet.Verify(ctx, c.conn); ok {
		t.Error("verify missed a changed decision")
	}
	c.conn.Exec(ctx, "UPDATE thermogate.screenings SET decision = 'deny' WHERE reason = 'fever'")
	if _, err := c.conn.Exec(ctx, `UPDATE thermogate.audit SET record = replace(record, '"entry"', '"ENTRY"') WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	reports, ok, _ = fleet.Verify(ctx, c.conn)
	if ok {
		t.Error("verify missed a changed audit record")
	}
	found := false
	for _, r := range reports {
		found = found || strings.Contains(r.Problem, "audit 2 was changed")
	}
	if !found {
		t.Errorf("verify's problem does not name audit 2: %+v", reports)
	}
	c.conn.Exec(ctx, `UPDATE thermogate.audit SET record = replace(record, '"ENTRY"', '"entry"') WHERE id = 2`)
	if _, ok, _ := fleet.Verify(ctx, c.conn); !ok {
		t.Fatal("verify after undoing the change")
	}
	// A missing row in the middle.
	var keep string
	c.conn.QueryRow(ctx, "SELECT record FROM thermogate.screenings WHERE id = 2").Scan(&keep)
	if _, err := c.conn.Exec(ctx, "DELETE FROM thermogate.screenings WHERE id = 2"); err != nil {
		t.Fatal(err)
	}
	if reports, ok, _ := fleet.Verify(ctx, c.conn); ok || !strings.Contains(problems(reports), "missing") {
		t.Errorf("verify missed a deleted screening: %+v", reports)
	}
	c.conn.Exec(ctx, "INSERT INTO thermogate.screenings (kiosk_id, id, time, decision, reason, record) VALUES ($1, 2, $2, 'deny', 'fever', $3)", a.id, at(9, 30), keep)

	// Purge before 10:00 on the day: two screenings go, and the chain
	// still verifies from the anchor.
	c.conn.Exec(ctx, "UPDATE thermogate.audit SET time = $1", at(8, 0))
	res, err := fleet.Purge(ctx, c.conn, at(10, 0))
	if err != nil || res.Screenings != 2 || res.Audit != 3 {
		t.Errorf("purge: %+v, %v", res, err)
	}
	if reports, ok, err := fleet.Verify(ctx, c.conn); err != nil || !ok {
		t.Errorf("verify after purge: %+v %v", reports, err)
	}
}

func problems(rs []fleet.ChainReport) string {
	var s []string
	for _, r := range rs {
		if r.Problem != "" {
			s = append(s, r.Problem)
		}
	}
	return strings.Join(s, "; ")
}

func TestConfig(t *testing.T) {
	if err := fleet.Default().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	for _, tc := range []struct {
		mod  func(*fleet.Config)
		want string
	}{
		{func(c *fleet.Config) { c.URL = "postgres://k:secret@db/x" }, "password_file instead"},
		{func(c *fleet.Config) { c.URL = "host=db password=secret" }, "password_file instead"},
		{func(c *fleet.Config) { c.URL = "postgres://k@db/x"; c.PasswordFile = "" }, "fleet.password_file is empty"},
		{func(c *fleet.Config) { c.Poll = 0 }, "fleet.poll"},
		{func(c *fleet.Config) { c.PushBatch = 0 }, "fleet.push_batch"},
		{func(c *fleet.Config) { c.Location = "a\nb" }, "fleet.location"},
		{func(c *fleet.Config) { c.URL = "postgres://k@db:notaport/x" }, "fleet.url"},
	} {
		c := fleet.Default()
		tc.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", c, err, tc.want)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("the message shows the password: %v", err)
		}
	}
}

func TestReadPassword(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pw")
	os.WriteFile(p, []byte("s3cret\n"), 0o644)
	if _, err := fleet.ReadPassword(p); err == nil || !strings.Contains(err.Error(), "read by others") {
		t.Errorf("a world-readable password file: %v", err)
	}
	os.Chmod(p, 0o600)
	if pw, err := fleet.ReadPassword(p); err != nil || pw != "s3cret" {
		t.Errorf("%q, %v", pw, err)
	}
	t.Setenv("CREDENTIALS_DIRECTORY", dir)
	if pw, err := fleet.ReadPassword("pw"); err != nil || pw != "s3cret" {
		t.Errorf("from the credentials directory: %q, %v", pw, err)
	}
	// The units skip a credential missing from the store (so a standalone
	// kiosk starts): the kiosk in a fleet then says where to put it.
	if _, err := fleet.ReadPassword("fleet-password"); err == nil || !strings.Contains(err.Error(), fleet.CredentialStoreFile) {
		t.Errorf("a credential systemd did not hand over: %v", err)
	}
	t.Setenv("CREDENTIALS_DIRECTORY", "")
	if _, err := fleet.ReadPassword("pw"); err == nil || !strings.Contains(err.Error(), "CREDENTIALS_DIRECTORY") {
		t.Errorf("a credential name outside systemd: %v", err)
	}
}

// TestVerifyFollowsScreeningLinks: screenings that carry the hash chain
// (record version 2 and later) are checked link by link, like the audit
// log; a record changed with its column is found by the next one's link.
func TestVerifyFollowsScreeningLinks(t *testing.T) {
	c := newCentral(t)
	ctx := context.Background()
	k, err := fleet.AddKiosk(ctx, c.conn, uniqueID("linked"), "")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 16, 9, 0, 0, 0, vilnius)
	prev := ""
	for id := 1; id <= 3; id++ {
		rec := fmt.Sprintf(`{"v":2,"id":%d,"time":%q,"code":"","decision":"deny","reason":"fever","prev":%q}`, id, at.Format(time.RFC3339Nano), prev)
		if prev == "" {
			rec = fmt.Sprintf(`{"v":2,"id":%d,"time":%q,"code":"","decision":"deny","reason":"fever"}`, id, at.Format(time.RFC3339Nano))
		}
		if _, err := c.conn.Exec(ctx, "INSERT INTO thermogate.screenings (kiosk_id, id, time, decision, reason, record) VALUES ($1, $2, $3, 'deny', 'fever', $4)", k.ID, id, at, rec); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(rec))
		prev = hex.EncodeToString(sum[:])
	}
	if reports, ok, err := fleet.Verify(ctx, c.conn); err != nil || !ok || !reports[0].Linked {
		t.Fatalf("verify: %+v %v %v", reports, ok, err)
	}
	// Fever denial 2 made an admission, record and columns alike.
	if _, err := c.conn.Exec(ctx, `UPDATE thermogate.screenings SET decision = 'admit', reason = 'ok',
		record = replace(replace(record, '"deny"', '"admit"'), '"fever"', '"ok"') WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	reports, ok, _ := fleet.Verify(ctx, c.conn)
	if ok || !strings.Contains(problems(reports), "screening 2 was changed") {
		t.Errorf("verify after changing screening 2: %s", problems(reports))
	}
}

// centralRows counts kind's rows of kiosk centrally.
func centralRows(t testing.TB, c *central, table, kiosk string) int {
	t.Helper()
	var n int
	if err := c.conn.QueryRow(context.Background(), "SELECT count(*) FROM thermogate."+table+" WHERE kiosk_id = $1", kiosk).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// localRows counts the kiosk's own screenings and audit entries.
func localRows(t testing.TB, db *storage.DB) (screenings, audit int) {
	t.Helper()
	ctx := context.Background()
	for d := storage.NewDay(2026, 3, 15); d.Before(storage.NewDay(2026, 3, 18)); d = d.AddDays(1) {
		db.Screenings(ctx, d, func(storage.Screening) error { screenings++; return nil })
	}
	db.AuditEntries(ctx, func(storage.AuditEntry) error { audit++; return nil })
	return
}

// verifyOK fails the test unless the central copy verifies.
func verifyOK(t testing.TB, c *central, when string) []fleet.ChainReport {
	t.Helper()
	reps, ok, err := fleet.Verify(context.Background(), c.conn)
	if err != nil || !ok {
		t.Fatalf("%s: verify %v, %v: %+v", when, ok, err, reps)
	}
	return reps
}

// TestJoinWithAHistoryLeaveAndJoinAgain: a kiosk that screened standalone
// sends its whole history when it joins, verifiable centrally; after
// leaving (outbox dropped) and screening on standalone, joining again sends
// what is new and doubles nothing; what the central retention purged does
// not come back.
func TestJoinWithAHistoryLeaveAndJoinAgain(t *testing.T) {
	c := newCentral(t)
	ctx := context.Background()
	id := uniqueID("hist")
	setup, err := fleet.AddKiosk(ctx, c.conn, id, "")
	if err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(filepath.Join(t.TempDir(), "thermogate.db"), storage.Options{Vocabulary: kiosk.Vocabulary(), Location: vilnius})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, vilnius) }
	for h := 8; h < 12; h++ {
		visit(t, db, at(16, h), "", string(kiosk.Admit), string(kiosk.ReasonOK), false)
	}
	db.Audit(ctx, storage.ActorSystem, "config.loaded", "standalone")

	join := func() *fleet.Agent {
		t.Helper()
		fc := fleet.Default()
		fc.URL, fc.PasswordFile = srv.URL(c.name, setup.Role, ""), "/nonexistent"
		a, err := fleet.New(ctx, fleet.Options{DB: db, Config: fc, KioskID: id, Password: setup.Password})
		if err != nil {
			t.Fatal(err)
		}
		conn, err := a.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		for db.OutboxLen() > 0 {
			if _, err := a.PushOnce(ctx, conn); err != nil {
				t.Fatal(err)
			}
		}
		return a
	}
	join()
	ls, la := localRows(t, db)
	if cs, ca := centralRows(t, c, "screenings", id), centralRows(t, c, "audit", id); cs != ls || ca != la || ls != 4 {
		t.Fatalf("joined with a history: central %d screenings, %d audit; local %d, %d", cs, ca, ls, la)
	}
	verifyOK(t, c, "after joining")

	// Leaving: what is queued is dropped (nothing, here); standalone
	// screenings are not queued anywhere else.
	if _, err := db.LeaveFleet(ctx, storage.ActorAdmin); err != nil {
		t.Fatal(err)
	}
	visit(t, db, at(16, 13), "", string(kiosk.Deny), string(kiosk.ReasonFever), false)
	join()
	ls, la = localRows(t, db)
	if cs, ca := centralRows(t, c, "screenings", id), centralRows(t, c, "audit", id); cs != ls || ca != la || ls != 5 {
		t.Fatalf("joined again: central %d screenings, %d audit; local %d, %d (none doubled: the keys are unique)", cs, ca, ls, la)
	}
	verifyOK(t, c, "after joining again")

	// Retention removes day 16 centrally; joining again after that keeps
	// it removed and sends the new screening on a verifiable chain.
	if _, err := fleet.Purge(ctx, c.conn, at(17, 0)); err != nil {
		t.Fatal(err)
	}
	db.LeaveFleet(ctx, storage.ActorAdmin)
	visit(t, db, at(17, 9), "", string(kiosk.Admit), string(kiosk.ReasonOK), false)
	join()
	if cs := centralRows(t, c, "screenings", id); cs != 1 {
		t.Errorf("after purge and joining again: %d central screenings, want only the new one", cs)
	}
	verifyOK(t, c, "after purge and joining again")
}

// TestSimulationIdentity: a simulation run pushes under its own identity
// with the kiosk's role, never marks a real booking used, verifies as its
// own chain, and a kiosk cannot push as another kiosk's simulation.
func TestSimulationIdentity(t *testing.T) {
	c := newCentral(t)
	ctx := context.Background()
	a := newDoor(t, c, "real", "", nil)
	b := newDoor(t, c, "other", "", nil)
	if _, err := fleet.ImportBookings(ctx, c.conn, "b.csv", []byte("code,start\nSIM111,2026-03-16 14:00\n"), vilnius); err != nil {
		t.Fatal(err)
	}
	visit(t, a.db, time.Date(2026, 3, 16, 9, 0, 0, 0, vilnius), "", string(kiosk.Admit), string(kiosk.ReasonOK), false)
	ac := a.connect(t)
	if _, err := a.agent.PushOnce(ctx, ac); err != nil {
		t.Fatal(err)
	}

	simID := fleet.SimulationID(a.id, "20260316T120000Z")
	simDB, err := storage.Open(filepath.Join(t.TempDir(), "sim.db"), storage.Options{Vocabulary: kiosk.Vocabulary(), Location: vilnius})
	if err != nil {
		t.Fatal(err)
	}
	defer simDB.Close()
	fc := fleet.Default()
	fc.URL, fc.PasswordFile = a.url, "/nonexistent"
	sim, err := fleet.New(ctx, fleet.Options{DB: simDB, Config: fc, KioskID: a.id, PushAs: simID, Password: a.setup.Password})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.PullOnce(ctx, ac); err != nil {
		t.Fatal(err)
	}
	visit(t, simDB, time.Date(2026, 3, 16, 14, 0, 0, 0, vilnius), "SIM111", string(kiosk.Admit), string(kiosk.ReasonOK), true)
	if n, err := sim.PushOnce(ctx, ac); err != nil || n != 1 {
		t.Fatalf("simulation push: %d, %v", n, err)
	}
	if n := centralRows(t, c, "screenings", simID); n != 1 {
		t.Errorf("%d central screenings of the simulation", n)
	}
	if n := centralRows(t, c, "screenings", a.id); n != 1 {
		t.Errorf("the door's own screenings: %d, want 1 (the simulation mixed in?)", n)
	}
	var used *time.Time
	c.conn.QueryRow(ctx, "SELECT used_at FROM thermogate.bookings WHERE code = 'SIM111'").Scan(&used)
	if used != nil {
		t.Errorf("a simulated screening marked the real booking used at %s", used)
	}
	reps := verifyOK(t, c, "with a simulation")
	var seen bool
	for _, r := range reps {
		seen = seen || (r.Kiosk == simID && r.Kind == storage.OutboxScreening && r.Rows == 1)
	}
	if !seen {
		t.Errorf("verify does not check the simulation's chain: %+v", reps)
	}

	// B's role can neither push as A's simulation nor read it.
	bc := b.connect(t)
	rec := `{"id":1}`
	tag, err := bc.Exec(ctx, `INSERT INTO thermogate.screenings (kiosk_id, id, time, decision, reason, record) VALUES ($1, 7, now(), 'admit', 'ok', $2)`,
		fleet.SimulationID(a.id, "x"), rec)
	if err == nil && tag.RowsAffected() > 0 {
		t.Error("kiosk B pushed as kiosk A's simulation")
	}
	var n int
	if err := bc.QueryRow(ctx, "SELECT count(*) FROM thermogate.screenings").Scan(&n); err != nil || n != 0 {
		t.Errorf("kiosk B reads %d screenings of A's, %v", n, err)
	}
	if _, err := fleet.New(ctx, fleet.Options{DB: simDB, Config: fc, KioskID: a.id, PushAs: "simulate:" + b.id + ":1", Password: a.setup.Password}); err == nil || !strings.Contains(err.Error(), "BUG") {
		t.Errorf("an agent pushing as another kiosk's simulation: %v", err)
	}
}
