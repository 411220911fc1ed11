package storage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// BenchmarkAppend is one screening stored and fsynced, as the kiosk does
// before it shows a decision.
func BenchmarkAppend(b *testing.B) {
	db, clk := testDB(b)
	s := screening(clk.Now(), 36.6)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s.Time = s.Time.Add(time.Second)
		if _, err := db.Append(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBoltPut is the floor under Append: a bare bbolt transaction
// that puts one value of a screening's size under a sequence key.
func BenchmarkBoltPut(b *testing.B) {
	bdb, err := bbolt.Open(filepath.Join(b.TempDir(), "bare.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer bdb.Close()
	value := []byte(strings.Repeat("x", 330)) // a stored screening is about 330 bytes of JSON
	bdb.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("s")); return err })
	b.ResetTimer()
	for b.Loop() {
		err := bdb.Update(func(tx *bbolt.Tx) error {
			bk := tx.Bucket([]byte("s"))
			n, _ := bk.NextSequence()
			return bk.Put(u64key(n), value)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBookingLookup finds a code among 100,000 bookings, as the kiosk
// does for every visitor. The setup imports them in one file.
func BenchmarkBookingLookup(b *testing.B) {
	db, _ := testDB(b)
	const n = 100_000
	var f strings.Builder
	f.WriteString("code,start,minutes,service,lang\n")
	codes := make([]string, n)
	for i := range n {
		codes[i] = fmt.Sprintf("BK%08d", i)
		fmt.Fprintf(&f, "%s,2026-04-%02d %02d:%02d,15,Passports,lt\n", codes[i], 1+i%28, 8+i/60%9, i%60)
	}
	start := time.Now()
	if _, err := db.ImportBookings(context.Background(), ActorAdmin, "big.csv", []byte(f.String()), "", false); err != nil {
		b.Fatal(err)
	}
	imported := time.Since(start)
	ctx := context.Background()
	for b.Loop() {
		if _, err := db.Booking(ctx, codes[rand.IntN(n)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(imported.Seconds(), "import-s") // after the loop: b.Loop resets the metrics
}

// BenchmarkPINVerify is one guard PIN check at the default cost. Run with
// -tags purego to time Go's portable argon2, which is what an arm64 Pi runs.
func BenchmarkPINVerify(b *testing.B) {
	h, err := hashPIN("4729", DefaultPINParams)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _ := verifyPIN("4729", h); !ok {
			b.Fatal("no match")
		}
	}
}

// BenchmarkExportDay exports one day of THERMOGATE_BENCH_EXPORT screenings
// (skipped without it: filling a million takes a while) and reports the
// time and the peak heap in use, next to a bare cursor scan of the same
// bucket. Run it with -benchtime 1x; bench/storage.sh does.
func BenchmarkExportDay(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("THERMOGATE_BENCH_EXPORT"))
	if n <= 0 {
		b.Skip("set THERMOGATE_BENCH_EXPORT to the number of screenings")
	}
	loc := vilnius(b)
	day := NewDay(2026, 3, 15)
	db, clk := testDBAt(b, day.Start(loc))
	step := 24 * time.Hour / time.Duration(n)
	const batch = 10_000
	for i := 0; i < n; i += batch {
		err := db.update(func(tx *bbolt.Tx) error {
			for j := i; j < min(i+batch, n); j++ {
				s := screening(day.Start(loc).Add(time.Duration(j)*step), 35.5+float64(j%25)/10)
				if j%50 == 0 {
					s.Decision, s.Reason = DecisionDeny, ReasonFever
				}
				if _, err := db.appendTx(tx, &s); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	clk.Set(day.AddDays(1).Start(loc).Add(2 * time.Hour))

	// The floor: read every stored record once, in key order.
	runtime.GC()
	start := time.Now()
	var bytes int
	err := db.view(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketScreenings).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			bytes += len(v)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	scan := time.Since(start)

	dir := b.TempDir()
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	peak := base.HeapInuse
	// HeapInuse includes garbage not yet collected, which the GC lets grow
	// to a few MiB whatever the work; the live heap after each collection is
	// what the export really holds.
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	baseLive, peakLive := live[0].Value.Uint64(), uint64(0)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
				metrics.Read(live)
				peakLive = max(peakLive, live[0].Value.Uint64())
			}
		}
	})
	b.ResetTimer()
	start = time.Now()
	res, err := db.ExportDay(context.Background(), ActorSystem, day, dir)
	export := time.Since(start)
	close(stop)
	wg.Wait()
	if err != nil {
		b.Fatal(err)
	}
	if res.Manifest.Screenings != n {
		b.Fatalf("exported %d of %d", res.Manifest.Screenings, n)
	}
	b.ReportMetric(float64(n), "screenings")
	b.ReportMetric(scan.Seconds(), "scan-s")
	b.ReportMetric(export.Seconds(), "export-s")
	b.ReportMetric(float64(peak-base.HeapInuse)/(1<<20), "peak-heap-growth-MiB")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric((float64(peakLive)-float64(baseLive))/(1<<20), "peak-live-heap-growth-MiB")
	b.ReportMetric(float64(bytes)/(1<<20), "stored-MiB")
}

// BenchmarkAppendNoSync and BenchmarkBoltPutNoSync are the same two without
// fsync: what is left is the CPU cost of Append's work (JSON, the hash
// chain's sha256 and head, the index, the day count) over a bare put,
// which fsync's noise hides in the pair above.
func BenchmarkAppendNoSync(b *testing.B) {
	db, clk := testDB(b)
	db.bolt.NoSync = true
	s := screening(clk.Now(), 36.6)
	ctx := context.Background()
	for b.Loop() {
		s.Time = s.Time.Add(time.Second)
		if _, err := db.Append(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBoltPutNoSync(b *testing.B) {
	bdb, err := bbolt.Open(filepath.Join(b.TempDir(), "bare.db"), 0o600, &bbolt.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer bdb.Close()
	value := []byte(strings.Repeat("x", 400)) // a stored screening with its link is about 400 bytes of JSON
	bdb.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("s")); return err })
	for b.Loop() {
		err := bdb.Update(func(tx *bbolt.Tx) error {
			bk := tx.Bucket([]byte("s"))
			n, _ := bk.NextSequence()
			return bk.Put(u64key(n), value)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
