package daemon

import (
	"net"
	"os"
	"strconv"
	"sync"
	"time"
)

// Notifier speaks systemd's sd_notify protocol.
type Notifier interface {
	// Notify sends a state line such as "READY=1".
	Notify(state string) error
	// Watchdog returns a function to call on every turn of the flow's loop;
	// it sends WATCHDOG=1 (at most once a second), or is nil without a
	// watchdog. The loop turns at least every probe interval, so WatchdogSec
	// must be well above that.
	Watchdog() func()
}

// SystemdNotifier returns the notifier for $NOTIFY_SOCKET; without it (not
// started by systemd) notifications go nowhere.
func SystemdNotifier() Notifier {
	n := &socketNotifier{path: os.Getenv("NOTIFY_SOCKET")}
	if usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64); err == nil && usec > 0 {
		n.every = time.Second
	}
	return n
}

type socketNotifier struct {
	path  string
	every time.Duration // the least time between two pings; 0: no watchdog

	mu   sync.Mutex
	last time.Time
}

// Notify sends one datagram to the notify socket ("@…" is the abstract namespace).
func (n *socketNotifier) Notify(state string) error {
	if n.path == "" {
		return nil
	}
	addr := &net.UnixAddr{Name: n.path, Net: "unixgram"}
	if addr.Name[0] == '@' {
		addr.Name = "\x00" + addr.Name[1:]
	}
	c, err := net.DialUnix("unixgram", nil, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}

func (n *socketNotifier) Watchdog() func() {
	if n.path == "" || n.every == 0 {
		return nil
	}
	return func() {
		n.mu.Lock()
		due := time.Since(n.last) >= n.every
		if due {
			n.last = time.Now()
		}
		n.mu.Unlock()
		if due {
			_ = n.Notify("WATCHDOG=1")
		}
	}
}
