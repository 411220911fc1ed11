package hw

import (
	"context"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/sensor/mlxsim"
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

func TestSimulatedMeasures(t *testing.T) {
	clk := clock.NewVirtual(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))
	r, s, err := Simulated(mlxsim.Opts{Clock: clk}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Sim.Schedule(mlxsim.Visit{Arrive: clk.Now(), Object: physic.ZeroCelsius + 35*physic.Celsius})
	rd, err := s.Measure(context.Background(), nil)
	if err != nil || rd.Object.Celsius() < 34.9 || rd.Object.Celsius() > 35.1 {
		t.Fatalf("reading %+v, %v; want the simulator's 35 °C forehead through the driver", rd, err)
	}
}
