// Package mlx90614 controls a Melexis MLX90614 infrared thermometer over its
// SMBus-compatible I²C interface.
//
// Every read is one combined transaction (write the command, read LSB, MSB and
// PEC) whose packet error code is checked; a word with the error flag (bit 15)
// set is refused. Temperatures come back as physic.Temperature, converted
// exactly (one LSB is 0.02 K). The driver never retries: the caller decides
// what a failed read means.
//
// # Features
//
// Ambient (die) temperature, RAM 0x06; object temperature of the first and
// second IR channel, RAM 0x07 and 0x08 (the second exists on dual-zone parts
// only).
//
// Emissivity (EEPROM 0x24) read and written with the erase, write, read-back
// sequence the datasheet asks for; the configuration register (0x25) and the
// 64-bit ID (0x3C–0x3F).
//
// The bus clock must be 100 kHz at most; the chip never stretches the clock.
//
// # Datasheet
//
// https://www.melexis.com/en/documents/documentation/datasheets/datasheet-mlx90614
package mlx90614
