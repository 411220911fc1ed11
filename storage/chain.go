package storage

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/bbolt"
)

// The hash chains. The audit log was the first (audit.go); since schema 2
// the screenings and every change of a booking are chained alike, so that a
// record changed, removed or slipped in inside the file shows:
//
//   - each screening holds in Prev the sha256 of the stored bytes of the
//     screening before it (by id); meta keeps the head (the last one) and
//     the anchor (the last one purged);
//   - every change of a booking (import, cancel, first use, removal) appends
//     an entry to the booking log with the sha256 of the booking's new
//     stored bytes ("" when removed), chained like the audit log; the
//     bookings bucket must then match the log's last word on each code.
//
// The nightly manifest records where each chain stood at the end of its
// day, so that cutting the chains' tails after an export, heads rewound,
// shows when the file is checked against the manifest.

// Keys of the chains in meta.
var (
	metaScreeningHead = []byte("screening_head")
	metaBookingHead   = []byte("booking_head")
)

// bucketBookingLog: big-endian sequence → bookingChange (JSON), chained.
// bucketScreeningGaps: big-endian id of the first screening after a run
// that retention removed → screeningGap (JSON).
var (
	bucketBookingLog    = []byte("booking_log")
	bucketScreeningGaps = []byte("screening_gaps")
)

// screeningGap is a run of screenings From…ID that retention removed; Hash
// is the sha256 of screening ID, to which the next one links.
type screeningGap struct {
	From uint64 `json:"from"`
	ID   uint64 `json:"id"`
	Hash string `json:"hash"`
}

// gapTx records that screenings from…last.ID were removed by retention.
// Gaps that end just before it or start just after it are merged with it.
func gapTx(tx *bbolt.Tx, from uint64, last chainMark) error {
	b := tx.Bucket(bucketScreeningGaps)
	if raw := b.Get(u64key(from)); raw != nil {
		var g screeningGap
		if err := decode(raw, &g, "screening gap %d", from); err != nil {
			return err
		}
		if err := b.Delete(u64key(from)); err != nil {
			return err
		}
		from = g.From
	}
	if k, raw := b.Cursor().Seek(u64key(last.ID + 2)); k != nil {
		var g screeningGap
		if err := decode(raw, &g, "screening gap %x", k); err != nil {
			return err
		}
		if g.From == last.ID+1 {
			if err := b.Delete(k); err != nil {
				return err
			}
			last = chainMark{ID: g.ID, Hash: g.Hash}
		}
	}
	data, err := json.Marshal(screeningGap{From: from, ID: last.ID, Hash: last.Hash})
	if err != nil {
		return err
	}
	return b.Put(u64key(last.ID+1), data)
}

// gapBefore returns the gap that ends just before id, if any.
func gapBefore(tx *bbolt.Tx, id uint64) (screeningGap, bool) {
	var g screeningGap
	b := tx.Bucket(bucketScreeningGaps)
	if b == nil {
		return g, false
	}
	raw := b.Get(u64key(id))
	if raw == nil || json.Unmarshal(raw, &g) != nil || g.ID+1 != id {
		return g, false
	}
	return g, true
}

// purgedScreening reports whether retention removed screening id.
func purgedScreening(tx *bbolt.Tx, id uint64) (screeningGap, bool) {
	var g screeningGap
	b := tx.Bucket(bucketScreeningGaps)
	if b == nil {
		return g, false
	}
	k, raw := b.Cursor().Seek(u64key(id + 1))
	if k == nil || json.Unmarshal(raw, &g) != nil || g.From > id || g.ID < id {
		return g, false
	}
	return g, true
}

// Booking log actions.
const (
	bookingImported = "import"
	bookingCancel   = "cancel"
	bookingUsed     = "used"
	bookingRemoved  = "remove"
	bookingMigrated = "migrate" // the state found when schema 2 began
)

// bookingChange is one entry of the booking log.
type bookingChange struct {
	ID     uint64    `json:"id"`
	Time   time.Time `json:"time"`
	Code   string    `json:"code"`
	Action string    `json:"action"`
	SHA256 string    `json:"sha256"` // of the booking's stored bytes after the change; "" when removed
	Prev   string    `json:"prev"`
	V      int       `json:"v"`
}

// putBooking stores a booking and logs the change.
func (db *DB) putBooking(tx *bbolt.Tx, bk Booking, action string) error {
	bk.Version = BookingVersion
	data, err := json.Marshal(bk)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketBookings).Put([]byte(bk.Code), data); err != nil {
		return err
	}
	return db.logBooking(tx, bk.Code, action, hashHex(data))
}

// deleteBooking removes a booking and logs it.
func (db *DB) deleteBooking(tx *bbolt.Tx, code, action string) error {
	if err := tx.Bucket(bucketBookings).Delete([]byte(code)); err != nil {
		return err
	}
	return db.logBooking(tx, code, action, "")
}

