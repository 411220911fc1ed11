package fleet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/thermogate/thermogate/internal/fleet"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

// TestThreeDoorsThousandVisitorsThroughOutages: three kiosks screen 1,000
// visitors each from centrally imported bookings while the server is
// stopped (as a crash and cleanly) and started again and the kiosks'
// connections are killed at random. Afterwards the central screenings and
// audit entries are exactly the local ones — none lost, none doubled — the
// chains verify, and every admitted code is used centrally.
func TestThreeDoorsThousandVisitorsThroughOutages(t *testing.T) {
	if testing.Short() {
		t.Skip("long scenario")
	}
	const visitors = 1000
	c := newCentral(t)
	ctx := context.Background()
	locations := []string{"Hall", "Registry", "Archive"}
	var doors []*door
	for _, l := range locations {
		doors = append(doors, newDoor(t, c, strings.ToLower(l), l, func(fc *fleet.Config) { fc.PushBatch = 40 }))
	}
	now := time.Now().In(vilnius)
	slot := now.Truncate(time.Minute).Format("2006-01-02 15:04")
	var csv strings.Builder
	csv.WriteString("code,start,location\n")
	for i, l := range locations {
		for v := 0; v < visitors; v++ {
			fmt.Fprintf(&csv, "D%dV%04d,%s,%s\n", i, v, slot, l)
		}
	}
	if _, err := fleet.ImportBookings(ctx, c.conn, "day.csv", []byte(csv.String()), vilnius); err != nil {
		t.Fatal(err)
	}
	for _, d := range doors {
		d.run(t)
	}
	for _, d := range doors {
		eventually(t, 20*time.Second, "bookings at "+d.id, func() bool {
			bs, _ := d.db.Bookings(ctx, storage.Day{})
			return len(bs) == visitors
		})
	}

	// Chaos until the visitors are through.
	stop := make(chan struct{})
	chaosDone := make(chan struct{})
	var outages, kills int
	go func() {
		defer close(chaosDone)
		rng := rand.New(rand.NewPCG(1, 2))
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(50+rng.IntN(250)) * time.Millisecond):
			}
			if rng.IntN(5) == 0 {
				if err := srv.Stop(rng.IntN(2) == 0); err != nil {
					t.Error(err)
					return
				}
				time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
				if err := srv.Start(); err != nil {
					t.Error(err)
					return
				}
				outages++
			} else {
				n, _ := srv.Terminate(ctx, c.name)
				kills += n
			}
		}
	}()

	var wg sync.WaitGroup
	for i, d := range doors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			for v := 0; v < visitors; v++ {
				code := fmt.Sprintf("D%dV%04d", i, v)
				at := time.Now()
				bk, err := d.db.Booking(ctx, code)
				reason := string(kiosk.ReasonUnknownCode)
				if err == nil {
					reason = string(kiosk.DefaultBookingRules.CheckBooking(bk, at, vilnius))
				}
				decision, used := string(kiosk.Deny), false
				switch {
				case reason != string(kiosk.ReasonOK):
				case rng.IntN(10) == 0:
					reason = string(kiosk.ReasonFever)
				default:
					decision, used = string(kiosk.Admit), true
				}
				visit(t, d.db, at, code, decision, reason, used)
				if v%100 == 0 {
					d.db.Audit(ctx, storage.ActorSystem, "test.tick", code)
				}
				time.Sleep(3 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-chaosDone
	t.Logf("server outages: %d, connections killed: %d", outages, kills)
	if outages == 0 || kills == 0 {
		t.Errorf("the chaos did not happen: %d outages, %d kills", outages, kills)
	}

	for _, d := range doors {
		eventually(t, 60*time.Second, "outbox of "+d.id+" empty", func() bool { return d.db.OutboxLen() == 0 })
	}
	conn := c.fresh(t)
	admitted := 0
	for _, d := range doors {
		local := localRecords(t, d.db)
		central := centralRecords(t, conn, d.id)
		if len(central.screenings) != visitors || len(local.screenings) != visitors {
			t.Errorf("%s: %d screenings locally, %d centrally, want %d each", d.id, len(local.screenings), len(central.screenings), visitors)
		}
		compare(t, d.id+" screenings", local.screenings, central.screenings)
		compare(t, d.id+" audit", local.audit, central.audit)
		for _, rec := range local.screenings {
			var s storage.Screening
			json.Unmarshal([]byte(rec), &s)
			if s.BookingUsed {
				admitted++
			}
		}
	}
	var used int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM thermogate.bookings WHERE used_at IS NOT NULL").Scan(&used); err != nil {
		t.Fatal(err)
	}
	if used != admitted || admitted < visitors {
		t.Errorf("%d bookings used centrally, %d admitted at the doors", used, admitted)
	}
	if reports, ok, err := fleet.Verify(ctx, conn); err != nil || !ok {
		t.Errorf("verify: %v %v", problems(reports), err)
	}
}

type records struct{ screenings, audit map[int64]string }

func localRecords(t testing.TB, db *storage.DB) records {
	t.Helper()
	r := records{map[int64]string{}, map[int64]string{}}
	ctx := context.Background()
	for id := uint64(1); ; id++ {
		s, err := db.Screening(ctx, id)
		if err != nil {
			break
		}
		b, _ := json.Marshal(s)
		r.screenings[int64(id)] = string(b)
	}
	db.AuditEntries(ctx, func(e storage.AuditEntry) error {
		b, _ := json.Marshal(e)
		r.audit[int64(e.ID)] = string(b)
		return nil
	})
	return r
}

