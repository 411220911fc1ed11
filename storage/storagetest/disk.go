package storagetest

import (
	"sync"
	"sync/atomic"

	"github.com/thermogate/thermogate/storage"
)

// Disk stands in for the free-space check of a data disk: it reads the real
// filesystem (storage.FreeSpace) and, while Fill is on, reports at most
// Full bytes — the partition filled up, as fallocate does, without filling
// the test machine's disk.
type Disk struct {
	Full   uint64 // the bytes free reported while filled
	filled atomic.Bool
	mu     sync.Mutex
	asked  string
}

// FreeSpace is the kiosk's and the daemon's FreeSpace function.
func (d *Disk) FreeSpace(dir string) (uint64, error) {
	d.mu.Lock()
	d.asked = dir
	d.mu.Unlock()
	n, err := storage.FreeSpace(dir)
	if d.filled.Load() {
		n = min(n, d.Full)
	}
	return n, err
}

// Fill fills the disk (true) or frees it again (false).
func (d *Disk) Fill(on bool) { d.filled.Store(on) }

// Asked is the directory FreeSpace was last asked about.
func (d *Disk) Asked() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.asked
}
