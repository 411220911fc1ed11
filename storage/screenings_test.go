package storage

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func TestAppendAndRangeInTimeOrder(t *testing.T) {
	db, _ := testDB(t)
	ctx := context.Background()
	loc := vilnius(t)
	at := func(d, h, m, s int) time.Time { return time.Date(2026, 3, d, h, m, s, 0, loc) }
	// Stored out of time order (a clock corrected backwards), and around
	// midnight in Vilnius, which is 22:00 UTC.
	times := []time.Time{at(15, 12, 0, 0), at(15, 9, 0, 0), at(15, 23, 59, 59), at(16, 0, 0, 0), at(15, 0, 0, 0), at(14, 23, 59, 59), at(15, 9, 0, 0)}
	var ids []uint64
	for _, tm := range times {
		ids = append(ids, mustAppend(t, db, screening(tm.UTC(), 36.6)))
	}
	for i, id := range ids {
		if id != uint64(i+1) {
			t.Fatalf("ids %v, want 1, 2, 3, …", ids)
		}
	}
	day, _ := ParseDay("2026-03-15")
	var got []uint64
	err := db.Screenings(ctx, day, func(s Screening) error {
		if s.Time.Location() != loc && s.Time.Format("-07:00") != "+02:00" {
			t.Errorf("time %v not in Vilnius time", s.Time)
		}
		got = append(got, s.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []uint64{5, 2, 7, 1, 3} // 00:00, 09:00 (twice, by id), 12:00, 23:59:59
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("screenings of the 15th: %v, want %v", got, want)
	}
	s, err := db.Screening(ctx, 3)
	if err != nil || s.ID != 3 || *s.ShownC != 36.6 || s.Version != ScreeningVersion || s.Params["c"] != 1.5 {
		t.Errorf("screening 3: %+v %v", s, err)
	}
	if _, err := db.Screening(ctx, 99); !errors.Is(err, ErrNotFound) {
		t.Errorf("screening 99: %v", err)
	}
}

func TestAppendRefusesBadRecords(t *testing.T) {
	db, clk := testDB(t)
	now := clk.Now()
	tests := map[string]func(*Screening){
		"no time":           func(s *Screening) { s.Time = time.Time{} },
		"unknown decision":  func(s *Screening) { s.Decision = "maybe" },
		"unknown reason":    func(s *Screening) { s.Reason = "" },
		"NaN temperature":   func(s *Screening) { s.ShownC = ptr(math.NaN()) },
		"infinite ambient":  func(s *Screening) { s.AmbientC = ptr(math.Inf(1)) },
		"NaN parameter":     func(s *Screening) { s.Params = map[string]float64{"k": math.NaN()} },
		"control character": func(s *Screening) { s.Kiosk = "door\n1" },
	}
	for name, breakIt := range tests {
		s := screening(now, 36.6)
		breakIt(&s)
		if _, err := db.Append(context.Background(), s); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if n := countScreenings(t, db); n != 0 {
		t.Errorf("%d screenings stored from bad records", n)
	}
	s := screening(now, 36.6)
	s.Code, s.Decision, s.Reason = "=cmd|' /C calc'!A0", DecisionDeny, ReasonUnknownCode
	id := mustAppend(t, db, s)
	if got, _ := db.Screening(context.Background(), id); got.Code != "" {
		t.Errorf("a mistyped code was stored as %q, want empty", got.Code)
	}
}

func TestAppendMarksBookingUsedAndAuditsGuard(t *testing.T) {
	db, clk := testDB(t)
	ctx := context.Background()
	if _, err := db.ImportBookings(ctx, ActorAdmin, "b.csv", []byte(goodCSV), "", false); err != nil {
		t.Fatal(err)
	}
	s := screening(clk.Now(), 36.6)
	s.Code, s.BookingUsed = "ab12cd", true
	mustAppend(t, db, s)
	b, _ := db.Booking(ctx, "AB12CD")
	if !b.UsedAt.Equal(clk.Now()) {
		t.Errorf("used at %v, want %v", b.UsedAt, clk.Now())
	}
	clk.Advance(time.Minute)
	mustAppend(t, db, s) // a re-entry keeps the first use
	if b2, _ := db.Booking(ctx, "AB12CD"); !b2.UsedAt.Equal(b.UsedAt) {
		t.Error("second use moved UsedAt")
	}
	g := screening(clk.Now(), 37.9)
	g.Decision, g.Reason, g.Guard, g.OverrideReason, g.ClinicalC = DecisionAdmit, ReasonGuard, "Jonas", "clinical reading normal", ptr(36.9)
	id := mustAppend(t, db, g)
	var last AuditEntry
	db.AuditEntries(ctx, func(e AuditEntry) error { last = e; return nil })
	if last.Actor != "Jonas" || last.Action != "guard.admit" || !strings.Contains(last.Detail, fmt.Sprintf("screening %d", id)) ||
		!strings.Contains(last.Detail, "clinical reading normal") || !strings.Contains(last.Detail, "clinical 36.9 °C") ||
		!strings.Contains(last.Detail, "walk-in") {
		t.Errorf("guard override audited as %+v", last)
	}
}

func countScreenings(t *testing.T, db *DB) int {
	t.Helper()
	n := 0
	db.view(func(tx *bbolt.Tx) error {
		n = tx.Bucket(bucketScreenings).Stats().KeyN
		return nil
	})
	return n
}

// The crash and full-disk tests run a child: this test binary again, with
// the environment telling it what to do.
const (
	envChild = "THERMOGATE_STORAGE_CHILD" // "append" or "fill"
	envPath  = "THERMOGATE_STORAGE_DB"
	envLimit = "THERMOGATE_STORAGE_FSIZE"
)

// TestChild is the child's body; it does nothing in a normal run. It
// appends screenings, printing each id once Append has returned, until it
// is killed or an Append fails.
func TestChild(t *testing.T) {
	mode := os.Getenv(envChild)
	if mode == "" {
		t.Skip("runs only as the child of the crash and full-disk tests")
	}
	if mode == "fill" {
		// Growing the file past the limit then fails with EFBIG instead of
		// killing the process.
		signal.Ignore(syscall.SIGXFSZ)
		limit, _ := strconv.ParseUint(os.Getenv(envLimit), 10, 64)
		var rl syscall.Rlimit
		syscall.Getrlimit(syscall.RLIMIT_FSIZE, &rl)
		rl.Cur = limit
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &rl); err != nil {
			fmt.Printf("setrlimit: %v\n", err)
			os.Exit(3)
		}
	}
	db, err := Open(os.Getenv(envPath), Options{Vocabulary: testVocab, Timeout: 5 * time.Second, Location: time.UTC})
	if err != nil {
		fmt.Printf("ERR open: %v\n", err)
		os.Exit(0)
	}
	fmt.Println("ready")
	ctx := context.Background()
	for i := 0; ; i++ {
		s := screening(time.Now(), 36.0+float64(i%15)/10)
		s.Kiosk = "child"
		s.Code = fmt.Sprintf("CODE%04d", i%9999)
		if i%7 == 0 {
			s.Guard, s.Decision, s.Reason, s.OverrideReason = "Ona", DecisionDeny, ReasonGuard, "test"
		}
		id, err := db.Append(ctx, s)
		if err != nil {
			fmt.Printf("ERR %v\n", err)
			// Later appends must fail too or succeed whole; report them.
			for range 3 {
				if id, err := db.Append(ctx, s); err == nil {
					fmt.Printf("%d\n", id)
				}
			}
			db.Close()
			os.Exit(0)
		}
		fmt.Printf("%d\n", id) // one write: a pipe delivers it whole or not at all
	}
}

// child starts the child and returns it with a reader of its stdout.
func child(t *testing.T, mode, path string, extraEnv ...string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChild$", "-test.v=false")
	cmd.Env = append(os.Environ(), envChild+"="+mode, envPath+"="+path)
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewScanner(out)
}

// checkAcked opens the file, runs bbolt's consistency check and looks for
// every acknowledged screening.
func checkAcked(t *testing.T, path string, acked []uint64) {
	t.Helper()
	db, err := Open(path, Options{Vocabulary: testVocab, Location: time.UTC})
	if err != nil {
		t.Fatalf("open after the child: %v", err)
	}
	defer db.Close()
	if r, err := db.Check(context.Background()); err != nil || !r.OK {
		t.Fatalf("check: %+v %v", r, err)
	}
	if false {
		t.Fatalf("consistency check: %v", err)
	}
	for _, id := range acked {
		s, err := db.Screening(context.Background(), id)
		if err != nil || s.ID != id || s.Kiosk != "child" {
			t.Fatalf("acknowledged screening %d: %+v, %v", id, s, err)
		}
	}
	if r, err := db.VerifyAudit(context.Background()); err != nil || !r.OK {
		t.Fatalf("audit chain after the child: %+v %v", r, err)
	}
}

func TestCrashKeepsAcknowledgedScreenings(t *testing.T) {
	rounds := 12
	if n, err := strconv.Atoi(os.Getenv("THERMOGATE_CRASH_ROUNDS")); err == nil {
		rounds = n
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	var acked []uint64
	killedAfterReady := 0
	for round := range rounds {
		cmd, out := child(t, "append", path)
		// Some kills land while the child opens the file, most while it appends.
		time.Sleep(time.Duration(rand.IntN(150)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		ready := false
		for out.Scan() {
			line := out.Text()
			if line == "ready" {
				ready = true
				continue
			}
			if strings.HasPrefix(line, "ERR") {
				t.Fatalf("round %d: child: %s", round, line)
			}
			id, err := strconv.ParseUint(line, 10, 64)
			if err != nil {
				t.Fatalf("round %d: child said %q", round, line)
			}
			acked = append(acked, id)
		}
		cmd.Wait()
		if ready {
			killedAfterReady++
		}
		checkAcked(t, path, acked)
	}
	if killedAfterReady == 0 || len(acked) == 0 {
		t.Fatalf("no round killed the child while it appended (%d acknowledged)", len(acked))
	}
	t.Logf("%d rounds, %d killed while appending, %d screenings acknowledged and found", rounds, killedAfterReady, len(acked))
}

func TestFullDiskKeepsStoredScreenings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "full.db")
	cmd, out := child(t, "fill", path, envLimit+"=200000")
	var acked []uint64
	var failure string
	for out.Scan() {
		line := out.Text()
		switch {
		case line == "ready":
		case strings.HasPrefix(line, "ERR"):
			failure = line
		default:
			id, err := strconv.ParseUint(line, 10, 64)
			if err != nil {
				t.Fatalf("child said %q", line)
			}
			acked = append(acked, id)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	if !strings.Contains(failure, "file too large") || len(acked) < 10 {
		t.Fatalf("child stopped with %q after %d screenings; want an EFBIG error after some", failure, len(acked))
	}
	checkAcked(t, path, acked)
	// The disk has room again: the file takes more.
	db, err := Open(path, Options{Vocabulary: testVocab, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := screening(time.Now(), 36.6)
	s.Kiosk = "child"
	if _, err := db.Append(context.Background(), s); err != nil {
		t.Fatalf("append after space is back: %v", err)
	}
	t.Logf("%d screenings stored before the file hit its limit: %s", len(acked), failure)
}
