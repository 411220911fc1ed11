package storage

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"go.etcd.io/bbolt"
	"golang.org/x/crypto/argon2"
)

// PINParams is the cost of an argon2id PIN hash. Every hash records the
// parameters it was made with, so they can change without invalidating
// the PINs already set.
type PINParams struct {
	Time      uint32 `json:"t"` // passes over the memory
	MemoryKiB uint32 `json:"m"`
	Threads   uint8  `json:"p"`
}

// DefaultPINParams are sized for a Raspberry Pi 4: 32 MiB and three passes
// on two lanes take roughly 0.3 s there (estimated from Go's portable
// argon2 on x86, see bench/storage.sh), slow enough to make guessing a
// stolen file's 4–8 digit PINs costly, quick enough for a guard at the door.
var DefaultPINParams = PINParams{Time: 3, MemoryKiB: 32 * 1024, Threads: 2}

// Hash sizes in bytes.
const (
	pinSaltLen = 16
	pinKeyLen  = 32
)

// Guard name limits.
const maxGuardName = 40

// Guard is a guard who may override the kiosk with a PIN. The PIN hash
// stays inside the package.
type Guard struct {
	Name  string    `json:"name"`
	Added time.Time `json:"added"`
	Cost  string    `json:"cost"` // the argon2id parameters of the PIN hash, e.g. "m=32768,t=3,p=2"
}

// guardRecord is what the guards bucket holds.
type guardRecord struct {
	V     int       `json:"v"`
	Name  string    `json:"name"`
	Added time.Time `json:"added"`
	PIN   string    `json:"pin"` // PHC string: $argon2id$v=19$m=…,t=…,p=…$salt$key
}

func (r guardRecord) guard() Guard {
	g := Guard{Name: r.Name, Added: r.Added}
	if h, err := parsePHC(r.PIN); err == nil {
		g.Cost = fmt.Sprintf("m=%d,t=%d,p=%d", h.params.MemoryKiB, h.params.Time, h.params.Threads)
	}
	return g
}

// CheckPIN refuses a PIN that is not 4–8 digits or that anyone would try
// first: one digit repeated (0000), a repeated pattern (1212, 123123),
// digits in a row up or down (1234, 4321, 7890, 23456), and a few favourites.
func CheckPIN(pin string) error {
	if len(pin) < 4 || len(pin) > 8 || strings.Trim(pin, "0123456789") != "" {
		return fmt.Errorf("%w: want 4 to 8 digits", ErrWeakPIN)
	}
	for p := 1; p <= len(pin)/2; p++ {
		if len(pin)%p == 0 && strings.Repeat(pin[:p], len(pin)/p) == pin {
			return fmt.Errorf("%w: %s repeats a pattern; choose one that is hard to guess", ErrWeakPIN, strings.Repeat("*", len(pin)))
		}
	}
	up, down := true, true
	for i := 1; i < len(pin); i++ {
		step := (int(pin[i]) - int(pin[i-1]) + 10) % 10
		up = up && step == 1
		down = down && step == 9
	}
	if up || down {
		return fmt.Errorf("%w: digits in a row (like 1234 or 4321) are the first ones tried", ErrWeakPIN)
	}
	if slices.Contains([]string{"1122", "2580", "0852", "1004", "2000", "1998", "1999", "2001"}, pin) {
		return fmt.Errorf("%w: one of the most common PINs", ErrWeakPIN)
	}
	return nil
}

// normalizeGuardName trims and folds spaces and checks that the name is
// 1–40 letters, digits, spaces, dots, hyphens or apostrophes.
func normalizeGuardName(name string) (string, error) {
	n := strings.Join(strings.Fields(name), " ")
	if n == "" {
		return "", fmt.Errorf("%w: guard name is empty", ErrInvalid)
	}
	if c := len([]rune(n)); c > maxGuardName {
		return "", fmt.Errorf("%w: guard name has %d characters, at most %d", ErrInvalid, c, maxGuardName)
	}
	for _, r := range n {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(" .-'", r) {
			return "", fmt.Errorf("%w: guard name: %q is not a letter, digit, space, dot, hyphen or apostrophe", ErrInvalid, r)
		}
	}
	return n, nil
}

// findGuard finds a guard by name, ignoring case, so that "jonas" and
// "Jonas" cannot both exist.
func findGuard(b *bbolt.Bucket, name string) (guardRecord, bool, error) {
	var rec guardRecord
	found := false
	err := b.ForEach(func(k, v []byte) error {
		if !strings.EqualFold(string(k), name) {
			return nil
		}
		found = true
		if err := decode(v, &rec, "guard %s", k); err != nil {
			return err
		}
		return errStop
	})
	if err != nil && err != errStop {
		return rec, false, err
	}
	return rec, found, nil
}

