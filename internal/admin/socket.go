package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/thermogate/thermogate/storage"
)

// The wire format: POST /v1/<method> with a JSON object of the arguments;
// 200 with the JSON result, or an error status with {"error": "..."}.

type (
	dayArgs    struct{ Day storage.Day }
	codeArgs   struct{ Code string }
	guardArgs  struct{ Name, PIN string }
	exportArgs struct {
		Day storage.Day
		Dir string
	}
	errorBody struct {
		Error string `json:"error"`
	}
)

// maxRequest bounds a request body: an import file and its JSON overhead.
const maxRequest = 2*storage.MaxImportBytes + 1<<20

// Handler serves svc over HTTP for the daemon's admin socket.
func Handler(svc Service) http.Handler {
	mux := http.NewServeMux()
	handle := func(method string, fn func(ctx context.Context, body []byte) (any, error)) {
		mux.HandleFunc("POST /v1/"+method, func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))
			if err != nil {
				reply(w, http.StatusRequestEntityTooLarge, errorBody{err.Error()})
				return
			}
			res, err := fn(r.Context(), body)
			if err != nil {
				reply(w, http.StatusUnprocessableEntity, errorBody{err.Error()})
				return
			}
			reply(w, http.StatusOK, res)
		})
	}
	handle("ping", func(context.Context, []byte) (any, error) { return struct{}{}, nil })
	handle("import", func(ctx context.Context, b []byte) (any, error) {
		var a ImportRequest
		return call(b, &a, func() (any, error) { return svc.ImportBookings(ctx, a) })
	})
	handle("bookings", func(ctx context.Context, b []byte) (any, error) {
		var a dayArgs
		return call(b, &a, func() (any, error) { return svc.ListBookings(ctx, a.Day) })
	})
	handle("cancel", func(ctx context.Context, b []byte) (any, error) {
		var a codeArgs
		return call(b, &a, func() (any, error) { return svc.CancelBooking(ctx, a.Code) })
	})
	handle("guard-add", func(ctx context.Context, b []byte) (any, error) {
		var a guardArgs
		return call(b, &a, func() (any, error) { return svc.AddGuard(ctx, a.Name, a.PIN) })
	})
	handle("guard-remove", func(ctx context.Context, b []byte) (any, error) {
		var a guardArgs
		return call(b, &a, func() (any, error) { return struct{}{}, svc.RemoveGuard(ctx, a.Name) })
	})
	handle("guards", func(ctx context.Context, b []byte) (any, error) {
		return svc.ListGuards(ctx)
	})
	handle("screenings", func(ctx context.Context, b []byte) (any, error) {
		var a dayArgs
		return call(b, &a, func() (any, error) { return svc.ListScreenings(ctx, a.Day) })
	})
	handle("export", func(ctx context.Context, b []byte) (any, error) {
		var a exportArgs
		return call(b, &a, func() (any, error) { return svc.Export(ctx, a.Day, a.Dir) })
	})
	handle("audit-verify", func(ctx context.Context, b []byte) (any, error) {
		return svc.VerifyAudit(ctx)
	})
	return mux
}

func call(body []byte, args any, fn func() (any, error)) (any, error) {
	if err := json.Unmarshal(body, args); err != nil {
		return nil, fmt.Errorf("bad request: %w", err)
	}
	return fn()
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Listen opens the admin socket at path, readable and writable by its owner
// only. A socket file left by a daemon that died is replaced; one that
// answers belongs to a running daemon and is an error.
func Listen(path string) (net.Listener, error) {
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("admin socket %s: %w", path, storage.ErrLocked)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	// Connecting needs write permission on the socket: with the usual umask
	// it is born without it for others, and the directory beside the
	// database is 0700 anyway. (Changing the umask would change it for the
	// whole process.)
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	return l, nil
}

// ErrNoDaemon: nothing answers on the admin socket; the caller opens the
// database file itself.
var ErrNoDaemon = errors.New("no kiosk daemon on the admin socket")

// Client is Service through a running daemon's admin socket.
type Client struct {
	path string
	http *http.Client
}

var _ Service = (*Client)(nil)

// Dial connects to the daemon at the socket path. It returns an error
// matching ErrNoDaemon when no daemon answers there, and a plain error when
// one does but this user may not talk to it.
func Dial(ctx context.Context, path string) (*Client, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoDaemon
	}
	c := &Client{path: path, http: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}}
	err := c.do(ctx, "ping", struct{}{}, nil)
	switch {
	case err == nil:
		return c, nil
	case errors.Is(err, os.ErrPermission):
		return nil, fmt.Errorf("the kiosk is running, and its admin socket %s is not open to this user: run the command as root or as the thermogate user (sudo)", path)
	case errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT):
		return nil, ErrNoDaemon // a socket file left by a daemon that stopped
	}
	return nil, fmt.Errorf("admin socket %s: %w", path, err)
}

// remoteError is an error the daemon returned: its text is the message the
// command would have printed had it opened the file itself.
type remoteError struct{ msg string }

func (e remoteError) Error() string { return e.msg }

func (c *Client) do(ctx context.Context, method string, args, res any) error {
	body, err := json.Marshal(args)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://thermogate/v1/"+method, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var eb errorBody
		if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil || eb.Error == "" {
			return fmt.Errorf("admin socket: %s", resp.Status)
		}
		return remoteError{eb.Error}
	}
	if res == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(res)
}

// ImportBookings implements Service.
func (c *Client) ImportBookings(ctx context.Context, req ImportRequest) (r storage.ImportResult, err error) {
	return r, c.do(ctx, "import", req, &r)
}

// ListBookings implements Service.
func (c *Client) ListBookings(ctx context.Context, day storage.Day) (r []storage.Booking, err error) {
	return r, c.do(ctx, "bookings", dayArgs{day}, &r)
}

// CancelBooking implements Service.
func (c *Client) CancelBooking(ctx context.Context, code string) (r storage.Booking, err error) {
	return r, c.do(ctx, "cancel", codeArgs{code}, &r)
}

// AddGuard implements Service.
func (c *Client) AddGuard(ctx context.Context, name, pin string) (r storage.Guard, err error) {
	return r, c.do(ctx, "guard-add", guardArgs{name, pin}, &r)
}

// RemoveGuard implements Service.
func (c *Client) RemoveGuard(ctx context.Context, name string) error {
	return c.do(ctx, "guard-remove", guardArgs{Name: name}, nil)
}

// ListGuards implements Service.
func (c *Client) ListGuards(ctx context.Context) (r []storage.Guard, err error) {
	return r, c.do(ctx, "guards", struct{}{}, &r)
}

// ListScreenings implements Service.
func (c *Client) ListScreenings(ctx context.Context, day storage.Day) (r []storage.Screening, err error) {
	return r, c.do(ctx, "screenings", dayArgs{day}, &r)
}

// Export implements Service.
func (c *Client) Export(ctx context.Context, day storage.Day, dir string) (r storage.ExportResult, err error) {
	return r, c.do(ctx, "export", exportArgs{day, dir}, &r)
}

// VerifyAudit implements Service.
func (c *Client) VerifyAudit(ctx context.Context) (r storage.AuditReport, err error) {
	return r, c.do(ctx, "audit-verify", struct{}{}, &r)
}

// Close implements Service.
func (c *Client) Close() error {
	c.http.CloseIdleConnections()
	return nil
}
