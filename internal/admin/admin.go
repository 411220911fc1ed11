// Package admin is every administrative operation on a kiosk's database:
// bookings, guards, export and the audit check. The CLI reaches it in one of
// two ways with the same results and the same messages: on the database file
// itself (Local) when the kiosk is not running, or through the running
// daemon's Unix socket (Client, served by Handler), since bbolt lets only one
// process open the file.
package admin

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/thermogate/thermogate/storage"
)

// Service is the administrative operations. Arguments and results are plain
// JSON values so that Client can carry them over the socket.
type Service interface {
	ImportBookings(ctx context.Context, req ImportRequest) (storage.ImportResult, error)
	// ListBookings lists one day's bookings, or all for the zero Day.
	ListBookings(ctx context.Context, day storage.Day) ([]storage.Booking, error)
	CancelBooking(ctx context.Context, code string) (storage.Booking, error)
	AddGuard(ctx context.Context, name, pin string) (storage.Guard, error)
	RemoveGuard(ctx context.Context, name string) error
	ListGuards(ctx context.Context) ([]storage.Guard, error)
	// ListScreenings lists one day's screenings in time order.
	ListScreenings(ctx context.Context, day storage.Day) ([]storage.Screening, error)
	// Export writes one day's files into dir, an absolute path on the
	// machine that runs the kiosk.
	Export(ctx context.Context, day storage.Day, dir string) (storage.ExportResult, error)
	VerifyAudit(ctx context.Context) (storage.AuditReport, error)
	// Database is the file the operations work on.
	Database(ctx context.Context) (DBFile, error)
	// VerifyManifest is VerifyAudit, then the chains against an export's
	// manifest (storage.DB.VerifyManifest).
	VerifyManifest(ctx context.Context, m storage.Manifest) (storage.AuditReport, error)
	// Check is the database check (storage.DB.Check).
	Check(ctx context.Context) (storage.CheckReport, error)
	// Backup writes a consistent copy of the database to w while the kiosk
	// runs; the caller saves it (storage.SaveBackup) where it means to.
	Backup(ctx context.Context, w io.Writer) (int64, error)
	Close() error
}

// Status is what the running kiosk says of itself for `thermogate status`.
type Status struct {
	Text  string `json:"text"`  // one screen of facts (metrics.WriteStatus)
	Cause string `json:"cause"` // "" in service, else why not (an out-of-service cause, or "starting")
}

// StatusReporter is a Service that knows the running kiosk's status: the
// daemon's, not Local on a file. Handler serves it as "status".
type StatusReporter interface {
	Status(ctx context.Context) (Status, error)
}

// DBFile names a database file beyond its path: a command may use the
// running kiosk's socket only for the very file the kiosk holds, and a
// name's stem, a symlink or a relative path do not tell that.
type DBFile struct {
	Path string `json:"path"` // absolute, symlinks resolved
	Dev  uint64 `json:"dev"`
	Ino  uint64 `json:"ino"`
}

// FileOf returns the DBFile of the file at path.
func FileOf(path string) (DBFile, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return DBFile{}, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return DBFile{}, fmt.Errorf("%s: no device and inode on this system", path)
	}
	canon, err := filepath.Abs(path)
	if err == nil {
		if p, err := filepath.EvalSymlinks(canon); err == nil {
			canon = p
		}
	}
	return DBFile{Path: canon, Dev: uint64(st.Dev), Ino: uint64(st.Ino)}, nil
}

// Same reports whether f and g are one file: the same device and inode.
func (f DBFile) Same(g DBFile) bool { return f.Ino != 0 && f.Dev == g.Dev && f.Ino == g.Ino }

// ImportRequest is a bookings file to import.
type ImportRequest struct {
	Name    string `json:"name"`             // the file's name, for messages and the audit log
	Data    []byte `json:"data"`             // its content, at most storage.MaxImportBytes
	Format  string `json:"format,omitempty"` // "csv", "json" or "" to tell by the content
	Replace bool   `json:"replace"`
}

// Local works on an open database; every change is audited with the actor
// "admin". Close closes the database only if Owned.
type Local struct {
	DB    *storage.DB
	Owned bool
}

var _ Service = Local{}

// ImportBookings implements Service.
func (a Local) ImportBookings(ctx context.Context, req ImportRequest) (storage.ImportResult, error) {
	return a.DB.ImportBookings(ctx, storage.ActorAdmin, req.Name, req.Data, req.Format, req.Replace)
}

// ListBookings implements Service.
func (a Local) ListBookings(ctx context.Context, day storage.Day) ([]storage.Booking, error) {
	return a.DB.Bookings(ctx, day)
}

// CancelBooking implements Service.
func (a Local) CancelBooking(ctx context.Context, code string) (storage.Booking, error) {
	return a.DB.CancelBooking(ctx, storage.ActorAdmin, code)
}

// AddGuard implements Service.
func (a Local) AddGuard(ctx context.Context, name, pin string) (storage.Guard, error) {
	return a.DB.AddGuard(ctx, storage.ActorAdmin, name, pin)
}

// RemoveGuard implements Service.
func (a Local) RemoveGuard(ctx context.Context, name string) error {
	return a.DB.RemoveGuard(ctx, storage.ActorAdmin, name)
}

// ListGuards implements Service.
func (a Local) ListGuards(ctx context.Context) ([]storage.Guard, error) { return a.DB.Guards(ctx) }

// ListScreenings implements Service.
func (a Local) ListScreenings(ctx context.Context, day storage.Day) ([]storage.Screening, error) {
	var out []storage.Screening
	err := a.DB.Screenings(ctx, day, func(s storage.Screening) error {
		out = append(out, s)
		return nil
	})
	return out, err
}

// Export implements Service.
func (a Local) Export(ctx context.Context, day storage.Day, dir string) (storage.ExportResult, error) {
	if !filepath.IsAbs(dir) {
		// Through the socket a relative path would mean the daemon's working
		// directory: the caller makes it absolute where it means something.
		return storage.ExportResult{}, fmt.Errorf("export directory %q is not an absolute path", dir)
	}
	return a.DB.ExportDay(ctx, storage.ActorAdmin, day, dir)
}

// VerifyAudit implements Service.
func (a Local) VerifyAudit(ctx context.Context) (storage.AuditReport, error) {
	return a.DB.VerifyAudit(ctx)
}

// Database implements Service.
func (a Local) Database(context.Context) (DBFile, error) { return FileOf(a.DB.Path()) }

// VerifyManifest implements Service.
func (a Local) VerifyManifest(ctx context.Context, m storage.Manifest) (storage.AuditReport, error) {
	return a.DB.VerifyManifest(ctx, m)
}

// Check implements Service.
func (a Local) Check(ctx context.Context) (storage.CheckReport, error) { return a.DB.Check(ctx) }

// Backup implements Service.
func (a Local) Backup(ctx context.Context, w io.Writer) (int64, error) { return a.DB.WriteTo(w) }

// Close implements Service.
func (a Local) Close() error {
	if a.Owned {
		return a.DB.Close()
	}
	return nil
}
