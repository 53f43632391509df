//go:build !unix

package backup

import "os"

// newStaging makes a hidden folder in parent named prefix and a random part; done removes it.
// Without advisory locks, the folder of killed work stays.
func newStaging(parent, prefix string) (dir string, done func(), err error) {
	dir, err = os.MkdirTemp(parent, prefix)
	if err != nil {
		return "", nil, err
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// removeAbandoned cannot tell a killed restore from a running one here: it removes nothing.
func removeAbandoned(parent, prefix string) {}

// removeAbandonedAll cannot tell killed work from running work here either.
func removeAbandonedAll(parent string) {}

// lockDataFile locks nothing here: bbolt's own lock is not an advisory lock another handle
// could take.
func lockDataFile(path string) (unlock func(), err error) { return func() {}, nil }
