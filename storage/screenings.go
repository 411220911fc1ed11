package storage

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"go.etcd.io/bbolt"
)

// Append stores a screening and returns its id. It returns only after the
// transaction is committed and fsynced, so the kiosk may show the decision
// once Append has returned without error; on an error nothing was stored.
//
// In the same transaction it marks the booking used when s.BookingUsed is
// set (the first use sets UsedAt), and, when a guard decided or overrode
// (s.Guard is set), appends an audit entry with the guard as actor.
//
// s.Time must be set; it is stored in the database's time zone. A Code that
// is not a valid booking code (a visitor's mistyping) is stored as empty: it
// is not worth keeping, and the export then holds no arbitrary text.
func (db *DB) Append(ctx context.Context, s Screening) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var id uint64
	err := db.update(func(tx *bbolt.Tx) error {
		var err error
		id, err = db.appendTx(tx, &s)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store screening: %w", err)
	}
	return id, nil
}

// appendTx is Append inside a transaction.
func (db *DB) appendTx(tx *bbolt.Tx, s *Screening) (uint64, error) {
	if err := db.vocab.validScreening(s); err != nil {
		return 0, err
	}
	s.Time = s.Time.In(db.loc)
	s.Version = ScreeningVersion
	meta := tx.Bucket(bucketMeta)
	head, err := readMark(meta, metaScreeningHead)
	if err != nil {
		return 0, err
	}
	s.Prev = head.Hash
	s.ID, err = tx.Bucket(bucketScreenings).NextSequence()
	if err != nil {
		return 0, err
	}
	data, err := json.Marshal(s)
	if err != nil {
		return 0, err
	}
	if err := tx.Bucket(bucketScreenings).Put(u64key(s.ID), data); err != nil {
		return 0, err
	}
	if err := writeMark(meta, metaScreeningHead, chainMark{ID: s.ID, Hash: hashHex(data)}); err != nil {
		return 0, err
	}
	if err := outboxTx(tx, OutboxScreening, s.ID, data); err != nil {
		return 0, err
	}
	if err := tx.Bucket(bucketScreeningTimes).Put(timeKey(s.Time, s.ID), nil); err != nil {
		return 0, err
	}
	if err := db.countDay(tx, DayOf(s.Time, db.loc), 1, 0); err != nil {
		return 0, err
	}
	if s.BookingUsed && s.Code != "" {
		if err := db.markUsed(tx, s.Code, s.Time); err != nil {
			return 0, err
		}
	}
	if s.Guard != "" {
		detail := GuardAuditDetail(*s)
		if _, err := db.auditTx(tx, s.Guard, "guard."+s.Decision, detail); err != nil {
			return 0, err
		}
	}
	return s.ID, nil
}

// GuardAuditDetail is the audit detail of a screening a guard decided or
// overrode: which screening, the decision and reasons, the clinical reading
// if any, and the code or that it was a walk-in. Its action is
// "guard." + the decision.
func GuardAuditDetail(s Screening) string {
	detail := fmt.Sprintf("screening %d: %s, reason %s", s.ID, s.Decision, s.Reason)
	if s.OverrideReason != "" {
		detail += ": " + s.OverrideReason
	}
	if s.ClinicalC != nil {
		detail += fmt.Sprintf(", clinical %.1f °C", *s.ClinicalC)
	}
	if s.Code != "" {
		detail += ", code " + s.Code
	} else {
		detail += ", walk-in without booking"
	}
	return detail
}

// markUsed sets a booking's UsedAt on its first use. A booking that is not
// there (cancelled and replaced by an import meanwhile) does not stop the
// screening from being stored.
func (db *DB) markUsed(tx *bbolt.Tx, code string, at time.Time) error {
	b := tx.Bucket(bucketBookings)
	raw := b.Get([]byte(code))
	if raw == nil {
		return nil
	}
	var bk Booking
	if err := decode(raw, &bk, "booking %s", code); err != nil {
		return err
	}
	if !bk.UsedAt.IsZero() {
		return nil
	}
	bk.UsedAt = at
	return db.putBooking(tx, bk, bookingUsed)
}