func centralRecords(t testing.TB, conn *pgx.Conn, kiosk string) records {
	t.Helper()
	r := records{map[int64]string{}, map[int64]string{}}
	for table, m := range map[string]map[int64]string{"screenings": r.screenings, "audit": r.audit} {
		rows, err := conn.Query(context.Background(), "SELECT id, record FROM thermogate."+table+" WHERE kiosk_id = $1", kiosk)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var rec string
			if err := rows.Scan(&id, &rec); err != nil {
				t.Fatal(err)
			}
			if _, dup := m[id]; dup {
				t.Errorf("%s %s %d twice", kiosk, table, id)
			}
			m[id] = rec
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func compare(t testing.TB, what string, local, central map[int64]string) {
	t.Helper()
	bad := 0
	for id, rec := range local {
		if central[id] != rec {
			bad++
			if bad <= 3 {
				t.Errorf("%s %d: local %s, central %q", what, id, rec, central[id])
			}
		}
	}
	for id := range central {
		if _, ok := local[id]; !ok {
			t.Errorf("%s %d is central only", what, id)
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d records differ or are missing centrally", what, bad)
	}
}

// Environment of the child process of TestKilledMidPush.
const childEnv = "THERMOGATE_FLEET_PUSH_CHILD"

// pushChild is a kiosk that only pushes until its outbox is empty: the
// process TestKilledMidPush kills with SIGKILL.
func pushChild() int {
	var a struct{ DB, URL, Password, Kiosk string }
	if err := json.Unmarshal([]byte(os.Getenv(childEnv)), &a); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	ctx := context.Background()
	db, err := storage.Open(a.DB, storage.Options{Vocabulary: kiosk.Vocabulary(), Location: vilnius, Timeout: 10 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	cfg := fleet.Default()
	cfg.URL, cfg.PasswordFile, cfg.PushBatch = a.URL, "/x", 10
	ag, err := fleet.New(ctx, fleet.Options{DB: db, Config: cfg, KioskID: a.Kiosk, Password: a.Password,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	conn, err := fleet.Connect(ctx, a.URL, a.Password)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	for db.OutboxLen() > 0 {
		if _, err := ag.PushOnce(ctx, conn); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

// TestKilledMidPush: a kiosk process SIGKILLed again and again while it
// pushes a backlog loses and doubles nothing: what the server committed
// before the kill is skipped on the next push, what it did not is sent
// again.
func TestKilledMidPush(t *testing.T) {
	c := newCentral(t)
	ctx := context.Background()
	d := newDoor(t, c, "killed", "", nil)
	const n = 1000
	at := time.Now()
	for i := 0; i < n; i++ {
		visit(t, d.db, at, "", string(kiosk.Admit), string(kiosk.ReasonOK), false)
	}
	path := d.db.Path()
	local := localRecords(t, d.db)
	d.db.Close()

	arg, _ := json.Marshal(map[string]string{"DB": path, "URL": d.url, "Password": d.setup.Password, "Kiosk": d.id})
	rng := rand.New(rand.NewPCG(3, 4))
	var killed, midway, overlap int
	for round := 0; ; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+string(arg))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		if round < 8 {
			// Kill once the server has a little more than before: the
			// kill then lands in the middle of the backlog.
			var before int
			c.conn.QueryRow(ctx, "SELECT count(*) FROM thermogate.screenings WHERE kiosk_id = $1", d.id).Scan(&before)
			target := before + 1 + rng.IntN(n/10)
		wait:
			for {
				select {
				case err = <-done:
					break wait
				case <-time.After(time.Millisecond):
				}
				var now int
				c.conn.QueryRow(ctx, "SELECT count(*) FROM thermogate.screenings WHERE kiosk_id = $1", d.id).Scan(&now)
				if now >= target {
					cmd.Process.Signal(syscall.SIGKILL)
					err = <-done
					killed++
					break wait
				}
			}
		} else {
			err = <-done
		}
		var pushed, maxID int
		c.conn.QueryRow(ctx, "SELECT count(*), coalesce(max(id), 0) FROM thermogate.screenings WHERE kiosk_id = $1", d.id).Scan(&pushed, &maxID)
		if pushed > 0 && pushed < n {
			midway++
			// Killed after the server's commit and before the outbox
			// was told: the next push sends records the server has.
			if db, err := storage.Open(path, storage.Options{Vocabulary: kiosk.Vocabulary(), Location: vilnius}); err == nil {
				if items, _ := db.Outbox(ctx, 1); len(items) > 0 && int(items[0].ID) <= maxID {
					overlap++
				}
				db.Close()
			}
		}
		if err == nil {
			break
		}
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != -1 {
			t.Fatalf("round %d: child failed: %v\n%s", round, err, stderr.String())
		}
		if round > 40 {
			t.Fatal("the backlog never went out")
		}
	}
	t.Logf("killed %d times, %d of them with the backlog part pushed, %d between the server's commit and the outbox's", killed, midway, overlap)
	if killed == 0 || midway == 0 {
		t.Errorf("no kill landed mid-push (killed %d, midway %d): the test proved nothing", killed, midway)
	}
	db, err := storage.Open(path, storage.Options{Vocabulary: kiosk.Vocabulary(), Location: vilnius})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.OutboxLen() != 0 {
		t.Errorf("outbox left %d", db.OutboxLen())
	}
	central := centralRecords(t, c.conn, d.id)
	if len(central.screenings) != n {
		t.Errorf("%d central screenings, want %d", len(central.screenings), n)
	}
	compare(t, "screenings", local.screenings, central.screenings)
	if reports, ok, err := fleet.Verify(ctx, c.conn); err != nil || !ok {
		t.Errorf("verify: %v %v", problems(reports), err)
	}
}
