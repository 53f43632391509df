//go:build unix

package ui

import (
	"os"
	"path/filepath"
	"syscall"
)

// lockUIRoot waits for the lock of uiRoot, taken until unlock (or the process ends).
func lockUIRoot() (unlock func(), err error) {
	if err := os.MkdirAll(uiRoot, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(uiRoot, ".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}