// validScreening checks what the kiosk hands over; a failure is a bug in the
// caller, and the kiosk then shows "see the guard".
func (v Vocabulary) validScreening(s *Screening) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: screening: %s", ErrInvalid, fmt.Sprintf(format, a...))
	}
	if s.Time.IsZero() {
		return bad("no time")
	}
	if y := s.Time.Year(); y < 1700 || y > 2200 {
		return bad("time %v out of range", s.Time)
	}
	if v.NormalizeCode == nil {
		return ErrNoVocabulary
	}
	if !slices.Contains(v.Decisions, s.Decision) {
		return bad("decision %q", s.Decision)
	}
	if !slices.Contains(v.Reasons, s.Reason) {
		return bad("reason %q", s.Reason)
	}
	if s.Code != "" {
		if c, err := v.NormalizeCode(s.Code); err == nil {
			s.Code = c
		} else {
			s.Code = ""
		}
	}
	for name, v := range map[string]*float64{"shown_c": s.ShownC, "object_c": s.ObjectC, "ambient_c": s.AmbientC, "clinical_c": s.ClinicalC} {
		if v != nil && (math.IsNaN(*v) || *v < -100 || *v > 200) {
			return bad("%s %v", name, *v)
		}
	}
	if math.IsNaN(s.ThresholdC) || math.IsInf(s.ThresholdC, 0) {
		return bad("threshold_c %v", s.ThresholdC)
	}
	for k, v := range s.Params {
		if math.IsNaN(v) || math.IsInf(v, 0) || !plainText(k, 32) {
			return bad("parameter %q = %v", k, v)
		}
	}
	for name, v := range map[string]string{"kiosk": s.Kiosk, "model": s.Model, "guard": s.Guard, "override_reason": s.OverrideReason} {
		if !plainText(v, 200) {
			return bad("%s: at most 200 characters without control characters", name)
		}
	}
	return nil
}

// plainText reports whether s is at most n runes of printable text.
func plainText(s string, n int) bool {
	if len(s) > 4*n || !utf8.ValidString(s) {
		return false
	}
	count := 0
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
		count++
	}
	return count <= n
}

// Screening returns the screening with the given id, or ErrNotFound.
func (db *DB) Screening(ctx context.Context, id uint64) (Screening, error) {
	var s Screening
	err := db.view(func(tx *bbolt.Tx) error {
		raw := tx.Bucket(bucketScreenings).Get(u64key(id))
		if raw == nil {
			return ErrNotFound
		}
		return decode(raw, &s, "screening %d", id)
	})
	if err != nil {
		return Screening{}, fmt.Errorf("screening %d: %w", id, err)
	}
	return s, nil
}

// Screenings calls fn for every screening of day, in time order (screenings
// with the same time in the order they were stored). It stops at fn's first
// error and returns it.
func (db *DB) Screenings(ctx context.Context, day Day, fn func(Screening) error) error {
	return db.screeningsRaw(ctx, day, func(_ []byte, s *Screening) error { return fn(*s) })
}

// screeningsRaw is Screenings that also hands over the stored bytes, which
// the JSON Lines export writes as they are.
func (db *DB) screeningsRaw(ctx context.Context, day Day, fn func(raw []byte, s *Screening) error) error {
	start := timeKey(day.Start(db.loc), 0)
	end := timeKey(day.AddDays(1).Start(db.loc), 0)
	return db.scanChunks(ctx, bucketScreeningTimes, start, end, func(tx *bbolt.Tx, k, _ []byte) error {
		raw := tx.Bucket(bucketScreenings).Get(k[8:])
		if raw == nil {
			return fmt.Errorf("BUG: time index names screening %d, which is not stored", binary.BigEndian.Uint64(k[8:]))
		}
		var s Screening
		if err := decode(raw, &s, "screening %d", binary.BigEndian.Uint64(k[8:])); err != nil {
			return err
		}
		return fn(raw, &s)
	})
}

// timeKey orders screenings by time, then by id. Flipping the sign bit makes
// the big-endian bytes of a signed nanosecond count sort like the numbers, so
// even a clock set before 1970 files correctly.
func timeKey(t time.Time, id uint64) []byte {
	var k [16]byte
	binary.BigEndian.PutUint64(k[:8], uint64(t.UnixNano())^(1<<63))
	binary.BigEndian.PutUint64(k[8:], id)
	return k[:]
}

// dayCounts is a day's entry in the days bucket: it tells which days have
// records and, compared with the export record, whether the export is
// current.
type dayCounts struct {
	V          int    `json:"v"`
	Screenings uint64 `json:"screenings"`
	Audit      uint64 `json:"audit"`
}

// countDay adds to a day's counts.
func (db *DB) countDay(tx *bbolt.Tx, day Day, screenings, audit uint64) error {
	b := tx.Bucket(bucketDays)
	key := []byte(day.String())
	var c dayCounts
	if raw := b.Get(key); raw != nil {
		if err := decode(raw, &c, "day %s", day); err != nil {
			return err
		}
	}
	if c.Screenings == 0 && c.Audit == 0 {
		// A record for a day that was exported and purged long ago means a
		// clock far off; it will go with the next purge, unexported.
		if rec, ok, err := readExport(tx, day); err == nil && ok && !rec.PurgedAt.IsZero() {
			db.log.Warn("record stored for a day already purged; it will not be exported (is the clock right?)", "day", day.String())
		}
	}
	c.V = 1
	c.Screenings += screenings
	c.Audit += audit
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

func readDayCounts(tx *bbolt.Tx, day Day) (dayCounts, error) {
	var c dayCounts
	raw := tx.Bucket(bucketDays).Get([]byte(day.String()))
	if raw == nil {
		return c, nil
	}
	if err := decode(raw, &c, "day %s", day); err != nil {
		return c, err
	}
	return c, nil
}
