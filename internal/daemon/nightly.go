package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/thermogate/thermogate/storage"
)

// PostCommandTimeout bounds the post-export command (an rsync to the office
// server, say): a hung network must not hold the next night's export.
const PostCommandTimeout = 10 * time.Minute

// nightly exports the days that are over and not yet exported, now and then
// every night at the configured time, until ctx ends. It wakes at least
// hourly to look at the clock again: a Pi without a real-time clock boots
// with a wrong time that network time corrects later.
func (d *Daemon) nightly(ctx context.Context) {
	h, m := d.cfg.ExportAt()
	for {
		d.exportDue(ctx)
		next := nextAt(d.clock.Now(), h, m, d.cfg.Location())
		d.log.Info("next export", "at", next.Format(time.RFC3339))
		for d.clock.Now().Before(next) {
			if err := d.clock.Sleep(ctx, min(time.Hour, next.Sub(d.clock.Now()))); err != nil {
				return
			}
			if now := d.clock.Now(); now.Before(next.Add(-25 * time.Hour)) {
				next = nextAt(now, h, m, d.cfg.Location()) // the clock went back a long way: start over
			}
		}
	}
}

// nextAt is the first hour:minute in loc strictly after now. Across a
// daylight-saving change the clock time is kept (a 02:30 that does not
// exist becomes 03:30).
func nextAt(now time.Time, hour, minute int, loc *time.Location) time.Time {
	n := now.In(loc)
	t := time.Date(n.Year(), n.Month(), n.Day(), hour, minute, 0, 0, loc)
	if !t.After(now) {
		t = time.Date(n.Year(), n.Month(), n.Day()+1, hour, minute, 0, 0, loc)
	}
	return t
}

// exportDue writes the nightly backup, exports every day before today that
// has records and no current export (days missed while the kiosk was off
// included), purges what is
// older than the retention period, and runs the post-export command for
// each day exported. A failure is logged and retried the next time. The
// metrics learn whether it all succeeded (nothing to export is a success).
func (d *Daemon) exportDue(ctx context.Context) {
	var failed []error
	defer func() {
		if ctx.Err() == nil && d.metrics != nil {
			d.metrics.Export(d.clock.Now(), errors.Join(failed...))
		}
	}()
	today := storage.DayOf(d.clock.Now(), d.cfg.Location())
	d.backup(ctx, today) // first, so that the post-export command can copy it off too
	days, err := d.db.UnexportedDays(ctx, today)
	if err != nil {
		d.log.Error("nightly export: cannot list days", "err", err)
		failed = append(failed, err)
		return
	}
	for _, day := range days {
		res, err := d.db.ExportDay(ctx, storage.ActorSystem, day, d.cfg.Export.Dir)
		if err != nil {
			d.log.Error("nightly export failed", "day", day.String(), "err", err)
			failed = append(failed, err)
			continue
		}
		d.log.Info("exported", "day", day.String(), "dir", res.Dir, "screenings", res.Manifest.Screenings, "audit", res.Manifest.AuditEntries)
		if w := res.Manifest.Stats.CalibrationWarning; w != "" {
			d.log.Warn("calibration", "day", day.String(), "warning", w)
		}
		if err := d.postCommand(ctx, day, res); err != nil {
			failed = append(failed, err)
		}
	}
	if pr, err := d.db.Purge(ctx, storage.ActorSystem, d.cfg.Export.RetentionDays); err != nil {
		d.log.Error("retention purge failed", "err", err)
	} else if pr.Screenings+pr.AuditEntries > 0 {
		d.log.Info("purged", "screenings", pr.Screenings, "audit", pr.AuditEntries)
		if pr.Unsent > 0 {
			d.log.Warn("fleet: retention removed records never sent to the central database; they are not sent now (audited as retention.purge)", "unsent", pr.Unsent)
		}
	}
}

// backup writes the day's checked copy of the database beside the export,
// backup-YYYY-MM-DD.db, and keeps the newest export.backups of them: an SD
// card that dies must not take the bookings, guards and chains with it. A
// copy that fails its check is not kept and removes no older one.
func (d *Daemon) backup(ctx context.Context, today storage.Day) {
	keep := d.cfg.Export.Backups
	if keep <= 0 {
		return
	}
	if err := os.MkdirAll(d.cfg.Export.Dir, 0o700); err != nil {
		d.log.Error("nightly backup failed", "err", err)
		return
	}
	res, err := d.db.Backup(ctx, filepath.Join(d.cfg.Export.Dir, storage.BackupName(today)))
	if err != nil {
		d.log.Error("nightly backup failed; the older backups stay", "err", err)
		return
	}
	removed, err := storage.PruneBackups(d.cfg.Export.Dir, keep)
	if err != nil {
		d.log.Error("removing old backups failed", "err", err)
	}
	d.log.Info("backup written", "path", res.Path, "bytes", res.Bytes, "sha256", res.SHA256, "removed", removed)
}

// postCommand runs export.post_command with the day's files as "$@". Its
// failure is logged and audited, and returned; the export stays.
func (d *Daemon) postCommand(ctx context.Context, day storage.Day, res storage.ExportResult) error {
	if d.cfg.Export.PostCommand == "" {
		return nil
	}
	files := []string{}
	for _, f := range append(res.Manifest.Files, res.File) {
		files = append(files, filepath.Join(res.Dir, f.Name))
	}
	ctx, cancel := context.WithTimeout(ctx, PostCommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", d.cfg.Export.PostCommand, "thermogate-export"}, files...)...)
	cmd.Env = append(os.Environ(), "THERMOGATE_EXPORT_DAY="+day.String(), "THERMOGATE_EXPORT_DIR="+res.Dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	tail := lastBytes(out.Bytes(), 2000)
	if err != nil {
		d.log.Error("post-export command failed; the export stays", "day", day.String(), "err", err, "output", tail)
		detail := fmt.Sprintf("%s: %v: %s", day, err, tail)
		if _, aerr := d.db.Audit(context.Background(), storage.ActorSystem, "export.post_command_failed", detail); aerr != nil {
			d.log.Error("audit entry not stored", "err", aerr)
		}
		return fmt.Errorf("post-export command: %w", err)
	}
	d.log.Info("post-export command done", "day", day.String(), "output", tail)
	return nil
}

func lastBytes(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(bytes.TrimSpace(b))
}
