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
	"net/http/httptrace"
	"net/textproto"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/thermogate/thermogate/storage"
)

// The wire format: POST /v1/<method> with a JSON object of the arguments;
// while the kiosk works on it, a 102 Processing every heartbeat; then 200
// with the JSON result, or an error status with {"error": "..."}. A client
// that hears nothing for its wait knows the kiosk does not answer, however
// long a legitimate operation takes.

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
	// hello is the reply to ping: which database the kiosk holds.
	hello struct {
		DB DBFile `json:"db"`
	}
)

// maxRequest bounds a request body: an import file and its JSON overhead.
const maxRequest = 2*storage.MaxImportBytes + 1<<20

// heartbeat is how often the kiosk tells a waiting client it is still at
// work; well under MinWait.
const heartbeat = 200 * time.Millisecond

// DefaultWait is how long a client waits for the kiosk to say anything.
const DefaultWait = 2 * time.Second

// MinWait is the shortest wait a client accepts: a few heartbeats.
const MinWait = time.Second

// Handler serves svc over HTTP for the daemon's admin socket.
//
// To add an operation: a method on Service, its Local implementation, a
// Client method that is one c.do call, and one route line here. The argument
// and result types must round-trip through encoding/json.
func Handler(svc Service) http.Handler {
	mux := http.NewServeMux()
	route(mux, "ping", func(ctx context.Context, _ struct{}) (hello, error) {
		f, err := svc.Database(ctx)
		return hello{f}, err
	})
	route(mux, "import", svc.ImportBookings)
	route(mux, "bookings", func(ctx context.Context, a dayArgs) ([]storage.Booking, error) { return svc.ListBookings(ctx, a.Day) })
	route(mux, "cancel", func(ctx context.Context, a codeArgs) (storage.Booking, error) { return svc.CancelBooking(ctx, a.Code) })
	route(mux, "guard-add", func(ctx context.Context, a guardArgs) (storage.Guard, error) { return svc.AddGuard(ctx, a.Name, a.PIN) })
	route(mux, "guard-remove", func(ctx context.Context, a guardArgs) (struct{}, error) {
		return struct{}{}, svc.RemoveGuard(ctx, a.Name)
	})
	route(mux, "guards", func(ctx context.Context, _ struct{}) ([]storage.Guard, error) { return svc.ListGuards(ctx) })
	route(mux, "screenings", func(ctx context.Context, a dayArgs) ([]storage.Screening, error) {
		return svc.ListScreenings(ctx, a.Day)
	})
	route(mux, "export", func(ctx context.Context, a exportArgs) (storage.ExportResult, error) {
		return svc.Export(ctx, a.Day, a.Dir)
	})
	route(mux, "audit-verify", func(ctx context.Context, _ struct{}) (storage.AuditReport, error) { return svc.VerifyAudit(ctx) })
	route(mux, "audit-verify-manifest", svc.VerifyManifest)
	route(mux, "check", func(ctx context.Context, _ struct{}) (storage.CheckReport, error) { return svc.Check(ctx) })
	route(mux, "status", func(ctx context.Context, _ struct{}) (Status, error) {
		if s, ok := svc.(StatusReporter); ok {
			return s.Status(ctx)
		}
		return Status{}, errors.New("this kiosk does not report its status")
	})
	// backup streams the copy: a failure after the first byte can only cut
	// the stream short, which the client's check of the copy finds.
	mux.HandleFunc("POST /v1/backup", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		cw := &countWriter{w: w}
		if _, err := svc.Backup(r.Context(), cw); err != nil {
			if cw.n == 0 {
				reply(w, http.StatusUnprocessableEntity, errorBody{err.Error()})
				return
			}
			panic(http.ErrAbortHandler) // drop the connection: the client sees a cut copy
		}
	})
	return mux
}

// countWriter counts what went through.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// route serves POST /v1/method: the body decoded into an A, fn's R encoded
// back, heartbeats while fn runs.
func route[A, R any](mux *http.ServeMux, method string, fn func(context.Context, A) (R, error)) {
	mux.HandleFunc("POST /v1/"+method, func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))
		if err != nil {
			reply(w, http.StatusRequestEntityTooLarge, errorBody{err.Error()})
			return
		}
		var args A
		if err := json.Unmarshal(body, &args); err != nil {
			reply(w, http.StatusBadRequest, errorBody{fmt.Sprintf("bad request: %v", err)})
			return
		}
		var res R
		stillAtWork(w, func() { res, err = fn(r.Context(), args) })
		if err != nil {
			reply(w, http.StatusUnprocessableEntity, errorBody{err.Error()})
			return
		}
		reply(w, http.StatusOK, res)
	})
}

// stillAtWork runs work and sends 102 Processing every heartbeat until it
// returns.
func stillAtWork(w http.ResponseWriter, work func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(heartbeat)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				w.WriteHeader(http.StatusProcessing) // written and flushed at once
			}
		}
	})
	work()
	close(done)
	wg.Wait() // the final reply never races a heartbeat
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ErrNoDaemon: nothing answers on the admin socket; the caller opens the
// database file itself.
var ErrNoDaemon = errors.New("no kiosk daemon on the admin socket")

