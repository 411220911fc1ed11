package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/syncbuf"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

// TestMain lets a test run this binary as a client under another user: with
// ADMIN_TEST_DIAL=SOCKET it dials SOCKET, prints the outcome and exits.
func TestMain(m *testing.M) {
	if sock := os.Getenv("ADMIN_TEST_DIAL"); sock != "" {
		c, err := Dial(context.Background(), sock)
		if err == nil {
			_, err = c.ListGuards(context.Background())
		}
		fmt.Printf("uid %d: %v\n", os.Getuid(), err)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A path that holds anything but a stale socket of this user is never
// removed: a database there (store.path ending in .sock) must survive.
func TestListenNeverRemovesWhatIsNotItsStaleSocket(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "thermogate.sock")
	if err := os.WriteFile(db, []byte("the bookings"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(db, ListenOptions{}); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("Listen over a regular file: %v, want a refusal that says it is not a socket", err)
	}
	if b, err := os.ReadFile(db); err != nil || string(b) != "the bookings" {
		t.Fatalf("the file at the socket path was touched: %q %v", b, err)
	}

	emptyDir := filepath.Join(dir, "export.sock")
	if err := os.Mkdir(emptyDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(emptyDir, ListenOptions{}); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("Listen over a directory: %v", err)
	}
	if fi, err := os.Stat(emptyDir); err != nil || !fi.IsDir() {
		t.Fatalf("the directory at the socket path was removed: %v", err)
	}

	// A symlink to a stale socket is not this kiosk's socket either.
	stale := staleSocket(t, filepath.Join(dir, "real.sock"))
	link := filepath.Join(dir, "link.sock")
	if err := os.Symlink(stale, link); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(link, ListenOptions{}); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("Listen over a symlink: %v", err)
	}
	if _, err := os.Lstat(link); err != nil {
		t.Fatalf("the symlink was removed: %v", err)
	}
}

// A stale socket that belongs to another user is left alone.
func TestListenLeavesAnotherUsersSocket(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a socket to another user")
	}
	sock := staleSocket(t, filepath.Join(t.TempDir(), "t.sock"))
	if err := os.Lchown(sock, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(sock, ListenOptions{}); err == nil || !strings.Contains(err.Error(), "uid 65534") {
		t.Fatalf("Listen over another user's socket: %v", err)
	}
	if _, err := os.Lstat(sock); err != nil {
		t.Fatalf("another user's socket was removed: %v", err)
	}
}

func staleSocket(t *testing.T, path string) string {
	t.Helper()
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	return path
}

// With umask 000 the socket must never be seen at its path with a mode
// wider than 0600, nor reachable before it has that mode.
func TestSocketNeverWiderThan0600(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "t.sock")
	var stop atomic.Bool
	var seen atomic.Uint32 // the widest mode seen, plus one; 0: never seen
	var wg sync.WaitGroup
	wg.Go(func() {
		for !stop.Load() {
			if fi, err := os.Lstat(sock); err == nil {
				if p := uint32(fi.Mode().Perm()); p&^0o600 != 0 {
					seen.Store(p + 1)
				}
			}
		}
	})
	for range 300 {
		l, err := Listen(sock, ListenOptions{})
		if err != nil {
			stop.Store(true)
			wg.Wait()
			t.Fatal(err)
		}
		l.Close()
		if seen.Load() != 0 {
			break
		}
	}
	stop.Store(true)
	wg.Wait()
	if p := seen.Load(); p != 0 {
		t.Fatalf("the socket was seen with mode %#o", p-1)
	}
	// Nothing of the way it was made is left beside it.
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("left in the socket's directory: %v", ents)
	}
}

// Closing the listener removes the socket, and only its own: a file put at
// the path since is left alone.
func TestCloseRemovesOnlyItsOwnSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "t.sock")
	l, err := Listen(sock, ListenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if _, err := os.Lstat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket left after Close: %v", err)
	}
	l, err = Listen(sock, ListenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(sock)
	os.WriteFile(sock, []byte("x"), 0o600)
	l.Close()
	if _, err := os.Lstat(sock); err != nil {
		t.Fatalf("Close removed a file that is not its socket: %v", err)
	}
}

