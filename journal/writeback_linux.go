package journal

import "syscall"

// StartWriteback asks the kernel to start writing a range of the file to disk and returns at
// once (sync_file_range with SYNC_FILE_RANGE_WRITE). A large file written this way as it grows
// reaches its final Sync with little left to write, and never builds a burst of dirty pages
// that would make other files' syncs wait. It is advice: Sync still makes the data durable and
// reports any error.
func (f osFile) StartWriteback(off, n int64) error {
	const syncFileRangeWrite = 2
	return syscall.SyncFileRange(int(f.File.Fd()), off, n, syncFileRangeWrite)
}

// WaitWriteback waits until the writeback of a range started earlier is done.
func (f osFile) WaitWriteback(off, n int64) error {
	const syncFileRangeWaitBefore = 1
	return syscall.SyncFileRange(int(f.File.Fd()), off, n, syncFileRangeWaitBefore)
}
