package clock

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestVirtualSleepAdvances(t *testing.T) {
	start := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	v := NewVirtual(start)
	if err := v.Sleep(context.Background(), 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if got, want := v.Now(), start.Add(1500*time.Millisecond); !got.Equal(want) {
		t.Fatalf("Now() = %v, want %v", got, want)
	}
	v.Advance(-time.Hour) // ignored: time never goes back
	v.Set(start)          // ignored: earlier than now
	if got, want := v.Now(), start.Add(1500*time.Millisecond); !got.Equal(want) {
		t.Fatalf("time went back: %v, want %v", got, want)
	}
	v.Set(start.Add(time.Hour))
	if got, want := v.Now(), start.Add(time.Hour); !got.Equal(want) {
		t.Fatalf("Set: %v, want %v", got, want)
	}
}

func TestSleepCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v := NewVirtual(time.Unix(0, 0))
	if err := v.Sleep(ctx, time.Second); !errors.Is(err, context.Canceled) {
		t.Fatalf("virtual Sleep on cancelled ctx = %v", err)
	}
	if !v.Now().Equal(time.Unix(0, 0)) {
		t.Fatal("a cancelled sleep moved the clock")
	}
	if err := (Real{}).Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("real Sleep on cancelled ctx = %v", err)
	}
}