func (db *DB) logBooking(tx *bbolt.Tx, code, action, sum string) error {
	meta := tx.Bucket(bucketMeta)
	head, err := readMark(meta, metaBookingHead)
	if err != nil {
		return err
	}
	b := tx.Bucket(bucketBookingLog)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	data, err := json.Marshal(bookingChange{ID: id, Time: db.clock.Now().In(db.loc), Code: code, Action: action, SHA256: sum, Prev: head.Hash, V: 1})
	if err != nil {
		return err
	}
	if err := b.Put(u64key(id), data); err != nil {
		return err
	}
	return writeMark(meta, metaBookingHead, chainMark{ID: id, Hash: hashHex(data)})
}

// ChainMark names one entry of a chain by its id and the sha256 of its
// stored bytes. The zero mark is "nothing yet".
type ChainMark struct {
	ID     uint64 `json:"id"`
	SHA256 string `json:"sha256,omitempty"`
}

// ChainMarks are where the chains stood at the end of an exported day: the
// last screening (by time), audit entry and booking change stored before
// midnight. They are in the day's manifest.
type ChainMarks struct {
	Screenings ChainMark `json:"screenings"`
	Audit      ChainMark `json:"audit"`
	Bookings   ChainMark `json:"bookings"`
}

// screeningMark is the screening with the latest time before end.
func screeningMark(tx *bbolt.Tx, end time.Time) ChainMark {
	c := tx.Bucket(bucketScreeningTimes).Cursor()
	k, _ := c.Seek(timeKey(end, 0))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if len(k) != 16 {
		return ChainMark{}
	}
	v := tx.Bucket(bucketScreenings).Get(k[8:])
	if v == nil {
		return ChainMark{}
	}
	return ChainMark{ID: binary.BigEndian.Uint64(k[8:]), SHA256: hashHex(v)}
}

// bookingMark is the last booking change before end.
func bookingMark(tx *bbolt.Tx, end time.Time) (ChainMark, error) {
	b := tx.Bucket(bucketBookingLog)
	if b == nil {
		return ChainMark{}, nil
	}
	c := b.Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		var e bookingChange
		if err := decode(v, &e, "booking log entry %x", k); err != nil {
			return ChainMark{}, err
		}
		if e.Time.Before(end) {
			return ChainMark{ID: e.ID, SHA256: hashHex(v)}, nil
		}
	}
	return ChainMark{}, nil
}

// ReadManifest reads a manifest-YYYY-MM-DD.json written by an export.
func ReadManifest(path string) (Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Manifest{}, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return Manifest{}, fmt.Errorf("%s: not a thermogate export manifest: %v", path, err)
	}
	if m.Day.IsZero() || m.Format < 1 {
		return Manifest{}, fmt.Errorf("%s: not a thermogate export manifest (no day or format)", path)
	}
	if m.Format < 2 {
		return Manifest{}, fmt.Errorf("%s: written before the manifests recorded the chains (format %d); check against a newer one", path, m.Format)
	}
	m.source = filepath.Base(path)
	return m, nil
}

// VerifyManifest is VerifyAudit, and then checks that each chain still
// holds the entry that m recorded as the day's last, with the same
// sha256: entries removed from the end after the export (heads rewound)
// then show. An entry purged since cannot be checked and is passed over.
func (db *DB) VerifyManifest(ctx context.Context, m Manifest) (AuditReport, error) {
	r, err := db.VerifyAudit(ctx)
	if err != nil || !r.OK {
		return r, err
	}
	name := m.source
	if name == "" {
		name = "manifest-" + m.Day.String() + ".json"
	}
	r.Manifest = name
	err = db.view(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		check := func(what string, mark ChainMark, bucket, anchorKey []byte) error {
			if mark.ID == 0 {
				return nil
			}
			var anchor chainMark
			if anchorKey != nil {
				var err error
				if anchor, err = readMark(meta, anchorKey); err != nil {
					return err
				}
			}
			where := fmt.Sprintf("%s %d", what, mark.ID)
			if string(bucket) == string(bucketScreenings) {
				if g, ok := purgedScreening(tx, mark.ID); ok {
					anchor = chainMark{ID: mark.ID}
					if g.ID == mark.ID {
						anchor.Hash = g.Hash
					} else {
						anchor.Hash = mark.SHA256 // inside the run: cannot be told
					}
				}
			}
			if mark.ID <= anchor.ID {
				if mark.ID == anchor.ID && anchor.Hash != mark.SHA256 {
					r.OK, r.Where, r.Problem = false, where, fmt.Sprintf("%s, purged since, was not what %s recorded", where, name)
					return errStop
				}
				return nil
			}
			var v []byte
			if b := tx.Bucket(bucket); b != nil {
				v = b.Get(u64key(mark.ID))
			}
			switch {
			case v == nil:
				r.OK, r.Where, r.Problem = false, where, fmt.Sprintf("%s, the last one stored on %s by %s, is gone: %ss were removed from the end after the export", where, m.Day, name, what)
				return errStop
			case hashHex(v) != mark.SHA256:
				r.OK, r.Where, r.Problem = false, where, fmt.Sprintf("%s differs from what %s recorded (sha256 %s, now %s)", where, name, short(mark.SHA256), short(hashHex(v)))
				return errStop
			}
			return nil
		}
		if err := check("screening", m.Chain.Screenings, bucketScreenings, nil); err != nil {
			return err
		}
		if err := check("audit entry", m.Chain.Audit, bucketAudit, metaAuditAnchor); err != nil {
			return err
		}
		return check("booking change", m.Chain.Bookings, bucketBookingLog, nil)
	})
	if err == errStop {
		err = nil
	}
	if err != nil {
		return AuditReport{}, fmt.Errorf("verify against %s: %w", name, err)
	}
	return r, nil
}

