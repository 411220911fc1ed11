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
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"

	"github.com/thermogate/thermogate/internal/clock"
)

// SchemaVersion is the layout of buckets and records this code writes. A file
// with a higher version was written by a newer thermogate and is refused.
//
// Schema 2 chains the screenings and the changes of bookings (chain.go); a
// schema 1 file is brought in when the kiosk (or any command that writes)
// next opens it.
const SchemaVersion = 2

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
	bucketGuards, bucketAudit, bucketDays, bucketExports, bucketBookingLog, bucketScreeningGaps,
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
	// ReadOnly opens the file for reading only (it implies MustExist): the
	// file is not changed by a single byte, a copy kept as evidence stays
	// what it was, and a file that cannot be written can still be read.
	// Every change then fails. It shares the file with other readers but
	// not with the kiosk, which holds it for writing.
	ReadOnly bool
	// Vocabulary is the rules' words storage checks records against and
	// how it normalises a booking code (kiosk.Vocabulary gives the
	// kiosk's). Without it, storing a screening, importing bookings and
	// looking a code up fail with ErrNoVocabulary; reading, checking and
	// exporting what is stored work.
	Vocabulary Vocabulary
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
	rename   func(oldpath, newpath string) error
	readOnly bool
	path     string
	vocab    Vocabulary
	// broken is set, for good, when bbolt found the file corrupt: every
	// later call fails with it instead of reading or writing more of a
	// damaged file (a panic in bbolt may also have left its locks held).
	broken atomic.Pointer[error]
}

// Open opens or creates the database at path. When another process has it
// open, Open waits up to opts.Timeout and then fails with ErrLocked. A file
// written by a newer schema fails with ErrNewerSchema.
//
// A file that bbolt finds damaged fails with an error matching ErrCorrupt,
// never with a panic.
func Open(path string, opts Options) (*DB, error) {
	if opts.MustExist || opts.ReadOnly {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("open %s: %w", path, ErrNoDatabase)
		}
	}
	if !opts.Vocabulary.isZero() {
		if err := opts.Vocabulary.check(); err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	b, err := openBolt(path, &bbolt.Options{Timeout: timeout, ReadOnly: opts.ReadOnly})
	if errors.Is(err, bberrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{bolt: b, loc: opts.Location, clock: opts.Clock, log: opts.Logger, pin: opts.PIN, rename: os.Rename, readOnly: opts.ReadOnly, path: path, vocab: opts.Vocabulary}
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

// openBolt is bbolt.Open with its damage turned into ErrCorrupt: bad meta
// pages are errors there, a bad freelist page a panic.
func openBolt(path string, o *bbolt.Options) (b *bbolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, corruptf("%v", r)
		}
	}()
	b, err = bbolt.Open(path, 0o600, o)
	if errors.Is(err, bberrors.ErrInvalid) || errors.Is(err, bberrors.ErrChecksum) || errors.Is(err, bberrors.ErrVersionMismatch) {
		return nil, corruptf("%v", err)
	}
	return b, err
}

// init checks the schema version and creates missing buckets.
func (db *DB) init() error {
	if db.readOnly {
		return db.view(func(tx *bbolt.Tx) error {
			if tx.Bucket(bucketMeta) == nil {
				return fmt.Errorf("%w: it has no schema version", ErrNotThermogate)
			}
			_, err := schemaOf(tx)
			return err
		})
	}
	return db.update(db.initTx)
}

// schemaOf reads and checks the schema version of a file that has one.
func schemaOf(tx *bbolt.Tx) (int, error) {
	raw := tx.Bucket(bucketMeta).Get(metaSchema)
	v, err := strconv.Atoi(string(raw))
	if err != nil {
		return 0, fmt.Errorf("%w: schema version %q", ErrNotThermogate, raw)
	}
	if v > SchemaVersion {
		return 0, fmt.Errorf("%w: the file has schema %d, this thermogate knows %d; upgrade thermogate", ErrNewerSchema, v, SchemaVersion)
	}
	for _, name := range allBuckets {
		if tx.Bucket(name) == nil && (v > 1 || !slices.Contains([]string{"booking_log", "screening_gaps"}, string(name))) {
			return 0, corruptf("bucket %s is missing", name)
		}
	}
	return v, nil
}

