package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// BookingVersion is the version of the Booking record format.
const BookingVersion = 1

// ImportResult says what an import changed.
type ImportResult struct {
	File      string `json:"file"`
	Rows      int    `json:"rows"`
	Added     int    `json:"added"`     // codes that were not booked
	Changed   int    `json:"changed"`   // --replace: codes booked differently before
	Unchanged int    `json:"unchanged"` // codes booked exactly so already
	Removed   int    `json:"removed"`   // --replace: bookings of the file's days that the file leaves out
	Days      []Day  `json:"days"`      // the days the file covers
	Replace   bool   `json:"replace"`
}

// ImportBookings reads a bookings file (see ParseBookings) and stores it in
// one transaction, together with its audit entry: every row or none.
//
// Without replace, a code that is already booked is a problem unless the
// booking is identical (same start, minutes, service and language; it then
// keeps its status and use). With replace, the bookings of the days the file
// covers are replaced by the file's: those it leaves out are removed;
// identical ones keep their status and use, so importing the day again
// does not revive a cancelled booking or let a used code in twice. A code
// booked on a day the file does not cover is a problem either way.
func (db *DB) ImportBookings(ctx context.Context, actor, name string, data []byte, format string, replace bool) (ImportResult, error) {
	if err := ctx.Err(); err != nil {
		return ImportResult{}, err
	}
	rows, err := db.vocab.ParseBookings(name, data, format, db.loc)
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{File: name, Rows: len(rows), Replace: replace}
	covered := map[Day]bool{}
	inFile := map[string]bool{}
	for _, r := range rows {
		covered[DayOf(r.Booking.Start, db.loc)] = true
		inFile[r.Booking.Code] = true
	}
	for d := range covered {
		res.Days = append(res.Days, d)
	}
	slices.SortFunc(res.Days, func(a, b Day) int { return strings.Compare(a.String(), b.String()) })

	err = db.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketBookings)
		ie := &ImportError{File: name}
		var puts []Booking
		for _, r := range rows {
			nb := r.Booking
			old, found, err := getBooking(b, nb.Code)
			if err != nil {
				return err
			}
			switch {
			case !found:
				res.Added++
				puts = append(puts, nb)
			case sameSlot(old, nb):
				res.Unchanged++
			case !replace:
				ie.add(r.Line, "code %s is already booked for %s; make the row identical, leave it out, or import with --replace to replace the bookings of %s",
					nb.Code, slot(old, db.loc), DayOf(nb.Start, db.loc))
			case !covered[DayOf(old.Start, db.loc)]:
				ie.add(r.Line, "code %s is already booked for %s, a day this file does not cover; cancel that booking or use another code",
					nb.Code, slot(old, db.loc))
			default:
				res.Changed++
				puts = append(puts, nb)
			}
		}
		if len(ie.Problems) > 0 {
			return ie
		}
		if replace {
			var gone [][]byte
			err := b.ForEach(func(k, v []byte) error {
				if inFile[string(k)] {
					return nil
				}
				var old Booking
				if err := decode(v, &old, "booking %s", k); err != nil {
					return err
				}
				if covered[DayOf(old.Start, db.loc)] {
					gone = append(gone, append([]byte(nil), k...))
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, k := range gone {
				if err := db.deleteBooking(tx, string(k), bookingRemoved); err != nil {
					return err
				}
			}
			res.Removed = len(gone)
		}
		for _, nb := range puts {
			if err := db.putBooking(tx, nb, bookingImported); err != nil {
				return err
			}
		}
		_, err := db.auditTx(tx, actor, "bookings.import", res.summary())
		return err
	})
	if err != nil {
		if _, ok := err.(*ImportError); ok {
			return ImportResult{}, err
		}
		return ImportResult{}, fmt.Errorf("import %s: %w", name, err)
	}
	return res, nil
}

// summary is the import's audit detail and the CLI's report.
func (r ImportResult) summary() string {
	days := make([]string, len(r.Days))
	for i, d := range r.Days {
		days[i] = d.String()
	}
	s := fmt.Sprintf("%s: %d rows, %d added, %d changed, %d unchanged, %d removed; days %s",
		r.File, r.Rows, r.Added, r.Changed, r.Unchanged, r.Removed, strings.Join(days, " "))
	if r.Replace {
		s += " (replace)"
	}
	return s
}

// sameSlot reports whether two bookings are the same appointment; status
// and use are the kiosk's and the office's, not the file's.
func sameSlot(a, b Booking) bool {
	return a.Code == b.Code && a.Start.Equal(b.Start) && a.Minutes == b.Minutes && a.Service == b.Service && a.Lang == b.Lang && a.Location == b.Location
}

func slot(b Booking, loc *time.Location) string {
	return fmt.Sprintf("%s, %d min", b.Start.In(loc).Format(startLayout), b.Minutes)
}

func getBooking(b *bbolt.Bucket, code string) (Booking, bool, error) {
	raw := b.Get([]byte(code))
	if raw == nil {
		return Booking{}, false, nil
	}
	var bk Booking
	if err := decode(raw, &bk, "booking %s", code); err != nil {
		return Booking{}, false, err
	}
	return bk, true, nil
}

// Booking returns the booking with the given code (normalised first), or
// ErrNotFound, or ErrBadCode.
func (db *DB) Booking(ctx context.Context, code string) (Booking, error) {
	c, err := db.normalizeCode(code)
	if err != nil {
		return Booking{}, err
	}
	var bk Booking
	err = db.view(func(tx *bbolt.Tx) error {
		var found bool
		var err error
		bk, found, err = getBooking(tx.Bucket(bucketBookings), c)
		if err == nil && !found {
			err = ErrNotFound
		}
		return err
	})
	if err != nil {
		return Booking{}, fmt.Errorf("booking %s: %w", c, err)
	}
	return bk, nil
}

// Bookings returns the bookings of day, or all bookings for the zero Day,
// ordered by start and code.
func (db *DB) Bookings(ctx context.Context, day Day) ([]Booking, error) {
	var out []Booking
	err := db.view(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketBookings).ForEach(func(k, v []byte) error {
			var bk Booking
			if err := decode(v, &bk, "booking %s", k); err != nil {
				return err
			}
			if day.IsZero() || DayOf(bk.Start, db.loc) == day {
				out = append(out, bk)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list bookings: %w", err)
	}
	slices.SortFunc(out, func(a, b Booking) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	return out, nil
}

// CancelBooking marks a booking cancelled, with its audit entry, and returns
// it. Cancelling a cancelled booking changes nothing and writes no entry.
func (db *DB) CancelBooking(ctx context.Context, actor, code string) (Booking, error) {
	c, err := db.normalizeCode(code)
	if err != nil {
		return Booking{}, err
	}
	var bk Booking
	err = db.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketBookings)
		var found bool
		var err error
		if bk, found, err = getBooking(b, c); err != nil {
			return err
		} else if !found {
			return ErrNotFound
		}
		if bk.Status == StatusCancelled {
			return nil
		}
		bk.Status = StatusCancelled
		if err := db.putBooking(tx, bk, bookingCancel); err != nil {
			return err
		}
		_, err = db.auditTx(tx, actor, "bookings.cancel", fmt.Sprintf("%s (%s)", c, slot(bk, db.loc)))
		return err
	})
	if err != nil {
		return Booking{}, fmt.Errorf("cancel booking %s: %w", c, err)
	}
	return bk, nil
}
