package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"go.etcd.io/bbolt"
)

// maxCheckProblems bounds the problems a check lists; More counts the rest.
const maxCheckProblems = 50

// CheckReport is what Check found.
type CheckReport struct {
	OK    bool  `json:"ok"`
	Bytes int64 `json:"bytes"` // the file's size
	// Problems are bbolt's consistency errors (pages), then thermogate's own
	// (records that do not parse, indexes and day counts that disagree
	// with the records), at most 50.
	Problems []string `json:"problems,omitempty"`
	More     int      `json:"more,omitempty"`
	// Chains is the hash chains' verdict (VerifyAudit).
	Chains AuditReport `json:"chains"`
}

func (r *CheckReport) add(format string, a ...any) {
	if len(r.Problems) >= maxCheckProblems {
		r.More++
		return
	}
	r.Problems = append(r.Problems, fmt.Sprintf(format, a...))
}

// Check checks the whole file: every key and value of every bucket is read
// (a bad page is found here), then that every record parses, that the time
// index and the day counts agree with the screenings, and the hash chains
// (VerifyAudit). bbolt's page-level check is CheckPages.
// It reads the whole file in one read transaction, so on a running kiosk it
// holds back the reuse of freed pages meanwhile (the file may grow a little).
// A damaged file is a report with problems, not an error; an error means
// the check could not run.
func (db *DB) Check(ctx context.Context) (CheckReport, error) {
	var r CheckReport
	err := db.view(func(tx *bbolt.Tx) error {
		r.Bytes = tx.Size()
		if err := touchAll(tx); err != nil {
			r.add("%v", errors.Unwrap(err))
			return nil // reading records from bad pages could only mislead
		}
		return db.checkRecords(ctx, tx, &r)
	})
	if err != nil {
		return CheckReport{}, fmt.Errorf("check %s: %w", db.Path(), err)
	}
	if len(r.Problems) == 0 {
		if r.Chains, err = db.VerifyAudit(ctx); errors.Is(err, ErrCorrupt) {
			r.add("%v", err)
		} else if err != nil {
			return CheckReport{}, err
		}
	}
	r.OK = len(r.Problems) == 0 && r.More == 0 && r.Chains.OK
	return r, nil
}

