package fleet_test

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/thermogate/thermogate/internal/fleet"
	"github.com/thermogate/thermogate/internal/metrics"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

// The daemon hands its metrics to the agent.
var _ fleet.Observer = (*metrics.Fleet)(nil)

// BenchmarkPushBacklog pushes a backlog of THERMOGATE_BENCH_BACKLOG
// screenings (default 10,000) through the agent, outbox reads and marks
// included, and inserts the same rows bare — the same batches and
// statement into a table of the same shape, without the conflict check or
// the outbox — over the same connection. Reported: both times and the
// ratio. One iteration is one whole backlog.
func BenchmarkPushBacklog(b *testing.B) {
	n := 10000
	if s := os.Getenv("THERMOGATE_BENCH_BACKLOG"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	c := newCentral(b)
	ctx := context.Background()
	// The bare table: the same columns and primary key, written by the
	// kiosk's role, without row-level security, trigger or conflict check.
	if _, err := c.conn.Exec(ctx, `CREATE TABLE bare (LIKE thermogate.screenings INCLUDING DEFAULTS INCLUDING INDEXES);
		GRANT INSERT ON bare TO thermogate_kiosk`); err != nil {
		b.Fatal(err)
	}
	var pushTotal, bareTotal time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		d := newDoor(b, c, "bench", "", nil)
		at := time.Now()
		for j := 0; j < n; j++ {
			visit(b, d.db, at, "", string(kiosk.Admit), string(kiosk.ReasonOK), false)
		}
		items, err := d.db.Outbox(ctx, n)
		if err != nil || len(items) != n {
			b.Fatalf("outbox %d, %v", len(items), err)
		}
		conn := d.connect(b)
		if err := conn.Ping(ctx); err != nil {
			b.Fatal(err)
		}
		// The floor: the same rows, the same batches, bare. Which goes
		// first alternates, so neither gets the warmer server.
		super := c.fresh(b)
		bareRun := func() time.Duration {
			if _, err := super.Exec(ctx, "TRUNCATE bare"); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			batch := fleet.Default().PushBatch
			for lo := 0; lo < n; lo += batch {
				if err := bareInsert(ctx, conn, d.id, items[lo:min(lo+batch, n)]); err != nil {
					b.Fatal(err)
				}
			}
			return time.Since(start)
		}
		var bare time.Duration
		if i%2 == 0 {
			bare = bareRun()
		}
		b.StartTimer()
		start := time.Now()
		for d.db.OutboxLen() > 0 {
			if _, err := d.agent.PushOnce(ctx, conn); err != nil {
				b.Fatal(err)
			}
		}
		push := time.Since(start)
		b.StopTimer()
		if i%2 == 1 {
			bare = bareRun()
		}
		pushTotal += push
		bareTotal += bare
		b.StartTimer()
	}
	b.ReportMetric(float64(pushTotal.Milliseconds())/float64(b.N), "push-ms")
	b.ReportMetric(float64(bareTotal.Milliseconds())/float64(b.N), "bare-ms")
	b.ReportMetric(float64(pushTotal)/float64(bareTotal), "push/bare")
	b.ReportMetric(float64(n), "records")
}

func bareInsert(ctx context.Context, conn *pgx.Conn, kiosk string, items []storage.OutboxItem) error {
	var ids []int64
	var times []time.Time
	var codes, decisions, reasons, guards, recs []string
	var shown []*float64
	var used []bool
	for _, it := range items {
		var s storage.Screening
		if err := json.Unmarshal(it.Record, &s); err != nil {
			return err
		}
		ids = append(ids, int64(s.ID))
		times = append(times, s.Time)
		codes = append(codes, s.Code)
		decisions = append(decisions, s.Decision)
		reasons = append(reasons, s.Reason)
		guards = append(guards, s.Guard)
		shown = append(shown, s.ShownC)
		used = append(used, s.BookingUsed)
		recs = append(recs, string(it.Record))
	}
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO bare (kiosk_id, id, time, code, decision, reason, shown_c, booking_used, guard, record)
			SELECT $1, * FROM unnest($2::bigint[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::bool[], $9::text[], $10::text[])`,
			kiosk, ids, times, codes, decisions, reasons, shown, used, guards, recs)
		return err
	})
}

// BenchmarkBookingChangeVisible: a central booking change (alternately a
// cancellation and a reactivation) until the kiosk's bbolt has it, with
// the poll at its default 30 s, so the notification does the work.
func BenchmarkBookingChangeVisible(b *testing.B) {
	c := newCentral(b)
	ctx := context.Background()
	d := newDoor(b, c, "visible", "", nil)
	d.run(b)
	if _, err := fleet.ImportBookings(ctx, c.conn, "b.csv", []byte("code,start\nBENCH1,2026-03-16 10:00\n"), vilnius); err != nil {
		b.Fatal(err)
	}
	eventually(b, 5*time.Second, "booking at the kiosk", func() bool { _, err := d.db.Booking(ctx, "BENCH1"); return err == nil })
	var worst time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		status := storage.StatusCancelled
		if i%2 == 1 {
			status = storage.StatusActive
		}
		start := time.Now()
		if _, err := c.conn.Exec(ctx, "UPDATE thermogate.bookings SET status = $1 WHERE code = 'BENCH1'", status); err != nil {
			b.Fatal(err)
		}
		for {
			bk, err := d.db.Booking(ctx, "BENCH1")
			if err == nil && bk.Status == status {
				break
			}
			time.Sleep(200 * time.Microsecond)
		}
		worst = max(worst, time.Since(start))
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
}

// BenchmarkIdleKiosk: a synced kiosk's agent with nothing to do, for
// THERMOGATE_BENCH_IDLE (default 30s) per iteration: the CPU it takes, as a
// share of one core (the server's work is the server's process, not
// counted).
func BenchmarkIdleKiosk(b *testing.B) {
	window := 30 * time.Second
	if s := os.Getenv("THERMOGATE_BENCH_IDLE"); s != "" {
		window, _ = time.ParseDuration(s)
	}
	c := newCentral(b)
	d := newDoor(b, c, "idle", "", nil)
	// The daemon's settings, not the tests' fast ones.
	fc := fleet.Default()
	fc.URL, fc.PasswordFile = d.url, "/x"
	ag, err := fleet.New(context.Background(), fleet.Options{DB: d.db, Config: fc, KioskID: d.id, Password: d.setup.Password})
	if err != nil {
		b.Fatal(err)
	}
	d.agent = ag
	d.run(b)
	eventually(b, 10*time.Second, "synced", func() bool { return !ag.State().LastPull.IsZero() })
	time.Sleep(time.Second)
	var share float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		before := cpu()
		start := time.Now()
		time.Sleep(window)
		share += float64(cpu()-before) / float64(time.Since(start))
	}
	b.ReportMetric(100*share/float64(b.N), "%core")
}

func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
