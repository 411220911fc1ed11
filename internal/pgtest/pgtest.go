// Package pgtest runs a throwaway PostgreSQL server for tests: Debian's
// postgresql package, initdb and pg_ctl in a temporary directory, listening
// only on a Unix socket in that directory, removed afterwards.
//
// initdb refuses to run as root, and tests run as root in CI, so under root
// the server runs as the unprivileged user nobody (the directory is handed
// to it); otherwise as the current user. Every role, the superuser
// included, logs in with a password (scram-sha-256), as on a real server.
//
// One server serves a whole test package (start it in TestMain with Main);
// each test takes a fresh database from it with NewDB.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Superuser is the name of the server's superuser.
const Superuser = "postgres"

// Port numbers the socket file (.s.PGSQL.<port>); nothing listens on TCP.
const Port = 5432

// ErrNoPostgres: the server's programs are not installed.
var ErrNoPostgres = errors.New("PostgreSQL is not installed (Debian: apt-get install postgresql; make deps does it for the tests)")

// Server is a running throwaway server.
type Server struct {
	dir      string // removed by Close
	data     string
	bin      string
	password string
	cred     *syscall.Credential // nil: run as ourselves
	log      string
	dbs      atomic.Int64
	mu       sync.Mutex // serialises Stop and Start
}

// BinDir finds the newest installed PostgreSQL's programs: Debian keeps
// them in /usr/lib/postgresql/<version>/bin, outside PATH.
func BinDir() (string, error) {
	if d := os.Getenv("PG_BINDIR"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", ErrNoPostgres
}

func version(bin string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return n
}

// Start creates and starts a server in a new temporary directory.
func Start() (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	base := os.TempDir()
	if os.Geteuid() == 0 && !traversable(base) {
		base = "/tmp" // nobody must reach the directory through its parents
	}
	dir, err := os.MkdirTemp(base, "pgtest-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, data: filepath.Join(dir, "data"), bin: bin, log: filepath.Join(dir, "server.log")}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir)
		}
	}()
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			return nil, fmt.Errorf("pgtest: running as root and there is no user nobody to run PostgreSQL as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	var pw [16]byte
	rand.Read(pw[:])
	s.password = hex.EncodeToString(pw[:])
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.password+"\n"), 0o600); err != nil {
		return nil, err
	}
	if s.cred != nil {
		if err := os.Chown(pwfile, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			return nil, err
		}
	}
	if out, err := s.run("initdb", "-D", s.data, "-U", Superuser, "--pwfile", pwfile,
		"--auth-local=scram-sha-256", "--auth-host=reject", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"); err != nil {
		return nil, fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	os.Remove(pwfile)
	// Only the socket in our directory; durability as on a real server
	// (synchronous commit), but no fsync: the machine does not crash
	// under a test, only the server does.
	conf := fmt.Sprintf(`
listen_addresses = ''
unix_socket_directories = '%s'
port = %d
fsync = off
full_page_writes = off
max_connections = 100
shared_buffers = 32MB
log_min_messages = warning
`, dir, Port)
	f, err := os.OpenFile(filepath.Join(s.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(conf)
		f.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("pgtest: configure: %w", err)
	}
	if err := s.Start(); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// traversable reports whether every directory from / to dir lets others
// pass through.
func traversable(dir string) bool {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil || st.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == "/" {
			return true
		}
	}
}

// run runs one of PostgreSQL's programs as the server's user.
func (s *Server) run(prog string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(s.bin, prog), args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd.CombinedOutput()
}

// Start starts the server (again, after Stop) and waits until it accepts
// connections.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if out, err := s.run("pg_ctl", "start", "-w", "-t", "60", "-D", s.data, "-l", s.log); err != nil {
		logs, _ := os.ReadFile(s.log)
		return fmt.Errorf("pgtest: pg_ctl start: %v\n%s\n%s", err, out, logs)
	}
	return nil
}

