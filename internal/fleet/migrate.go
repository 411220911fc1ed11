package fleet

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The central schema's versions: migrations/NNNN_name.sql, applied in order,
// each in its own transaction with its row in thermogate.migrations.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// Group roles the schema grants to: each kiosk's login role is a member of
// RoleKiosk; the booking system and report readers log in as members of
// RoleOffice.
const (
	RoleKiosk  = "thermogate_kiosk"
	RoleOffice = "thermogate_office"
)

// migration is one embedded version.
type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("BUG: migration file %s is not named NNNN_name.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{v, e.Name(), string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("BUG: migrations are not numbered 1, 2, 3…: %s", m.name)
		}
	}
	return out, nil
}

// SchemaVersion is the newest central schema this thermogate knows.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		panic(err)
	}
	return len(ms)
}

// ErrNewerSchema: the central database was migrated by a newer thermogate.
var ErrNewerSchema = errors.New("the central database has a newer schema than this thermogate knows; upgrade thermogate")

// Migrate creates or upgrades the central schema: the group roles when
// missing, then every embedded version not yet applied. It returns the
// versions it applied (none when up to date). Concurrent runs wait for each
// other. The connection's role must be allowed to create roles and own the
// schema (the database's owner with CREATEROLE, or a superuser).
func Migrate(ctx context.Context, conn *pgx.Conn) ([]int, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(4810951741)"); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(4810951741)")
	for _, r := range []string{RoleKiosk, RoleOffice} {
		if err := createRole(ctx, conn, r, "NOLOGIN"); err != nil {
			return nil, fmt.Errorf("migrate: create role %s: %w", r, err)
		}
	}
	if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS thermogate;
		CREATE TABLE IF NOT EXISTS thermogate.migrations (
			version integer PRIMARY KEY, name text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now());
		GRANT SELECT ON thermogate.migrations TO thermogate_kiosk, thermogate_office`); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var have int
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM thermogate.migrations").Scan(&have); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if have > len(ms) {
		return nil, fmt.Errorf("migrate: schema version %d, this thermogate knows %d: %w", have, len(ms), ErrNewerSchema)
	}
	var applied []int
	for _, m := range ms[have:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO thermogate.migrations (version, name) VALUES ($1, $2)", m.version, m.name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("migrate: %s: %w (nothing of it was applied)", m.name, err)
		}
		applied = append(applied, m.version)
	}
	return applied, nil
}

// CheckSchema fails unless the database has exactly this thermogate's
// schema version: a kiosk does not write into a schema it does not know.
func CheckSchema(ctx context.Context, q querier) error {
	var have int
	err := q.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM thermogate.migrations").Scan(&have)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "42P01" || pe.Code == "3F000") {
		return errors.New("the central database has no thermogate schema: run thermogate fleet migrate")
	}
	if err != nil {
		return err
	}
	switch want := SchemaVersion(); {
	case have > want:
		return fmt.Errorf("schema version %d, this thermogate knows %d: %w", have, want, ErrNewerSchema)
	case have < want:
		return fmt.Errorf("the central database has schema version %d, this thermogate needs %d: run thermogate fleet migrate", have, want)
	}
	return nil
}

// querier is what both a connection and a transaction offer.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// createRole creates role r unless it exists. Roles belong to the whole
// server, so another database may have created it meanwhile: that is fine.
func createRole(ctx context.Context, conn *pgx.Conn, r, options string) error {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", r).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err := conn.Exec(ctx, "CREATE ROLE "+pgx.Identifier{r}.Sanitize()+" "+options)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "42710" || pe.Code == "23505") {
		return nil
	}
	return err
}
