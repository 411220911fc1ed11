package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A store path that is, or sits inside, something else the kiosk makes is
// refused by name: the kiosk would otherwise overwrite, ship or delete it.
func TestPathCollisionsAreNamed(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "export"), 0o700); err != nil {
		t.Fatal(err)
	}
	linked := filepath.Join(dir, "linked")
	if err := os.Symlink(filepath.Join(dir, "export"), linked); err != nil {
		t.Fatal(err)
	}
	long := "/" + strings.Repeat("d", 100) + "/thermogate.db"
	tests := []struct {
		name, store, export string
		want                []string // "" means OK
	}{
		{"defaults", "/var/lib/thermogate/thermogate.db", "/var/lib/thermogate/export", nil},
		{"beside, not inside", dir + "/export.db", dir + "/export", nil},
		{"store is its socket", dir + "/thermogate.sock", dir + "/export",
			[]string{`store.path = "` + dir + `/thermogate.sock"`, "the admin socket"}},
		{"store is the export dir", dir + "/export", dir + "/export",
			[]string{"store.path", "export.dir", "the export directory"}},
		{"store inside the export dir", dir + "/export/thermogate.db", dir + "/export",
			[]string{"store.path", `export.dir = "` + dir + `/export"`, "inside"}},
		{"inside through a symlink", linked + "/thermogate.db", dir + "/export",
			[]string{"store.path", "export.dir", "inside"}},
		{"roundabout path", dir + "/x/../export/./t.db", dir + "/export/",
			[]string{"store.path", "export.dir"}},
		{"export dir is the socket", dir + "/thermogate.db", dir + "/thermogate.sock",
			[]string{"export.dir", "the admin socket"}},
		{"export dir inside the store", dir + "/thermogate.db", dir + "/thermogate.db/export",
			[]string{"export.dir", "store.path"}},
		{"socket path too long", long, "/var/lib/thermogate/export",
			[]string{"store.path", "admin socket", "108"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toml := "[store]\npath = \"" + tt.store + "\"\n[export]\ndir = \"" + tt.export + "\"\n"
			_, err := Parse([]byte(toml), "t.toml")
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
		})
	}
}
