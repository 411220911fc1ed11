package storage

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// exportDay sets up a database on 2026-03-16 with a day of screenings and
// audit entries on the 15th.
func exportDay(t *testing.T) (*DB, Day) {
	t.Helper()
	loc := vilnius(t)
	db, clk := testDBAt(t, time.Date(2026, 3, 15, 8, 0, 0, 0, loc))
	ctx := context.Background()
	if _, err := db.ImportBookings(ctx, ActorAdmin, "b.csv", []byte(goodCSV), "", false); err != nil {
		t.Fatal(err)
	}
	for i, shown := range []float64{36.4, 36.6, 36.5, 36.9, 36.6} {
		mustAppend(t, db, screening(clk.Now().Add(time.Duration(i)*time.Minute), shown))
	}
	fever := screening(clk.Now().Add(10*time.Minute), 37.8)
	fever.Decision, fever.Reason, fever.Retest = DecisionDeny, ReasonFever, true
	mustAppend(t, db, fever)
	unknown := Screening{Time: clk.Now().Add(11 * time.Minute), Kiosk: "door-1", Code: "ZZZZ99", Decision: DecisionDeny, Reason: ReasonUnknownCode, ThresholdC: 37.3}
	mustAppend(t, db, unknown)
	refer := Screening{Time: clk.Now().Add(12 * time.Minute), Kiosk: "door-1", Decision: DecisionRefer, Reason: ReasonNoReading, ThresholdC: 37.3}
	mustAppend(t, db, refer)
	override := screening(clk.Now().Add(13*time.Minute), 37.5)
	override.Reason, override.Guard, override.OverrideReason, override.ClinicalC = ReasonGuard, "Ona", "clinical 36.8", ptr(36.8)
	mustAppend(t, db, override)
	clk.Set(time.Date(2026, 3, 16, 9, 0, 0, 0, loc))
	mustAppend(t, db, screening(clk.Now(), 36.6)) // the 16th: not in the export of the 15th
	return db, NewDay(2026, 3, 15)
}

func readFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
		fi, _ := e.Info()
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
	return out
}

