package storage

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// LastExport returns when the newest export recorded finished (of any day,
// a re-export included); zero if none was. The daemon reports it at start
// so that a restart does not look like a missed export.
func (db *DB) LastExport(ctx context.Context) (time.Time, error) {
	var last time.Time
	err := db.view(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketExports).ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var rec ExportRecord
			if err := decode(v, &rec, "export record %s", k); err != nil {
				return err
			}
			if rec.ExportedAt.After(last) {
				last = rec.ExportedAt
			}
			return nil
		})
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("last export: %w", err)
	}
	return last, nil
}
