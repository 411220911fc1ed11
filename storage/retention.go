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
	// Unsent is how many of the removed records were still queued for the
	// central database (a kiosk in a fleet, offline or with [fleet] url
	// emptied, for longer than the retention): retention is the legal limit,
	// so they are dropped from the outbox unsent, and the day's
	// retention.purge audit entry says how many.
	Unsent int `json:"unsent,omitempty"`
}

// Purge removes the screenings and audit entries of days more than
// keepDays before today (keepDays 30 on 1 May keeps 1 April on), but only
// of days whose export is current. Each day goes in its own transaction
// with its audit entry. Audit entries go from the start of the chain only,
// and the hash of the last one removed is kept in meta as the anchor from
// which VerifyAudit starts; screenings go by day, and each run removed is
// recorded as a gap in their chain. A removed record still queued in the
// outbox leaves it in the same transaction: nothing retention removed goes
// to the central database afterwards.
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
		var nScr, nAudit, nUnsent int
		waiting := false
		err := db.update(func(tx *bbolt.Tx) error {
			if ok, err := db.purgeable(tx, day, cutoff); err != nil {
				return err
			} else if !ok {
				waiting = true
				return errStop // nothing to commit
			}
			scrIDs, err := db.purgeScreenings(tx, day)
			if err != nil {
				return err
			}
			audIDs, err := db.purgeAudit(tx, day, cutoff)
			if err != nil {
				return err
			}
			nScr, nAudit = len(scrIDs), len(audIDs)
			if nUnsent, err = unqueueTx(tx, scrIDs, audIDs); err != nil {
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
			unsent := ""
			if nUnsent > 0 {
				unsent = fmt.Sprintf("; %d of them not yet sent to the central database, dropped from the outbox unsent", nUnsent)
			}
			_, err = db.auditTx(tx, actor, "retention.purge", fmt.Sprintf("%s: %d screenings, %d audit entries removed (kept: %d days; exported %s)%s",
				day, nScr, nAudit, keepDays, rec.ExportedAt.In(db.loc).Format("2006-01-02"), unsent))
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
		res.Unsent += nUnsent
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
// (see gapTx), so the chain still verifies across it. It returns the ids
// removed.
func (db *DB) purgeScreenings(tx *bbolt.Tx, day Day) ([]uint64, error) {
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
	ids := make([]uint64, 0, len(keys))
	var last chainMark
	for _, k := range keys {
		id := binary.BigEndian.Uint64(k[8:])
		if run != nil && id != run[1]+1 {
			if err := gapTx(tx, run[0], last); err != nil {
				return nil, err
			}
			run = nil
		}
		if run == nil {
			run = []uint64{id, id}
		}
		run[1] = id
		last = chainMark{ID: id, Hash: hashHex(scr.Get(k[8:]))}
		if err := scr.Delete(k[8:]); err != nil {
			return nil, err
		}
		if err := idx.Delete(k); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if run != nil {
		if err := gapTx(tx, run[0], last); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// purgeAudit removes entries from the start of the chain while they belong
// to day or another purgeable day, and moves the anchor past them. The
// first entry of a day that must stay ends the run: the chain is cut only
// at its start. It returns the ids removed.
func (db *DB) purgeAudit(tx *bbolt.Tx, day, cutoff Day) ([]uint64, error) {
	b := tx.Bucket(bucketAudit)
	var keys [][]byte
	var ids []uint64
	var anchor chainMark
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var e AuditEntry
		if err := decode(v, &e, "audit entry %x", k); err != nil {
			return nil, err
		}
		if d := DayOf(e.Time, db.loc); d != day {
			if ok, err := db.purgeable(tx, d, cutoff); err != nil {
				return nil, err
			} else if !ok {
				break
			}
		}
		keys = append(keys, append([]byte(nil), k...))
		ids = append(ids, e.ID)
		anchor = chainMark{ID: e.ID, Hash: hashHex(v)}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return nil, err
		}
	}
	return ids, writeMark(tx.Bucket(bucketMeta), metaAuditAnchor, anchor)
}

// unqueueTx removes the outbox entries of the screenings and audit entries
// retention removed, in its transaction, and returns how many there were
// (0 without an outbox). Each kind is queued in id order, so the scan
// stops once it is past the highest id removed of both.
func unqueueTx(tx *bbolt.Tx, screenings, audit []uint64) (int, error) {
	b := tx.Bucket(bucketOutbox)
	if b == nil || len(screenings)+len(audit) == 0 {
		return 0, nil
	}
	gone := map[byte]map[uint64]bool{outboxKinds[OutboxScreening]: {}, outboxKinds[OutboxAudit]: {}}
	last := map[byte]uint64{}
	for kind, ids := range map[byte][]uint64{outboxKinds[OutboxScreening]: screenings, outboxKinds[OutboxAudit]: audit} {
		for _, id := range ids {
			gone[kind][id] = true
			last[kind] = max(last[kind], id)
		}
	}
	var del [][]byte
	c := b.Cursor()
	for k, v := c.First(); k != nil && len(last) > 0; k, v = c.Next() {
		if len(k) != 8 || len(v) < 9 || outboxKindNames[v[0]] == "" {
			return 0, fmt.Errorf("outbox entry %x: damaged", k)
		}
		kind, id := v[0], binary.BigEndian.Uint64(v[1:9])
		if gone[kind][id] {
			del = append(del, append([]byte(nil), k...))
		}
		if l, ok := last[kind]; ok && id >= l {
			delete(last, kind) // past every removed record of this kind
		}
	}
	for _, k := range del {
		if err := b.Delete(k); err != nil {
			return 0, fmt.Errorf("outbox: %w", err)
		}
	}
	return len(del), nil
}
