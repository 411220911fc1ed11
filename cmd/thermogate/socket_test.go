package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/admin"
	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

// serveDB runs an admin socket on the database at path, as the daemon does.
func serveDB(t *testing.T, path string) *storage.DB {
	t.Helper()
	db, err := storage.Open(path, storage.Options{Vocabulary: kiosk.Vocabulary(), Location: config.Default().Location()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := admin.Listen(config.SocketPath(path), admin.ListenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: admin.Handler(admin.Local{DB: db})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return db
}

// A --db that only shares the running kiosk's name stem is another file: the
// command works on that file, never on the live database through the socket.
func TestDBBesideTheKioskIsNotTheKiosk(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "thermogate.db")
	bak := filepath.Join(dir, "thermogate.bak")
	// The copy: a database with one guard, made before the kiosk starts.
	if code, _, errs := runCLI(t, "4826\n", "guard", "add", "--db", bak, "Ona"); code != 0 {
		t.Fatalf("guard add on the copy: %s", errs)
	}
	db := serveDB(t, live)
	ctx := context.Background()

	code, out, errs := runCLI(t, "", "guard", "list", "--db", bak)
	if code != 0 || !strings.Contains(out, "Ona") {
		t.Fatalf("guard list --db %s listed the live database: exit %d %q %q", bak, code, out, errs)
	}
	code, out, errs = runCLI(t, "", "audit", "verify", "--db", bak)
	if code != 0 || !strings.Contains(out, "audit log intact: 1 entry") {
		t.Fatalf("audit verify --db %s: exit %d %q %q", bak, code, out, errs)
	}
	bookings := writeFile(t, "b.csv", "code,start\nAB12CD,2030-05-02 09:00\n")
	if code, _, errs := runCLI(t, "", "bookings", "import", "--db", bak, bookings); code != 0 {
		t.Fatalf("import into the copy: %s", errs)
	}
	if bs, _ := db.Bookings(ctx, storage.Day{}); len(bs) != 0 {
		t.Fatalf("bookings import --db %s wrote into the live database: %+v", bak, bs)
	}
	if gs, _ := db.Guards(ctx); len(gs) != 0 {
		t.Fatalf("the live database has guards %+v", gs)
	}

	// The live file itself, by its path, a symlink or a roundabout path, goes
	// through the socket: the kiosk holds the file.
	link := filepath.Join(t.TempDir(), "link.db")
	if err := os.Symlink(live, link); err != nil {
		t.Fatal(err)
	}
	for i, p := range []string{live, filepath.Join(dir, ".", "..", filepath.Base(dir), "thermogate.db"), link} {
		code := fmt.Sprintf("ZZ%02dXY", i)
		bookings := writeFile(t, "b.csv", "code,start\n"+code+",2030-05-02 09:00\n")
		exit, out, errs := runCLI(t, "", "bookings", "import", "--db", p, bookings)
		if exit != 0 || !strings.Contains(out, "1 added") {
			t.Fatalf("import --db %s: exit %d %q %q", p, exit, out, errs)
		}
		if exit, _, errs = runCLI(t, "", "bookings", "cancel", "--db", p, code); exit != 0 {
			t.Fatalf("cancel --db %s: %q", p, errs)
		}
		if bs, _ := db.Bookings(ctx, storage.Day{}); len(bs) != i+1 || bs[i].Code != code || bs[i].Status != storage.StatusCancelled {
			t.Fatalf("--db %s did not reach the live database: %+v", p, bs)
		}
	}
}

// startKiosk runs `thermogate run --headless` as a real process on a
// database in dir and waits until it serves its socket.
func startKiosk(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	db := filepath.Join(dir, "thermogate.db")
	cfg := writeFile(t, "c.toml", "[sensor]\ndriver = \"sim\"\n[store]\npath = \""+db+"\"\n[export]\ndir = \""+filepath.Join(dir, "x")+"\"\n")
	cmd := exec.Command(os.Args[0], "run", "--headless", "--config", cfg)
	cmd.Env = append(os.Environ(), "THERMOGATE_MAIN=1")
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT)
		cmd.Process.Kill()
		cmd.Wait()
	})
	running := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "kiosk running") {
				running <- true
			}
		}
		close(running)
	}()
	select {
	case ok := <-running:
		if !ok {
			t.Fatal("the kiosk ended before it ran")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the kiosk did not start")
	}
	return cmd, db
}

// A kiosk that stops answering (SIGSTOP) makes admin commands fail within
// the wait, naming the socket, instead of hanging.
func TestStoppedKioskTimesOut(t *testing.T) {
	dir := t.TempDir()
	kiosk, db := startKiosk(t, dir)
	sock := config.SocketPath(db)
	ctx := context.Background()
	c, err := admin.Dial(ctx, sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := kiosk.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitState(t, kiosk.Process.Pid, "T")

	// A client connected before the stop.
	start := time.Now()
	_, err = c.ListGuards(ctx)
	if !errors.Is(err, admin.ErrNoAnswer) || !strings.Contains(err.Error(), "the kiosk at "+sock+" does not answer") {
		t.Fatalf("a request to a stopped kiosk: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v", d)
	}

	// Commands started after it.
	for _, args := range [][]string{
		{"guard", "list", "--db", db},
		{"audit", "verify", "--db", db, "--wait", "1s"},
	} {
		start := time.Now()
		code, _, errs := runCLI(t, "", args...)
		if code != 1 || !strings.Contains(errs, "the kiosk at "+sock+" does not answer") {
			t.Fatalf("%v against a stopped kiosk: exit %d %q", args, code, errs)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("%v took %v", args, d)
		}
	}

	// Continued, it answers again.
	if err := kiosk.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "guard", "list", "--db", db)
	if code != 0 || !strings.Contains(out, "no guards") {
		t.Fatalf("guard list after SIGCONT: exit %d %q %q", code, out, errs)
	}
}

// store.path = .../thermogate.sock: config check names the collision, and
// run refuses to start rather than remove the database for its socket.
func TestStorePathOnTheSocketKeepsTheDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "thermogate.sock")
	if code, _, errs := runCLI(t, "4826\n", "guard", "add", "--db", db, "Ona"); code != 0 {
		t.Fatal(errs)
	}
	cfg := writeFile(t, "c.toml", "[sensor]\ndriver = \"sim\"\n[store]\npath = \""+db+"\"\n[export]\ndir = \""+filepath.Join(dir, "x")+"\"\n")
	code, out, errs := runCLI(t, "", "config", "check", cfg)
	if code == 0 || !strings.Contains(errs, "store.path") || !strings.Contains(errs, "admin socket") {
		t.Fatalf("config check: exit %d %q %q", code, out, errs)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code = execute(ctx, commands(), []string{"run", "--headless", "--config", cfg}, &env{stdin: strings.NewReader(""), stdout: &strings.Builder{}, stderr: &strings.Builder{}})
	if code == 0 {
		t.Fatal("run started on a store path that is its own socket")
	}
	code, out, errs = runCLI(t, "", "guard", "list", "--db", db)
	if code != 0 || !strings.Contains(out, "Ona") {
		t.Fatalf("the database is gone: exit %d %q %q", code, out, errs)
	}
}

// waitState waits until the process is in the state (a letter of
// /proc/PID/stat): a signal is delivered after kill returns.
func waitState(t *testing.T, pid int, state string) {
	t.Helper()
	for range 500 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatal(err)
		}
		// pid (comm) state ...: comm may hold spaces, so look after the last ')'.
		if f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:])); len(f) > 0 && f[0] == state {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("process %d never reached state %s", pid, state)
}
