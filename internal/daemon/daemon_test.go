package daemon

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/thermogate/thermogate/internal/admin"
	"github.com/thermogate/thermogate/internal/config"
	"github.com/thermogate/thermogate/internal/hw"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/storage"
)

// recorder is a Notifier that remembers what it was told.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) Notify(s string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, s)
	return nil
}

func (r *recorder) Watchdog() func() { return func() { r.Notify("WATCHDOG=1") } }

func (r *recorder) seen(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Contains(r.lines, s)
}

func testConfig(t *testing.T, mod func(*config.Config)) config.Config {
	t.Helper()
	dir := t.TempDir()
	c, err := config.Parse([]byte(`
[sensor]
driver = "sim"
[sound]
enabled = false
[store]
path = "`+filepath.Join(dir, "db", "thermogate.db")+`"
[export]
dir = "`+filepath.Join(dir, "export")+`"
`), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	if mod != nil {
		mod(&c)
	}
	return c
}

func open(t *testing.T, c config.Config, n Notifier) *Daemon {
	t.Helper()
	d, err := Open(c, Options{Notify: n, ProbeEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestNextAt(t *testing.T) {
	vilnius, _ := time.LoadLocation("Europe/Vilnius")
	tests := []struct {
		now, want time.Time
	}{
		{time.Date(2026, 11, 24, 1, 0, 0, 0, vilnius), time.Date(2026, 11, 24, 2, 0, 0, 0, vilnius)},
		{time.Date(2026, 11, 24, 2, 0, 0, 0, vilnius), time.Date(2026, 11, 25, 2, 0, 0, 0, vilnius)},
		{time.Date(2026, 11, 24, 23, 59, 0, 0, vilnius), time.Date(2026, 11, 25, 2, 0, 0, 0, vilnius)},
		{time.Date(2026, 12, 31, 12, 0, 0, 0, vilnius), time.Date(2027, 1, 1, 2, 0, 0, 0, vilnius)},
		// The night clocks go forward (29 March 2026, 03:00 → 04:00): 02:00 exists.
		{time.Date(2026, 3, 28, 22, 0, 0, 0, vilnius), time.Date(2026, 3, 29, 2, 0, 0, 0, vilnius)},
	}
	for _, tt := range tests {
		if got := nextAt(tt.now, 2, 0, vilnius); !got.Equal(tt.want) {
			t.Errorf("nextAt(%v) = %v, want %v", tt.now, got, tt.want)
		}
	}
	// 03:30 does not exist on that night: the next export is still after now
	// and within a day.
	now := time.Date(2026, 3, 29, 1, 0, 0, 0, vilnius)
	if got := nextAt(now, 3, 30, vilnius); !got.After(now) || got.Sub(now) > 25*time.Hour {
		t.Errorf("nextAt over the gap = %v", got)
	}
}

// screen stores a screening at t.
func screen(t *testing.T, db *storage.DB, at time.Time, shown float64) {
	t.Helper()
	s := storage.Screening{Time: at, Kiosk: "door-1", Code: "AB12CD", Decision: string(kiosk.Admit), Reason: string(kiosk.ReasonOK),
		ShownC: &shown, Model: "offset/1", ThresholdC: 37.3}
	if _, err := db.Append(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

func TestExportDueCatchesUpPurgesAndRunsThePostCommand(t *testing.T) {
	dir := t.TempDir()
	c := testConfig(t, func(c *config.Config) {
		c.Export.RetentionDays = 30
		c.Export.PostCommand = `printf '%s\n' "$THERMOGATE_EXPORT_DAY" "$@" >> ` + filepath.Join(dir, "post.log")
	})
	d := open(t, c, &recorder{})
	loc := c.Location()
	today := storage.DayOf(time.Now(), loc)
	// The kiosk was off for two nights, and has a day older than the retention.
	old, missed1, missed2 := today.AddDays(-40), today.AddDays(-2), today.AddDays(-1)
	for _, day := range []storage.Day{old, missed1, missed2, today} {
		screen(t, d.db, day.Start(loc).Add(10*time.Hour), 36.6)
	}
	d.exportDue(context.Background())

	for _, day := range []storage.Day{old, missed1, missed2} {
		if _, err := os.Stat(filepath.Join(c.Export.Dir, "manifest-"+day.String()+".json")); err != nil {
			t.Errorf("day %s not exported: %v", day, err)
		}
	}
	if _, err := os.Stat(filepath.Join(c.Export.Dir, "manifest-"+today.String()+".json")); err == nil {
		t.Error("today, which is not over, was exported")
	}
	left, err := d.db.UnexportedDays(context.Background(), today)
	if err != nil || len(left) != 0 {
		t.Fatalf("still unexported: %v %v", left, err)
	}
	n := 0
	d.db.Screenings(context.Background(), old, func(storage.Screening) error { n++; return nil })
	if n != 0 {
		t.Errorf("%d screenings older than the retention kept after their export", n)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "post.log"))
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	if len(lines) != 3*5 || lines[0] != old.String() || !strings.HasSuffix(lines[1], "screenings-"+old.String()+".csv") {
		t.Fatalf("post command saw:\n%s", log)
	}
}

func TestFailingPostCommandIsAuditedAndTheExportStays(t *testing.T) {
	c := testConfig(t, func(c *config.Config) { c.Export.PostCommand = "echo office server unreachable >&2; exit 3" })
	d := open(t, c, &recorder{})
	day := storage.DayOf(time.Now(), c.Location()).AddDays(-1)
	screen(t, d.db, day.Start(c.Location()).Add(9*time.Hour), 36.7)
	d.exportDue(context.Background())
	if _, err := os.Stat(filepath.Join(c.Export.Dir, "manifest-"+day.String()+".json")); err != nil {
		t.Fatalf("the export did not stay: %v", err)
	}
	var failed *storage.AuditEntry
	d.db.AuditEntries(context.Background(), func(e storage.AuditEntry) error {
		if e.Action == "export.post_command_failed" {
			failed = &e
		}
		return nil
	})
	if failed == nil || !strings.Contains(failed.Detail, "office server unreachable") || !strings.Contains(failed.Detail, "exit status 3") {
		t.Fatalf("audit entry %+v", failed)
	}
}

func TestRunServesTheSocketAndStopsCleanly(t *testing.T) {
	c := testConfig(t, nil)
	n := &recorder{}
	d := open(t, c, n)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	var cl *admin.Client
	for i := 0; i < 200; i++ {
		var err error
		if cl, err = admin.Dial(ctx, config.SocketPath(c.Store.Path)); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if cl == nil {
		t.Fatal("the admin socket never answered")
	}
	if _, err := cl.AddGuard(ctx, "Ona", "4826"); err != nil {
		t.Fatal(err)
	}
	d.Flow().OpenGuard() // the PIN pad lists the guards
	st := d.Flow().State()
	for i := 0; (st.Screen != kiosk.GuardPIN || st.Guards == nil) && i < 200; i++ {
		time.Sleep(10 * time.Millisecond)
		st = d.Flow().State()
	}
	if !slices.Equal(st.Guards, []string{"Ona"}) {
		t.Fatalf("guards %v (%s): a guard added through the socket is not in the kiosk", st.Guards, st.Screen)
	}
	for i := 0; !n.seen("WATCHDOG=1") && i < 200; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if !n.seen("READY=1") || !n.seen("WATCHDOG=1") {
		t.Fatalf("notified %v", n.lines)
	}
	if fi, err := os.Stat(config.SocketPath(c.Store.Path)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket: %v %v", fi, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	if !n.seen("STOPPING=1") {
		t.Fatal("no STOPPING=1")
	}
	if _, err := admin.Dial(context.Background(), config.SocketPath(c.Store.Path)); err == nil {
		t.Fatal("the socket still answers after Run returned")
	}
}

// TestOutputsThatCannotOpenDoNotStopTheKiosk: a door pin this host does not
// have is logged and shown on the guard's screens; the kiosk screens on.
func TestOutputsThatCannotOpenDoNotStopTheKiosk(t *testing.T) {
	c := testConfig(t, func(c *config.Config) { c.GPIO.DoorPin = "GPIO17" })
	d := open(t, c, &recorder{})
	if d.Signals().GPIO != nil {
		t.Skip("this host has a GPIO17")
	}
	if st := d.Flow().State(); !strings.Contains(st.Signals, "GPIO") || st.Screen == kiosk.OutOfService {
		t.Fatalf("state %s, signals %q", st.Screen, st.Signals)
	}
}

func TestOpenFailsClearly(t *testing.T) {
	c := testConfig(t, func(c *config.Config) { c.Sensor.Driver = config.DriverMLX90614 })
	if m, _ := filepath.Glob("/dev/i2c-*"); len(m) == 0 {
		if _, err := Open(c, Options{Notify: &recorder{}}); err == nil || !strings.Contains(err.Error(), "sensor: no I²C bus found") {
			t.Fatalf("Open without I²C: %v", err)
		}
	}
	// The store stays usable by the next process: Open closed it on failure.
	rig, err := hw.Open(hw.Spec{Sim: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Open(c, Options{Notify: &recorder{}, Rig: rig})
	if err != nil {
		t.Fatalf("reopening after a failed Open: %v", err)
	}
	d.Close()
}

func TestSystemdNotifier(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "2000000")
	n := SystemdNotifier()
	if err := n.Notify("READY=1"); err != nil {
		t.Fatal(err)
	}
	ping := n.Watchdog()
	ping()
	ping() // within the second: not sent again
	buf := make([]byte, 64)
	var got []string
	conn.SetReadDeadline(time.Now().Add(time.Second))
	for {
		k, err := conn.Read(buf)
		if err != nil {
			break
		}
		got = append(got, string(buf[:k]))
	}
	if !slices.Equal(got, []string{"READY=1", "WATCHDOG=1"}) {
		t.Fatalf("received %q", got)
	}
	t.Setenv("NOTIFY_SOCKET", "")
	if SystemdNotifier().Watchdog() != nil {
		t.Fatal("a watchdog without systemd")
	}
}

// TestDoorReleasedOnEveryExit: the daemon drives the door off when it
// opens (a relay left on by a killed process is released) and Close, run
// while a panic unwinds, releases a door that is open.
func TestDoorReleasedOnEveryExit(t *testing.T) {
	p := &gpiotest.Pin{N: "TGTESTDOOR", L: gpio.High}
	if err := gpioreg.Register(p); err != nil {
		t.Fatal(err)
	}
	defer gpioreg.Unregister(p.N)
	level := func() gpio.Level {
		p.Lock()
		defer p.Unlock()
		return p.L
	}
	c := testConfig(t, func(c *config.Config) { c.GPIO.DoorPin = p.N })
	d, err := Open(c, Options{Notify: &recorder{}})
	if err != nil {
		t.Fatal(err)
	}
	if level() != gpio.Low || d.Signals().GPIO == nil {
		t.Fatalf("door %v after Open, outputs %+v", level(), d.Signals())
	}
	func() {
		defer func() { _ = recover() }()
		defer d.Close()
		if err := d.Signals().OpenDoor(context.Background()); err != nil {
			t.Fatal(err)
		}
		if level() != gpio.High {
			t.Fatal("the door did not open")
		}
		panic("something broke mid-pulse")
	}()
	if level() != gpio.Low {
		t.Fatal("the door stays open after a panic unwound through Close")
	}
}