// verifyScreenings walks the screenings from the first to the head
// recorded when it starts (later ones are the kiosk's work meanwhile) and
// checks each link, across the gaps retention left.
func (db *DB) verifyScreenings(ctx context.Context, r *AuditReport) error {
	var anchor, head chainMark
	err := db.view(func(tx *bbolt.Tx) (err error) {
		head, err = readMark(tx.Bucket(bucketMeta), metaScreeningHead)
		return err
	})
	if err != nil {
		return err
	}
	prev := anchor
	broken := func(id uint64, format string, a ...any) error {
		r.Where, r.Problem = fmt.Sprintf("screening %d", id), fmt.Sprintf(format, a...)
		return errStop
	}
	err = db.scanChunks(ctx, bucketScreenings, u64key(anchor.ID+1), nil, func(tx *bbolt.Tx, k, v []byte) error {
		if len(k) != 8 {
			return broken(prev.ID+1, "a key of %d bytes among the screenings", len(k))
		}
		id := binary.BigEndian.Uint64(k)
		if id > head.ID {
			if cur, err := readMark(tx.Bucket(bucketMeta), metaScreeningHead); err == nil && cur.ID >= id {
				return errStop // stored by the kiosk after the walk began
			}
			return broken(id, "screening %d is not in the chain, which ends at screening %d: it was added outside thermogate", id, head.ID)
		}
		if id != prev.ID+1 {
			g, ok := gapBefore(tx, id)
			if !ok || g.From != prev.ID+1 {
				return broken(prev.ID+1, "screening %d is missing (the next one kept is %d): it was removed", prev.ID+1, id)
			}
			prev = chainMark{ID: g.ID, Hash: g.Hash} // removed by retention
		}
		var s struct {
			ID   uint64 `json:"id"`
			Prev string `json:"prev"`
		}
		if err := json.Unmarshal(v, &s); err != nil {
			return broken(id, "screening %d is not a valid record: %v", id, err)
		}
		if s.ID != id {
			return broken(id, "screening %d says it is screening %d", id, s.ID)
		}
		if s.Prev != prev.Hash {
			if prev.ID == anchor.ID {
				return broken(id, "screening %d links to %s, but the chain starts from nothing: screening %d was changed", id, short(s.Prev), id)
			}
			return broken(id, "screening %d links to %s, but screening %d's sha256 is %s: screening %d was changed", id, short(s.Prev), prev.ID, short(prev.Hash), prev.ID)
		}
		r.Screenings++
		prev = chainMark{ID: id, Hash: hashHex(v)}
		return nil
	})
	if err == errStop {
		if r.Where != "" {
			return nil
		}
	} else if err != nil {
		return err
	}
	if prev != head && head.ID > prev.ID {
		_ = db.view(func(tx *bbolt.Tx) error {
			if g, ok := gapBefore(tx, head.ID+1); ok && g.From == prev.ID+1 && g.Hash == head.Hash {
				prev = head // the last ones were removed by retention
			}
			return nil
		})
	}
	if prev != head {
		if head.ID > prev.ID {
			r.Where, r.Problem = fmt.Sprintf("screening %d", prev.ID+1), fmt.Sprintf("the screenings end at %d but up to %d were stored: screenings at the end were removed", prev.ID, head.ID)
		} else {
			r.Where, r.Problem = fmt.Sprintf("screening %d", prev.ID), fmt.Sprintf("screening %d (sha256 %s) is not the recorded head (sha256 %s): screening %d was changed", prev.ID, short(prev.Hash), short(head.Hash), prev.ID)
		}
	}
	return nil
}

