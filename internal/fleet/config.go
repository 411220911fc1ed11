// Package fleet connects kiosks to the office's central PostgreSQL
// database: bookings in (a change sequence each kiosk pulls, woken by
// LISTEN/NOTIFY), screenings and audit entries out (the outbox in the
// kiosk's bbolt file, pushed idempotently on (kiosk_id, id)), a heartbeat
// per door, and the central schema with its roles and row-level security.
//
// A kiosk screens from its local copy and never waits on the network: the
// Agent runs beside the flow, and everything it does is retried until the
// server answers.
package fleet

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Config is the [fleet] section of the configuration file.
type Config struct {
	// URL is the central database, e.g.
	// "postgres://thermogate_k_door_1@db.office.lan/thermogate?sslmode=verify-full&sslrootcert=/etc/thermogate/fleet-ca.pem".
	// Empty: a standalone kiosk, exactly as without a fleet.
	URL string `toml:"url"`
	// Location: the kiosk takes the bookings of this location and those
	// without one; "" takes all.
	Location string `toml:"location"`
	// PasswordFile holds the role's password (one line). A relative name
	// is looked up in systemd's $CREDENTIALS_DIRECTORY (LoadCredential=).
	PasswordFile string `toml:"password_file"`
	// Poll is how often the kiosk asks for booking changes when no
	// notification came, and how often it writes its heartbeat.
	Poll time.Duration `toml:"poll"`
	// PushBatch is how many screenings and audit entries go in one
	// transaction to the central database.
	PushBatch int `toml:"push_batch"`
}

// Defaults.
const (
	DefaultPoll         = 30 * time.Second
	DefaultPushBatch    = 500
	DefaultPasswordFile = "fleet-password"
	// CredentialStoreFile is where the password is kept on a kiosk: the
	// units load it from systemd's credential store as the credential
	// DefaultPasswordFile (LoadCredential=fleet-password:thermogate-fleet-password).
	CredentialStoreFile = "/etc/credstore/thermogate-fleet-password"
)

// Default returns the defaults: standalone.
func Default() Config {
	return Config{PasswordFile: DefaultPasswordFile, Poll: DefaultPoll, PushBatch: DefaultPushBatch}
}

// Enabled reports whether the kiosk is in a fleet.
func (c Config) Enabled() bool { return c.URL != "" }

// Validate checks the section; errors name the key.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.URL != "" {
		if _, err := pgx.ParseConfig(c.URL); err != nil {
			bad("fleet.url: %v", redact(err))
		} else if u, err := url.Parse(c.URL); err == nil && u.User != nil {
			if _, has := u.User.Password(); has {
				bad("fleet.url: holds a password; put it in fleet.password_file instead (config.toml is readable by more than the kiosk)")
			}
		}
		if strings.Contains(c.URL, "password=") {
			bad("fleet.url: holds a password; put it in fleet.password_file instead")
		}
		if c.PasswordFile == "" {
			bad("fleet.password_file is empty: the kiosk's role needs its password")
		}
	}
	if len(c.Location) > 64 || strings.ContainsAny(c.Location, "\n\r\t") {
		bad("fleet.location = %q: at most 64 characters on one line", c.Location)
	}
	if c.Poll < time.Second || c.Poll > time.Hour {
		bad("fleet.poll = %s: want 1s–1h", c.Poll)
	}
	if c.PushBatch < 1 || c.PushBatch > 10000 {
		bad("fleet.push_batch = %d: want 1–10000", c.PushBatch)
	}
	return errors.Join(errs...)
}

// redact keeps whatever pgx echoes of a connection string out of messages.
func redact(err error) string {
	s := err.Error()
	if i := strings.Index(s, "password"); i >= 0 {
		return s[:i] + "…"
	}
	return s
}

// SimulationID is the central identity of a simulation run of kiosk: the
// kiosk's role may push under it, and its screenings never mark a booking
// used. run tells runs apart (their ids start again at 1).
func SimulationID(kiosk, run string) string { return "simulate:" + kiosk + ":" + run }

// IsSimulationOf reports whether id is a simulation identity of kiosk.
func IsSimulationOf(id, kiosk string) bool {
	run, ok := strings.CutPrefix(id, "simulate:"+kiosk+":")
	return ok && run != ""
}
