package fleet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/thermogate/thermogate/storage"
)

// Observer hears how the sync goes; *metrics.Fleet is one.
type Observer interface {
	Backlog(n int)
	Pushed(t time.Time)
	Pulled(t time.Time, seq int64)
}

// Options configure an Agent.
type Options struct {
	DB      *storage.DB
	Config  Config
	KioskID string // the configuration's kiosk_id; the role must be this kiosk's
	// PushAs is the central kiosk_id the outbox goes out under: "" for
	// KioskID itself, or a simulation identity of it (SimulationID), so
	// that simulated screenings never mix with the door's own.
	PushAs  string
	Version string // the program's version, for the heartbeat
	// Password is the role's password; empty reads Config.PasswordFile.
	Password string
	// Status says whether the kiosk screens, and why not; nil: always in
	// service.
	Status   func() (inService bool, why string)
	Logger   *slog.Logger
	Observer Observer
	// PushEvery is how often an idle pusher looks into the outbox; zero
	// means one second.
	PushEvery time.Duration
	// RetryMax bounds the wait between attempts to reach the server; zero
	// means 10 seconds.
	RetryMax time.Duration
}

// Agent keeps one kiosk in sync: it pulls booking changes, pushes the
// outbox and writes the heartbeat, each on its own connection, each retried
// until the server answers. The kiosk's screening never waits for it.
type Agent struct {
	o        Options
	pushAs   string
	log      *slog.Logger
	password string

	mu        sync.Mutex
	lastErr   error
	lastPush  time.Time
	lastPull  time.Time
	bookingSq uint64
}

// New checks the options, reads the password and enables the outbox in the
// kiosk's database, so that from here on every record is queued.
func New(ctx context.Context, o Options) (*Agent, error) {
	if !o.Config.Enabled() {
		return nil, errors.New("BUG: fleet agent without fleet.url")
	}
	if err := o.Config.Validate(); err != nil {
		return nil, err
	}
	if o.KioskID == "" {
		return nil, errors.New("BUG: fleet agent without a kiosk id")
	}
	a := &Agent{o: o, log: o.Logger, password: o.Password, pushAs: o.PushAs}
	if a.pushAs == "" {
		a.pushAs = o.KioskID
	} else if !IsSimulationOf(a.pushAs, o.KioskID) {
		return nil, fmt.Errorf("BUG: kiosk %s pushing as %q", o.KioskID, a.pushAs)
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.o.PushEvery <= 0 {
		a.o.PushEvery = time.Second
	}
	if a.o.RetryMax <= 0 {
		a.o.RetryMax = 10 * time.Second
	}
	if a.password == "" {
		pw, err := ReadPassword(o.Config.PasswordFile)
		if err != nil {
			return nil, err
		}
		a.password = pw
	}
	queued, err := o.DB.EnableOutbox(ctx, a.pushAs)
	if err != nil {
		return nil, err
	}
	if queued > 0 {
		a.log.Info("fleet: joined with a history: its screenings and audit entries are queued for the central database", "records", queued, "kiosk", a.pushAs)
	}
	return a, nil
}

// Run pulls, pushes and beats until ctx ends. It returns nil then.
func (a *Agent) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.loop(ctx, "pull", a.pullSession) }()
	go func() { defer wg.Done(); a.loop(ctx, "push", a.pushSession) }()
	wg.Wait()
	return nil
}

// loop runs session on a fresh connection again and again, waiting a
// little longer after each failure.
func (a *Agent) loop(ctx context.Context, name string, session func(context.Context, *pgx.Conn) error) {
	wait := 250 * time.Millisecond
	for ctx.Err() == nil {
		conn, err := a.connect(ctx)
		if err == nil {
			began := time.Now()
			err = session(ctx, conn)
			conn.Close(context.WithoutCancel(ctx))
			if ctx.Err() != nil {
				return
			}
			if time.Since(began) > time.Minute {
				wait = 250 * time.Millisecond // it worked for a while: try again soon
			}
		}
		a.setErr(err)
		a.log.Warn("fleet: "+name+" failed; the kiosk screens on and tries again", "err", err, "retry", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, a.o.RetryMax)
	}
}

func (a *Agent) setErr(err error) {
	a.mu.Lock()
	a.lastErr = err
	a.mu.Unlock()
}

