//go:build unix

package backup

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// newStaging makes the hidden folder a restore to parent/name builds its folder in. Beside it
// a lock file is held until done is called or the process ends (however it ends: the kernel
// lets go of the lock), so that a later restore can tell a killed restore's folder from one
// that runs. The lock file is made first and removed last: a folder never lacks its lock file.
// done removes the folder (if it is still there) and the lock file.
func newStaging(parent, name string) (dir string, done func(), err error) {
	lock, err := os.CreateTemp(parent, "."+name+stagingInfix+"*"+stagingLock)
	if err != nil {
		return "", nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		os.Remove(lock.Name())
		return "", nil, err
	}
	dir = strings.TrimSuffix(lock.Name(), stagingLock)
	if err := os.Mkdir(dir, 0o700); err != nil {
		lock.Close()
		os.Remove(lock.Name())
		return "", nil, err
	}
	return dir, func() {
		os.RemoveAll(dir)
		os.Remove(lock.Name())
		lock.Close()
	}, nil
}

// removeAbandoned removes the staging folders of restores to parent/name that were killed
// before they could remove them: their lock file is held by no process. They hold nothing of
// use: a restore is renamed into place only once whole.
func removeAbandoned(parent, name string) {
	locks, _ := filepath.Glob(filepath.Join(parent, "."+globEscape(name)+stagingInfix+"*"+stagingLock))
	for _, l := range locks {
		f, err := os.OpenFile(l, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			if os.RemoveAll(strings.TrimSuffix(l, stagingLock)) == nil {
				os.Remove(l)
			}
		}
		f.Close()
	}
}
