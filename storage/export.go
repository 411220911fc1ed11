package storage

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// ExportFormat is the version of the export files' layout, in the manifest.
//
// Format 2 added the manifest's chain marks and the screenings' prev links.
const ExportFormat = 2

// CSVHeader is the first line of screenings-YYYY-MM-DD.csv.
var CSVHeader = []string{
	"id", "time", "code", "decision", "reason", "shown_c", "object_c", "ambient_c",
	"model", "threshold_c", "retest", "guard", "override_reason", "clinical_c", "kiosk", "params",
}

// ExportFile is one written file.
type ExportFile struct {
	Name    string `json:"name"`
	Records int    `json:"records"` // lines of data (the CSV header is not one)
	Bytes   int64  `json:"bytes"`
	SHA256  string `json:"sha256"`
}

// DayStats are a day's figures, in the manifest.
type DayStats struct {
	Screenings int            `json:"screenings"`
	Admitted   int            `json:"admitted"`
	Denied     int            `json:"denied"`
	DeniedBy   map[string]int `json:"denied_by_reason"`
	Referred   int            `json:"referred"`
	// Readings is how many admitted visitors have a shown temperature; the
	// percentiles below are of those, nearest-rank, in °C.
	Readings int      `json:"admitted_readings"`
	MedianC  *float64 `json:"median_c"`
	P10C     *float64 `json:"p10_c"`
	P90C     *float64 `json:"p90_c"`
	// CalibrationWarning is the judgement of these figures by the
	// vocabulary's Calibration (the kiosk's: the median outside the band
	// healthy visitors read in, on a day with enough readings), or "".
	CalibrationWarning string `json:"calibration_warning,omitempty"`
}

// Manifest is manifest-YYYY-MM-DD.json: what the day's export holds. It
// has no time of export, so the same day exported twice gives the same bytes.
type Manifest struct {
	Format       int          `json:"format"`
	Day          Day          `json:"day"`
	TimeZone     string       `json:"time_zone"`
	Screenings   int          `json:"screenings"`
	AuditEntries int          `json:"audit_entries"`
	Files        []ExportFile `json:"files"`
	Stats        DayStats     `json:"stats"`
	// Chain is where the hash chains stood at the end of the day: checking
	// the database against it (audit verify --manifest) finds records
	// removed from the end after the export.
	Chain ChainMarks `json:"chain"`

	source string // the file ReadManifest read, for messages
}

// ExportRecord is a day's entry in the exports bucket.
type ExportRecord struct {
	Day          Day          `json:"day"`
	Dir          string       `json:"dir"`
	Screenings   uint64       `json:"screenings"`
	AuditEntries uint64       `json:"audit_entries"`
	Files        []ExportFile `json:"files"` // the manifest last
	ExportedAt   time.Time    `json:"exported_at"`
	PurgedAt     time.Time    `json:"purged_at,omitzero"` // when retention removed the day's records
	Version      int          `json:"v"`
}

// ExportResult is what ExportDay wrote.
type ExportResult struct {
	Dir      string     `json:"dir"`
	Manifest Manifest   `json:"manifest"`
	File     ExportFile `json:"manifest_file"` // the manifest itself
}

