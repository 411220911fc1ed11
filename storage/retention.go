package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"
)

// DefaultRetentionDays is how long screenings and audit entries stay on the
// kiosk: long enough to look into a complaint, short enough for health data.
const DefaultRetentionDays = 30

// PurgeResult says what Purge removed and what it had to keep.
type PurgeResult struct {
	Days         []Day `json:"days"` // days whose records were removed
	Screenings   int   `json:"screenings"`
	AuditEntries int   `json:"audit_entries"`
	// Waiting are days old enough to go that are not exported (or changed
	// since their export): they stay until exported.
	Waiting []Day `json:"waiting,omitempty"`
}

// Purge removes the screenings and audit entries of days more than
// keepDays before today (keepDays 30 on 1 May keeps 1 April on), but only
// of days whose export is current. Each day goes in its own transaction
// with its audit entry. Audit entries go from the start of the chain only,
// and the hash of the last one removed is kept in meta as the anchor from
// which VerifyAudit starts; screenings go by day, and each run removed is
// recorded as a gap in their chain.
func (db *DB) Purge(ctx context.Context, actor string, keepDays int) (PurgeResult, error) {
	if keepDays < 1 {
		return PurgeResult{}, fmt.Errorf("%w: keep %d days: want at least 1", ErrInvalid, keepDays)
	}
	cutoff := db.Today().AddDays(-keepDays)
	var res PurgeResult
	var days []Day
	err := db.view(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketDays).Cursor()
		for k, _ := c.First(); k != nil && string(k) < cutoff.String(); k, _ = c.Next() {
			d, err := ParseDay(string(k))
			if err != nil {
				return fmt.Errorf("days bucket: %w", err)
			}
			days = append(days, d)
		}
		return nil
	})
	if err != nil {
		return PurgeResult{}, fmt.Errorf("purge: %w", err)
	}
	for _, day := range days {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		var nScr, nAudit int
		waiting := false
		err := db.update(func(tx *bbolt.Tx) error {
			if ok, err := db.purgeable(tx, day, cutoff); err != nil {
				return err
			} else if !ok {
				waiting = true
				return errStop // nothing to commit
			}
			var err error
			if nScr, err = db.purgeScreenings(tx, day); err != nil {
				return err
			}
			if nAudit, err = db.purgeAudit(tx, day, cutoff); err != nil {
				return err
			}
			if err := tx.Bucket(bucketDays).Delete([]byte(day.String())); err != nil {
				return err
			}
			rec, _, err := readExport(tx, day)
			if err != nil {
				return err
			}
			if rec.PurgedAt.IsZero() {
				rec.PurgedAt = db.clock.Now().In(db.loc)
				if err := putExport(tx, rec); err != nil {
					return err
				}
			}
			_, err = db.auditTx(tx, actor, "retention.purge", fmt.Sprintf("%s: %d screenings, %d audit entries removed (kept: %d days; exported %s)",
				day, nScr, nAudit, keepDays, rec.ExportedAt.In(db.loc).Format("2006-01-02")))
			return err
		})
		if err != nil && err != errStop {
			return res, fmt.Errorf("purge %s: %w", day, err)
		}
		if waiting {
			res.Waiting = append(res.Waiting, day)
			continue
		}
		res.Days = append(res.Days, day)
		res.Screenings += nScr
		res.AuditEntries += nAudit
	}
	return res, nil
}

// purgeable reports whether day's records may go: it is before cutoff and
// its export is current, or it was purged before (records stored late).
func (db *DB) purgeable(tx *bbolt.Tx, day, cutoff Day) (bool, error) {
	if !day.Before(cutoff) {
		return false, nil
	}
	rec, found, err := readExport(tx, day)
	if err != nil || !found {
		return false, err
	}
	if !rec.PurgedAt.IsZero() {
		return true, nil
	}
	counts, err := readDayCounts(tx, day)
	if err != nil {
		return false, err
	}
	return rec.current(counts), nil
}

// purgeScreenings removes the day's screenings with their time index keys
// and records each run of consecutive ids removed as a gap in their chain
// (see gapTx), so the chain still verifies across it.
func (db *DB) purgeScreenings(tx *bbolt.Tx, day Day) (int, error) {
	idx := tx.Bucket(bucketScreeningTimes)
	end := string(timeKey(day.AddDays(1).Start(db.loc), 0))
	var keys [][]byte
	c := idx.Cursor()
	for k, _ := c.Seek(timeKey(day.Start(db.loc), 0)); k != nil && string(k) < end; k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	slices.SortFunc(keys, func(a, b []byte) int { return bytes.Compare(a[8:], b[8:]) })
	scr := tx.Bucket(bucketScreenings)
	var run []uint64 // first and last id of the run being removed
	var last chainMark
	for _, k := range keys {
		id := binary.BigEndian.Uint64(k[8:])
		if run != nil && id != run[1]+1 {
			if err := gapTx(tx, run[0], last); err != nil {
				return 0, err
			}
			run = nil
		}
		if run == nil {
			run = []uint64{id, id}
		}
		run[1] = id
		last = chainMark{ID: id, Hash: hashHex(scr.Get(k[8:]))}
		if err := scr.Delete(k[8:]); err != nil {
			return 0, err
		}
		if err := idx.Delete(k); err != nil {
			return 0, err
		}
	}
	if run != nil {
		if err := gapTx(tx, run[0], last); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// purgeAudit removes entries from the start of the chain while they belong
// to day or another purgeable day, and moves the anchor past them. The
// first entry of a day that must stay ends the run: the chain is cut only
// at its start.
func (db *DB) purgeAudit(tx *bbolt.Tx, day, cutoff Day) (int, error) {
	b := tx.Bucket(bucketAudit)
	var keys [][]byte
	var anchor chainMark
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var e AuditEntry
		if err := decode(v, &e, "audit entry %x", k); err != nil {
			return 0, err
		}
		if d := DayOf(e.Time, db.loc); d != day {
			if ok, err := db.purgeable(tx, d, cutoff); err != nil {
				return 0, err
			} else if !ok {
				break
			}
		}
		keys = append(keys, append([]byte(nil), k...))
		anchor = chainMark{ID: e.ID, Hash: hashHex(v)}
	}
	if len(keys) == 0 {
		return 0, nil
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), writeMark(tx.Bucket(bucketMeta), metaAuditAnchor, anchor)
}
