//go:build !unix

package ui

import "os"

// lockUIRoot makes uiRoot; without flock two runs at once are not told apart.
func lockUIRoot() (unlock func(), err error) {
	return func() {}, os.MkdirAll(uiRoot, 0o700)
}
