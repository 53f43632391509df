//go:build unix

package backup

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// newStaging makes a hidden folder in parent named prefix and a random part, where a restore,
// a repair or a rollback builds what it makes (prefix: ".<name>.restoring-"...). Beside it
// a lock file is held until done is called or the process ends (however it ends: the kernel
// lets go of the lock), so that a later one can tell a killed one's folder from one that runs.
// The lock file is locked under another name and renamed into place, then the folder is
// made: a folder never lacks its lock file, and no lock file is ever seen unlocked while its
// work runs. done removes the folder, then the lock file. Where the file system has no locks,
// the lock file stays unlocked and removeAbandoned, which cannot lock it either, leaves it.
func newStaging(parent, prefix string) (dir string, done func(), err error) {
	tmp, err := os.CreateTemp(parent, prefix+"*"+stagingLock+"ing")
	if err != nil {
		return "", nil, err
	}
	if err := syscall.Flock(int(tmp.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil && !noLocks(err) {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", nil, err
	}
	lock := strings.TrimSuffix(tmp.Name(), "ing")
	if err := os.Rename(tmp.Name(), lock); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", nil, err
	}
	dir = strings.TrimSuffix(lock, stagingLock)
	if err := os.Mkdir(dir, 0o700); err != nil {
		tmp.Close()
		os.Remove(lock)
		return "", nil, err
	}
	return dir, func() {
		if os.RemoveAll(dir) == nil {
			os.Remove(lock)
		}
		tmp.Close()
	}, nil
}

// noLocks reports whether a lock failed because the file system has none.
func noLocks(err error) bool {
	return errors.Is(err, syscall.ENOLCK) || errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOSYS)
}

// removeAbandoned removes the staging folders named prefix... in parent whose work was killed
// before it could remove them: their lock file is held by no process. They hold nothing of
// use: what is built there is renamed into place only once whole.
func removeAbandoned(parent, prefix string) {
	for _, suffix := range []string{stagingLock, stagingLock + "ing"} {
		locks, _ := filepath.Glob(filepath.Join(globEscape(parent), globEscape(prefix)+"*"+suffix))
		removeUnlocked(locks)
	}
}

// removeAbandonedAll removes the staging folders of every restore, repair and rollback killed
// in parent, whatever they were for. A backup does this in its destination (where restores go
// by default) and beside its database (where repairs and rollbacks work).
func removeAbandonedAll(parent string) {
	var locks []string
	for _, kind := range []string{stagingInfix, ".repair-", ".rollback-"} {
		for _, suffix := range []string{stagingLock, stagingLock + "ing"} {
			l, _ := filepath.Glob(filepath.Join(globEscape(parent), ".*"+kind+"*"+suffix))
			locks = append(locks, l...)
		}
	}
	removeUnlocked(locks)
}

// removeUnlocked removes each staging folder whose lock file no process holds, then the lock.
// A lock file still under its first name (".lock" + "ing": killed before its rename) has no
// folder yet: it is only removed.
func removeUnlocked(locks []string) {
	for _, l := range locks {
		f, err := os.OpenFile(l, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			if strings.HasSuffix(l, stagingLock+"ing") || os.RemoveAll(strings.TrimSuffix(l, stagingLock)) == nil {
				os.Remove(l)
			}
		}
		f.Close()
	}
}

// lockDataFile takes the lock that bbolt takes on a data file, so that no process opens the
// database while a rollback swaps its files (an open then waits and reports the database in
// use, 2007). Where the file system has no locks, nothing is locked.
func lockDataFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil && !noLocks(err) {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errInUse
		}
		return nil, err
	}
	return func() { f.Close() }, nil
}
