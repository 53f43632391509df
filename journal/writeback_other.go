//go:build !linux

package journal

// StartWriteback does nothing where the system has no sync_file_range: Sync does all the work.
func (f osFile) StartWriteback(off, n int64) error { return nil }

// WaitWriteback does nothing where the system has no sync_file_range.
func (f osFile) WaitWriteback(off, n int64) error { return nil }