// AddGuard adds a guard with a PIN, with its audit entry. The PIN must pass
// CheckPIN; a guard of the same name (ignoring case) is ErrExists.
func (db *DB) AddGuard(ctx context.Context, actor, name, pin string) (Guard, error) {
	n, err := normalizeGuardName(name)
	if err != nil {
		return Guard{}, err
	}
	if err := CheckPIN(pin); err != nil {
		return Guard{}, err
	}
	// Refuse a duplicate before spending the hash's time on it.
	if err := db.view(func(tx *bbolt.Tx) error {
		if _, found, err := findGuard(tx.Bucket(bucketGuards), n); err != nil {
			return err
		} else if found {
			return ErrExists
		}
		return nil
	}); err != nil {
		return Guard{}, fmt.Errorf("add guard %s: %w", n, err)
	}
	if err := ctx.Err(); err != nil {
		return Guard{}, err
	}
	hash, err := hashPIN(pin, db.pin)
	if err != nil {
		return Guard{}, fmt.Errorf("add guard %s: %w", n, err)
	}
	rec := guardRecord{V: 1, Name: n, Added: db.clock.Now().In(db.loc), PIN: hash}
	err = db.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketGuards)
		if _, found, err := findGuard(b, n); err != nil {
			return err
		} else if found {
			return ErrExists
		}
		data, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(n), data); err != nil {
			return err
		}
		_, err = db.auditTx(tx, actor, "guard.add", n)
		return err
	})
	if err != nil {
		return Guard{}, fmt.Errorf("add guard %s: %w", n, err)
	}
	return rec.guard(), nil
}

// RemoveGuard removes a guard (name matched ignoring case), with its audit
// entry, or returns ErrNotFound.
func (db *DB) RemoveGuard(ctx context.Context, actor, name string) error {
	n := strings.Join(strings.Fields(name), " ")
	err := db.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketGuards)
		rec, found, err := findGuard(b, n)
		if err != nil {
			return err
		}
		if !found {
			return ErrNotFound
		}
		if err := b.Delete([]byte(rec.Name)); err != nil {
			return err
		}
		_, err = db.auditTx(tx, actor, "guard.remove", rec.Name)
		return err
	})
	if err != nil {
		return fmt.Errorf("remove guard %s: %w", n, err)
	}
	return nil
}

// Guards returns every guard, ordered by name.
func (db *DB) Guards(ctx context.Context) ([]Guard, error) {
	var out []Guard
	err := db.view(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketGuards).ForEach(func(k, v []byte) error {
			var rec guardRecord
			if err := decode(v, &rec, "guard %s", k); err != nil {
				return err
			}
			out = append(out, rec.guard())
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list guards: %w", err)
	}
	slices.SortFunc(out, func(a, b Guard) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// VerifyGuardPIN checks a guard's PIN with the parameters stored with its
// hash, comparing in constant time. It returns ErrNotFound for an unknown
// name (after the same work, so timing does not tell) and ErrBadPIN for a
// wrong PIN. It takes a fraction of a second and holds no transaction
// meanwhile. Counting wrong PINs and locking out is the kiosk's job.
func (db *DB) VerifyGuardPIN(ctx context.Context, name, pin string) (Guard, error) {
	if err := ctx.Err(); err != nil {
		return Guard{}, err
	}
	var rec guardRecord
	var found bool
	err := db.view(func(tx *bbolt.Tx) error {
		var err error
		rec, found, err = findGuard(tx.Bucket(bucketGuards), strings.Join(strings.Fields(name), " "))
		return err
	})
	if err != nil {
		return Guard{}, fmt.Errorf("verify PIN: %w", err)
	}
	stored := rec.PIN
	if !found {
		stored = dummyHash(db.pin)
	}
	ok, err := verifyPIN(pin, stored)
	if err != nil {
		return Guard{}, fmt.Errorf("verify PIN of %s: %w", rec.Name, err)
	}
	switch {
	case !found:
		return Guard{}, fmt.Errorf("guard %q: %w", name, ErrNotFound)
	case !ok:
		return Guard{}, fmt.Errorf("guard %s: %w", rec.Name, ErrBadPIN)
	}
	return rec.guard(), nil
}

// phc is a parsed argon2id hash.
type phc struct {
	params    PINParams
	salt, key []byte
}

func hashPIN(pin string, p PINParams) (string, error) {
	salt := make([]byte, pinSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pin), salt, p.Time, p.MemoryKiB, p.Threads, pinKeyLen)
	return formatPHC(phc{p, salt, key}), nil
}

func formatPHC(h phc) string {
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.MemoryKiB, h.params.Time, h.params.Threads, enc.EncodeToString(h.salt), enc.EncodeToString(h.key))
}

// dummyHash has the cost of a real hash, for unknown names.
func dummyHash(p PINParams) string {
	return formatPHC(phc{p, make([]byte, pinSaltLen), make([]byte, pinKeyLen)})
}

var errBadHash = errors.New("stored PIN hash is damaged")

// parsePHC reads $argon2id$v=19$m=…,t=…,p=…$salt$key, with bounds on the
// parameters so a damaged record cannot make a verify take all memory.
func parsePHC(s string) (phc, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return phc{}, errBadHash
	}
	var h phc
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.params.MemoryKiB, &h.params.Time, &threads); err != nil {
		return phc{}, errBadHash
	}
	if h.params.MemoryKiB < 8 || h.params.MemoryKiB > 1<<20 || h.params.Time < 1 || h.params.Time > 100 || threads < 1 || threads > 16 {
		return phc{}, errBadHash
	}
	h.params.Threads = uint8(threads)
	var err1, err2 error
	h.salt, err1 = base64.RawStdEncoding.DecodeString(parts[4])
	h.key, err2 = base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(h.salt) < 8 || len(h.key) < 16 || len(h.key) > 64 {
		return phc{}, errBadHash
	}
	return h, nil
}

func verifyPIN(pin, stored string) (bool, error) {
	h, err := parsePHC(stored)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(pin), h.salt, h.params.Time, h.params.MemoryKiB, h.params.Threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}
