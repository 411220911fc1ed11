package fleet_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thermogate/thermogate/internal/fleet"
)

// TestReadPasswordTakesASystemdACLCredential: systemd 254 and later put
// credentials on a tmpfs with an ACL entry for the unit's User=
// (systemd/systemd#29096, #29435): the file shows as -r--r-----+, mode
// 0440, the group bits being the ACL's mask. The kiosk must start with it;
// the same mode outside the credentials directory, other users' bits inside
// it, and a credential name leaving the directory are still refused.
func TestReadPasswordTakesASystemdACLCredential(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, fleet.DefaultPasswordFile)
	if err := os.WriteFile(p, []byte("s3cret\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o440); err != nil { // what stat shows for 0400 plus an ACL user:thermogate:r
		t.Fatal(err)
	}
	// Outside systemd, the same file by its path is a group-readable file.
	if _, err := fleet.ReadPassword(p); err == nil || !strings.Contains(err.Error(), "read by others") {
		t.Errorf("a 0440 password file outside the credentials directory: %v", err)
	}
	t.Setenv("CREDENTIALS_DIRECTORY", dir)
	if pw, err := fleet.ReadPassword(fleet.DefaultPasswordFile); err != nil || pw != "s3cret" {
		t.Errorf("the credential systemd handed over: %q, %v", pw, err)
	}
	if pw, err := fleet.ReadPassword(p); err != nil || pw != "s3cret" { // the same, by absolute path
		t.Errorf("the credential by its absolute path: %q, %v", pw, err)
	}
	// Others' bits are never systemd's: refused even in the directory.
	if err := os.Chmod(p, 0o444); err != nil {
		t.Fatal(err)
	}
	if _, err := fleet.ReadPassword(fleet.DefaultPasswordFile); err == nil || !strings.Contains(err.Error(), "read by others") {
		t.Errorf("a world-readable credential: %v", err)
	}
	// A 0440 file in a subdirectory or beside the directory is no credential.
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o700)
	os.WriteFile(filepath.Join(sub, "pw"), []byte("s3cret\n"), 0o440)
	if _, err := fleet.ReadPassword(filepath.Join(sub, "pw")); err == nil || !strings.Contains(err.Error(), "read by others") {
		t.Errorf("a 0440 file below the credentials directory: %v", err)
	}
	outside := filepath.Join(filepath.Dir(dir), filepath.Base(dir)+"-pw")
	os.WriteFile(outside, []byte("s3cret\n"), 0o440)
	t.Cleanup(func() { os.Remove(outside) })
	if _, err := fleet.ReadPassword("../" + filepath.Base(outside)); err == nil || !strings.Contains(err.Error(), "not a path leaving it") {
		t.Errorf("a credential name leaving the directory: %v", err)
	}
}
