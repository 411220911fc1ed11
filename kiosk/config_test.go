package kiosk

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want uint64
	}{
		{"16MB", 16_000_000}, {"16 MB", 16_000_000}, {"16mb", 16_000_000}, {"512MiB", 512 << 20},
		{"1GB", 1_000_000_000}, {"2GiB", 2 << 30}, {"1500kB", 1_500_000}, {"64KiB", 64 << 10}, {"123B", 123},
	} {
		got, err := ParseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
		if back, err := ParseSize(FormatSize(got)); err != nil || back != got {
			t.Errorf("FormatSize(%d) = %q reads back as %d, %v", got, FormatSize(got), back, err)
		}
	}
	for _, tt := range []struct{ in, says string }{
		{"16", "needs a unit"}, {"16 furlongs", "unknown unit"}, {"-1MB", "not a size"}, {"1.5GB", "not a size"},
		{"", "not a size"}, {"99999999999999999999GB", "too large"}, {"18446744073709551615KB", "too large"},
	} {
		if _, err := ParseSize(tt.in); err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("ParseSize(%q) = %v, want an error saying %q", tt.in, err, tt.says)
		}
	}
	for n, want := range map[uint64]string{16 * MB: "16MB", 512 * MiB: "512MiB", 2048: "2KiB", 1536: "1536B", 1500: "1500B", 0: "0B"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestMinFreeValidated(t *testing.T) {
	for _, n := range []uint64{0, MinFreeLow - 1, MinFreeHigh + 1} {
		cfg := DefaultConfig()
		cfg.MinFree = n
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "store.min_free = "+FormatSize(n)+": want 1MB–100GB") {
			t.Errorf("MinFree %d: %v", n, err)
		}
	}
	for _, n := range []uint64{MinFreeLow, MinFreeHigh, DefaultConfig().MinFree} {
		cfg := DefaultConfig()
		cfg.MinFree = n
		if err := cfg.Validate(); err != nil {
			t.Errorf("MinFree %d: %v", n, err)
		}
	}
}