func (db *DB) initTx(tx *bbolt.Tx) error {
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
		for _, name := range allBuckets {
			if _, err := tx.CreateBucket(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		if err := tx.Bucket(bucketMeta).Put(metaSchema, []byte(strconv.Itoa(SchemaVersion))); err != nil {
			return fmt.Errorf("write schema version: %w", err)
		}
		return nil
	}
	v, err := schemaOf(tx)
	if err == nil && v == 1 {
		err = db.migrateTx(tx)
	}
	return err
}

// Failed returns a DB for a file that could not be opened because it is
// damaged (err matches ErrCorrupt): every call fails with err. The kiosk
// keeps running on it, out of service with the cause on the guard's
// screen, instead of exiting into a restart loop.
func Failed(path string, err error, loc *time.Location) *DB {
	if loc == nil {
		loc = time.Local
	}
	db := &DB{loc: loc, clock: clock.Real{}, log: slog.Default(), pin: DefaultPINParams, rename: os.Rename, path: path}
	db.broken.Store(&err)
	return db
}

// Close closes the file and releases the lock.
func (db *DB) Close() error {
	if db.broken.Load() != nil {
		// bbolt may hold its own locks after a panic; closing could wait
		// for them forever. The process lets go of the file when it ends.
		return nil
	}
	return db.bolt.Close()
}

// Err returns the error matching ErrCorrupt once the file was found
// damaged, and nil before: the kiosk checks it to show why it is out of
// service.
func (db *DB) Err() error {
	if e := db.broken.Load(); e != nil {
		return *e
	}
	return nil
}

// ReadOnly reports whether the database was opened with Options.ReadOnly.
func (db *DB) ReadOnly() bool { return db.readOnly }

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Location returns the time zone of days.
func (db *DB) Location() *time.Location { return db.loc }

// Today returns the current day in the database's time zone.
func (db *DB) Today() Day { return DayOf(db.clock.Now(), db.loc) }

// update runs fn in a write transaction and commits (with fsync) if fn
// succeeds.
func (db *DB) update(fn func(tx *bbolt.Tx) error) error {
	if db.readOnly {
		return ErrReadOnly
	}
	return db.guard(func() error {
		tx, err := db.bolt.Begin(true)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := fn(tx); err != nil {
			return err
		}
		return tx.Commit()
	})
}

// view runs fn in a read transaction. Whatever fn keeps must be copied out:
// bbolt's byte slices are valid only inside the transaction.
func (db *DB) view(fn func(tx *bbolt.Tx) error) error {
	return db.guard(func() error {
		tx, err := db.bolt.Begin(false)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		return fn(tx)
	})
}

// guard runs a transaction and turns a panic in bbolt, which asserts on
// pages it finds damaged, into an error matching ErrCorrupt. A fault on the
// memory-mapped file (a page number pointing past its end) becomes such a
// panic too. After one the database refuses all further work.
func (db *DB) guard(fn func() error) (err error) {
	if e := db.broken.Load(); e != nil {
		return *e
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = corruptf("%v", r)
			db.broken.CompareAndSwap(nil, &err)
			db.log.Error("database corrupt; restore from a backup", "path", db.path, "err", err)
		}
	}()
	return fn()
}

// corruptf is an error matching ErrCorrupt that says what to do.
func corruptf(format string, a ...any) error {
	return fmt.Errorf("%w: %s; restore from a backup", ErrCorrupt, fmt.Sprintf(format, a...))
}

// decode reads a stored JSON record; one that does not parse is damage.
func decode(raw []byte, v any, what string, a ...any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return corruptf("%s is not a valid record: %v", fmt.Sprintf(what, a...), err)
	}
	return nil
}
