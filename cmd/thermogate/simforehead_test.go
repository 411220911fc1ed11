package main

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/internal/daemon"
)

func openSimDaemon(t *testing.T) (*daemon.Daemon, config.Config) {
	t.Helper()
	cfg := config.Default()
	cfg.Sensor.Driver = config.DriverSim
	cfg.Store.Path = filepath.Join(t.TempDir(), "t.db")
	d, err := daemon.Open(cfg, daemon.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, cfg
}

func TestSimForeheadHoldsTheGivenTemperature(t *testing.T) {
	d, cfg := openSimDaemon(t)
	room := physic.ZeroCelsius + 22*physic.Celsius
	if got, err := d.Rig().Dev.Object(); err != nil || got > room+physic.Celsius {
		t.Fatalf("before: object %v, %v; want the empty 22 °C room", got, err)
	}
	t.Setenv(SimForeheadEnv, "38.2")
	if err := simForehead(d, cfg, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	want := cfg.Kiosk(time.Time{}).Model.Object(physic.ZeroCelsius+38200*physic.MilliKelvin, room)
	time.Sleep(time.Second) // the simulated forehead rises over 300 ms
	got, err := d.Rig().Dev.Object()
	if err != nil {
		t.Fatal(err)
	}
	if diff := got - want; diff > 300*physic.MilliKelvin || diff < -300*physic.MilliKelvin {
		t.Errorf("object %v, want %v (shown 38.2 °C) within the noise", got, want)
	}
}

func TestSimForeheadRefusesBadValues(t *testing.T) {
	d, cfg := openSimDaemon(t)
	for _, v := range []string{"warm", "NaN", "20", "36,6"} {
		t.Setenv(SimForeheadEnv, v)
		err := simForehead(d, cfg, slog.New(slog.DiscardHandler))
		if err == nil || !strings.Contains(err.Error(), SimForeheadEnv) || !strings.Contains(err.Error(), "36.6") {
			t.Errorf("%s=%q: %v, want an error naming the variable and an example", SimForeheadEnv, v, err)
		}
	}
}
