package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// maxSocketPath is the longest path a Unix socket can be bound to on Linux
// (sun_path is 108 bytes with its terminating NUL).
const maxSocketPath = 107

// madePath is a file or directory the kiosk creates, writes or removes, and
// the key that places it.
type madePath struct {
	key, value string // the key that places it, and its value
	what, path string
	dir        bool // what is inside it is the kiosk's too
}

// made lists what the kiosk makes besides the database.
func (c *Config) made() []madePath {
	return []madePath{
		{key: "store.path", value: c.Store.Path, what: "the admin socket", path: SocketPath(c.Store.Path)},
		{key: "export.dir", value: c.Export.Dir, what: "the export directory", path: c.Export.Dir, dir: true},
	}
}

// checkPaths refuses a configuration in which the database is, or is inside,
// something else the kiosk makes (the daemon would replace, ship or remove
// it), or in which two such things collide. Paths are compared with
// symlinks resolved as far as they exist.
func (c *Config) checkPaths() error {
	if c.Store.Path == "" || c.Export.Dir == "" {
		return nil // reported as empty
	}
	var errs []error
	store := canonical(c.Store.Path)
	made := c.made()
	for _, m := range made {
		p := canonical(m.path)
		switch {
		case p == store && m.key == "store.path":
			errs = append(errs, fmt.Errorf("store.path = %q is %s's own path (a name ending in .sock): the kiosk would put its socket there; name it .db", c.Store.Path, m.what))
		case p == store:
			errs = append(errs, fmt.Errorf("store.path = %q is %s (%s = %q): keep the database apart from it", c.Store.Path, m.what, m.key, m.value))
		case m.dir && inside(store, p):
			errs = append(errs, fmt.Errorf("store.path = %q is inside %s (%s = %q), which the kiosk writes, ships and prunes: keep the database outside it", c.Store.Path, m.what, m.key, m.value))
		case inside(p, store):
			errs = append(errs, fmt.Errorf("%s = %q is inside the database file (store.path = %q)", m.key, m.value, c.Store.Path))
		}
	}
	// What the kiosk makes must not collide among itself either.
	for i, a := range made {
		for _, b := range made[i+1:] {
			pa, pb := canonical(a.path), canonical(b.path)
			switch {
			case pa == pb:
				errs = append(errs, fmt.Errorf("%s = %q and %s = %q collide: %s and %s would both be %s", a.key, a.value, b.key, b.value, a.what, b.what, pa))
			case b.dir && inside(pa, pb) && !inside(store, pb): // else said above
				errs = append(errs, fmt.Errorf("%s = %q puts %s inside %s (%s = %q)", a.key, a.value, a.what, b.what, b.key, b.value))
			case a.dir && inside(pb, pa) && !inside(store, pa):
				errs = append(errs, fmt.Errorf("%s = %q puts %s inside %s (%s = %q)", b.key, b.value, b.what, a.what, a.key, a.value))
			}
		}
	}
	if s := SocketPath(c.Store.Path); len(s) > maxSocketPath {
		errs = append(errs, fmt.Errorf("store.path = %q: its admin socket %s is %d bytes, and a Unix socket path has at most %d (108 with its NUL): use a shorter path",
			c.Store.Path, s, len(s), maxSocketPath))
	}
	return errors.Join(errs...)
}

// canonical makes p absolute and clean, with the symlinks of its longest
// existing ancestor resolved.
func canonical(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	rest := ""
	for dir := abs; ; dir = filepath.Dir(dir) {
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(r, rest)
		} else if !errors.Is(err, os.ErrNotExist) {
			return abs
		}
		if dir == filepath.Dir(dir) {
			return abs
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}

// inside reports whether p is strictly below dir.
func inside(p, dir string) bool {
	return strings.HasPrefix(p, strings.TrimSuffix(dir, string(filepath.Separator))+string(filepath.Separator))
}
