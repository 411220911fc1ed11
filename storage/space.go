package storage

import (
	"fmt"
	"syscall"
)

// FreeSpace returns the bytes an unprivileged process can still write on
// the filesystem holding dir (statfs: available blocks × block size, not
// counting the blocks reserved for root). The kiosk runs as its own user,
// so this, not the free blocks, is the room it has. Pass the database's
// directory: it exists before and after the file.
func FreeSpace(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}
