package backup

import (
	"runtime"
	"syscall"
)

// background lowers the priority of the calling goroutine's thread for the rest of its life.
// The goroutine stays on that thread, which ends with it.
func background() {
	runtime.LockOSThread()
	syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 10)
}
