package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

// Actors of audit entries that are not guards.
const (
	ActorAdmin  = "admin"  // the administrator's CLI
	ActorSystem = "system" // the daemon on its own, e.g. the nightly export
)

// AuditVersion is the version of the AuditEntry record format.
const AuditVersion = 1

// chainMark names one audit entry by its id and the sha256 of its stored
// bytes: meta keeps the head (last entry) and the anchor (last purged entry).
type chainMark struct {
	ID   uint64 `json:"id"`
	Hash string `json:"hash"`
}

// Audit appends one entry to the audit log in its own transaction: for
// events that change nothing else in the database, such as a guard's
// action at the kiosk or a configuration file loaded.
func (db *DB) Audit(ctx context.Context, actor, action, detail string) (AuditEntry, error) {
	if err := ctx.Err(); err != nil {
		return AuditEntry{}, err
	}
	var e AuditEntry
	err := db.update(func(tx *bbolt.Tx) error {
		var err error
		e, err = db.auditTx(tx, actor, action, detail)
		return err
	})
	if err != nil {
		return AuditEntry{}, fmt.Errorf("audit %s: %w", action, err)
	}
	return e, nil
}

// auditTx appends an entry inside tx, so that a change and its entry are
// committed together or not at all.
func (db *DB) auditTx(tx *bbolt.Tx, actor, action, detail string) (AuditEntry, error) {
	if actor == "" || action == "" {
		return AuditEntry{}, fmt.Errorf("BUG: audit entry without actor or action (%q, %q)", actor, action)
	}
	meta := tx.Bucket(bucketMeta)
	head, err := readMark(meta, metaAuditHead)
	if err != nil {
		return AuditEntry{}, err
	}
	b := tx.Bucket(bucketAudit)
	id, err := b.NextSequence()
	if err != nil {
		return AuditEntry{}, err
	}
	e := AuditEntry{
		ID: id, Time: db.clock.Now().In(db.loc), Actor: actor, Action: action,
		Detail: detail, Prev: head.Hash, Version: AuditVersion,
	}
	data, err := json.Marshal(e)
	if err != nil {
		return AuditEntry{}, err
	}
	if err := b.Put(u64key(id), data); err != nil {
		return AuditEntry{}, err
	}
	if err := outboxTx(tx, OutboxAudit, id, data); err != nil {
		return AuditEntry{}, err
	}
	if err := writeMark(meta, metaAuditHead, chainMark{ID: id, Hash: hashHex(data)}); err != nil {
		return AuditEntry{}, err
	}
	if err := db.countDay(tx, DayOf(e.Time, db.loc), 0, 1); err != nil {
		return AuditEntry{}, err
	}
	return e, nil
}

// AuditReport is the result of VerifyAudit.
type AuditReport struct {
	OK      bool   `json:"ok"`
	Entries int    `json:"entries"`           // entries checked
	First   uint64 `json:"first,omitempty"`   // id of the oldest entry kept
	Last    uint64 `json:"last,omitempty"`    // id of the newest entry
	Anchor  uint64 `json:"anchor,omitempty"`  // id of the last purged entry, 0 if none was purged
	Broken  uint64 `json:"broken,omitempty"`  // id of the first entry whose link does not hold
	Problem string `json:"problem,omitempty"` // what is wrong there, in words
	// Where names the first record whose link does not hold, in any chain:
	// "audit entry 4", "screening 5", "booking AB12CD", "booking change 7".
	Where          string `json:"where,omitempty"`
	Screenings     int    `json:"screenings"`      // screenings whose links were checked
	Bookings       int    `json:"bookings"`        // bookings checked against the booking log
	BookingChanges int    `json:"booking_changes"` // entries of the booking log checked
	// Unchained: a file of schema 1, opened read-only, whose screenings
	// and bookings are not chained yet; only the audit log was checked.
	Unchained bool `json:"unchained,omitempty"`
	// Manifest is the export manifest checked against (VerifyManifest).
	Manifest string `json:"manifest,omitempty"`
}

// VerifyAudit checks every hash chain: the audit log (verifyAuditLog), the
// screenings and the booking log with the bookings themselves (chain.go).
// It reports the first broken link in Where and Problem; an error means
// the check itself could not run.
func (db *DB) VerifyAudit(ctx context.Context) (AuditReport, error) {
	r, err := db.verifyAuditLog(ctx)
	if err != nil || !r.OK {
		if r.Broken != 0 {
			r.Where = fmt.Sprintf("audit entry %d", r.Broken)
		}
		return r, err
	}
	var schema int
	if err := db.view(func(tx *bbolt.Tx) (err error) { schema, err = schemaOf(tx); return err }); err != nil {
		return AuditReport{}, fmt.Errorf("verify: %w", err)
	}
	if schema < 2 {
		r.Unchained = true
		return r, nil
	}
	if err := db.verifyScreenings(ctx, &r); err != nil {
		return AuditReport{}, fmt.Errorf("verify screenings: %w", err)
	}
	if r.Where == "" {
		if err := db.verifyBookings(ctx, &r); err != nil {
			return AuditReport{}, fmt.Errorf("verify bookings: %w", err)
		}
	}
	r.OK = r.Where == ""
	return r, nil
}

