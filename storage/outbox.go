package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

// The outbox holds what a kiosk in a fleet has stored and not yet pushed to
// the office's central database: a copy of each screening's and audit
// entry's stored bytes, queued in the same transaction that stores the
// record, so that nothing stored can miss the queue. Its keys are one
// big-endian sequence over both kinds, so the push keeps the kiosk's order.
//
// The bucket exists only on a kiosk that joined a fleet (EnableOutbox); a
// standalone kiosk has none and writes nothing more than before. A kiosk
// whose [fleet] url was emptied keeps its outbox, and keeps queuing, until
// LeaveFleet drops it: records made meanwhile go out if it joins again.
var bucketOutbox = []byte("outbox")

// Outbox kinds.
const (
	OutboxScreening = "screening"
	OutboxAudit     = "audit"
)

// OutboxItem is one queued record. It is stored as one byte of kind, the
// id (8 bytes, big-endian) and the record's bytes.
type OutboxItem struct {
	Seq    uint64 // the outbox's key
	Kind   string // OutboxScreening or OutboxAudit
	ID     uint64 // the record's id in its own bucket
	Record []byte // the record's stored bytes, exactly
}

var (
	outboxKinds     = map[string]byte{OutboxScreening: 's', OutboxAudit: 'a'}
	outboxKindNames = map[byte]string{'s': OutboxScreening, 'a': OutboxAudit}
)

// ErrNoOutbox: the database has no outbox (EnableOutbox was never called).
var ErrNoOutbox = errors.New("no outbox: the kiosk is not in a fleet")

// metaFleetKiosk is the central kiosk_id the outbox is pushed as: a
// database joins one fleet identity, so its records never reach the
// central database under another door's name.
var metaFleetKiosk = []byte("fleet_kiosk")

// EnableOutbox creates the outbox for central identity kiosk: from then on
// every screening and audit entry is queued for the central database. The
// first time, it also queues every screening and audit entry the database
// already holds, oldest first, so that a kiosk with a history joins the
// fleet with all of it (the push is idempotent on (kiosk_id, id), so a
// record the central copy already has is not doubled). It returns how many
// records it queued (0 when the outbox was there already). An outbox made
// for another identity is refused.
func (db *DB) EnableOutbox(ctx context.Context, kiosk string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if kiosk == "" {
		return 0, errors.New("BUG: outbox without a central identity")
	}
	queued := 0
	err := db.update(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if tx.Bucket(bucketOutbox) != nil {
			had := string(meta.Get(metaFleetKiosk))
			switch had {
			case kiosk:
				return nil
			case "": // made before the identity was kept: it is this kiosk's
				return meta.Put(metaFleetKiosk, []byte(kiosk))
			}
			return fmt.Errorf("this database's outbox is kiosk %q's, not %q: its records would reach the central database under another name (a changed kiosk_id? run thermogate fleet leave first)", had, kiosk)
		}
		if _, err := tx.CreateBucket(bucketOutbox); err != nil {
			return err
		}
		if err := meta.Put(metaFleetKiosk, []byte(kiosk)); err != nil {
			return err
		}
		for _, src := range []struct {
			bucket []byte
			kind   string
		}{{bucketScreenings, OutboxScreening}, {bucketAudit, OutboxAudit}} {
			c := tx.Bucket(src.bucket).Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if len(k) != 8 {
					return fmt.Errorf("%s key %x: damaged", src.bucket, k)
				}
				if err := outboxTx(tx, src.kind, binary.BigEndian.Uint64(k), v); err != nil {
					return err
				}
				queued++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("enable outbox: %w", err)
	}
	return queued, nil
}

// FleetKiosk returns the central identity the outbox is pushed as ("" when
// the database has no outbox or an outbox from before identities were
// kept).
func (db *DB) FleetKiosk() string {
	var id string
	db.view(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketOutbox) != nil {
			id = string(tx.Bucket(bucketMeta).Get(metaFleetKiosk))
		}
		return nil
	})
	return id
}

// LeaveFleet drops the outbox, with the records still queued in it, and
// forgets the central identity and booking change number, in one
// transaction that also writes a fleet.leave audit entry naming how many
// unsent records were dropped. The screenings and audit entries themselves
// stay in the database (and in its nightly exports). It returns how many
// queued records were dropped; without an outbox it does nothing and
// returns ErrNoOutbox.
func (db *DB) LeaveFleet(ctx context.Context, actor string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	dropped := 0
	err := db.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		if b == nil {
			return ErrNoOutbox
		}
		dropped = b.Stats().KeyN
		meta := tx.Bucket(bucketMeta)
		was := string(meta.Get(metaFleetKiosk))
		if err := tx.DeleteBucket(bucketOutbox); err != nil {
			return err
		}
		for _, k := range [][]byte{metaFleetKiosk, metaFleetSeq} {
			if err := meta.Delete(k); err != nil {
				return err
			}
		}
		_, err := db.auditTx(tx, actor, "fleet.leave", fmt.Sprintf("left the fleet as %q; %d queued records dropped unsent", was, dropped))
		return err
	})
	if err != nil {
		if errors.Is(err, ErrNoOutbox) {
			return 0, err
		}
		return 0, fmt.Errorf("leave the fleet: %w", err)
	}
	return dropped, nil
}

// OutboxEnabled reports whether the database has an outbox.
func (db *DB) OutboxEnabled() bool {
	var ok bool
	db.view(func(tx *bbolt.Tx) error {
		ok = tx.Bucket(bucketOutbox) != nil
		return nil
	})
	return ok
}

// outboxTx queues a stored record inside the transaction that stores it;
// without an outbox it does nothing. Append's and auditTx's transactions
// call it with the bytes they put.
func outboxTx(tx *bbolt.Tx, kind string, id uint64, record []byte) error {
	b := tx.Bucket(bucketOutbox)
	if b == nil {
		return nil
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	data := make([]byte, 0, 9+len(record))
	data = append(data, outboxKinds[kind])
	data = binary.BigEndian.AppendUint64(data, id)
	data = append(data, record...)
	if err := b.Put(u64key(seq), data); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// Outbox returns up to max queued records, oldest first.
func (db *DB) Outbox(ctx context.Context, max int) ([]OutboxItem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []OutboxItem
	err := db.view(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		if b == nil {
			return ErrNoOutbox
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil && len(out) < max; k, v = c.Next() {
			if len(k) != 8 || len(v) < 9 || outboxKindNames[v[0]] == "" {
				return fmt.Errorf("outbox entry %x: damaged", k)
			}
			kind := outboxKindNames[v[0]]
			out = append(out, OutboxItem{
				Seq: binary.BigEndian.Uint64(k), Kind: kind, ID: binary.BigEndian.Uint64(v[1:9]),
				Record: append([]byte(nil), v[9:]...), // copied out of bbolt's memory
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return out, nil
}

// OutboxSent removes the queued records up to and including seq: call it
// only after the central database has committed them.
func (db *DB) OutboxSent(ctx context.Context, seq uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		if b == nil {
			return ErrNoOutbox
		}
		c := b.Cursor()
		for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= seq; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("outbox: mark sent: %w", err)
	}
	return nil
}

// OutboxLen returns how many records wait in the outbox (0 without one).
func (db *DB) OutboxLen() int {
	n := 0
	db.view(func(tx *bbolt.Tx) error {
		if b := tx.Bucket(bucketOutbox); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	})
	return n
}