// Connect opens a connection as the agent does: for a one-off pull or push
// (simulate).
func (a *Agent) Connect(ctx context.Context) (*pgx.Conn, error) { return a.connect(ctx) }

// connect opens a connection and checks that the schema is this program's
// and that the role is this kiosk's: records are never pushed under
// another kiosk's name.
func (a *Agent) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := Connect(ctx, a.o.Config.URL, a.password)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*pgx.Conn, error) {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	if err := CheckSchema(ctx, conn); err != nil {
		return fail(err)
	}
	var id *string
	if err := conn.QueryRow(ctx, "SELECT thermogate.kiosk_of(current_user)").Scan(&id); err != nil {
		return fail(err)
	}
	if id == nil {
		return fail(fmt.Errorf("role %s is no kiosk's: register it with thermogate fleet add-kiosk %s", conn.Config().User, a.o.KioskID))
	}
	if *id != a.o.KioskID {
		return fail(fmt.Errorf("role %s is kiosk %q centrally, but this kiosk's kiosk_id is %q", conn.Config().User, *id, a.o.KioskID))
	}
	return conn, nil
}

// pullSession listens for booking changes and applies them, also every
// Poll when nothing is heard, until the connection fails.
func (a *Agent) pullSession(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, "LISTEN thermogate_bookings"); err != nil {
		return err
	}
	// A central database replaced by a new one starts its numbers again.
	local, err := a.o.DB.FleetBookingSeq()
	if err != nil {
		return err
	}
	var central uint64
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(seq), 0) FROM thermogate.bookings").Scan(&central); err != nil {
		return err
	}
	if central < local {
		a.log.Warn("fleet: the central bookings are at an earlier change than this kiosk's copy; taking them all again", "central", central, "local", local)
		if err := a.o.DB.ResetFleetBookingSeq(ctx); err != nil {
			return err
		}
	}
	for {
		if _, err := a.PullOnce(ctx, conn); err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, a.o.Config.Poll)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		if err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		// A notification or the poll: pull. Several notifications that
		// came meanwhile are one pull.
		if conn.PgConn().IsClosed() {
			return errors.New("connection closed")
		}
	}
}

// maxPull bounds one pull; a kiosk far behind catches up in a few.
const maxPull = 50000

// PullOnce applies the booking changes after the last applied one, in one
// bbolt transaction, and returns how many there were.
func (a *Agent) PullOnce(ctx context.Context, conn *pgx.Conn) (int, error) {
	for total := 0; ; {
		last, err := a.o.DB.FleetBookingSeq()
		if err != nil {
			return total, err
		}
		rows, err := conn.Query(ctx, `SELECT seq, code, start_at, minutes, service, lang, location, status, used_at
			FROM thermogate.bookings WHERE seq > $1 ORDER BY seq LIMIT $2`, last, maxPull)
		if err != nil {
			return total, fmt.Errorf("pull bookings: %w", err)
		}
		changes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (storage.BookingChange, error) {
			var c storage.BookingChange
			var used *time.Time
			err := r.Scan(&c.Seq, &c.Booking.Code, &c.Booking.Start, &c.Booking.Minutes, &c.Booking.Service,
				&c.Booking.Lang, &c.Booking.Location, &c.Booking.Status, &used)
			if used != nil {
				c.Booking.UsedAt = *used
			}
			c.Booking.Version = storage.BookingVersion
			loc := a.o.Config.Location
			c.Remove = loc != "" && c.Booking.Location != "" && c.Booking.Location != loc
			return c, err
		})
		if err != nil {
			return total, fmt.Errorf("pull bookings: %w", err)
		}
		if len(changes) == 0 {
			a.pulled(last)
			return total, nil
		}
		through := changes[len(changes)-1].Seq
		for i := range changes {
			changes[i].Booking.Start = changes[i].Booking.Start.In(a.o.DB.Location())
			if !changes[i].Booking.UsedAt.IsZero() {
				changes[i].Booking.UsedAt = changes[i].Booking.UsedAt.In(a.o.DB.Location())
			}
		}
		if err := a.o.DB.ApplyBookingChanges(ctx, changes, through); err != nil {
			return total, err
		}
		total += len(changes)
		a.pulled(through)
		if len(changes) < maxPull {
			return total, nil
		}
	}
}

