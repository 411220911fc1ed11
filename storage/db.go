// Package storage keeps thermogate's data in one bbolt file: bookings,
// screenings, guards, the hash-chained audit log and the record of nightly
// exports. It also writes the export files and purges old data.
//
// # Buckets
//
//	meta             schema version, audit chain head and anchor
//	bookings         code → Booking (JSON)
//	screenings       big-endian sequence → Screening (JSON)
//	screening_times  big-endian time ‖ sequence → nothing: screenings in time order
//	guards           name → guard record with its argon2id PIN hash (JSON)
//	audit            big-endian sequence → AuditEntry (JSON), each holding the
//	                 sha256 of the previous entry's stored bytes
//	days             YYYY-MM-DD → how many screenings and audit entries the day has
//	exports          YYYY-MM-DD → what was exported: files, counts, sha256
//
// Every write is one bbolt transaction, committed with fsync before the call
// returns; an administrative change and its audit entry share that
// transaction. bbolt lets one process open the file: a second one gets
// ErrLocked after Options.Timeout.
package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"

	"github.com/thermogate/thermogate/internal/clock"
)

// SchemaVersion is the layout of buckets and records this code writes. A file
// with a higher version was written by a newer thermogate and is refused.
const SchemaVersion = 1

// DefaultTimeout is how long Open waits for the file lock by default: long
// enough for a command that is just finishing, short enough for a person.
const DefaultTimeout = 2 * time.Second

// Bucket names.
var (
	bucketMeta           = []byte("meta")
	bucketBookings       = []byte("bookings")
	bucketScreenings     = []byte("screenings")
	bucketScreeningTimes = []byte("screening_times")
	bucketGuards         = []byte("guards")
	bucketAudit          = []byte("audit")
	bucketDays           = []byte("days")
	bucketExports        = []byte("exports")
)

// allBuckets are created by Open.
var allBuckets = [][]byte{
	bucketMeta, bucketBookings, bucketScreenings, bucketScreeningTimes,
	bucketGuards, bucketAudit, bucketDays, bucketExports,
}

// Keys in the meta bucket.
var (
	metaSchema      = []byte("schema")
	metaAuditHead   = []byte("audit_head")   // the last entry: id and sha256
	metaAuditAnchor = []byte("audit_anchor") // the last purged entry: id and sha256
)

// Options configure Open. The zero value is usable.
type Options struct {
	// Timeout is how long to wait for another process to release the file
	// before failing with ErrLocked. Zero means DefaultTimeout.
	Timeout time.Duration
	// Location is the time zone that decides which day a record belongs to
	// and how a booking's "YYYY-MM-DD HH:MM" is read. Nil means time.Local.
	Location *time.Location
	// Clock stamps audit entries and decides which days are over. Nil means
	// the wall clock.
	Clock clock.Clock
	// Logger receives warnings. Nil logs nothing, as everywhere in thermogate.
	Logger *slog.Logger
	// MustExist makes Open fail with ErrNoDatabase instead of creating a
	// missing file: a command that only reads should not create an empty
	// database because of a mistyped path.
	MustExist bool
	// PIN is the argon2id cost of new PIN hashes. The zero value means
	// DefaultPINParams; tests use cheaper ones.
	PIN PINParams
}

// DB is an open thermogate database. Its methods are safe for concurrent use.
type DB struct {
	bolt  *bbolt.DB
	loc   *time.Location
	clock clock.Clock
	log   *slog.Logger
	pin   PINParams
	// rename moves a finished export file into place; tests replace it to
	// make an export fail half-way.
	rename func(oldpath, newpath string) error
}

// Open opens or creates the database at path. When another process has it
// open, Open waits up to opts.Timeout and then fails with ErrLocked. A file
// written by a newer schema fails with ErrNewerSchema.
func Open(path string, opts Options) (*DB, error) {
	if opts.MustExist {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("open %s: %w", path, ErrNoDatabase)
		}
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: timeout})
	if errors.Is(err, bberrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{bolt: b, loc: opts.Location, clock: opts.Clock, log: opts.Logger, pin: opts.PIN, rename: os.Rename}
	if db.loc == nil {
		db.loc = time.Local
	}
	if db.clock == nil {
		db.clock = clock.Real{}
	}
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	if db.pin == (PINParams{}) {
		db.pin = DefaultPINParams
	}
	if err := db.init(); err != nil {
		b.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// init checks the schema version and creates missing buckets.
func (db *DB) init() error {
	tx, err := db.bolt.Begin(true)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		// A new file has no buckets at all; one with buckets but no meta
		// was written by something else, and we leave it alone.
		var other []byte
		tx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
			other = append([]byte(nil), name...)
			return errors.New("stop")
		})
		if other != nil {
			return fmt.Errorf("%w: it has a bucket %q but no schema version", ErrNotThermogate, other)
		}
	} else {
		raw := meta.Get(metaSchema)
		v, err := strconv.Atoi(string(raw))
		if err != nil {
			return fmt.Errorf("%w: schema version %q", ErrNotThermogate, raw)
		}
		if v > SchemaVersion {
			return fmt.Errorf("%w: the file has schema %d, this thermogate knows %d; upgrade thermogate", ErrNewerSchema, v, SchemaVersion)
		}
	}
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	if meta == nil {
		if err := tx.Bucket(bucketMeta).Put(metaSchema, []byte(strconv.Itoa(SchemaVersion))); err != nil {
			return fmt.Errorf("write schema version: %w", err)
		}
	}
	return tx.Commit()
}

// Close closes the file and releases the lock.
func (db *DB) Close() error { return db.bolt.Close() }

// Path returns the database file's path.
func (db *DB) Path() string { return db.bolt.Path() }

// Location returns the time zone of days.
func (db *DB) Location() *time.Location { return db.loc }

// Today returns the current day in the database's time zone.
func (db *DB) Today() Day { return DayOf(db.clock.Now(), db.loc) }

// update runs fn in a write transaction and commits (with fsync) if fn
// succeeds.
func (db *DB) update(fn func(tx *bbolt.Tx) error) error {
	tx, err := db.bolt.Begin(true)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// view runs fn in a read transaction. Whatever fn keeps must be copied out:
// bbolt's byte slices are valid only inside the transaction.
func (db *DB) view(fn func(tx *bbolt.Tx) error) error {
	tx, err := db.bolt.Begin(false)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// Check runs bbolt's consistency check of the whole file and returns the
// first problem it finds.
func (db *DB) Check() error {
	return db.view(func(tx *bbolt.Tx) error {
		var first error
		for err := range tx.Check() {
			if first == nil {
				first = err
			}
		}
		return first
	})
}
