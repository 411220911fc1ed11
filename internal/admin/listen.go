package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/thermogate/thermogate/storage"
)

// ListenOptions tune Listen. The zero value is usable.
type ListenOptions struct {
	// Logger receives refused connections. Nil logs nothing.
	Logger *slog.Logger
	// allowed says which peer uids may talk to the kiosk; nil means
	// defaultAllowed. Tests narrow it to check the refusal as any user.
	allowed func(uid uint32) bool
}

// defaultAllowed lets in root and the kiosk's own user.
func defaultAllowed() func(uid uint32) bool {
	self := uint32(os.Geteuid())
	return func(uid uint32) bool { return uid == 0 || uid == self }
}

// Listen opens the admin socket at path. The socket never exists at path
// with a mode wider than 0600, whatever the umask: it is bound inside a
// fresh 0700 directory beside path, chmodded there, and only then hard-linked
// to path (link never replaces a file, and no other user can reach it inside
// the 0700 directory). Changing the umask instead would change it for every
// goroutine of the process.
//
// Every connection's peer credentials (SO_PEERCRED) are checked: only root
// and the kiosk's own user are served; others get an error and are logged.
//
// Whatever is already at path is removed only when it is a stale socket of
// this user that nobody answers on; a socket that answers belongs to a
// running kiosk (storage.ErrLocked), and anything else — the database under a
// wrong store.path, a directory, a symlink, another user's socket — is left
// alone with an error that says what is there.
func Listen(path string, opts ListenOptions) (net.Listener, error) {
	if err := removeStale(path); err != nil {
		return nil, err
	}
	ul, own, err := bindPrivate(path)
	if err != nil {
		return nil, fmt.Errorf("admin socket %s: %w", path, err)
	}
	l := &listener{UnixListener: ul, path: path, own: own, allowed: opts.allowed, log: opts.Logger, self: os.Geteuid()}
	if l.allowed == nil {
		l.allowed = defaultAllowed()
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	return l, nil
}

// removeStale clears path for a new socket: nothing there, or a socket of
// this user that nobody answers on, which it removes.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("admin socket %s: %w", path, err)
	}
	if fi.Mode().Type() != os.ModeSocket {
		return fmt.Errorf("admin socket %s: %s is there, not a socket: it is left alone "+
			"(the socket is store.path with .sock: check store.path and export.dir with thermogate config check)", path, kindOf(fi))
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("admin socket %s: a socket of uid %d is there, not of this kiosk's user (uid %d): it is left alone", path, st.Uid, os.Geteuid())
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("admin socket %s: %w", path, storage.ErrLocked)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		// A socket whose connection neither succeeds nor is refused: a
		// kiosk too stuck to accept. Not stale.
		return fmt.Errorf("admin socket %s: %w", path, err)
	}
	// Remove the very socket looked at, not one put there since.
	if again, err := os.Lstat(path); err != nil || !os.SameFile(fi, again) {
		return fmt.Errorf("admin socket %s: changed while being checked; try again", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("admin socket %s: %w", path, err)
	}
	return nil
}

func kindOf(fi os.FileInfo) string {
	switch t := fi.Mode().Type(); {
	case t == 0:
		return "a regular file"
	case t&os.ModeDir != 0:
		return "a directory"
	case t&os.ModeSymlink != 0:
		return "a symbolic link"
	default:
		return "a " + t.String() + " file"
	}
}

// bindPrivate binds a listening socket and makes it appear at path with
// mode 0600. It returns the socket's file info, to remove only it later.
func bindPrivate(path string) (*net.UnixListener, os.FileInfo, error) {
	// A short name: a Unix socket path has at most 107 bytes.
	tmp, err := os.MkdirTemp(filepath.Dir(path), ".s")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(tmp)
	inner := filepath.Join(tmp, "s")
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: inner, Net: "unix"})
	if err != nil {
		return nil, nil, err
	}
	ul.SetUnlinkOnClose(false) // it would unlink inner; Close removes path itself
	fail := func(err error) (*net.UnixListener, os.FileInfo, error) {
		ul.Close()
		return nil, nil, err
	}
	if err := os.Chmod(inner, 0o600); err != nil {
		return fail(err)
	}
	own, err := os.Lstat(inner)
	if err != nil {
		return fail(err)
	}
	if err := os.Link(inner, path); err != nil {
		return fail(err) // EEXIST: something appeared at path since removeStale
	}
	return ul, own, nil
}

// listener is the admin socket: it serves only allowed peers and removes
// its own socket file when closed.
type listener struct {
	*net.UnixListener
	path      string
	own       os.FileInfo
	allowed   func(uid uint32) bool
	log       *slog.Logger
	self      int
	closeOnce sync.Once
	closeErr  error
}

// Accept returns the next connection from an allowed peer; others get an
// error reply and are closed.
func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.AcceptUnix()
		if err != nil {
			return nil, err
		}
		cred, err := peer(c)
		if err == nil && l.allowed(cred.Uid) {
			return c, nil
		}
		if err != nil {
			l.log.Error("admin socket: connection refused: no peer credentials", "err", err)
			go refuse(c, "the kiosk could not tell who is connecting")
			continue
		}
		l.log.Warn("admin socket: connection refused", "uid", cred.Uid, "pid", cred.Pid, "allowed", fmt.Sprintf("root and uid %d", l.self))
		go refuse(c, fmt.Sprintf("the kiosk refused uid %d: only root and the kiosk's user (uid %d) may use its admin socket", cred.Uid, l.self))
	}
}

func peer(c *net.UnixConn) (*syscall.Ucred, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	var cred *syscall.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return nil, err
	}
	return cred, cerr
}

// refuse answers a refused peer's request with 403 and the reason, which
// the client shows, and closes the connection. The request head is awaited
// (a reply before it is an unsolicited response to an HTTP client) but not
// parsed.
func refuse(c *net.UnixConn, reason string) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	var head []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(head, []byte("\r\n\r\n")) && len(head) < 64<<10 {
		k, err := c.Read(buf)
		head = append(head, buf[:k]...)
		if err != nil {
			return
		}
	}
	body, _ := json.Marshal(errorBody{reason})
	fmt.Fprintf(c, "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	// Let the client finish writing its request body before the close, so
	// that it reads the reply rather than a broken pipe.
	c.CloseWrite()
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

// Close stops listening and removes the socket file, if it is still this
// listener's.
func (l *listener) Close() error {
	l.closeOnce.Do(func() {
		l.closeErr = l.UnixListener.Close()
		if fi, err := os.Lstat(l.path); err == nil && os.SameFile(fi, l.own) {
			os.Remove(l.path)
		}
	})
	return l.closeErr
}

// Addr is the socket's path (not the temporary name it was bound under).
func (l *listener) Addr() net.Addr { return &net.UnixAddr{Name: l.path, Net: "unix"} }
