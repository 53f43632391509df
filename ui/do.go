package ui

import (
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"

	"holdfast/backup"
)

// uiMu makes the changes handed over from background goroutines run one at a time. The app's
// driver runs them on its own thread anyway; Fyne's test driver runs each on the goroutine
// that hands it over, where two at once would race in Fyne's shared caches.
var uiMu sync.Mutex

// pending counts the short background jobs (reads, writes, dialogs, backups started from a
// window): tests wait for them to end before the next test builds its windows.
var pending sync.WaitGroup

// background runs fn on a goroutine of its own, counted in pending. Long-lived loops (the
// status ticker, the scheduler) are not counted.
func background(fn func()) {
	pending.Add(1)
	active.Add(1)
	go func() {
		defer pending.Done()
		defer active.Add(-1)
		fn()
	}()
}

// active is how many of the jobs counted in pending run now: tests wait for none before they
// compare a window with its golden.
var active atomic.Int64

// do runs fn on the Fyne thread, one at a time. fn must not call do.
func do(fn func()) {
	fyne.Do(func() {
		uiMu.Lock()
		defer uiMu.Unlock()
		fn()
	})
}

// doWait is do that returns once fn has run. Never on the Fyne thread.
func doWait(fn func()) {
	fyne.DoAndWait(func() {
		uiMu.Lock()
		defer uiMu.Unlock()
		fn()
	})
}

// latestOnly hands progress reports to show on the Fyne thread without ever waiting for it:
// the reporter (a backup, an integration holding the database's locks) goes on at once, and
// while one report waits for the thread, newer ones only replace it.
func latestOnly(show func(backup.Progress)) func(backup.Progress) {
	var latest atomic.Pointer[backup.Progress]
	var queued atomic.Bool
	return func(pr backup.Progress) {
		latest.Store(&pr)
		if queued.CompareAndSwap(false, true) {
			background(func() {
				do(func() {
					queued.Store(false)
					show(*latest.Load())
				})
			})
		}
	}
}