// touchAll reads every key and value of every bucket in the calling
// goroutine, where guard turns bbolt's assertions and faults on the mapped
// file into ErrCorrupt. bbolt's own Tx.Check runs on a goroutine of its own,
// where a fault (a bad page pointing past the end of the file) would end
// the process: it runs only after this walk touched the same pages safely.
func touchAll(tx *bbolt.Tx) error {
	var sum uint32
	var walk func(b *bbolt.Bucket, depth int) error
	walk = func(b *bbolt.Bucket, depth int) error {
		if depth > 4 {
			return corruptf("buckets nested %d deep", depth)
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			sum = crc32.Update(sum, crc32.IEEETable, k)
			if v != nil {
				sum = crc32.Update(sum, crc32.IEEETable, v)
				continue
			}
			if sub := b.Bucket(k); sub != nil {
				if err := walk(sub, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
		sum = crc32.Update(sum, crc32.IEEETable, name)
		return walk(b, 1)
	})
}

// checkRecords is thermogate's part of Check.
func (db *DB) checkRecords(ctx context.Context, tx *bbolt.Tx, r *CheckReport) error {
	parse := func(bucket []byte, what string, fresh func() any) {
		tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			if err := decode(v, fresh(), what+" %x", k); err != nil {
				r.add("%v", errors.Unwrap(err))
			}
			return nil
		})
	}
	parse(bucketBookings, "booking", func() any { return new(Booking) })
	parse(bucketGuards, "guard", func() any { return new(guardRecord) })
	parse(bucketExports, "export record", func() any { return new(ExportRecord) })
	parse(bucketDays, "day", func() any { return new(dayCounts) })
	if err := ctx.Err(); err != nil {
		return err
	}

	// Screenings: each parses, is filed in the time index under its own
	// time, and is counted on its day; the index names nothing else.
	counted := map[string]uint64{}
	scr, idx := tx.Bucket(bucketScreenings), tx.Bucket(bucketScreeningTimes)
	c := scr.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var s Screening
		if len(k) != 8 {
			r.add("screenings: a key of %d bytes", len(k))
			continue
		}
		id := binary.BigEndian.Uint64(k)
		if err := decode(v, &s, "screening %d", id); err != nil {
			r.add("%v", errors.Unwrap(err))
			continue
		}
		if s.ID != id {
			r.add("screening %d says it is screening %d", id, s.ID)
		}
		if idx.Get(timeKey(s.Time, id)) == nil {
			r.add("screening %d (%s) is missing from the time index", id, s.Time.In(db.loc).Format("2006-01-02 15:04:05"))
		}
		counted[DayOf(s.Time, db.loc).String()]++
	}
	ic := idx.Cursor()
	for k, _ := ic.First(); k != nil; k, _ = ic.Next() {
		if len(k) != 16 || scr.Get(k[8:]) == nil {
			r.add("the time index names screening %x, which is not stored", k[min(8, len(k)):])
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dc := tx.Bucket(bucketDays).Cursor()
	for k, v := dc.First(); k != nil; k, v = dc.Next() {
		var counts dayCounts
		if decode(v, &counts, "day %s", k) != nil {
			continue // listed above
		}
		if n := counted[string(k)]; counts.Screenings != n {
			r.add("day %s counts %d screenings, %d are stored", k, counts.Screenings, n)
		}
		delete(counted, string(k))
	}
	for day, n := range counted {
		if rec, ok, err := readExport(tx, mustDay(day)); err == nil && ok && !rec.PurgedAt.IsZero() {
			continue // stored late for a purged day; it goes with the next purge
		}
		r.add("day %s has %d screenings but no day count", day, n)
	}
	return nil
}

func mustDay(s string) Day {
	d, _ := ParseDay(s)
	return d
}

// BackupResult is a written backup.
type BackupResult struct {
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// WriteTo writes a consistent copy of the whole database to w in one read
// transaction (bbolt's Tx.WriteTo) while the kiosk keeps working.
func (db *DB) WriteTo(w io.Writer) (int64, error) {
	var n int64
	err := db.view(func(tx *bbolt.Tx) (err error) {
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// Backup writes a consistent copy of the database to path (SaveBackup with
// WriteTo) while the kiosk keeps working. path must not be the database.
func (db *DB) Backup(ctx context.Context, path string) (BackupResult, error) {
	if err := ctx.Err(); err != nil {
		return BackupResult{}, err
	}
	if same, err := sameFile(path, db.Path()); err != nil {
		return BackupResult{}, fmt.Errorf("backup to %s: %w", path, err)
	} else if same {
		return BackupResult{}, fmt.Errorf("backup to %s: that is the database itself", path)
	}
	return SaveBackup(path, db.WriteTo)
}

// SaveBackup writes a database copy produced by write to path: into a
// temporary file beside it (mode 0600), fsynced, opened read-only and read
// in full, and only then renamed into place and the directory fsynced. A
// damaged or cut-short copy never replaces a good backup.
func SaveBackup(path string, write func(io.Writer) (int64, error)) (BackupResult, error) {
	fail := func(err error) (BackupResult, error) {
		return BackupResult{}, fmt.Errorf("backup to %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp") // mode 0600
	if err != nil {
		return fail(err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	sum := sha256.New()
	n, err := write(io.MultiWriter(f, sum))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(err)
	}
	if err := checkCopy(tmp); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	if err := syncDir(dir); err != nil {
		return fail(err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return BackupResult{Path: abs, Bytes: n, SHA256: hex.EncodeToString(sum.Sum(nil))}, nil
}

// checkCopy opens a written copy read-only and reads all of it.
func checkCopy(path string) error {
	c, err := Open(path, Options{ReadOnly: true, Timeout: DefaultTimeout})
	if err != nil {
		return fmt.Errorf("the copy does not open: %w", err)
	}
	defer c.Close()
	return c.view(touchAll)
}

// CheckPages runs bbolt's consistency check of every page (Tx.Check: page
// types, double frees, unreachable pages, key order) and returns its
// findings, at most 50. bbolt runs it on a goroutine of its own, where a
// badly damaged page (one pointing past the end of the file) ends the
// process with a fault that cannot be recovered: call it in a process of
// its own, as thermogate db check does, and never in the kiosk.
func (db *DB) CheckPages() ([]string, error) {
	var out []string
	err := db.view(func(tx *bbolt.Tx) error {
		if err := touchAll(tx); err != nil {
			return err
		}
		for err := range tx.Check() { // drained: the checker runs until it closes the channel
			if len(out) < maxCheckProblems {
				out = append(out, err.Error())
			}
		}
		return nil
	})
	return out, err
}

// sameFile reports whether a and b name the same existing file.
func sameFile(a, b string) (bool, error) {
	ia, err := os.Stat(a)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	ib, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(ia, ib), nil
}

// BackupName is the nightly backup's file name for day.
func BackupName(day Day) string { return "backup-" + day.String() + ".db" }

// PruneBackups removes all but the newest keep nightly backups
// (backup-YYYY-MM-DD.db) in dir and returns the names removed. Other files
// are left alone.
func PruneBackups(dir string, keep int) ([]string, error) {
	entries, err := os.ReadDir(dir) // sorted by name, so by day
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && isBackupName(e.Name()) {
			names = append(names, e.Name())
		}
	}
	var removed []string
	for len(names) > max(keep, 0) {
		if err := os.Remove(filepath.Join(dir, names[0])); err != nil {
			return removed, err
		}
		removed, names = append(removed, names[0]), names[1:]
	}
	return removed, nil
}

// isBackupName is the nightly backups' file name pattern, backup-YYYY-MM-DD.db.
func isBackupName(name string) bool {
	day, ok := bytes.CutPrefix([]byte(name), []byte("backup-"))
	if !ok || !bytes.HasSuffix(day, []byte(".db")) {
		return false
	}
	_, err := ParseDay(string(day[:len(day)-3]))
	return err == nil
}
