package kiosk

import (
	"fmt"

	"github.com/thermogate/thermogate/storage"
)

// The band in which the median shown temperature of admitted visitors
// should lie; outside it, on a day with enough readings, the kiosk is more
// likely misreading than the town feverish or cold.
const (
	CalibrationLowC     = 35.8
	CalibrationHighC    = 37.2
	CalibrationReadings = 20
)

// CalibrationWarning judges a day's figures: a warning when the median
// shown temperature of at least CalibrationReadings admitted visitors lies
// outside CalibrationLowC–CalibrationHighC, else "". storage computes the
// figures and writes this judgement into the export's manifest.
func CalibrationWarning(st storage.DayStats) string {
	if st.Readings < CalibrationReadings || st.MedianC == nil {
		return ""
	}
	if m := *st.MedianC; m < CalibrationLowC || m > CalibrationHighC {
		return fmt.Sprintf("the median shown temperature of %d admitted visitors is %.1f °C, outside %.1f–%.1f °C: check the kiosk against a clinical thermometer",
			st.Readings, m, CalibrationLowC, CalibrationHighC)
	}
	return ""
}
