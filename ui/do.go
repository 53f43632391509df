package ui

import (
	"sync"

	"fyne.io/fyne/v2"
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
	go func() {
		defer pending.Done()
		fn()
	}()
}

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
