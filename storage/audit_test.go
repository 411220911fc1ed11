package storage

import (
	"context"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

// auditLog makes five entries.
func auditLog(t *testing.T) *DB {
	t.Helper()
	db, _ := testDB(t)
	for _, a := range []string{"config.load", "guard.login", "guard.deny", "guard.logout", "config.load"} {
		if _, err := db.Audit(context.Background(), "system", a, "detail of "+a); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func TestVerifyAuditIntact(t *testing.T) {
	db := auditLog(t)
	r, err := db.VerifyAudit(context.Background())
	if err != nil || !r.OK || r.Entries != 5 || r.First != 1 || r.Last != 5 || r.Broken != 0 {
		t.Fatalf("%+v %v", r, err)
	}
	var prev string
	db.AuditEntries(context.Background(), func(e AuditEntry) error {
		if e.ID == 1 && e.Prev != "" || e.ID > 1 && (len(e.Prev) != 64 || e.Prev == prev) || e.Version != AuditVersion {
			t.Errorf("entry %+v", e)
		}
		prev = e.Prev
		return nil
	})
}

func TestVerifyAuditFindsTheFirstBrokenLink(t *testing.T) {
	tests := []struct {
		name    string
		tamper  func(b *bbolt.Bucket)
		broken  uint64
		problem string
	}{
		{"entry changed", func(b *bbolt.Bucket) {
			v := strings.Replace(string(b.Get(u64key(3))), "guard.deny", "guard.admit", 1)
			b.Put(u64key(3), []byte(v))
		}, 4, "entry 3 was changed"},
		{"first entry changed", func(b *bbolt.Bucket) {
			v := strings.Replace(string(b.Get(u64key(1))), "system", "admin", 1)
			b.Put(u64key(1), []byte(v))
		}, 2, "entry 1 was changed"},
		{"entry removed", func(b *bbolt.Bucket) { b.Delete(u64key(2)) }, 2, "entry 2 is missing"},
		{"last entry changed", func(b *bbolt.Bucket) {
			v := strings.Replace(string(b.Get(u64key(5))), "config", "kiosk", 1)
			b.Put(u64key(5), []byte(v))
		}, 5, "recorded head is entry 5"},
		{"tail removed", func(b *bbolt.Bucket) { b.Delete(u64key(5)); b.Delete(u64key(4)) }, 4, "entries at the end were removed"},
		{"garbage", func(b *bbolt.Bucket) { b.Put(u64key(3), []byte("{")) }, 3, "not a valid record"},
		{"relinked", func(b *bbolt.Bucket) {
			// Entry 3 removed and entry 4 renumbered and relinked: the
			// hash of the new entry 3 then differs from what 5 recorded.
			v := strings.Replace(string(b.Get(u64key(4))), `"id":4`, `"id":3`, 1)
			b.Put(u64key(3), []byte(v))
			b.Delete(u64key(4))
		}, 3, "entry 3 links to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := auditLog(t)
			if err := db.update(func(tx *bbolt.Tx) error { tt.tamper(tx.Bucket(bucketAudit)); return nil }); err != nil {
				t.Fatal(err)
			}
			r, err := db.VerifyAudit(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if r.OK || r.Broken != tt.broken || !strings.Contains(r.Problem, tt.problem) {
				t.Errorf("%+v; want broken at %d: %q", r, tt.broken, tt.problem)
			}
		})
	}
}
