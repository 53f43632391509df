package ui

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// watcher hears the windows' OnUpdate calls without ever blocking them.
type watcher struct{ ch chan struct{} }

func newWatcher() *watcher { return &watcher{ch: make(chan struct{}, 1)} }

func (w *watcher) update() {
	select {
	case w.ch <- struct{}{}:
	default:
	}
}

// onUI runs fn while no change from the background runs (they take uiMu): what the test reads
// or presses is then never changed under it. fn must not wait for the background.
func onUI(fn func()) {
	uiMu.Lock()
	defer uiMu.Unlock()
	fn()
}

// waitFor waits until cond holds, read between the background's changes.
func waitFor(t *testing.T, w *watcher, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		var ok bool
		onUI(func() { ok = cond() })
		if ok {
			return
		}
		select {
		case <-w.ch:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			var stuck []string
			for _, g := range strings.Split(string(buf), "\n\n") {
				if strings.Contains(g, "holdfast/ui.") && !strings.Contains(g, "waitFor") {
					stuck = append(stuck, g)
				}
			}
			t.Fatalf("timed out waiting for %s; goroutines of the ui:\n%s", what, strings.Join(stuck, "\n\n"))
		}
	}
}

// overlayButton finds the button labelled label in the dialogs shown over win, top first.
func overlayButton(win fyne.Window, label string) *widget.Button {
	list := win.Canvas().Overlays().List()
	for i := len(list) - 1; i >= 0; i-- {
		if b := findButton(list[i], label); b != nil {
			return b
		}
	}
	return nil
}

// overlayText is every label shown in the dialogs over win.
func overlayText(win fyne.Window) []string {
	var out []string
	for _, o := range win.Canvas().Overlays().List() {
		out = append(out, labelTexts(o)...)
	}
	return out
}

// pressOverlay taps the dialog button labelled label; it fails the test when there is none.
func pressOverlay(t *testing.T, win fyne.Window, label string) {
	t.Helper()
	var b *widget.Button
	onUI(func() {
		if b = overlayButton(win, label); b != nil {
			test.Tap(b) // its callbacks hand work to goroutines: safe under uiMu
		}
	})
	if b == nil {
		t.Fatalf("no %q button over the window; it shows %q", label, overlayWords(win))
	}
}

// overlayWords is the text of the dialogs over win, read between the background's changes.
func overlayWords(win fyne.Window) string {
	var texts []string
	onUI(func() { texts = overlayText(win) })
	return strings.Join(texts, " ")
}

// contentWords is the text of o, read between the background's changes.
func contentWords(o func() fyne.CanvasObject) string {
	var texts []string
	onUI(func() { texts = labelTexts(o()) })
	return strings.Join(texts, "\n")
}

// findButton finds the visible button labelled label in o.
func findButton(o fyne.CanvasObject, label string) *widget.Button {
	for _, c := range test.LaidOutObjects(o) {
		b, ok := c.(*widget.Button)
		if kb, isKey := c.(*keyButton); isKey {
			b, ok = &kb.Button, true
		}
		if ok && b.Text == label && b.Visible() {
			return b
		}
	}
	return nil
}

// newMainUI builds and shows a main window between the background's changes: Fyne's text
// caches are shared, and a test's windows are built while an earlier test's reads may still
// be handing over their pages.
func newMainUI(a fyne.App, cfg Config) *MainWindow {
	var m *MainWindow
	onUI(func() {
		m = NewMainWindow(a, cfg)
		m.Show()
	})
	return m
}

// newApp is Fyne's test app; once the test ends, its background jobs are waited for, so that
// none of them changes widgets while the next test builds its own (Fyne's caches are shared).
func newApp(t *testing.T) fyne.App {
	t.Helper()
	t.Cleanup(func() {
		done := make(chan struct{})
		go func() {
			pending.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("background jobs of the test still run 30 s after it ended")
		}
	})
	return test.NewTempApp(t)
}

// must fails the test at once when a step it relies on failed.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// zeroStart zeroes the first 16 KiB of a file (the meta pages of a data file: damage).
func zeroStart(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	must(t, err)
	_, err = f.WriteAt(make([]byte, 16<<10), 0)
	must(t, err)
	must(t, f.Close())
}
