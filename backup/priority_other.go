//go:build !linux

package backup

// background does nothing where threads have no priority of their own.
func background() {}