// Stop stops the server. immediate stops it as a crash would (no
// checkpoint, connections cut); otherwise a fast, clean shutdown.
func (s *Server) Stop(immediate bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	mode := "fast"
	if immediate {
		mode = "immediate"
	}
	if out, err := s.run("pg_ctl", "stop", "-w", "-t", "60", "-m", mode, "-D", s.data); err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop: %v\n%s", err, out)
	}
	return nil
}

// Close stops the server and removes its directory.
func (s *Server) Close() error {
	err := s.Stop(true)
	if rerr := os.RemoveAll(s.dir); err == nil {
		err = rerr
	}
	return err
}

// SocketDir is the directory holding the server's socket.
func (s *Server) SocketDir() string { return s.dir }

// Password is the superuser's password.
func (s *Server) Password() string { return s.password }

// URL returns a connection URL for database db as user with password ("" to
// leave it out of the URL, e.g. when it comes from a file).
func (s *Server) URL(db, user, password string) string {
	u := url.URL{Scheme: "postgres", Path: "/" + db}
	if password != "" {
		u.User = url.UserPassword(user, password)
	} else {
		u.User = url.User(user)
	}
	q := url.Values{"host": {s.dir}, "port": {strconv.Itoa(Port)}, "sslmode": {"disable"}}
	u.RawQuery = q.Encode()
	return u.String()
}

// SuperURL is URL for the superuser.
func (s *Server) SuperURL(db string) string { return s.URL(db, Superuser, s.password) }

// CreateDB creates a new empty database and returns its name.
func (s *Server) CreateDB(ctx context.Context) (string, error) {
	name := fmt.Sprintf("t%d_%d", os.Getpid(), s.dbs.Add(1))
	conn, err := pgx.Connect(ctx, s.SuperURL("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	return name, nil
}

// Log returns the server's log, for a failing test's message.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}

// Main starts one server for a test package, runs the tests and removes
// the server. Without PostgreSQL installed the tests that need it skip,
// except under CI (CI set), where its absence is a failure: a CI that
// skipped them would prove nothing.
func Main(m *testing.M, srv **Server) {
	s, err := Start()
	switch {
	case errors.Is(err, ErrNoPostgres) && os.Getenv("CI") == "":
		fmt.Fprintln(os.Stderr, "pgtest:", err, "- tests that need it skip")
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	default:
		*srv = s
	}
	code := m.Run()
	if s != nil {
		if err := s.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	os.Exit(code)
}

// NewDB skips t when srv is nil (no PostgreSQL here) and otherwise returns
// the name of a fresh database on srv.
func NewDB(t testing.TB, srv *Server) string {
	t.Helper()
	if srv == nil {
		t.Skip(ErrNoPostgres)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name, err := srv.CreateDB(ctx)
	if err != nil {
		t.Fatalf("create database: %v", err)
	}
	return name
}

// Terminate ends every backend connected to database db as one of roles
// (all roles when none are given) with pg_terminate_backend, as a network
// failure or an administrator would, and returns how many it ended.
func (s *Server) Terminate(ctx context.Context, db string, roles ...string) (int, error) {
	conn, err := pgx.Connect(ctx, s.SuperURL("postgres"))
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	q := `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = $1 AND pid <> pg_backend_pid() AND (cardinality($2::text[]) = 0 OR usename = ANY($2))`
	var n int
	if roles == nil {
		roles = []string{}
	}
	err = conn.QueryRow(ctx, q, db, roles).Scan(&n)
	return n, err
}

// ForTest starts a server of t's own with one fresh database and removes
// it when t ends: for a package with one or two tests that need a server
// (Main and NewDB share one among many). Without PostgreSQL installed t
// skips, except under CI, as with Main.
func ForTest(t testing.TB) (srv *Server, db string) {
	t.Helper()
	s, err := Start()
	if errors.Is(err, ErrNoPostgres) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, NewDB(t, s)
}