func (a *Agent) pulled(seq uint64) {
	now := time.Now()
	a.mu.Lock()
	a.lastPull, a.bookingSq, a.lastErr = now, seq, nil
	a.mu.Unlock()
	if a.o.Observer != nil {
		a.o.Observer.Pulled(now, int64(seq))
	}
}

// pushSession pushes the outbox whenever it has something, and writes the
// heartbeat every Poll, until the connection fails.
func (a *Agent) pushSession(ctx context.Context, conn *pgx.Conn) error {
	var beat time.Time
	for {
		n, err := a.PushOnce(ctx, conn)
		if err != nil {
			return err
		}
		if time.Since(beat) >= a.o.Config.Poll {
			if err := a.Heartbeat(ctx, conn); err != nil {
				return err
			}
			beat = time.Now()
		}
		if n > 0 {
			continue // a backlog: on at once
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(a.o.PushEvery):
		}
	}
}

// PushOnce sends up to push_batch queued records in one transaction and,
// once the server has committed it, removes them from the outbox. Records
// the server already has (a push whose commit the kiosk did not hear of)
// are skipped, after checking that they are the same bytes.
func (a *Agent) PushOnce(ctx context.Context, conn *pgx.Conn) (int, error) {
	items, err := a.o.DB.Outbox(ctx, a.o.Config.PushBatch)
	if err != nil {
		return 0, err
	}
	if a.o.Observer != nil {
		a.o.Observer.Backlog(a.o.DB.OutboxLen())
	}
	if len(items) == 0 {
		return 0, nil
	}
	var scr screeningCols
	var aud auditCols
	for _, it := range items {
		switch it.Kind {
		case storage.OutboxScreening:
			if err := scr.add(it); err != nil {
				return 0, err
			}
		case storage.OutboxAudit:
			if err := aud.add(it); err != nil {
				return 0, err
			}
		default:
			return 0, fmt.Errorf("outbox item %d: unknown kind %q", it.Seq, it.Kind)
		}
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// A purge waits for this push and this push for a purge: the
		// anchors read here hold until the commit.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock_shared($1)", purgeLock); err != nil {
			return err
		}
		anchors, err := readAnchors(ctx, tx, a.pushAs)
		if err != nil {
			return err
		}
		if err := scr.insert(ctx, tx, a.pushAs, anchors[storage.OutboxScreening]); err != nil {
			return err
		}
		return aud.insert(ctx, tx, a.pushAs, anchors[storage.OutboxAudit])
	})
	if err != nil {
		return 0, fmt.Errorf("push %d records: %w", len(items), err)
	}
	if err := a.o.DB.OutboxSent(ctx, items[len(items)-1].Seq); err != nil {
		return 0, err
	}
	now := time.Now()
	a.mu.Lock()
	a.lastPush, a.lastErr = now, nil
	a.mu.Unlock()
	if a.o.Observer != nil {
		a.o.Observer.Pushed(now)
		a.o.Observer.Backlog(a.o.DB.OutboxLen())
	}
	return len(items), nil
}

type screeningCols struct {
	ids                                  []int64
	times                                []time.Time
	codes, decisions, reasons, guards, r []string
	shown                                []*float64
	used                                 []bool
	prevs                                []*string // nil: the record carries no link (version 1)
}

func (c *screeningCols) add(it storage.OutboxItem) error {
	var s storage.Screening
	if err := json.Unmarshal(it.Record, &s); err != nil || s.ID != it.ID {
		return fmt.Errorf("outbox: screening %d: damaged record: %v", it.ID, err)
	}
	c.ids = append(c.ids, int64(s.ID))
	c.times = append(c.times, s.Time)
	c.codes = append(c.codes, s.Code)
	c.decisions = append(c.decisions, s.Decision)
	c.reasons = append(c.reasons, s.Reason)
	c.guards = append(c.guards, s.Guard)
	c.shown = append(c.shown, s.ShownC)
	c.used = append(c.used, s.BookingUsed)
	c.r = append(c.r, string(it.Record))
	if s.Version >= 2 {
		c.prevs = append(c.prevs, &s.Prev)
	} else {
		c.prevs = append(c.prevs, nil)
	}
	return nil
}

