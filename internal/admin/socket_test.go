package admin

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

func serve(t *testing.T) (string, *storage.DB) {
	t.Helper()
	dir := t.TempDir()
	db, err := storage.Open(filepath.Join(dir, "t.db"), storage.Options{Vocabulary: kiosk.Vocabulary()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sock := filepath.Join(dir, "t.sock")
	l, err := Listen(sock, ListenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: Handler(Local{DB: db})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return sock, db
}

func TestSocketIsPrivateAndSingle(t *testing.T) {
	sock, _ := serve(t)
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket mode %v, want a socket with 0600", fi.Mode())
	}
	if _, err := Listen(sock, ListenOptions{}); !errors.Is(err, storage.ErrLocked) {
		t.Fatalf("a second daemon on a live socket: %v, want ErrLocked", err)
	}
}

func TestStaleSocketIsReplaced(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "t.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close() // a daemon that died: the file stays, nobody answers
	if _, err := Dial(context.Background(), sock); !errors.Is(err, ErrNoDaemon) {
		t.Fatalf("Dial of a stale socket: %v, want ErrNoDaemon", err)
	}
	l2, err := Listen(sock, ListenOptions{})
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	l2.Close()
}

func TestDialWithoutDaemon(t *testing.T) {
	if _, err := Dial(context.Background(), filepath.Join(t.TempDir(), "none.sock")); !errors.Is(err, ErrNoDaemon) {
		t.Fatalf("Dial of no socket: %v, want ErrNoDaemon", err)
	}
}

func TestClientCarriesResultsAndErrors(t *testing.T) {
	sock, db := serve(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := c.ImportBookings(ctx, ImportRequest{Name: "b.csv", Data: []byte("code,start\nAB12CD,2030-05-02T09:00:00Z\n")})
	if err != nil || r.Added != 1 {
		t.Fatalf("import: %+v %v", r, err)
	}
	list, err := c.ListBookings(ctx, storage.Day{})
	if err != nil || len(list) != 1 || list[0].Code != "AB12CD" || !list[0].Start.Equal(time.Date(2030, 5, 2, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("list: %+v %v", list, err)
	}
	_, remote := c.CancelBooking(ctx, "NOPE99")
	_, local := Local{DB: db}.CancelBooking(ctx, "NOPE99")
	if remote == nil || remote.Error() != local.Error() {
		t.Fatalf("errors differ: through the socket %q, on the file %q", remote, local)
	}
	if _, err := c.AddGuard(ctx, "Ona", "1234"); err == nil || !strings.Contains(err.Error(), "PIN") {
		t.Fatalf("an obvious PIN through the socket: %v", err)
	}
	if _, err := c.Export(ctx, storage.NewDay(2030, 5, 1), "relative/dir"); err == nil || !strings.Contains(err.Error(), "not an absolute path") {
		t.Fatalf("a relative export directory through the socket: %v", err)
	}
	rep, err := c.VerifyAudit(ctx)
	if err != nil || !rep.OK || rep.Entries == 0 {
		t.Fatalf("audit: %+v %v", rep, err)
	}
}
