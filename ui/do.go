package ui

import (
	"sync"

	"fyne.io/fyne/v2"
)

// uiMu makes the changes handed over from background goroutines run one at a time. The app's
// driver runs them on its own thread anyway; Fyne's test driver runs each on the goroutine
// that hands it over, where two at once would race in Fyne's shared caches.
var uiMu sync.Mutex

// do runs fn on the Fyne thread, one at a time. fn must not call do.
func do(fn func()) {
	fyne.Do(func() {
		uiMu.Lock()
		defer uiMu.Unlock()
		fn()
	})
}
