package hw

import (
	"strings"
	"testing"
)

func TestOpenSimulator(t *testing.T) {
	r, err := Open(Spec{Sim: true, Addr: 0x5B}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Sim == nil || r.Room != nil {
		t.Fatalf("rig %+v", r)
	}
	amb, err := r.Dev.Ambient() // the real driver, at the simulator's address
	if err != nil || amb.Celsius() < 21.9 || amb.Celsius() > 22.1 {
		t.Fatalf("ambient %s, %v; want the simulator's 22 °C room", amb, err)
	}
	if !strings.Contains(r.Dev.String(), "0x5b") {
		t.Fatalf("device %s", r.Dev)
	}
}

func TestOpenRefuses(t *testing.T) {
	if _, err := Open(Spec{Sim: true, Room: "mcp9808"}, nil); err == nil || !strings.Contains(err.Error(), "real I²C bus") {
		t.Fatalf("room sensor with the simulator: %v", err)
	}
	if _, err := Open(Spec{Sim: true, Room: "dht22"}, nil); err == nil || !strings.Contains(err.Error(), "unknown room sensor") {
		t.Fatalf("unknown room sensor: %v", err)
	}
}
