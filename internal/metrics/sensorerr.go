package metrics

import (
	"errors"

	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/sensor/mlx90614"
)

// SensorErrorKind names the kind of a sensor error for SensorError: pec,
// flag, range, frozen, or nack for any other failed transfer (no answer, a
// bus error, a read slower than the sampler's limit). It returns "" for nil
// and for errors that are not the sensor's fault (no forehead, unstable
// readings, a cancelled context).
func SensorErrorKind(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, mlx90614.ErrPEC):
		return "pec"
	case errors.Is(err, mlx90614.ErrFlag):
		return "flag"
	case errors.Is(err, mlx90614.ErrRange):
		return "range"
	case errors.Is(err, sensor.ErrStuck):
		return "frozen"
	case errors.Is(err, sensor.ErrFault):
		return "nack"
	}
	return ""
}
