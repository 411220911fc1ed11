package fleet

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

// Connect opens a connection to url with password (when not empty: from a
// file; otherwise what the URL and the PG* environment give, e.g. ~/.pgpass).
func Connect(ctx context.Context, url, password string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("connection URL: %s", redact(err))
	}
	if password != "" {
		cfg.Password = password
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "thermogate"
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to the central database: %w", err)
	}
	return conn, nil
}

// ReadPassword reads a password file: one line. A relative name is in
// systemd's credentials directory ($CREDENTIALS_DIRECTORY, LoadCredential=).
// A file others may read is refused: the password would not be the kiosk's
// alone. Inside the credentials directory the group bits are not looked at:
// systemd 254 and later give the unit's User= an ACL entry on the credential,
// which stat shows as mode 0440 (the group bits are the ACL's mask), and the
// directory is private to the unit; other users' bits are still refused.
func ReadPassword(name string) (string, error) {
	credDir := os.Getenv("CREDENTIALS_DIRECTORY")
	if !filepath.IsAbs(name) {
		if credDir == "" {
			return "", fmt.Errorf("fleet.password_file = %q is a credential name, but $CREDENTIALS_DIRECTORY is not set (the thermogate units set it, loading %s); outside systemd give an absolute path", name, CredentialStoreFile)
		}
		if !filepath.IsLocal(name) {
			return "", fmt.Errorf("fleet.password_file = %q: a credential name is a file name inside $CREDENTIALS_DIRECTORY, not a path leaving it", name)
		}
		cred := filepath.Join(credDir, name)
		if _, err := os.Stat(cred); errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("fleet password: systemd handed over no credential %q: put the password in %s (root, mode 0600) or, for another credential name, add a LoadCredential= drop-in", name, CredentialStoreFile)
		}
		name = cred
	}
	st, err := os.Stat(name)
	if err != nil {
		return "", fmt.Errorf("fleet password: %w", err)
	}
	private := os.FileMode(0o077) // group and others
	if inCredentials(credDir, name) {
		private = 0o007 // others only: the group bits are systemd's ACL mask
	}
	if st.Mode().Perm()&private != 0 {
		return "", fmt.Errorf("fleet password: %s can be read by others (mode %04o): make it 0600 or 0400, owned by the kiosk's user", name, st.Mode().Perm())
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("fleet password: %w", err)
	}
	pw := strings.TrimRight(string(b), "\r\n")
	if pw == "" || strings.ContainsAny(pw, "\r\n") {
		return "", fmt.Errorf("fleet password: %s must hold the password on one line", name)
	}
	return pw, nil
}

// inCredentials reports whether file is directly inside systemd's
// credentials directory dir ("" when not under systemd).
func inCredentials(dir, file string) bool {
	if dir == "" || !filepath.IsAbs(dir) {
		return false
	}
	rel, err := filepath.Rel(filepath.Clean(dir), filepath.Clean(file))
	return err == nil && filepath.IsLocal(rel) && !strings.ContainsRune(rel, filepath.Separator)
}

var kioskIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$`)

// RoleOf is the login role of kiosk id: "thermogate_k_" and the id in lower
// case with . and - as _.
func RoleOf(id string) string {
	return "thermogate_k_" + strings.NewReplacer(".", "_", "-", "_").Replace(strings.ToLower(id))
}

// KioskSetup is what AddKiosk made.
type KioskSetup struct {
	ID       string
	Role     string
	Location string
	Password string // new; shown once
}

// AddKiosk creates (or, for a kiosk already there, resets the password of)
// the login role of kiosk id, a member of RoleKiosk, and registers the kiosk
// with its location.
func AddKiosk(ctx context.Context, conn *pgx.Conn, id, location string) (KioskSetup, error) {
	if !kioskIDPattern.MatchString(id) {
		return KioskSetup{}, fmt.Errorf("kiosk name %q: want 1–50 letters, digits, '.', '-' or '_', starting with a letter or digit (the kiosk's kiosk_id)", id)
	}
	if len(location) > 64 || strings.ContainsAny(location, "\r\n\t") {
		return KioskSetup{}, fmt.Errorf("location %q: at most 64 characters on one line", location)
	}
	if err := CheckSchema(ctx, conn); err != nil {
		return KioskSetup{}, err
	}
	var raw [18]byte
	rand.Read(raw[:])
	k := KioskSetup{ID: id, Role: RoleOf(id), Location: location, Password: hex.EncodeToString(raw[:])}
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var other string
		err := tx.QueryRow(ctx, "SELECT id FROM thermogate.kiosks WHERE role = $1 AND id <> $2", k.Role, id).Scan(&other)
		if err == nil {
			return fmt.Errorf("kiosk %q already has role %s; name this kiosk differently", other, k.Role)
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", k.Role).Scan(&exists); err != nil {
			return err
		}
		verb := "CREATE"
		if exists {
			verb = "ALTER"
		}
		var stmt string
		if err := tx.QueryRow(ctx, "SELECT format('"+verb+" ROLE %I LOGIN PASSWORD %L', $1::text, $2::text)", k.Role, k.Password).Scan(&stmt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "GRANT "+RoleKiosk+" TO "+pgx.Identifier{k.Role}.Sanitize()); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO thermogate.kiosks (id, role, location) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET location = EXCLUDED.location`, id, k.Role, location)
		return err
	})
	if err != nil {
		return KioskSetup{}, fmt.Errorf("add kiosk %s: %w", id, err)
	}
	return k, nil
}

// ImportResult says what a central import changed.
type ImportResult struct {
	File      string
	Rows      int
	Added     int
	Unchanged int
}

