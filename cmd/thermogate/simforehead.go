package main

import (
	"fmt"
	"log/slog"
	"math"
	"os"
	"strconv"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/internal/daemon"
)

// SimForeheadEnv names the environment variable that, with the simulated
// sensor (sensor.driver = "sim"), holds a forehead in front of it for as
// long as the kiosk runs, one the kiosk shows at that temperature (°C). With
// it a whole visit can be played on the kiosk as installed, tapping the
// screen only, without the demo's panel window: `make vm-check` does so in
// /etc/default/thermogate of its virtual Raspberry Pi.
const SimForeheadEnv = "THERMOGATE_SIM_FOREHEAD"

// simForehead applies SimForeheadEnv, if set.
func simForehead(d *daemon.Daemon, cfg config.Config, log *slog.Logger) error {
	v := os.Getenv(SimForeheadEnv)
	if v == "" {
		return nil
	}
	sim := d.Rig().Sim
	if sim == nil {
		return fmt.Errorf("%s is set, but the sensor is not the simulator (sensor.driver = %q): unset it on a real kiosk", SimForeheadEnv, config.DriverSim)
	}
	c, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(c) || c < 30 || c > 45 {
		return fmt.Errorf("%s=%q: want the temperature the kiosk should show, in °C between 30 and 45, e.g. 36.6", SimForeheadEnv, v)
	}
	// The simulator's room is 22 °C (hw.Open); the model turns the body
	// temperature to show into what the sensor must see.
	room := physic.ZeroCelsius + 22*physic.Celsius
	sim.Present(cfg.Kiosk(time.Time{}).Model.Object(physic.ZeroCelsius+physic.Temperature(c*1e9), room))
	log.Info("simulated sensor: a forehead stays in front of it", "shows_c", c, "env", SimForeheadEnv)
	return nil
}
