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
// standalone kiosk has none and writes nothing more than before.
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

// EnableOutbox creates the outbox: from then on every screening and audit
// entry is queued for the central database. Calling it again changes
// nothing. Records stored before it are not queued.
func (db *DB) EnableOutbox(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketOutbox)
		return err
	})
	if err != nil {
		return fmt.Errorf("enable outbox: %w", err)
	}
	return nil
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