// ErrNoAnswer: a kiosk listens on the socket but says nothing within the
// wait (stopped, or hung).
var ErrNoAnswer = errors.New("the kiosk does not answer")

type noAnswer struct {
	path string
	wait time.Duration
}

func (e noAnswer) Error() string {
	return fmt.Sprintf("the kiosk at %s does not answer (nothing for %s): it is stopped or hung; "+
		"see journalctl -u thermogate-kiosk, or restart it", e.path, e.wait)
}

func (e noAnswer) Is(target error) bool { return target == ErrNoAnswer }

// Client is Service through a running daemon's admin socket.
type Client struct {
	path string
	wait time.Duration
	db   DBFile
	http *http.Client
}

var _ Service = (*Client)(nil)

// Dial connects to the daemon at the socket path and waits DefaultWait for
// it to answer: see DialWait.
func Dial(ctx context.Context, path string) (*Client, error) {
	return DialWait(ctx, path, DefaultWait)
}

// DialWait connects to the daemon at the socket path. It returns an error
// matching ErrNoDaemon when no daemon listens there, one matching
// ErrNoAnswer when one listens but says nothing for wait (at least MinWait)
// — then or on any later call — and another error when one answers but will
// not talk to this user.
func DialWait(ctx context.Context, path string, wait time.Duration) (*Client, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoDaemon
	}
	wait = max(wait, MinWait)
	c := &Client{path: path, wait: wait, http: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			d := net.Dialer{Timeout: wait} // a full backlog blocks connect
			conn, err := d.DialContext(ctx, "unix", path)
			if err != nil {
				return nil, err
			}
			return idleConn{conn, wait}, nil
		},
		// One connection per call: no idle connection to time out between
		// calls, such as while a PIN is typed.
		DisableKeepAlives: true,
	}}}
	var h hello
	err := c.do(ctx, "ping", struct{}{}, &h)
	switch {
	case err == nil:
		c.db = h.DB
		return c, nil
	case errors.Is(err, os.ErrPermission):
		return nil, fmt.Errorf("the kiosk is running, and its admin socket %s is not open to this user: run the command as root or as the thermogate user (sudo)", path)
	case errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT):
		return nil, ErrNoDaemon // a socket file left by a daemon that stopped
	case errors.Is(err, ErrNoAnswer):
		return nil, err
	}
	return nil, fmt.Errorf("admin socket %s: %w", path, err)
}

// idleConn fails a read or write that makes no progress for wait.
type idleConn struct {
	net.Conn
	wait time.Duration
}

func (c idleConn) Read(p []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.wait))
	return c.Conn.Read(p)
}

func (c idleConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.wait))
	return c.Conn.Write(p)
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
	// Heartbeats are delivered here rather than counted against the
	// transport's limit on informational replies.
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		Got1xxResponse: func(int, textproto.MIMEHeader) error { return nil },
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://thermogate/v1/"+method, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return c.mapErr(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var eb errorBody
		if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil || eb.Error == "" {
			return c.mapErr(fmt.Errorf("admin socket: %s", resp.Status))
		}
		return remoteError{eb.Error}
	}
	if res == nil {
		return nil
	}
	return c.mapErr(json.NewDecoder(resp.Body).Decode(res))
}

func (c *Client) mapErr(err error) error {
	var ne net.Error
	if errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return noAnswer{c.path, c.wait}
	}
	return err
}

// Database implements Service: the file the kiosk said it holds.
func (c *Client) Database(context.Context) (DBFile, error) { return c.db, nil }

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

// VerifyManifest implements Service.
func (c *Client) VerifyManifest(ctx context.Context, m storage.Manifest) (r storage.AuditReport, err error) {
	return r, c.do(ctx, "audit-verify-manifest", m, &r)
}

// Check implements Service.
func (c *Client) Check(ctx context.Context) (r storage.CheckReport, err error) {
	return r, c.do(ctx, "check", struct{}{}, &r)
}

// Status is the running kiosk's status screen (see StatusReporter).
func (c *Client) Status(ctx context.Context) (r Status, err error) {
	return r, c.do(ctx, "status", struct{}{}, &r)
}

// Backup implements Service: the daemon streams the copy.
func (c *Client) Backup(ctx context.Context, w io.Writer) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://thermogate/v1/backup", nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, c.mapErr(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var eb errorBody
		if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil || eb.Error == "" {
			return 0, fmt.Errorf("admin socket: backup: %s", resp.Status)
		}
		return 0, remoteError{eb.Error}
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("the copy from the kiosk was cut short: %w", c.mapErr(err))
	}
	return n, nil
}

// Close implements Service.
func (c *Client) Close() error {
	c.http.CloseIdleConnections()
	return nil
}
