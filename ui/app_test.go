package ui

import (
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

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

// saveCapture writes what the window shows to path, so a person can look at it.
// keepCaptures writes the window captures where their path says (testdata/ui, to be looked at
// and committed); without it they go to a temporary folder, and a test run leaves the work tree
// as it was.
var keepCaptures = flag.Bool("captures", false, "write the window captures into testdata/ui")

// saveCapture writes a capture of w: to path with -captures, otherwise under the temporary
// folder holdfast-captures (its name is logged).
func saveCapture(t *testing.T, w fyne.Window, path string) {
	t.Helper()
	if !*keepCaptures {
		path = filepath.Join(os.TempDir(), "holdfast-captures", filepath.Base(path))
		t.Logf("capture: %s", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var img image.Image
	onUI(func() { img = w.Canvas().Capture() }) // not while a change from the background runs
	if err := png.Encode(f, img); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
