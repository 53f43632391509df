package ui

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestMainWindowShowsDatabase(t *testing.T) {
	a := newApp(t)
	cfg := Config{
		DBPath: "/home/ana/Databases/Demo",
		Name:   "Demo",
		Status: "3 tables, 1,250 records",
	}
	w := newMainUI(a, cfg)
	defer w.Close()
	w.Show()

	if got, want := w.Title(), "Holdfast - Demo"; got != want {
		t.Errorf("title = %q, want %q", got, want)
	}
	texts := labelTexts(w.Content())
	if !containsText(texts, cfg.DBPath) {
		t.Errorf("no label shows the database path %q; labels: %q", cfg.DBPath, texts)
	}
	if !containsText(texts, cfg.Status) {
		t.Errorf("no label shows the status %q; labels: %q", cfg.Status, texts)
	}

	saveCapture(t, w, filepath.Join("testdata", "ui", "main_window.png"))
}

func TestCheckDisplay(t *testing.T) {
	tests := []struct {
		display, wayland string
		wantErr          bool
	}{
		{"", "", true},
		{":99", "", false},
		{"", "wayland-0", false},
	}
	for _, tt := range tests {
		t.Setenv("DISPLAY", tt.display)
		t.Setenv("WAYLAND_DISPLAY", tt.wayland)
		err := CheckDisplay()
		if (err != nil) != tt.wantErr {
			t.Errorf("DISPLAY=%q WAYLAND_DISPLAY=%q: err = %v, want error %v",
				tt.display, tt.wayland, err, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "Xvfb") {
			t.Errorf("error %q does not tell how to run under Xvfb", err)
		}
	}
}

// labelTexts returns the text of every label under o, inside widgets too.
func labelTexts(o fyne.CanvasObject) []string {
	var texts []string
	for _, obj := range test.LaidOutObjects(o) {
		if l, ok := obj.(*widget.Label); ok {
			texts = append(texts, l.Text)
		}
	}
	return texts
}

func containsText(texts []string, want string) bool {
	for _, s := range texts {
		if strings.Contains(s, want) {
			return true
		}
	}
	return false
}

// The windows' goldens: what a window shows is compared, as Fyne's markup of its canvas
// (test.RenderToMarkup: every object, its position, size, text and colours), with
// testdata/ui/NAME.xml. A difference fails the test, and what was rendered is written beside
// the capture under $TMPDIR/holdfast-captures/failed/ to compare. -update rewrites the goldens
// and their PNG captures in testdata/ui (`make goldens`): look at them before committing.
// Without it, the captures go to $TMPDIR/holdfast-captures, and a test run leaves the work tree
// as it was.
var updateGoldens = flag.Bool("update", false, "rewrite the window goldens (and their captures) in testdata/ui")

// saveCapture compares what w shows with its golden (path names the capture,
// testdata/ui/NAME.png; the golden is NAME.xml beside it) and writes the capture where a person
// can look at it.
func saveCapture(t *testing.T, w fyne.Window, path string) {
	t.Helper()
	name := strings.TrimSuffix(filepath.Base(path), ".png")
	golden := filepath.Join(filepath.Dir(path), name+".xml")
	captures := filepath.Join(os.TempDir(), "holdfast-captures")
	settle()
	img, markup := render(w, *updateGoldens)
	if *updateGoldens {
		// What is written is what the window shows once it stopped changing.
		for end := time.Now().Add(2 * time.Second); time.Now().Before(end); {
			time.Sleep(100 * time.Millisecond)
			again, m := render(w, true)
			if m == markup {
				break
			}
			img, markup = again, m
		}
		writeTestFile(t, golden, []byte(markup))
		writePNG(t, path, img)
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		writePNG(t, filepath.Join(captures, name+".png"), img)
		t.Errorf("no golden %s for this window (%v): run the test with -update, look at %s, and commit both", golden, err, path)
		return
	}
	// A window may still be laying out what the background handed it (a page of records, a
	// wrapped text): it has 2 s to come to its golden.
	for end := time.Now().Add(2 * time.Second); string(want) != markup && time.Now().Before(end); {
		time.Sleep(50 * time.Millisecond)
		img, markup = render(w, true)
	}
	writePNG(t, filepath.Join(captures, name+".png"), img)
	t.Logf("capture: %s", filepath.Join(captures, name+".png"))
	if string(want) != markup {
		failed := filepath.Join(captures, "failed", name+".xml")
		writeTestFile(t, failed, []byte(markup))
		t.Errorf("the window differs from its golden %s: what it rendered is in %s (its capture %s).\n"+
			"If the change is wanted, run the test with -update and look at %s.\n%s",
			golden, failed, filepath.Join(captures, name+".png"), path, firstDifference(string(want), markup))
	}
}

// render is what w shows: its capture and its markup, made stable (stableMarkup). With
// refresh, the window's content is refreshed first, as the app's driver does at its next frame:
// the test driver lays out only when asked, and sometimes shows a table without the cells a
// page handed it.
func render(w fyne.Window, refresh bool) (img image.Image, markup string) {
	onUI(func() { // not while a change from the background runs
		if c := w.Content(); refresh && c != nil {
			c.Refresh()
		}
		img = w.Canvas().Capture()
		markup = stableMarkup(test.RenderToMarkup(w.Canvas()))
	})
	return img, markup
}

// settle waits until no background job runs (a page read, the status line), so that the
// window is compared once what it was asked to show is shown; a job that waits for the test
// (a backup it holds) is waited for a moment only.
func settle() {
	for end := time.Now().Add(1500 * time.Millisecond); active.Load() > 0 && time.Now().Before(end); {
		time.Sleep(5 * time.Millisecond)
	}
}

// stableMarkup is markup with what differs from run to run made the same: in a text, the
// clock (dates, times, "2 seconds ago", durations) and the disk's free space, whose width then
// does not count. Paths do
// not differ: the folders a window shows are uiTempDir's.
func stableMarkup(markup string) string {
	markup = withoutScrollBars(markup)
	markup = tableCells.ReplaceAllString(markup, `<widget type="*widget.tableCells">`)
	return textElement.ReplaceAllStringFunc(markup, func(el string) string {
		m := textElement.FindStringSubmatch(el)
		attrs, text := m[1], m[2]
		masked := clockWords.ReplaceAllString(text, "{clock}")
		if masked == text {
			return el
		}
		return "<text" + textSize.ReplaceAllString(attrs, "") + ">" + masked + "</text>"
	})
}

// withoutScrollBars drops the scroll bars and scroll shadows of markup, and tableCells the size
// of a table's cell area: Fyne's table sizes what it scrolls lazily, so that they depend on when
// a page of records came, not on what the window shows.
func withoutScrollBars(markup string) string {
	var out []string
	skipTo := "" // the closing line of the element skipped
	for _, line := range strings.Split(markup, "\n") {
		if skipTo != "" {
			if line == skipTo {
				skipTo = ""
			}
			continue
		}
		trimmed := strings.TrimLeft(line, "\t")
		if strings.Contains(line, `type="*widget.scrollBarArea"`) || scrollShadow.MatchString(line) {
			if !strings.HasSuffix(line, "/>") {
				skipTo = line[:len(line)-len(trimmed)] + "</widget>"
			}
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

var (
	tableCells   = regexp.MustCompile(`<widget size="[0-9x]+" type="\*widget\.tableCells">`)
	scrollShadow = regexp.MustCompile(`<widget pos="[0-9,-]+" size="(0x[0-9]+|[0-9]+x0)" type="\*widget\.Shadow">`)
)

var (
	textElement = regexp.MustCompile(`<text([^>]*)>([^<]*)</text>`)
	textSize    = regexp.MustCompile(` size="[0-9x]+"`)
	clockWords  = regexp.MustCompile(`\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}(:\d{2})?|` +
		`(now|\d+ (second|minute|hour|day)s?|an? (second|minute|hour|day)) (ago|from now)|\b(now|just now)\b|` +
		`\d+(\.\d+)?(ms|µs|s)\b|(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)|` +
		`\d{8}-\d{6}|` + // the time in the name of a file kept aside (rollback-20261204-221413)
		`[\d.]+ [kMGTP]?B used, [\d.]+ [kMGTP]?B free of [\d.]+ [kMGTP]?B`) // the disk's space
)

// uiRoot holds the folders of uiTempDir: the same path every run, so that a window showing one
// renders the same (a random part, as t.TempDir's, changes the width of every text holding it).
// The ui tests of two runs at once take turns (TestMain locks it).
const uiRoot = "/tmp/holdfast-ui-tests"

// uiTempDir is a new empty folder for a test whose window shows its path:
// uiRoot/TestName/NNN, numbered from 001 in each test as t.TempDir's are, removed when the test
// ends.
func uiTempDir(t *testing.T) string {
	t.Helper()
	uiDirsMu.Lock()
	if uiDirs[t.Name()] == 0 {
		name := t.Name()
		t.Cleanup(func() { // a test run again (-count) numbers from 001 again
			uiDirsMu.Lock()
			delete(uiDirs, name)
			uiDirsMu.Unlock()
		})
	}
	uiDirs[t.Name()]++
	n := uiDirs[t.Name()]
	uiDirsMu.Unlock()
	dir := filepath.Join(uiRoot, strings.ReplaceAll(t.Name(), "/", "_"), fmt.Sprintf("%03d", n))
	if err := os.RemoveAll(dir); err != nil { // left by a run that was killed
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

var (
	uiDirsMu sync.Mutex
	uiDirs   = map[string]int{}
)

// firstDifference shows the first line where two goldens differ.
func firstDifference(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  golden:   %s\n  rendered: %s", i+1, strings.TrimSpace(w), strings.TrimSpace(g))
		}
	}
	return ""
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, path, b.Bytes())
}

func writeTestFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
