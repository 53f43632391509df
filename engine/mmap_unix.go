//go:build unix

package engine

import (
	"os"
	"syscall"
)

// mapFile maps size bytes of f read-only, for a check of the whole file: reading the pages in
// place costs no copy (a read of every page copies the whole file once more). nil when it
// cannot be mapped; unmap releases it.
func mapFile(f *os.File, size int64) (data []byte, unmap func()) {
	if size <= 0 || int64(int(size)) != size {
		return nil, func() {}
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, func() {}
	}
	return data, func() { syscall.Munmap(data) }
}
