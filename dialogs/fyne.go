package dialogs

import (
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
)

// Fyne is the fallback: Fyne's own file dialogs over a window. Its calls show the dialog on
// the Fyne thread and wait for the answer on the calling goroutine.
type Fyne struct {
	Win fyne.Window
	// Shown, when set, is called on the Fyne thread with each dialog once it is shown (tests
	// use it to answer it).
	Shown func(*dialog.FileDialog)
}

type answer struct {
	path string
	err  error
}

func (f *Fyne) show(build func(done func(string, error)) *dialog.FileDialog, start string, filters []Filter) (string, error) {
	ch := make(chan answer, 1)
	fyne.Do(func() {
		var once bool
		done := func(p string, err error) {
			if !once {
				once = true
				ch <- answer{p, err}
			}
		}
		d := build(done)
		if start != "" {
			if u, err := storage.ListerForURI(storage.NewFileURI(start)); err == nil {
				d.SetLocation(u)
			}
		}
		var exts []string
		for _, flt := range filters {
			for _, e := range flt.Extensions {
				exts = append(exts, "."+strings.TrimPrefix(e, "."))
			}
		}
		if len(exts) > 0 {
			d.SetFilter(storage.NewExtensionFileFilter(exts))
		}
		d.Resize(fyne.NewSize(720, 480))
		d.Show()
		if f.Shown != nil {
			f.Shown(d)
		}
	})
	a := <-ch
	return a.path, a.err
}

func (f *Fyne) OpenFile(title, start string, filters ...Filter) (string, error) {
	return f.show(func(done func(string, error)) *dialog.FileDialog {
		d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			switch {
			case err != nil:
				done("", err)
			case r == nil:
				done("", ErrCancelled)
			default:
				r.Close()
				done(r.URI().Path(), nil)
			}
		}, f.Win)
		d.SetTitleText(title)
		return d
	}, start, filters)
}

// SaveFile asks for the folder and keeps the proposed name: Fyne's own save dialog opens the
// file it is given for writing, which would empty a file chosen to be replaced before the
// caller decided anything.
func (f *Fyne) SaveFile(title, start, name string, filters ...Filter) (string, error) {
	if name == "" {
		name = "untitled"
	}
	dir, err := f.Folder(title+" - folder for "+filepath.Base(name), start)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(name)), nil
}

func (f *Fyne) Folder(title, start string) (string, error) {
	return f.show(func(done func(string, error)) *dialog.FileDialog {
		d := dialog.NewFolderOpen(func(l fyne.ListableURI, err error) {
			switch {
			case err != nil:
				done("", err)
			case l == nil:
				done("", ErrCancelled)
			default:
				done(l.Path(), nil)
			}
		}, f.Win)
		d.SetTitleText(title)
		return d
	}, start, nil)
}

// New is the chooser of the app for window w: native dialogs where there is a display, Fyne's
// once they fail, one at a time.
func New(w fyne.Window) *One {
	fb := &Fallback{Secondary: &Fyne{Win: w}}
	if HasDisplay() {
		fb.Primary = Native{}
	}
	return &One{C: fb}
}
