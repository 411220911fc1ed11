package pgtest_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/thermogate/thermogate/internal/pgtest"
)

var srv *pgtest.Server

func TestMain(m *testing.M) { pgtest.Main(m, &srv) }

// TestServer checks what the harness promises: a real server, reachable on
// its socket only, as an unprivileged user, with passwords required, that
// survives a stop and start with its data.
func TestServer(t *testing.T) {
	db := pgtest.NewDB(t, srv)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.SuperURL(db))
	if err != nil {
		t.Fatal(err)
	}
	var listen, version string
	var superuser bool
	if err := conn.QueryRow(ctx, "SELECT current_setting('listen_addresses'), current_setting('server_version_num'), usesuper FROM pg_user WHERE usename = current_user").Scan(&listen, &version, &superuser); err != nil {
		t.Fatal(err)
	}
	if listen != "" {
		t.Errorf("listen_addresses = %q, want none (socket only)", listen)
	}
	if version < "150000" {
		t.Errorf("server version %s, want 15 or later", version)
	}
	if !superuser {
		t.Error("the harness's user is not the superuser")
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (42); CREATE ROLE someone LOGIN PASSWORD 'right'"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)

	// The server process does not run as root.
	pid, err := os.ReadFile(srv.SocketDir() + "/data/postmaster.pid")
	if err != nil {
		t.Fatal(err)
	}
	if owner := fileUID(t, "/proc/"+strings.SplitN(string(pid), "\n", 2)[0]); owner == 0 {
		t.Error("the server runs as root")
	}

	if _, err := pgx.Connect(ctx, srv.URL(db, "someone", "wrong")); err == nil {
		t.Error("a wrong password was accepted")
	}

	if err := srv.Stop(false); err != nil {
		t.Fatal(err)
	}
	if _, err := pgx.Connect(ctx, srv.SuperURL(db)); err == nil {
		t.Error("connected to a stopped server")
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	conn, err = pgx.Connect(ctx, srv.URL(db, "someone", "right"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT n FROM kept").Scan(&n); err == nil || n != 0 {
		// someone has no privilege on the table: the error proves the
		// table is there and permissions are checked.
		t.Errorf("an unprivileged role read the table: n=%d err=%v", n, err)
	} else if !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("want permission denied, got %v", err)
	}
}
