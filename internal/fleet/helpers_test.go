package fleet_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/jackc/pgx/v5"

	"github.com/thermogate/thermogate/internal/fleet"
	"github.com/thermogate/thermogate/internal/pgtest"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

var srv *pgtest.Server

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(pushChild())
	}
	pgtest.Main(m, &srv)
}

var vilnius = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Vilnius")
	if err != nil {
		panic(err)
	}
	return loc
}()

// central is one test's central database, migrated, with a superuser
// connection.
type central struct {
	name string
	conn *pgx.Conn
}

func newCentral(t testing.TB) *central {
	t.Helper()
	name := pgtest.NewDB(t, srv)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.SuperURL(name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := fleet.Migrate(ctx, conn); err != nil {
		t.Fatal(err)
	}
	return &central{name: name, conn: conn}
}

// fresh reconnects the superuser after the server was restarted.
func (c *central) fresh(t testing.TB) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), srv.SuperURL(c.name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

var kioskSeq struct {
	sync.Mutex
	n int
}

// door is one kiosk: its bbolt database, its role and its agent (not
// started).
type door struct {
	id    string
	db    *storage.DB
	setup fleet.KioskSetup
	agent *fleet.Agent
	url   string
}

// uniqueID gives kiosk names unique in the whole server: roles are the
// server's, shared by the tests' databases.
func uniqueID(base string) string {
	kioskSeq.Lock()
	defer kioskSeq.Unlock()
	kioskSeq.n++
	return fmt.Sprintf("%s-%d", base, kioskSeq.n)
}

func newDoor(t testing.TB, c *central, base, location string, cfg func(*fleet.Config)) *door {
	t.Helper()
	ctx := context.Background()
	id := uniqueID(base)
	setup, err := fleet.AddKiosk(ctx, c.conn, id, location)
	if err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(filepath.Join(t.TempDir(), "thermogate.db"), storage.Options{Vocabulary: kiosk.Vocabulary(), Location: vilnius})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	d := &door{id: id, db: db, setup: setup, url: srv.URL(c.name, setup.Role, "")}
	fc := fleet.Default()
	fc.URL = d.url
	fc.Location = location
	fc.PasswordFile = "/nonexistent" // the password is handed over below
	if cfg != nil {
		cfg(&fc)
	}
	d.agent, err = fleet.New(ctx, fleet.Options{
		DB: db, Config: fc, KioskID: id, Version: "test", Password: setup.Password,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		PushEvery: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// run starts the door's agent until the test ends.
func (d *door) run(t testing.TB) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.agent.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// connect logs in as the door's role.
func (d *door) connect(t testing.TB) *pgx.Conn {
	t.Helper()
	conn, err := fleet.Connect(context.Background(), d.url, d.setup.Password)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func ptr(v float64) *float64 { return &v }

// visit stores a screening as the kiosk does after its booking check.
func visit(t testing.TB, db *storage.DB, at time.Time, code, decision, reason string, used bool) uint64 {
	t.Helper()
	id, err := db.Append(context.Background(), storage.Screening{
		Time: at, Kiosk: "x", Code: code, Decision: decision, Reason: reason,
		ShownC: ptr(36.6), ObjectC: ptr(35.1), AmbientC: ptr(22), Model: "offset/1",
		Params: map[string]float64{"c": 1.5}, ThresholdC: 37.3, BookingUsed: used,
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// eventually polls cond every 10 ms up to limit and returns how long it
// took, failing the test when it never held.
func eventually(t testing.TB, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}
