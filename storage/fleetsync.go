package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"go.etcd.io/bbolt"
)

// metaFleetSeq is the central database's booking change number the local
// bookings are at: a kiosk in a fleet asks for the changes after it.
var metaFleetSeq = []byte("fleet_booking_seq")

// bookingFleet is the booking log's action for a change pulled from the
// central database.
const bookingFleet = "fleet"

// BookingChange is one booking as the central database has it after a
// change (import, cancellation, use at a door), or, with Remove, a booking
// this kiosk no longer takes (it moved to another location).
type BookingChange struct {
	Seq     uint64
	Booking Booking
	Remove  bool
}

// FleetBookingSeq returns the last central change applied (0 for none).
func (db *DB) FleetBookingSeq() (uint64, error) {
	var seq uint64
	err := db.view(func(tx *bbolt.Tx) error {
		var err error
		seq, err = readFleetSeq(tx)
		return err
	})
	return seq, err
}

func readFleetSeq(tx *bbolt.Tx) (uint64, error) {
	raw := tx.Bucket(bucketMeta).Get(metaFleetSeq)
	if raw == nil {
		return 0, nil
	}
	seq, err := strconv.ParseUint(string(raw), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("meta %s: %q: %w", metaFleetSeq, raw, err)
	}
	return seq, nil
}

// ApplyBookingChanges stores central booking changes and the change number
// they bring the bookings to, in one transaction: a kiosk that stops half
// way has either all of them or none, and asks again from where it was.
//
// A booking's use is kept when the kiosk knows of an earlier one than the
// central copy (it was used here and the central database has not heard
// yet): a code used at this door never becomes unused by a pull. through
// below the stored number is refused: the changes would be old ones.
func (db *DB) ApplyBookingChanges(ctx context.Context, changes []BookingChange, through uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, c := range changes {
		if c.Seq > through {
			return fmt.Errorf("BUG: booking change %d after the changes' end %d", c.Seq, through)
		}
		norm, err := db.normalizeCode(c.Booking.Code)
		if errors.Is(err, ErrNoVocabulary) || errors.Is(err, ErrCorrupt) {
			return err
		}
		if err != nil || c.Booking.Code != norm {
			return fmt.Errorf("central booking change %d: code %q: %w", c.Seq, c.Booking.Code, ErrBadCode)
		}
	}
	err := db.update(func(tx *bbolt.Tx) error {
		cur, err := readFleetSeq(tx)
		if err != nil {
			return err
		}
		if through < cur {
			return fmt.Errorf("changes through %d, but the bookings are at change %d already", through, cur)
		}
		b := tx.Bucket(bucketBookings)
		for _, c := range changes {
			if c.Remove {
				if b.Get([]byte(c.Booking.Code)) != nil {
					if err := db.deleteBooking(tx, c.Booking.Code, bookingRemoved); err != nil {
						return err
					}
				}
				continue
			}
			nb := c.Booking
			old, found, err := getBooking(b, nb.Code)
			if err != nil {
				return err
			}
			if found && !old.UsedAt.IsZero() && (nb.UsedAt.IsZero() || old.UsedAt.Before(nb.UsedAt)) {
				nb.UsedAt = old.UsedAt
			}
			if nb.Minutes == 0 {
				nb.Minutes = DefaultMinutes
			}
			if err := db.putBooking(tx, nb, bookingFleet); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(metaFleetSeq, []byte(strconv.FormatUint(through, 10)))
	})
	if err != nil {
		return fmt.Errorf("apply central booking changes: %w", err)
	}
	return nil
}

// ResetFleetBookingSeq forgets the central change number, so that the next
// pull takes every booking again: for a central database that was replaced
// (its numbers went back).
func (db *DB) ResetFleetBookingSeq(ctx context.Context) error {
	return db.update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketMeta).Delete(metaFleetSeq)
	})
}
