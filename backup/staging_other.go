//go:build !unix

package backup

import "os"

// newStaging makes the hidden folder a restore to parent/name builds its folder in; done
// removes it. Without advisory locks, a killed restore's folder stays.
func newStaging(parent, name string) (dir string, done func(), err error) {
	dir, err = os.MkdirTemp(parent, "."+name+stagingInfix)
	if err != nil {
		return "", nil, err
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// removeAbandoned cannot tell a killed restore from a running one here: it removes nothing.
func removeAbandoned(parent, name string) {}