// ImportBookings checks a bookings file exactly as a kiosk's own import does
// (storage's ParseBookings with the kiosk's vocabulary: every row, line numbers) and writes it in one
// transaction: every row or none. A code already booked differently is a
// problem naming its line; an identical row changes nothing (and keeps a
// cancellation or use).
func ImportBookings(ctx context.Context, conn *pgx.Conn, name string, data []byte, loc *time.Location) (ImportResult, error) {
	rows, err := kiosk.Vocabulary().ParseBookings(name, data, "", loc)
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{File: name, Rows: len(rows)}
	codes := make([]string, len(rows))
	for i, r := range rows {
		codes[i] = r.Booking.Code
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		existing := map[string]storage.Booking{}
		qr, err := tx.Query(ctx, `SELECT code, start_at, minutes, service, lang, location FROM thermogate.bookings WHERE code = ANY($1) FOR UPDATE`, codes)
		if err != nil {
			return err
		}
		for qr.Next() {
			var b storage.Booking
			if err := qr.Scan(&b.Code, &b.Start, &b.Minutes, &b.Service, &b.Lang, &b.Location); err != nil {
				return err
			}
			existing[b.Code] = b
		}
		if err := qr.Err(); err != nil {
			return err
		}
		ie := &storage.ImportError{File: name}
		var add []storage.Booking
		for _, r := range rows {
			nb := r.Booking
			old, found := existing[nb.Code]
			switch {
			case !found:
				add = append(add, nb)
			case old.Start.Equal(nb.Start) && old.Minutes == nb.Minutes && old.Service == nb.Service && old.Lang == nb.Lang && old.Location == nb.Location:
				res.Unchanged++
			default:
				ie.Problems = append(ie.Problems, storage.ImportProblem{Line: r.Line, Problem: fmt.Sprintf(
					"code %s is already booked for %s, %d min%s; make the row identical, leave it out, or cancel that booking and use another code",
					nb.Code, old.Start.In(loc).Format("2006-01-02 15:04"), old.Minutes, atLocation(old.Location))})
			}
		}
		if len(ie.Problems) > 0 {
			return ie
		}
		if len(add) == 0 {
			return nil
		}
		cols := struct {
			code, service, lang, location []string
			start                         []time.Time
			minutes                       []int32
		}{}
		for _, b := range add {
			cols.code = append(cols.code, b.Code)
			cols.start = append(cols.start, b.Start)
			cols.minutes = append(cols.minutes, int32(b.Minutes))
			cols.service = append(cols.service, b.Service)
			cols.lang = append(cols.lang, b.Lang)
			cols.location = append(cols.location, b.Location)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO thermogate.bookings (code, start_at, minutes, service, lang, location)
			SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::int[], $4::text[], $5::text[], $6::text[])`,
			cols.code, cols.start, cols.minutes, cols.service, cols.lang, cols.location)
		res.Added = int(tag.RowsAffected())
		return err
	})
	if err != nil {
		var ie *storage.ImportError
		if errors.As(err, &ie) {
			return ImportResult{}, ie
		}
		return ImportResult{}, fmt.Errorf("import %s: %w", name, err)
	}
	return res, nil
}

func atLocation(l string) string {
	if l == "" {
		return ""
	}
	return " at " + l
}

// CancelBooking cancels a booking centrally: every door pulls the change.
// It returns the booking; cancelling a cancelled one changes nothing.
func CancelBooking(ctx context.Context, conn *pgx.Conn, code string) (storage.Booking, error) {
	c, err := kiosk.NormalizeCode(code)
	if err != nil {
		return storage.Booking{}, err
	}
	var b storage.Booking
	err = conn.QueryRow(ctx, `UPDATE thermogate.bookings SET status = 'cancelled' WHERE code = $1
		RETURNING code, start_at, minutes, service, lang, location, status`, c).
		Scan(&b.Code, &b.Start, &b.Minutes, &b.Service, &b.Lang, &b.Location, &b.Status)
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.Booking{}, fmt.Errorf("cancel booking %s: %w", c, storage.ErrNotFound)
	}
	if err != nil {
		return storage.Booking{}, fmt.Errorf("cancel booking %s: %w", c, err)
	}
	return b, nil
}

// Door is one kiosk's row of `fleet status`.
type Door struct {
	ID         string
	Location   string
	Seen       time.Time // zero: never
	InService  bool
	Why        string
	Backlog    int64
	BookingSeq int64
	Version    string
}

// Status returns every registered door with its last heartbeat, and the
// central booking change number the doors should reach.
func Status(ctx context.Context, conn *pgx.Conn) ([]Door, int64, error) {
	rows, err := conn.Query(ctx, `SELECT k.id, k.location, h.seen_at, coalesce(h.in_service, false), coalesce(h.why, ''),
			coalesce(h.backlog, 0), coalesce(h.booking_seq, 0), coalesce(h.version, '')
		FROM thermogate.kiosks k LEFT JOIN thermogate.heartbeats h ON h.kiosk_id = k.id ORDER BY k.id`)
	if err != nil {
		return nil, 0, fmt.Errorf("status: %w", err)
	}
	var doors []Door
	for rows.Next() {
		var d Door
		var seen *time.Time
		if err := rows.Scan(&d.ID, &d.Location, &seen, &d.InService, &d.Why, &d.Backlog, &d.BookingSeq, &d.Version); err != nil {
			return nil, 0, fmt.Errorf("status: %w", err)
		}
		if seen != nil {
			d.Seen = *seen
		}
		doors = append(doors, d)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("status: %w", err)
	}
	var seq int64
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(seq), 0) FROM thermogate.bookings").Scan(&seq); err != nil {
		return nil, 0, fmt.Errorf("status: %w", err)
	}
	return doors, seq, nil
}

// DoorReport is one door's day.
type DoorReport struct {
	Kiosk    string
	Total    int
	Counts   map[string]int // "decision/reason" → screenings
	PerHour  [24]int        // by local hour of the screening
	Decision map[string]int // decision → screenings
}

// Report counts the screenings of day (in loc) per door: by decision and
// reason, and per hour.
func Report(ctx context.Context, conn *pgx.Conn, day storage.Day, loc *time.Location) ([]DoorReport, error) {
	from, to := day.Start(loc), day.AddDays(1).Start(loc)
	rows, err := conn.Query(ctx, `SELECT kiosk_id, time, decision, reason FROM thermogate.screenings
		WHERE time >= $1 AND time < $2 ORDER BY kiosk_id`, from, to)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	byKiosk := map[string]*DoorReport{}
	var order []string
	for rows.Next() {
		var k, decision, reason string
		var t time.Time
		if err := rows.Scan(&k, &t, &decision, &reason); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		r := byKiosk[k]
		if r == nil {
			r = &DoorReport{Kiosk: k, Counts: map[string]int{}, Decision: map[string]int{}}
			byKiosk[k] = r
			order = append(order, k)
		}
		r.Total++
		r.Counts[decision+"/"+reason]++
		r.Decision[decision]++
		r.PerHour[t.In(loc).Hour()]++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	out := make([]DoorReport, 0, len(order))
	for _, k := range order {
		out = append(out, *byKiosk[k])
	}
	return out, nil
}

// ChainReport is what Verify found for one kiosk's screenings or audit log.
type ChainReport struct {
	Kiosk   string
	Kind    string // "screening" or "audit"
	Rows    int
	First   int64
	Last    int64
	Linked  bool   // the records carry hash links (older screenings do not)
	Problem string // "" when intact
}

// Verify checks every kiosk's (and every simulation run's) central
// screenings and audit entries: the ids
// follow one another from the purge anchor (or the first row), each record's
// columns agree with its stored bytes, and each record's prev is the sha256
// of the record before it. ok is false when any problem was found.
func Verify(ctx context.Context, conn *pgx.Conn) (reports []ChainReport, ok bool, err error) {
	// The registered doors and the simulation runs pushed under them.
	rows, err := conn.Query(ctx, `SELECT id FROM thermogate.kiosks
		UNION SELECT DISTINCT kiosk_id FROM thermogate.screenings WHERE starts_with(kiosk_id, 'simulate:')
		UNION SELECT DISTINCT kiosk_id FROM thermogate.audit WHERE starts_with(kiosk_id, 'simulate:')
		ORDER BY 1`)
	if err != nil {
		return nil, false, fmt.Errorf("verify: %w", err)
	}
	kiosks, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, false, fmt.Errorf("verify: %w", err)
	}
	ok = true
	for _, k := range kiosks {
		for _, kind := range []string{storage.OutboxScreening, storage.OutboxAudit} {
			r, err := verifyChain(ctx, conn, k, kind)
			if err != nil {
				return nil, false, fmt.Errorf("verify %s %s: %w", k, kind, err)
			}
			if r.Problem != "" {
				ok = false
			}
			reports = append(reports, r)
		}
	}
	return reports, ok, nil
}

func verifyChain(ctx context.Context, conn *pgx.Conn, kiosk, kind string) (ChainReport, error) {
	r := ChainReport{Kiosk: kiosk, Kind: kind}
	var anchorID int64
	var anchorHash string
	err := conn.QueryRow(ctx, "SELECT id, hash FROM thermogate.chain_anchors WHERE kiosk_id = $1 AND kind = $2", kiosk, kind).Scan(&anchorID, &anchorHash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return r, err
	}
	haveAnchor := err == nil
	q := `SELECT id, time, code, decision, reason, '', '', record FROM thermogate.screenings WHERE kiosk_id = $1 ORDER BY id`
	if kind == storage.OutboxAudit {
		q = `SELECT id, time, '', '', '', actor, action, record FROM thermogate.audit WHERE kiosk_id = $1 ORDER BY id`
	}
	rows, err := conn.Query(ctx, q, kiosk)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	prevID, prevHash := anchorID, anchorHash
	started := haveAnchor
	for rows.Next() {
		var id int64
		var t time.Time
		var code, decision, reason, actor, action, record string
		if err := rows.Scan(&id, &t, &code, &decision, &reason, &actor, &action, &record); err != nil {
			return r, err
		}
		fail := func(format string, a ...any) {
			if r.Problem == "" {
				r.Problem = fmt.Sprintf("%s %d: ", kind, id) + fmt.Sprintf(format, a...)
			}
		}
		if started && id != prevID+1 {
			fail("%s %d–%d are missing", kind, prevID+1, id-1)
		}
		var rec struct {
			ID       int64     `json:"id"`
			V        int       `json:"v"`
			Time     time.Time `json:"time"`
			Prev     *string   `json:"prev"`
			Code     string    `json:"code"`
			Decision string    `json:"decision"`
			Reason   string    `json:"reason"`
			Actor    string    `json:"actor"`
			Action   string    `json:"action"`
		}
		if err := json.Unmarshal([]byte(record), &rec); err != nil {
			fail("the stored record is not valid JSON: %v", err)
		} else {
			if rec.ID != id || rec.Time.Sub(t).Abs() >= time.Microsecond || rec.Code != code || rec.Decision != decision || rec.Reason != reason || rec.Actor != actor || rec.Action != action {
				fail("the columns do not match the stored record: a column was changed")
			}
			linked := kind == storage.OutboxAudit || rec.V >= 2
			if linked {
				r.Linked = true
				prev := ""
				if rec.Prev != nil {
					prev = *rec.Prev
				}
				if started && prev != prevHash {
					fail("links to %s, but %s %d's sha256 is %s: %s %d was changed", short(prev), kind, prevID, short(prevHash), kind, prevID)
				}
			}
		}
		if r.Rows == 0 {
			r.First = id
		}
		r.Rows++
		r.Last = id
		sum := sha256.Sum256([]byte(record))
		prevID, prevHash, started = id, hex.EncodeToString(sum[:]), true
	}
	return r, rows.Err()
}

func short(h string) string {
	if h == "" {
		return "nothing"
	}
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}

// PurgeResult says what Purge removed.
type PurgeResult struct {
	Screenings int64
	Audit      int64
	Bookings   int64
}

// Purge removes screenings and audit entries older than cutoff (per kiosk,
// up to the first record that is not, so each chain stays one piece) and
// bookings that started before it, in one transaction; it records where
// each chain was cut so that Verify checks the rest from there.
func Purge(ctx context.Context, conn *pgx.Conn, cutoff time.Time) (PurgeResult, error) {
	var res PurgeResult
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// Pushes under way finish first, and wait for this: a push reads
		// the anchors once and relies on them until it commits.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", purgeLock); err != nil {
			return err
		}
		for _, kind := range []string{storage.OutboxScreening, storage.OutboxAudit} {
			table := "thermogate.screenings"
			if kind == storage.OutboxAudit {
				table = "thermogate.audit"
			}
			// Per kiosk: the last id before the first record at or after
			// the cutoff (or the last id when all are older).
			rows, err := tx.Query(ctx, `SELECT t.kiosk_id, max(t.id) FROM `+table+` t
				WHERE t.time < $1 AND t.id < coalesce((SELECT min(n.id) FROM `+table+` n WHERE n.kiosk_id = t.kiosk_id AND n.time >= $1), 9223372036854775807)
				GROUP BY t.kiosk_id`, cutoff)
			if err != nil {
				return err
			}
			type cut struct {
				kiosk string
				id    int64
			}
			cuts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (cut, error) {
				var c cut
				return c, r.Scan(&c.kiosk, &c.id)
			})
			if err != nil {
				return err
			}
			for _, c := range cuts {
				var record string
				if err := tx.QueryRow(ctx, "SELECT record FROM "+table+" WHERE kiosk_id = $1 AND id = $2", c.kiosk, c.id).Scan(&record); err != nil {
					return err
				}
				sum := sha256.Sum256([]byte(record))
				// The cutoff is kept with the anchor: a push skips a record at
				// or below the anchor only when it is older (see unpurged).
				if _, err := tx.Exec(ctx, `INSERT INTO thermogate.chain_anchors (kiosk_id, kind, id, hash, cutoff) VALUES ($1, $2, $3, $4, $5)
					ON CONFLICT (kiosk_id, kind) DO UPDATE SET id = EXCLUDED.id, hash = EXCLUDED.hash,
						cutoff = greatest(thermogate.chain_anchors.cutoff, EXCLUDED.cutoff)`, c.kiosk, kind, c.id, hex.EncodeToString(sum[:]), cutoff); err != nil {
					return err
				}
				tag, err := tx.Exec(ctx, "DELETE FROM "+table+" WHERE kiosk_id = $1 AND id <= $2", c.kiosk, c.id)
				if err != nil {
					return err
				}
				if kind == storage.OutboxAudit {
					res.Audit += tag.RowsAffected()
				} else {
					res.Screenings += tag.RowsAffected()
				}
			}
		}
		if _, err := tx.Exec(ctx, "SELECT set_config('thermogate.purge', 'on', true)"); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "DELETE FROM thermogate.bookings WHERE start_at < $1", cutoff)
		res.Bookings = tag.RowsAffected()
		return err
	})
	if err != nil {
		return PurgeResult{}, fmt.Errorf("purge: %w", err)
	}
	return res, nil
}