// verifyAuditLog walks the audit log from the anchor left by the last purge to
// the head recorded in meta and checks every link: each entry's Prev must
// be the sha256 of the stored bytes of the entry before it, the ids must
// follow one another, and the last entry must be the recorded head (so that
// removing entries from the end shows too). It reports the first broken
// link; an error means the check itself could not run.
func (db *DB) verifyAuditLog(ctx context.Context) (AuditReport, error) {
	var r AuditReport
	err := db.view(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		anchor, err := readMark(meta, metaAuditAnchor)
		if err != nil {
			return err
		}
		head, err := readMark(meta, metaAuditHead)
		if err != nil {
			return err
		}
		r.Anchor = anchor.ID
		prev := anchor
		broken := func(id uint64, format string, a ...any) error {
			r.Broken, r.Problem = id, fmt.Sprintf(format, a...)
			return errStop
		}
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if r.Entries%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if len(k) != 8 {
				return broken(prev.ID+1, "a key of %d bytes in the audit bucket", len(k))
			}
			id := binary.BigEndian.Uint64(k)
			if id != prev.ID+1 {
				return broken(prev.ID+1, "entry %d is missing (the next one kept is %d)", prev.ID+1, id)
			}
			var e AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return broken(id, "entry %d is not a valid record: %v", id, err)
			}
			if e.ID != id {
				return broken(id, "entry %d says it is entry %d", id, e.ID)
			}
			if e.Prev != prev.Hash {
				if prev.ID == 0 || prev.ID == anchor.ID {
					return broken(id, "entry %d links to %s, but the chain starts from %s (entry %d was changed, or the purge anchor was)", id, short(e.Prev), short(prev.Hash), id)
				}
				return broken(id, "entry %d links to %s, but entry %d's sha256 is %s: entry %d was changed", id, short(e.Prev), prev.ID, short(prev.Hash), prev.ID)
			}
			if r.First == 0 {
				r.First = id
			}
			r.Last = id
			r.Entries++
			prev = chainMark{ID: id, Hash: hashHex(v)}
		}
		if prev != head {
			if head.ID > prev.ID {
				return broken(prev.ID+1, "the log ends at entry %d but entries up to %d were written: entries at the end were removed", prev.ID, head.ID)
			}
			return broken(prev.ID, "the log ends at entry %d (sha256 %s), but the recorded head is entry %d (sha256 %s)", prev.ID, short(prev.Hash), head.ID, short(head.Hash))
		}
		r.OK = true
		return nil
	})
	if err == errStop {
		err = nil
	}
	if err != nil {
		return AuditReport{}, fmt.Errorf("verify audit log: %w", err)
	}
	return r, nil
}

// AuditEntries calls fn for every entry of the audit log in order.
func (db *DB) AuditEntries(ctx context.Context, fn func(AuditEntry) error) error {
	return db.scanChunks(ctx, bucketAudit, nil, nil, func(_ *bbolt.Tx, k, v []byte) error {
		var e AuditEntry
		if err := decode(v, &e, "audit entry %x", k); err != nil {
			return err
		}
		return fn(e)
	})
}

func readMark(meta *bbolt.Bucket, key []byte) (chainMark, error) {
	var m chainMark
	raw := meta.Get(key)
	if raw == nil {
		return m, nil
	}
	if err := decode(raw, &m, "meta %s", key); err != nil {
		return m, err
	}
	return m, nil
}

func writeMark(meta *bbolt.Bucket, key []byte, m chainMark) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return meta.Put(key, data)
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// short abbreviates a hash for a message; the empty hash is the start of the log.
func short(h string) string {
	if h == "" {
		return "nothing (the start of the log)"
	}
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}

func u64key(n uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], n)
	return k[:]
}

// errStop ends a scan early without an error.
var errStop = errors.New("stop")

// scanChunks calls fn for the keys of bucket from start (inclusive; nil for
// the first) to end (exclusive; nil for no end), in key order. It reads in
// short transactions of a few thousand keys, because a long read
// transaction would stop the kiosk's writes from growing the file. fn gets
// the transaction to look up more; what it is passed is valid only during
// the call.
func (db *DB) scanChunks(ctx context.Context, bucket, start, end []byte, fn func(tx *bbolt.Tx, k, v []byte) error) error {
	const chunk = 4096
	next := append([]byte(nil), start...)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var last []byte
		done := false
		err := db.view(func(tx *bbolt.Tx) error {
			c := tx.Bucket(bucket).Cursor()
			var k, v []byte
			if next == nil {
				k, v = c.First()
			} else {
				k, v = c.Seek(next)
			}
			for n := 0; ; n++ {
				if k == nil || (end != nil && bytes.Compare(k, end) >= 0) {
					done = true
					return nil
				}
				if n == chunk {
					last = append([]byte(nil), k...)
					return nil
				}
				if err := fn(tx, k, v); err != nil {
					return err
				}
				k, v = c.Next()
			}
		})
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		next = last
	}
}
