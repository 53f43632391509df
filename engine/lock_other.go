//go:build !unix

package engine

import (
	"errors"
	"os"
	"time"
)

// errLocked: another process holds the data file.
var errLocked = errors.New("the data file is locked by another process")

// lockData does nothing where the file system has no flock: bbolt's own lock, taken when it
// opens the file, is then the only one.
func lockData(f *os.File, exclusive bool, timeout time.Duration) error { return nil }

func unlockData(f *os.File) {}
