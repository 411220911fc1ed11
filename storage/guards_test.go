package storage

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func TestCheckPIN(t *testing.T) {
	for _, pin := range []string{"", "123", "123456789", "12a4", "１２３４", "0000", "9999", "1212", "123123", "1234", "4321", "7890", "0987", "23456789", "987654", "2580", "1122"} {
		if err := CheckPIN(pin); !errors.Is(err, ErrWeakPIN) {
			t.Errorf("CheckPIN(%q) = %v, want ErrWeakPIN", pin, err)
		}
	}
	for _, pin := range []string{"1357", "2468", "9182", "31415926", "4729", "1233", "08154"} {
		if err := CheckPIN(pin); err != nil {
			t.Errorf("CheckPIN(%q) = %v, want nil", pin, err)
		}
	}
	if err := CheckPIN("1111"); strings.Contains(err.Error(), "1111") {
		t.Errorf("the message %q repeats the PIN", err)
	}
}

func TestGuards(t *testing.T) {
	db, _ := testDB(t)
	ctx := context.Background()
	g, err := db.AddGuard(ctx, ActorAdmin, "  Ona   Petraitienė ", "4729")
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "Ona Petraitienė" || g.Cost != "m=64,t=1,p=1" {
		t.Errorf("added %+v", g)
	}
	if _, err := db.AddGuard(ctx, ActorAdmin, "ona petraitienė", "1357"); !errors.Is(err, ErrExists) {
		t.Errorf("same name in other case: %v, want ErrExists", err)
	}
	if _, err := db.AddGuard(ctx, ActorAdmin, "Jonas", "1234"); !errors.Is(err, ErrWeakPIN) {
		t.Errorf("weak PIN: %v", err)
	}
	if _, err := db.AddGuard(ctx, ActorAdmin, "Jonas <script>", "1357"); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad name: %v", err)
	}
	if _, err := db.AddGuard(ctx, ActorAdmin, "Jonas", "1357"); err != nil {
		t.Fatal(err)
	}

	if g, err := db.VerifyGuardPIN(ctx, "Ona Petraitienė", "4729"); err != nil || g.Name != "Ona Petraitienė" {
		t.Errorf("right PIN: %+v %v", g, err)
	}
	if _, err := db.VerifyGuardPIN(ctx, "Ona Petraitienė", "4728"); !errors.Is(err, ErrBadPIN) {
		t.Errorf("wrong PIN: %v", err)
	}
	if _, err := db.VerifyGuardPIN(ctx, "Jonas", "4729"); !errors.Is(err, ErrBadPIN) {
		t.Errorf("another guard's PIN: %v", err)
	}
	if _, err := db.VerifyGuardPIN(ctx, "Nobody", "4729"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown guard: %v", err)
	}

	list, err := db.Guards(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "Jonas" || list[1].Name != "Ona Petraitienė" {
		t.Fatalf("guards %+v %v", list, err)
	}
	// The record holds a PHC string with its own parameters and salt, not the PIN.
	db.view(func(tx *bbolt.Tx) error {
		raw := tx.Bucket(bucketGuards).Get([]byte("Jonas"))
		var rec guardRecord
		json.Unmarshal(raw, &rec)
		if !strings.HasPrefix(rec.PIN, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(string(raw), "1357") {
			t.Errorf("stored %s", raw)
		}
		return nil
	})

	if err := db.RemoveGuard(ctx, ActorAdmin, "jonas"); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveGuard(ctx, ActorAdmin, "Jonas"); !errors.Is(err, ErrNotFound) {
		t.Errorf("remove twice: %v", err)
	}
	var actions []string
	db.AuditEntries(ctx, func(e AuditEntry) error { actions = append(actions, e.Action+" "+e.Detail); return nil })
	if strings.Join(actions, "|") != "guard.add Ona Petraitienė|guard.add Jonas|guard.remove Jonas" {
		t.Errorf("audit %q", actions)
	}
}

func TestPINHashKeepsItsParameters(t *testing.T) {
	db, _ := testDB(t)
	ctx := context.Background()
	if _, err := db.AddGuard(ctx, ActorAdmin, "Ona", "4729"); err != nil {
		t.Fatal(err)
	}
	// The cost is raised later: the old hash still verifies with its own.
	db.pin = PINParams{Time: 2, MemoryKiB: 128, Threads: 2}
	if _, err := db.VerifyGuardPIN(ctx, "Ona", "4729"); err != nil {
		t.Errorf("old hash after a parameter change: %v", err)
	}
	if g, _ := db.AddGuard(ctx, ActorAdmin, "Jonas", "1357"); g.Cost != "m=128,t=2,p=2" {
		t.Errorf("new guard's cost %q", g.Cost)
	}
	// A damaged hash is an error, not a match nor a panic.
	for _, bad := range []string{"", "$argon2id$v=19$m=999999999,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "$argon2i$v=19$m=64,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "$argon2id$v=19$m=64,t=1,p=1$!!$AAAA"} {
		if ok, err := verifyPIN("4729", bad); ok || err == nil {
			t.Errorf("verify against %q: %v %v", bad, ok, err)
		}
	}
}

func TestDefaultPINParams(t *testing.T) {
	if testing.Short() {
		t.Skip("one full-cost hash")
	}
	p := DefaultPINParams
	if mib := p.MemoryKiB / 1024; mib < 19 || mib > 64 {
		t.Errorf("memory %d MiB; the Pi 4 wants 19–64 MiB", mib)
	}
	h, err := hashPIN("4729", p)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ok, err := verifyPIN("4729", h)
	if !ok || err != nil {
		t.Fatalf("verify: %v %v", ok, err)
	}
	t.Logf("one verify with %+v: %v here", p, time.Since(start))
}