func (c *screeningCols) insert(ctx context.Context, tx pgx.Tx, kiosk string, an anchor) error {
	keep, err := an.unpurged(storage.OutboxScreening, kiosk, c.ids, c.times, c.r, c.prevs)
	if err != nil || len(keep) == 0 {
		return err
	}
	if len(keep) < len(c.ids) {
		c.ids, c.times, c.codes, c.decisions = pick(keep, c.ids), pick(keep, c.times), pick(keep, c.codes), pick(keep, c.decisions)
		c.reasons, c.guards, c.r = pick(keep, c.reasons), pick(keep, c.guards), pick(keep, c.r)
		c.shown, c.used, c.prevs = pick(keep, c.shown), pick(keep, c.used), pick(keep, c.prevs)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO thermogate.screenings (kiosk_id, id, time, code, decision, reason, shown_c, booking_used, guard, record)
		SELECT $1, * FROM unnest($2::bigint[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::bool[], $9::text[], $10::text[])
		ON CONFLICT (kiosk_id, id) DO NOTHING`,
		kiosk, c.ids, c.times, c.codes, c.decisions, c.reasons, c.shown, c.used, c.guards, c.r)
	if err != nil {
		return err
	}
	if int(tag.RowsAffected()) < len(c.ids) {
		return sameAsCentral(ctx, tx, "thermogate.screenings", kiosk, c.ids, c.r)
	}
	return nil
}

type auditCols struct {
	ids            []int64
	times          []time.Time
	actors, action []string
	r              []string
	prevs          []*string
}

func (c *auditCols) add(it storage.OutboxItem) error {
	var e storage.AuditEntry
	if err := json.Unmarshal(it.Record, &e); err != nil || e.ID != it.ID {
		return fmt.Errorf("outbox: audit entry %d: damaged record: %v", it.ID, err)
	}
	c.ids = append(c.ids, int64(e.ID))
	c.times = append(c.times, e.Time)
	c.actors = append(c.actors, e.Actor)
	c.action = append(c.action, e.Action)
	c.r = append(c.r, string(it.Record))
	c.prevs = append(c.prevs, &e.Prev)
	return nil
}

func (c *auditCols) insert(ctx context.Context, tx pgx.Tx, kiosk string, an anchor) error {
	keep, err := an.unpurged(storage.OutboxAudit, kiosk, c.ids, c.times, c.r, c.prevs)
	if err != nil || len(keep) == 0 {
		return err
	}
	if len(keep) < len(c.ids) {
		c.ids, c.times, c.actors, c.action = pick(keep, c.ids), pick(keep, c.times), pick(keep, c.actors), pick(keep, c.action)
		c.r, c.prevs = pick(keep, c.r), pick(keep, c.prevs)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO thermogate.audit (kiosk_id, id, time, actor, action, record)
		SELECT $1, * FROM unnest($2::bigint[], $3::timestamptz[], $4::text[], $5::text[], $6::text[])
		ON CONFLICT (kiosk_id, id) DO NOTHING`,
		kiosk, c.ids, c.times, c.actors, c.action, c.r)
	if err != nil {
		return err
	}
	if int(tag.RowsAffected()) < len(c.ids) {
		return sameAsCentral(ctx, tx, "thermogate.audit", kiosk, c.ids, c.r)
	}
	return nil
}

// purgeLock is the advisory lock Purge holds exclusively and a push shared.
const purgeLock = 4810951742

// anchor is where `fleet purge` cut one of a kiosk's central chains.
type anchor struct {
	found  bool
	id     int64
	hash   string    // sha256 of the record at id, hex
	cutoff time.Time // every record purge removed is older
}

// readAnchors returns kiosk's anchors by kind.
func readAnchors(ctx context.Context, tx pgx.Tx, kiosk string) (map[string]anchor, error) {
	rows, err := tx.Query(ctx, "SELECT kind, id, hash, cutoff FROM thermogate.chain_anchors WHERE kiosk_id = $1", kiosk)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]anchor{}
	for rows.Next() {
		var kind string
		an := anchor{found: true}
		if err := rows.Scan(&kind, &an.id, &an.hash, &an.cutoff); err != nil {
			return nil, err
		}
		out[kind] = an
	}
	return out, rows.Err()
}

