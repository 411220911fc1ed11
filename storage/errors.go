package storage

import "errors"

// More sentinel errors; the first ones are in types.go.
var (
	// ErrNoDatabase: Options.MustExist is set and there is no file.
	ErrNoDatabase = errors.New("no database file (check --db)")
	// ErrNotThermogate: the file is a bbolt database written by something else.
	ErrNotThermogate = errors.New("not a thermogate database")
	// ErrNewerSchema: the file was written by a newer thermogate.
	ErrNewerSchema = errors.New("database written by a newer thermogate")
	// ErrInvalid: a record that breaks the rules, e.g. a screening without a time.
	ErrInvalid = errors.New("invalid record")
	// ErrDayNotOver: a day that has not ended yet cannot be exported.
	ErrDayNotOver = errors.New("day not over yet")
	// ErrPurged: the day's records were purged after its export; exporting it
	// again would overwrite the files with empty ones.
	ErrPurged = errors.New("day already purged")
	// ErrCorrupt: the file is damaged (bbolt found a bad page, or a record
	// does not parse). The message ends with what to do: restore from a backup.
	ErrCorrupt = errors.New("database corrupt")
	// ErrReadOnly: a change asked of a database opened with Options.ReadOnly.
	ErrReadOnly = errors.New("database opened read-only")
)
