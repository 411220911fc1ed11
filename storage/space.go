package storage

import (
	"fmt"
	"syscall"
)

// FreeSpace returns the bytes an unprivileged process can still write on
// the filesystem holding dir (statfs: available blocks × fragment size,
// as df counts them, not counting the blocks reserved for root). The kiosk runs as its own user,
// so this, not the free blocks, is the room it has. Pass the database's
// directory: it exists before and after the file.
func FreeSpace(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	// f_bavail counts f_frsize units (statvfs(3)); f_bsize is only the
	// preferred I/O size. They are equal on ext4 and most Linux
	// filesystems, not on every one.
	unit := uint64(st.Frsize)
	if unit == 0 {
		unit = uint64(st.Bsize)
	}
	return uint64(st.Bavail) * unit, nil
}
