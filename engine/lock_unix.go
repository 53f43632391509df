//go:build unix

package engine

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// errLocked: another process holds the data file.
var errLocked = errors.New("the data file is locked by another process")

// lockData takes the lock bbolt takes on the data file (flock: exclusive to write, shared to
// read), waiting up to timeout, so that the file is checked while no other process writes it.
func lockData(f *os.File, exclusive bool, timeout time.Duration) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case !errors.Is(err, syscall.EWOULDBLOCK):
			return err
		case time.Now().After(deadline):
			return errLocked
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// unlockData releases lockData's lock.
func unlockData(f *os.File) { syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