func serveWith(t *testing.T, dir string, opts ListenOptions) string {
	t.Helper()
	db, err := storage.Open(filepath.Join(dir, "t.db"), storage.Options{Vocabulary: kiosk.Vocabulary()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sock := filepath.Join(dir, "t.sock")
	l, err := Listen(sock, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: Handler(Local{DB: db})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return sock
}

// Every connection's peer is checked: one whose uid is not allowed is
// refused with a message, and the refusal is logged.
func TestPeerCredentialsAreChecked(t *testing.T) {
	var log syncbuf.Buffer
	sock := serveWith(t, t.TempDir(), ListenOptions{
		Logger:  slog.New(slog.NewTextHandler(&log, nil)),
		allowed: func(uid uint32) bool { return uid != uint32(os.Getuid()) },
	})
	_, err := Dial(context.Background(), sock)
	if err == nil || errors.Is(err, ErrNoDaemon) || !strings.Contains(err.Error(), fmt.Sprintf("refused uid %d", os.Getuid())) {
		t.Fatalf("Dial as a refused uid: %v", err)
	}
	if !strings.Contains(log.String(), "admin socket: connection refused") || !strings.Contains(log.String(), fmt.Sprintf("uid=%d", os.Getuid())) {
		t.Fatalf("the refusal was not logged:\n%s", log.String())
	}

	// The default: root and the kiosk's own user.
	ok := defaultAllowed()
	if !ok(0) || !ok(uint32(os.Geteuid())) || (os.Geteuid() != 65534 && ok(65534)) {
		t.Fatal("the default allows other users, or refuses root or the kiosk's user")
	}
}

// A real process of another user reaches the socket (its file mode opened
// up, as a mistake or a CAP_DAC_OVERRIDE would) and is refused all the same.
func TestPeerOfAnotherUserIsRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a process as nobody")
	}
	dir, err := os.MkdirTemp("", "peercred")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var log syncbuf.Buffer
	sock := serveWith(t, dir, ListenOptions{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}
	// The test binary, where nobody may run it.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "client")
	copyFile(t, exe, bin)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "ADMIN_TEST_DIAL="+sock)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("client as nobody: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "uid 65534: ") || !strings.Contains(string(out), "refused uid 65534") {
		t.Fatalf("nobody was not refused:\n%s", out)
	}
	if !strings.Contains(log.String(), "uid=65534") {
		t.Fatalf("the refusal was not logged:\n%s", log.String())
	}
	// Root, as the same binary, gets in.
	cmd = exec.Command(bin)
	cmd.Env = append(os.Environ(), "ADMIN_TEST_DIAL="+sock)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "uid 0: <nil>") {
		t.Fatalf("root was refused: %v\n%s", err, out)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// A kiosk that accepts the connection but never answers (a stopped
// process) is reported within the wait, not waited for forever.
func TestSilentKioskTimesOut(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "t.sock")
	l, err := net.Listen("unix", sock) // the kernel queues connections; nobody reads
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	start := time.Now()
	_, err = DialWait(context.Background(), sock, time.Second)
	if err == nil || !strings.Contains(err.Error(), "the kiosk at "+sock+" does not answer") || !errors.Is(err, ErrNoAnswer) {
		t.Fatalf("Dial of a silent kiosk: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("gave up after %v", d)
	}
}

// slowAudit is a kiosk whose audit check takes longer than a client waits
// for a word: the operation is slow, the kiosk is not silent.
type slowAudit struct{ Local }

func (s slowAudit) VerifyAudit(ctx context.Context) (storage.AuditReport, error) {
	time.Sleep(2500 * time.Millisecond)
	return s.Local.VerifyAudit(ctx)
}

func TestSlowOperationIsNotSilence(t *testing.T) {
	dir := t.TempDir()
	db, err := storage.Open(filepath.Join(dir, "t.db"), storage.Options{Vocabulary: kiosk.Vocabulary()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sock := filepath.Join(dir, "t.sock")
	l, err := Listen(sock, ListenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: Handler(slowAudit{Local{DB: db}})}
	go srv.Serve(l)
	defer srv.Close()
	c, err := DialWait(context.Background(), sock, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := c.VerifyAudit(context.Background()); err != nil || !rep.OK {
		t.Fatalf("a 2.5 s audit check with a 1 s wait: %+v %v", rep, err)
	}
}

// A refused client gets its reply after it has asked, as HTTP wants: a
// reply before the request is an unsolicited response to Go's client.
func TestRefusalWaitsForTheRequest(t *testing.T) {
	sock := serveWith(t, t.TempDir(), ListenOptions{allowed: func(uint32) bool { return false }})
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 4096)
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if k, err := c.Read(buf); k > 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("before any request: %d bytes %q, %v", k, buf[:k], err)
	}
	if _, err := io.WriteString(c, "POST /v1/ping HTTP/1.1\r\nHost: thermogate\r\nContent-Length: 2\r\n\r\n{}"); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	reply, _ := io.ReadAll(c)
	if !strings.HasPrefix(string(reply), "HTTP/1.1 403 ") || !strings.Contains(string(reply), "the kiosk refused uid") {
		t.Fatalf("reply %q", reply)
	}
}
