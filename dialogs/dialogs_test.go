package dialogs

import (
	"errors"
	"testing"
	"time"

	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"
)

// A second dialog while one is open is refused at once; once it closes, the next one opens.
func TestOneAtATime(t *testing.T) {
	fake := &Fake{Hold: make(chan struct{})}
	fake.Choose("/tmp/a.4BK")
	fake.Choose("/tmp/b.4BK")
	one := &One{C: fake}
	first := make(chan string)
	go func() {
		p, err := one.OpenFile("Restore", "")
		if err != nil {
			t.Error(err)
		}
		first <- p
	}()
	for deadline := time.Now().Add(5 * time.Second); !one.Open(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first dialog never opened")
		}
	}
	if _, err := one.Folder("Destination", ""); !errors.Is(err, ErrBusy) {
		t.Fatalf("a second dialog while the first is open: %v, want ErrBusy", err)
	}
	fake.Hold <- struct{}{}
	if p := <-first; p != "/tmp/a.4BK" {
		t.Fatalf("first answer %q", p)
	}
	fake.Hold = nil
	if p, err := one.SaveFile("Log", "", "data.journal"); err != nil || p != "/tmp/b.4BK" {
		t.Fatalf("after it closed: %q %v", p, err)
	}
	if calls := fake.Recorded(); len(calls) != 2 || calls[1].Kind != "save" || calls[1].Name != "data.journal" {
		t.Errorf("calls %+v", calls)
	}
	if _, err := one.OpenFile("More", ""); !errors.Is(err, ErrCancelled) {
		t.Errorf("no answer left: %v, want a cancel", err)
	}
}

type panicky struct{ calls int }

func (p *panicky) OpenFile(string, string, ...Filter) (string, error) {
	p.calls++
	panic("gtk initialisation failed")
}
func (p *panicky) SaveFile(string, string, string, ...Filter) (string, error) {
	p.calls++
	return "", errors.New("no GTK")
}
func (p *panicky) Folder(string, string) (string, error) { p.calls++; return "", ErrCancelled }

// A native dialog that panics or fails hands over to the fallback, for good; a cancel does not.
func TestFallback(t *testing.T) {
	prim, sec := &panicky{}, &Fake{}
	sec.Choose("/from/fallback")
	sec.Choose("/again")
	fb := &Fallback{Primary: prim, Secondary: sec}
	if _, err := fb.Folder("x", ""); !errors.Is(err, ErrCancelled) || fb.Broken() {
		t.Fatalf("a cancel: %v (broken %v)", err, fb.Broken())
	}
	if p, err := fb.OpenFile("x", ""); err != nil || p != "/from/fallback" || !fb.Broken() {
		t.Fatalf("after a panic: %q %v (broken %v)", p, err, fb.Broken())
	}
	if p, err := fb.SaveFile("x", "", "n"); err != nil || p != "/again" || prim.calls != 2 {
		t.Fatalf("later calls go to the fallback: %q %v, native called %d times", p, err, prim.calls)
	}
}

// The Fyne fallback shows its dialog over the window and answers a cancel; a folder chosen for
// a save keeps the proposed name.
func TestFyneFallback(t *testing.T) {
	a := test.NewTempApp(t)
	w := a.NewWindow("Holdfast - Test")
	w.Show()
	defer w.Close()
	shown := make(chan *dialog.FileDialog, 1)
	f := &Fyne{Win: w, Shown: func(d *dialog.FileDialog) { shown <- d }}
	done := make(chan error, 1)
	go func() {
		_, err := f.OpenFile("Open an archive", t.TempDir(), Filter{"Backups", []string{"4BK"}})
		done <- err
	}()
	d := <-shown
	if len(w.Canvas().Overlays().List()) == 0 {
		t.Error("no dialog over the window")
	}
	d.Dismiss()
	if err := <-done; !errors.Is(err, ErrCancelled) {
		t.Fatalf("a dismissed dialog: %v, want ErrCancelled", err)
	}
}

// Without a display, the app's chooser goes straight to Fyne's dialogs, one at a time.
func TestNewWithoutDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	a := test.NewTempApp(t)
	w := a.NewWindow("x")
	defer w.Close()
	fb, ok := New(w).C.(*Fallback)
	if !ok || !fb.Broken() {
		t.Fatalf("without a display the chooser is %T (fallback in use: %v)", New(w).C, ok && fb.Broken())
	}
	if _, ok := fb.Secondary.(*Fyne); !ok {
		t.Fatalf("the fallback is %T, want Fyne's dialogs", fb.Secondary)
	}
}