// verifyBookings walks the booking log, checking its links, and then the
// bookings against the log's last word on each code, in one transaction.
func (db *DB) verifyBookings(ctx context.Context, r *AuditReport) error {
	return db.view(func(tx *bbolt.Tx) error {
		head, err := readMark(tx.Bucket(bucketMeta), metaBookingHead)
		if err != nil {
			return err
		}
		type last struct {
			id  uint64
			sum string
		}
		state := map[string]last{}
		var prev chainMark
		set := func(where, format string, a ...any) error {
			r.Where, r.Problem = where, fmt.Sprintf(format, a...)
			return nil
		}
		c := tx.Bucket(bucketBookingLog).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if r.BookingChanges%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			id := uint64(0)
			if len(k) == 8 {
				id = binary.BigEndian.Uint64(k)
			}
			where := fmt.Sprintf("booking change %d", prev.ID+1)
			if id != prev.ID+1 {
				return set(where, "booking change %d is missing (the next one kept is %d)", prev.ID+1, id)
			}
			var e bookingChange
			if err := json.Unmarshal(v, &e); err != nil || e.ID != id {
				return set(where, "booking change %d is not a valid record", id)
			}
			if e.Prev != prev.Hash {
				return set(where, "booking change %d links to %s, but change %d's sha256 is %s: booking change %d was changed", id, short(e.Prev), prev.ID, short(prev.Hash), prev.ID)
			}
			state[e.Code] = last{id, e.SHA256}
			r.BookingChanges++
			prev = chainMark{ID: id, Hash: hashHex(v)}
		}
		if prev != head {
			if head.ID > prev.ID {
				return set(fmt.Sprintf("booking change %d", prev.ID+1), "the booking log ends at change %d but changes up to %d were written: changes at the end were removed", prev.ID, head.ID)
			}
			return set(fmt.Sprintf("booking change %d", prev.ID), "booking change %d is not the recorded head: it was changed", prev.ID)
		}
		bc := tx.Bucket(bucketBookings).Cursor()
		for k, v := bc.First(); k != nil; k, v = bc.Next() {
			l, ok := state[string(k)]
			switch {
			case !ok || l.sum == "":
				return set("booking "+string(k), "booking %s is not in the booking log: it was added outside thermogate", k)
			case hashHex(v) != l.sum:
				return set("booking "+string(k), "booking %s was changed outside thermogate after booking change %d (now: %s)", k, l.id, clip(string(v), 200))
			}
			delete(state, string(k))
			r.Bookings++
		}
		for code, l := range state {
			if l.sum != "" {
				return set("booking "+code, "booking %s was removed outside thermogate (booking change %d stored it)", code, l.id)
			}
		}
		return nil
	})
}

// migrateTx brings a schema 1 file into the chains: every screening is
// rewritten with its link in id order, every booking gets a log entry of
// what it is now, and an audit entry says so. What was changed before the
// migration cannot be told; from here on it can.
func (db *DB) migrateTx(tx *bbolt.Tx) error {
	for _, name := range [][]byte{bucketBookingLog, bucketScreeningGaps} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	meta, scr := tx.Bucket(bucketMeta), tx.Bucket(bucketScreenings)
	var ids [][]byte
	scr.ForEach(func(k, _ []byte) error { ids = append(ids, append([]byte(nil), k...)); return nil })
	var prev chainMark
	for i, k := range ids {
		if len(k) != 8 {
			return corruptf("screenings: a key of %d bytes", len(k))
		}
		id := binary.BigEndian.Uint64(k)
		if i == 0 && id > 1 {
			// Purged before: the chain starts after them, from a gap.
			prev = chainMark{ID: id - 1}
			if err := gapTx(tx, 1, prev); err != nil {
				return err
			}
		}
		var s Screening
		if err := decode(scr.Get(k), &s, "screening %d", id); err != nil {
			return err
		}
		s.Prev = prev.Hash
		data, err := json.Marshal(s)
		if err != nil {
			return err
		}
		if err := scr.Put(k, data); err != nil {
			return err
		}
		prev = chainMark{ID: id, Hash: hashHex(data)}
	}
	if len(ids) > 0 {
		if err := writeMark(meta, metaScreeningHead, prev); err != nil {
			return err
		}
	}
	var codes [][]byte
	tx.Bucket(bucketBookings).ForEach(func(k, _ []byte) error { codes = append(codes, append([]byte(nil), k...)); return nil })
	for _, code := range codes {
		if err := db.logBooking(tx, string(code), bookingMigrated, hashHex(tx.Bucket(bucketBookings).Get(code))); err != nil {
			return err
		}
	}
	if _, err := db.auditTx(tx, ActorSystem, "schema.migrate", fmt.Sprintf("schema 1 to %d: %d screenings and %d bookings brought into the hash chains as they were found", SchemaVersion, len(ids), len(codes))); err != nil {
		return err
	}
	return meta.Put(metaSchema, []byte("2"))
}