func TestExportDay(t *testing.T) {
	db, day := exportDay(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "export")
	res, err := db.ExportDay(ctx, ActorAdmin, day, dir)
	if err != nil {
		t.Fatal(err)
	}
	files := readFiles(t, dir)
	names := []string{"audit-2026-03-15.jsonl", "manifest-2026-03-15.json", "screenings-2026-03-15.csv", "screenings-2026-03-15.jsonl"}
	if fmt.Sprint(mapKeys(files)) != fmt.Sprint(names) {
		t.Fatalf("files %v, want %v", mapKeys(files), names)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", fi.Mode().Perm())
	}

	rows, err := csv.NewReader(bytes.NewReader(files["screenings-2026-03-15.csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(strings.Join(rows[0], ","), "id,time,code,decision,reason,shown_c,object_c,ambient_c,model,threshold_c,retest,guard") {
		t.Errorf("header %v", rows[0])
	}
	if len(rows) != 10 {
		t.Fatalf("%d CSV lines, want header and 9 screenings", len(rows))
	}
	if got := strings.Join(rows[1], ","); got != "1,2026-03-15T08:00:00+02:00,,admit,ok,36.4,34.9,22.01,offset/1,37.3,false,,,,door-1,c=1.5" {
		t.Errorf("first row %s", got)
	}
	if got := strings.Join(rows[6], ","); got != "6,2026-03-15T08:10:00+02:00,,deny,fever,37.8,36.3,22.01,offset/1,37.3,true,,,,door-1,c=1.5" {
		t.Errorf("fever row %s", got)
	}
	if got := strings.Join(rows[9][11:14], ","); got != "Ona,clinical 36.8,36.8" {
		t.Errorf("override row %v", rows[9])
	}

	// JSON Lines: the stored records, in the same order.
	lines := strings.Split(strings.TrimSuffix(string(files["screenings-2026-03-15.jsonl"]), "\n"), "\n")
	if len(lines) != 9 {
		t.Fatalf("%d JSON lines", len(lines))
	}
	var s Screening
	if err := json.Unmarshal([]byte(lines[8]), &s); err != nil || s.ID != 9 || s.Guard != "Ona" {
		t.Errorf("last line %s: %v", lines[8], err)
	}

	// Audit lines chain: each line's sha256 is the next line's prev.
	audit := strings.Split(strings.TrimSuffix(string(files["audit-2026-03-15.jsonl"]), "\n"), "\n")
	if len(audit) != 2 {
		t.Fatalf("audit lines %q, want the import and the guard's override", audit)
	}
	var a2 AuditEntry
	json.Unmarshal([]byte(audit[1]), &a2)
	if sum := sha256.Sum256([]byte(audit[0])); a2.Prev != hex.EncodeToString(sum[:]) || a2.Action != "guard.admit" {
		t.Errorf("audit line 2 %+v does not link to line 1", a2)
	}

	// The manifest's hashes are the files'.
	var m Manifest
	if err := json.Unmarshal(files["manifest-2026-03-15.json"], &m); err != nil {
		t.Fatal(err)
	}
	if m.Screenings != 9 || m.AuditEntries != 2 || m.Day != day || m.TimeZone != "Europe/Vilnius" || len(m.Files) != 3 {
		t.Errorf("manifest %+v", m)
	}
	for _, f := range m.Files {
		sum := sha256.Sum256(files[f.Name])
		if f.SHA256 != hex.EncodeToString(sum[:]) || f.Bytes != int64(len(files[f.Name])) {
			t.Errorf("manifest entry %+v does not match the file", f)
		}
	}
	st := m.Stats
	if st.Screenings != 9 || st.Admitted != 6 || st.Denied != 2 || st.Referred != 1 || st.DeniedBy["fever"] != 1 || st.DeniedBy["unknown_code"] != 1 || st.Readings != 6 {
		t.Errorf("stats %+v", st)
	}
	// Admitted: 36.4 36.5 36.6 36.6 36.9 37.5 → nearest rank p10 = 1st, median = 3rd, p90 = 6th.
	if *st.P10C != 36.4 || *st.MedianC != 36.6 || *st.P90C != 37.5 || st.CalibrationWarning != "" {
		t.Errorf("percentiles %v %v %v %q", *st.P10C, *st.MedianC, *st.P90C, st.CalibrationWarning)
	}
	sum := sha256.Sum256(files["manifest-2026-03-15.json"])
	if res.File.SHA256 != hex.EncodeToString(sum[:]) {
		t.Error("result's manifest hash differs from the file's")
	}

	// Recorded, with its audit entry.
	rec, err := db.ExportRecord(ctx, day)
	if err != nil || rec.Screenings != 9 || rec.AuditEntries != 2 || len(rec.Files) != 4 || rec.Files[3].SHA256 != res.File.SHA256 {
		t.Errorf("export record %+v %v", rec, err)
	}
	var last AuditEntry
	db.AuditEntries(ctx, func(e AuditEntry) error { last = e; return nil })
	if last.Action != "export.done" || last.Actor != ActorAdmin || !strings.Contains(last.Detail, "2026-03-15: 9 screenings, 2 audit entries") {
		t.Errorf("last audit entry %+v", last)
	}

	// Again: the same bytes.
	if _, err := db.ExportDay(ctx, ActorAdmin, day, dir); err != nil {
		t.Fatal(err)
	}
	again := readFiles(t, dir)
	for name, b := range files {
		if !bytes.Equal(again[name], b) {
			t.Errorf("%s differs on the second export", name)
		}
	}
	if len(again) != len(files) {
		t.Errorf("second export left %v", mapKeys(again))
	}
}

func mapKeys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestExportRefusesDaysNotOver(t *testing.T) {
	db, day := exportDay(t)
	_, err := db.ExportDay(context.Background(), ActorAdmin, day.AddDays(1), t.TempDir())
	if !errors.Is(err, ErrDayNotOver) || !strings.Contains(err.Error(), "it ends at 2026-03-17 00:00 EET") {
		t.Errorf("export today: %v", err)
	}
}

func TestExportAllOrNothing(t *testing.T) {
	db, day := exportDay(t)
	dir := t.TempDir()
	calls := 0
	db.rename = func(a, b string) error {
		if calls++; calls == 3 {
			return errors.New("disk on fire")
		}
		return os.Rename(a, b)
	}
	if _, err := db.ExportDay(context.Background(), ActorAdmin, day, dir); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("export with a failing rename: %v", err)
	}
	if left := readFiles(t, dir); len(left) != 0 {
		t.Errorf("a failed export left %v", mapKeys(left))
	}
	if _, err := db.ExportRecord(context.Background(), day); !errors.Is(err, ErrNotFound) {
		t.Errorf("a failed export was recorded: %v", err)
	}
	// A directory that cannot be made.
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	db.rename = os.Rename
	if _, err := db.ExportDay(context.Background(), ActorAdmin, day, filepath.Join(file, "sub")); err == nil {
		t.Error("exported into a path under a file")
	}
}

func TestUnexportedDays(t *testing.T) {
	db, day := exportDay(t)
	ctx := context.Background()
	today := db.Today()
	got, err := db.UnexportedDays(ctx, today)
	if err != nil || fmt.Sprint(got) != "[2026-03-15]" {
		t.Fatalf("before export: %v %v", got, err)
	}
	if got, _ := db.UnexportedDays(ctx, today.AddDays(1)); fmt.Sprint(got) != "[2026-03-15 2026-03-16]" {
		t.Errorf("up to tomorrow: %v", got)
	}
	if _, err := db.ExportDay(ctx, ActorAdmin, day, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.UnexportedDays(ctx, today); len(got) != 0 {
		t.Errorf("after export: %v", got)
	}
	// A record stored late (a clock that was wrong) makes the day due again.
	mustAppend(t, db, screening(day.Start(db.loc).Add(20*time.Hour), 36.6))
	if got, _ := db.UnexportedDays(ctx, today); fmt.Sprint(got) != "[2026-03-15]" {
		t.Errorf("after a late record: %v", got)
	}
}

// The figures are storage's; judging them is the vocabulary's Calibration
// (the kiosk's band is tested in kiosk).
func TestStatsPercentilesAndCalibration(t *testing.T) {
	b := statsBuilder{v: testVocab}
	// 19 readings from 35.0 to 36.8: median is the 10th, 35.9.
	for i := range 19 {
		s := Screening{Decision: DecisionAdmit, ShownC: ptr(35.0 + float64(i)/10)}
		b.add(&s)
	}
	st := b.stats()
	if *st.MedianC != 35.9 || *st.P10C != 35.1 || *st.P90C != 36.7 || st.CalibrationWarning != "" {
		t.Errorf("19 readings: %v %v %v %q", *st.P10C, *st.MedianC, *st.P90C, st.CalibrationWarning)
	}
	// Twenty readings of a cold-reading kiosk: the judge's warning.
	c := statsBuilder{v: testVocab}
	for range 20 {
		s := Screening{Decision: DecisionAdmit, ShownC: ptr(35.4)}
		c.add(&s)
	}
	if w := c.stats().CalibrationWarning; w != "median 35.4 °C" {
		t.Errorf("warning %q", w)
	}
	e := statsBuilder{v: testVocab}
	if st := e.stats(); st.MedianC != nil || st.DeniedBy == nil {
		t.Errorf("empty day: %+v", st)
	}
}

// lines counts a file's lines, for the streaming test.
func lines(t *testing.T, path string) int {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
	}
	return n
}

func TestExportReadsAcrossChunks(t *testing.T) {
	// More screenings than one read transaction takes.
	db, clk := testDBAt(t, time.Date(2026, 3, 15, 8, 0, 0, 0, vilnius(t)))
	const n = 4096*2 + 17
	err := db.update(func(tx *bbolt.Tx) error {
		for i := range n {
			s := screening(clk.Now().Add(time.Duration(i)*time.Second), 36.6)
			if _, err := db.appendTx(tx, &s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	clk.Set(time.Date(2026, 3, 16, 1, 0, 0, 0, vilnius(t)))
	dir := t.TempDir()
	res, err := db.ExportDay(context.Background(), ActorSystem, NewDay(2026, 3, 15), dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.Screenings != n || lines(t, filepath.Join(dir, "screenings-2026-03-15.csv")) != n+1 {
		t.Errorf("exported %d of %d", res.Manifest.Screenings, n)
	}
}