// ExportDay writes the day's screenings (CSV and JSON Lines), its audit
// entries (JSON Lines) and a manifest into dir, creating dir (mode 0700)
// if needed, and records the export with its audit entry. Each file is
// written to a temporary name, fsynced and renamed, the manifest last, then
// the directory is fsynced; if anything fails, none of the day's files is
// left. Files are mode 0600. The same day exported twice gives the same
// bytes. It reads in short transactions and keeps only counters, so neither
// the kiosk's writes nor memory suffer from a large day.
//
// A day that is not over yet is ErrDayNotOver; a day already purged is
// ErrPurged; a database opened without a Vocabulary is ErrNoVocabulary.
func (db *DB) ExportDay(ctx context.Context, actor string, day Day, dir string) (ExportResult, error) {
	if day.IsZero() {
		return ExportResult{}, fmt.Errorf("%w: export: no day", ErrInvalid)
	}
	if db.vocab.Admit == "" {
		return ExportResult{}, fmt.Errorf("export %s: %w", day, ErrNoVocabulary) // the stats count decisions
	}
	if today := db.Today(); !day.Before(today) {
		return ExportResult{}, fmt.Errorf("export %s: %w: it ends at %s", day, ErrDayNotOver, day.AddDays(1).Start(db.loc).Format("2006-01-02 15:04 MST"))
	}
	var prev ExportRecord
	var exported bool
	if err := db.view(func(tx *bbolt.Tx) (err error) {
		prev, exported, err = readExport(tx, day)
		return err
	}); err != nil {
		return ExportResult{}, fmt.Errorf("export %s: %w", day, err)
	}
	if exported && !prev.PurgedAt.IsZero() {
		return ExportResult{}, fmt.Errorf("export %s: %w on %s; the files exported on %s stand", day,
			ErrPurged, prev.PurgedAt.In(db.loc).Format("2006-01-02"), prev.ExportedAt.In(db.loc).Format("2006-01-02"))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ExportResult{}, fmt.Errorf("export %s: %w", day, err)
	}
	res, err := db.writeExport(ctx, day, dir)
	if err != nil {
		return ExportResult{}, fmt.Errorf("export %s to %s: %w", day, dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	res.Dir = abs
	rec := ExportRecord{
		Day: day, Dir: abs, Screenings: uint64(res.Manifest.Screenings), AuditEntries: uint64(res.Manifest.AuditEntries),
		Files: append(slices.Clone(res.Manifest.Files), res.File), ExportedAt: db.clock.Now().In(db.loc), Version: 1,
	}
	err = db.update(func(tx *bbolt.Tx) error {
		if err := putExport(tx, rec); err != nil {
			return err
		}
		_, err := db.auditTx(tx, actor, "export.done", fmt.Sprintf("%s: %d screenings, %d audit entries to %s; %s sha256 %s",
			day, rec.Screenings, rec.AuditEntries, abs, res.File.Name, res.File.SHA256))
		return err
	})
	if err != nil {
		return ExportResult{}, fmt.Errorf("record export of %s: %w", day, err)
	}
	return res, nil
}

// outFile is an export file being written: a temporary file, a buffer, the
// running sha256 and counts.
type outFile struct {
	final, tmp string
	f          *os.File
	buf        *bufio.Writer
	sum        hash.Hash
	n          int64
	records    int
}

func createOut(dir, name string) (*outFile, error) {
	f, err := os.CreateTemp(dir, "."+name+".*.tmp") // mode 0600
	if err != nil {
		return nil, err
	}
	o := &outFile{final: filepath.Join(dir, name), tmp: f.Name(), f: f, sum: sha256.New()}
	o.buf = bufio.NewWriterSize(io.MultiWriter(f, o.sum), 64<<10)
	return o, nil
}

// Write buffers p and counts it; the hash sees the bytes as they are flushed.
func (o *outFile) Write(p []byte) (int, error) {
	n, err := o.buf.Write(p)
	o.n += int64(n)
	return n, err
}

// finish flushes, fsyncs and closes the temporary file.
func (o *outFile) finish() (ExportFile, error) {
	err := o.buf.Flush()
	if err == nil {
		err = o.f.Sync()
	}
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return ExportFile{}, fmt.Errorf("write %s: %w", filepath.Base(o.final), err)
	}
	return ExportFile{Name: filepath.Base(o.final), Records: o.records, Bytes: o.n, SHA256: hex.EncodeToString(o.sum.Sum(nil))}, nil
}

// writeExport writes the files and renames them into place, or leaves none.
func (db *DB) writeExport(ctx context.Context, day Day, dir string) (res ExportResult, err error) {
	names := []string{
		"screenings-" + day.String() + ".csv",
		"screenings-" + day.String() + ".jsonl",
		"audit-" + day.String() + ".jsonl",
		"manifest-" + day.String() + ".json",
	}
	outs := make([]*outFile, 0, len(names))
	renamed := 0
	defer func() {
		if err == nil {
			return
		}
		for i, o := range outs {
			o.f.Close()
			if i < renamed {
				os.Remove(o.final) // a half-renamed set must not stand
			} else {
				os.Remove(o.tmp)
			}
		}
		if renamed > 0 && renamed < len(names) {
			os.Remove(filepath.Join(dir, names[len(names)-1])) // an older manifest would describe other files
		}
	}()
	for _, n := range names {
		o, err := createOut(dir, n)
		if err != nil {
			return res, err
		}
		outs = append(outs, o)
	}
	csvOut, jsonOut, auditOut, manOut := outs[0], outs[1], outs[2], outs[3]

	cw := csv.NewWriter(csvOut)
	if err := cw.Write(CSVHeader); err != nil {
		return res, err
	}
	st := statsBuilder{v: db.vocab}
	end := day.AddDays(1).Start(db.loc)
	var chain ChainMarks
	row := make([]string, len(CSVHeader))
	err = db.screeningsRaw(ctx, day, func(raw []byte, s *Screening) error {
		screeningRow(row, s, db.loc)
		if err := cw.Write(row); err != nil {
			return err
		}
		csvOut.records++
		if _, err := jsonOut.Write(raw); err != nil {
			return err
		}
		if _, err := jsonOut.Write([]byte{'\n'}); err != nil {
			return err
		}
		jsonOut.records++
		st.add(s)
		return nil
	})
	if err != nil {
		return res, err
	}
	if cw.Flush(); cw.Error() != nil {
		return res, cw.Error()
	}
	// Audit entries are few and kept in chain order; the lines are the
	// stored bytes, so sha256 of one line is the next line's "prev".
	err = db.scanChunks(ctx, bucketAudit, nil, nil, func(_ *bbolt.Tx, k, v []byte) error {
		var e struct {
			Time time.Time `json:"time"`
		}
		if err := decode(v, &e, "audit entry %x", k); err != nil {
			return err
		}
		if e.Time.Before(end) {
			chain.Audit = ChainMark{ID: binary.BigEndian.Uint64(k), SHA256: hashHex(v)}
		}
		if DayOf(e.Time, db.loc) != day {
			return nil
		}
		auditOut.records++
		if _, err := auditOut.Write(v); err != nil {
			return err
		}
		_, err := auditOut.Write([]byte{'\n'})
		return err
	})
	if err != nil {
		return res, err
	}
	err = db.view(func(tx *bbolt.Tx) (err error) {
		chain.Screenings = screeningMark(tx, end)
		chain.Bookings, err = bookingMark(tx, end)
		return err
	})
	if err != nil {
		return res, err
	}
	m := Manifest{Format: ExportFormat, Day: day, TimeZone: db.loc.String(), Screenings: csvOut.records, AuditEntries: auditOut.records, Stats: st.stats(), Chain: chain}
	for _, o := range outs[:3] {
		f, err := o.finish()
		if err != nil {
			return res, err
		}
		m.Files = append(m.Files, f)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return res, err
	}
	if _, err := manOut.Write(append(data, '\n')); err != nil {
		return res, err
	}
	mf, err := manOut.finish()
	if err != nil {
		return res, err
	}
	// Data files first, the manifest last: a manifest names a complete set.
	for _, o := range outs {
		if err := db.rename(o.tmp, o.final); err != nil {
			return res, err
		}
		renamed++
	}
	if err := syncDir(dir); err != nil {
		return res, err
	}
	return ExportResult{Manifest: m, File: mf}, nil
}

// syncDir makes the renames durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// screeningRow fills row with s in CSVHeader's order.
func screeningRow(row []string, s *Screening, loc *time.Location) {
	params := make([]string, 0, len(s.Params))
	for _, k := range slices.Sorted(maps.Keys(s.Params)) {
		params = append(params, k+"="+formatC(s.Params[k]))
	}
	copy(row, []string{
		strconv.FormatUint(s.ID, 10), s.Time.In(loc).Format(time.RFC3339), s.Code, s.Decision, s.Reason,
		optC(s.ShownC), optC(s.ObjectC), optC(s.AmbientC), s.Model, formatC(s.ThresholdC),
		strconv.FormatBool(s.Retest), s.Guard, s.OverrideReason, optC(s.ClinicalC), s.Kiosk, strings.Join(params, ";"),
	})
}

func formatC(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func optC(v *float64) string {
	if v == nil {
		return ""
	}
	return formatC(*v)
}

// statsBuilder counts a day's screenings. Shown temperatures have a 0.1 °C
// resolution, so a count per tenth of a degree gives exact percentiles in
// memory bounded by the range of temperatures, not the number of visitors.
type statsBuilder struct {
	v      Vocabulary // which decision is which, and the judge of the figures
	st     DayStats
	tenths map[int]int
}

func (b *statsBuilder) add(s *Screening) {
	b.st.Screenings++
	switch s.Decision {
	case b.v.Admit:
		b.st.Admitted++
		if s.ShownC != nil {
			if b.tenths == nil {
				b.tenths = map[int]int{}
			}
			b.tenths[roundTenths(*s.ShownC)]++
			b.st.Readings++
		}
	case b.v.Deny:
		b.st.Denied++
		if b.st.DeniedBy == nil {
			b.st.DeniedBy = map[string]int{}
		}
		b.st.DeniedBy[s.Reason]++
	case b.v.Refer:
		b.st.Referred++
	}
}

func roundTenths(c float64) int {
	if c < 0 {
		return -roundTenths(-c)
	}
	return int(c*10 + 0.5)
}

func (b *statsBuilder) stats() DayStats {
	st := b.st
	if st.DeniedBy == nil {
		st.DeniedBy = map[string]int{}
	}
	if st.Readings == 0 {
		return st
	}
	keys := slices.Sorted(maps.Keys(b.tenths))
	// percentile is nearest-rank: the value at rank ⌈p·n/100⌉.
	percentile := func(p int) *float64 {
		rank := max((p*st.Readings+99)/100, 1)
		seen := 0
		for _, k := range keys {
			if seen += b.tenths[k]; seen >= rank {
				v := float64(k) / 10
				return &v
			}
		}
		panic("BUG: percentile rank beyond the count")
	}
	st.P10C, st.MedianC, st.P90C = percentile(10), percentile(50), percentile(90)
	if b.v.Calibration != nil {
		st.CalibrationWarning = b.v.Calibration(st)
	}
	return st
}

func readExport(tx *bbolt.Tx, day Day) (ExportRecord, bool, error) {
	var rec ExportRecord
	raw := tx.Bucket(bucketExports).Get([]byte(day.String()))
	if raw == nil {
		return rec, false, nil
	}
	if err := decode(raw, &rec, "export record %s", day); err != nil {
		return rec, false, err
	}
	return rec, true, nil
}

func putExport(tx *bbolt.Tx, rec ExportRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketExports).Put([]byte(rec.Day.String()), data)
}

// ExportRecord returns what was recorded of the day's export, or ErrNotFound.
func (db *DB) ExportRecord(ctx context.Context, day Day) (ExportRecord, error) {
	var rec ExportRecord
	err := db.view(func(tx *bbolt.Tx) error {
		var found bool
		var err error
		if rec, found, err = readExport(tx, day); err == nil && !found {
			err = ErrNotFound
		}
		return err
	})
	if err != nil {
		return ExportRecord{}, fmt.Errorf("export record %s: %w", day, err)
	}
	return rec, nil
}

// UnexportedDays returns, oldest first, the days before `before` that have
// screenings or audit entries and no current export: never exported, or
// changed since (a record stored late, e.g. under a wrong clock). The daemon
// exports these at start and every night.
func (db *DB) UnexportedDays(ctx context.Context, before Day) ([]Day, error) {
	var out []Day
	err := db.view(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketDays).Cursor()
		for k, v := c.First(); k != nil && string(k) < before.String(); k, v = c.Next() {
			day, err := ParseDay(string(k))
			if err != nil {
				return fmt.Errorf("days bucket: %w", err)
			}
			var counts dayCounts
			if err := decode(v, &counts, "day %s", day); err != nil {
				return err
			}
			rec, found, err := readExport(tx, day)
			if err != nil {
				return err
			}
			if !found || (rec.PurgedAt.IsZero() && !rec.current(counts)) {
				out = append(out, day)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("unexported days: %w", err)
	}
	return out, nil
}

// current reports whether the export holds everything the day has now.
func (rec ExportRecord) current(c dayCounts) bool {
	return rec.Screenings == c.Screenings && rec.AuditEntries == c.Audit
}