// unpurged returns the indexes of the records to insert: all but those
// `fleet purge` removed centrally, which a kiosk joining again with its
// history sends once more and which stay removed. A record at or below
// the anchor is skipped only when it is one purge removed: older than the
// cutoff, and at the anchor's id the very bytes anchored; the record after
// the anchor must link to it. Anything else is a new record under a
// purged id (the kiosk's database was replaced, or its kiosk_id given to
// another door): skipping it would drop it unsent and, for an admitted
// visitor, leave the booking unused centrally, so the push is refused.
func (an anchor) unpurged(kind, kiosk string, ids []int64, times []time.Time, records []string, prevs []*string) ([]int, error) {
	keep := make([]int, 0, len(ids))
	for i, id := range ids {
		if !an.found || id > an.id {
			if an.found && id == an.id+1 && prevs[i] != nil && *prevs[i] != an.hash {
				return nil, replaced(kind, id, kiosk, an, "it does not link to the record there")
			}
			keep = append(keep, i)
			continue
		}
		if !times[i].Truncate(time.Microsecond).Before(an.cutoff) {
			return nil, replaced(kind, id, kiosk, an, "it is newer than that purge's cutoff "+an.cutoff.UTC().Format(time.RFC3339))
		}
		if id == an.id {
			if sum := sha256.Sum256([]byte(records[i])); hex.EncodeToString(sum[:]) != an.hash {
				return nil, replaced(kind, id, kiosk, an, "its bytes are not the record purge removed there")
			}
		}
	}
	return keep, nil
}

func replaced(kind string, id int64, kiosk string, an anchor, why string) error {
	return fmt.Errorf("%s %d of kiosk %s: fleet purge cut this kiosk's central %s chain at %d, but %s: was the kiosk's database replaced, or its kiosk_id given to another door? Nothing more is pushed until an administrator looks (deploy/README.md, Several doors: a door's database replaced)",
		kind, id, kiosk, kind, an.id, why)
}

func pick[T any](keep []int, s []T) []T {
	out := make([]T, len(keep))
	for j, i := range keep {
		out[j] = s[i]
	}
	return out
}

// sameAsCentral checks that records the server already had are the ones
// being pushed: a difference means two kiosks share an id, or the kiosk's
// database was replaced, and pushing on would hide it.
func sameAsCentral(ctx context.Context, tx pgx.Tx, table, kiosk string, ids []int64, records []string) error {
	rows, err := tx.Query(ctx, `SELECT c.id FROM `+table+` c JOIN unnest($2::bigint[], $3::text[]) AS x(id, record) ON c.id = x.id
		WHERE c.kiosk_id = $1 AND c.record <> x.record LIMIT 1`, kiosk, ids, records)
	if err != nil {
		return err
	}
	bad, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s %d of kiosk %s is centrally not the record this kiosk stored: was the kiosk's database replaced? Nothing more is pushed until an administrator looks", table, bad[0], kiosk)
	}
	return nil
}

// Heartbeat writes the kiosk's row in thermogate.heartbeats.
func (a *Agent) Heartbeat(ctx context.Context, conn *pgx.Conn) error {
	in, why := true, ""
	if a.o.Status != nil {
		in, why = a.o.Status()
	}
	seq, err := a.o.DB.FleetBookingSeq()
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, `INSERT INTO thermogate.heartbeats (kiosk_id, seen_at, in_service, why, backlog, booking_seq, version, location)
		VALUES ($1, now(), $2, $3, $4, $5, $6, $7)
		ON CONFLICT (kiosk_id) DO UPDATE SET seen_at = now(), in_service = EXCLUDED.in_service, why = EXCLUDED.why,
			backlog = EXCLUDED.backlog, booking_seq = EXCLUDED.booking_seq, version = EXCLUDED.version, location = EXCLUDED.location`,
		a.o.KioskID, in, why, a.o.DB.OutboxLen(), int64(seq), a.o.Version, a.o.Config.Location)
	if err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	return nil
}

// State is how the sync stands, for logs and the admin socket.
type State struct {
	LastPush   time.Time
	LastPull   time.Time
	BookingSeq uint64
	Backlog    int
	LastError  string
}

// State returns how the sync stands.
func (a *Agent) State() State {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := State{LastPush: a.lastPush, LastPull: a.lastPull, BookingSeq: a.bookingSq, Backlog: a.o.DB.OutboxLen()}
	if a.lastErr != nil {
		s.LastError = a.lastErr.Error()
	}
	return s
}
