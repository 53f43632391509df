//go:build unix

package backup

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// newStaging makes a hidden folder in parent named prefix and a random part, where a restore,
// a repair or a rollback builds what it makes (prefix: ".<name>.restoring-"...). Beside it
// a lock file is held until done is called or the process ends (however it ends: the kernel
// lets go of the lock), so that a later restore can tell a killed restore's folder from one
// that runs. The lock file is made first and removed last: a folder never lacks its lock file.
// done removes the folder (if it is still there) and the lock file.
func newStaging(parent, prefix string) (dir string, done func(), err error) {
	lock, err := os.CreateTemp(parent, prefix+"*"+stagingLock)
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

// removeAbandoned removes the staging folders named prefix... in parent whose work was killed
// before it could remove them: their lock file is held by no process. They hold nothing of
// use: what is built there is renamed into place only once whole.
func removeAbandoned(parent, prefix string) {
	locks, _ := filepath.Glob(filepath.Join(parent, globEscape(prefix)+"*"+stagingLock))
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
