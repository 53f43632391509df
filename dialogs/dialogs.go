// Package dialogs opens the file and folder choosers of the app: the system's own (GTK, through
// github.com/sqweek/dialog) where they work, Fyne's where they cannot (no display, no GTK, a
// native dialog that failed), and a scripted fake for tests.
//
// Every Chooser call blocks until the person answers. Call it from a goroutine of its own,
// never on the Fyne thread: a native dialog run there freezes the window until it closes, and
// the Fyne one would wait for itself. Only one dialog is open at a time (One): the native
// dialogs are separate windows the app cannot make modal, so a second click is refused.
package dialogs

import (
	"errors"
	"sync"
)

// ErrCancelled is the answer of a dialog the person closed without choosing.
var ErrCancelled = errors.New("dialogs: cancelled")

// ErrBusy is the answer of a call made while another dialog is open.
var ErrBusy = errors.New("dialogs: another dialog is already open")

// Filter restricts a file chooser to some extensions (without the dot), e.g. {"Backups", ["4BK"]}.
type Filter struct {
	Desc       string
	Extensions []string
}

// Chooser asks the person for a path. Each call blocks until the answer: the path chosen, or
// ErrCancelled.
type Chooser interface {
	// OpenFile asks for an existing file, starting in folder start ("" for the default).
	OpenFile(title, start string, filters ...Filter) (string, error)
	// SaveFile asks for a file to create, proposing name in folder start.
	SaveFile(title, start, name string, filters ...Filter) (string, error)
	// Folder asks for an existing folder.
	Folder(title, start string) (string, error)
}

// One lets one dialog be open at a time: a call while another is open returns ErrBusy at once.
type One struct {
	C  Chooser
	mu sync.Mutex
	on bool
}

func (o *One) enter() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.on {
		return false
	}
	o.on = true
	return true
}

func (o *One) leave() {
	o.mu.Lock()
	o.on = false
	o.mu.Unlock()
}

// Open reports whether a dialog is open now.
func (o *One) Open() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.on
}

func (o *One) OpenFile(title, start string, filters ...Filter) (string, error) {
	if !o.enter() {
		return "", ErrBusy
	}
	defer o.leave()
	return o.C.OpenFile(title, start, filters...)
}

func (o *One) SaveFile(title, start, name string, filters ...Filter) (string, error) {
	if !o.enter() {
		return "", ErrBusy
	}
	defer o.leave()
	return o.C.SaveFile(title, start, name, filters...)
}

func (o *One) Folder(title, start string) (string, error) {
	if !o.enter() {
		return "", ErrBusy
	}
	defer o.leave()
	return o.C.Folder(title, start)
}

// Fallback uses Primary, and Secondary from the first time Primary cannot work (it returns an
// error other than a cancel, or panics as a native dialog without a display does) on.
type Fallback struct {
	Primary, Secondary Chooser
	mu                 sync.Mutex
	broken             bool
}

func (f *Fallback) use() Chooser {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.broken || f.Primary == nil {
		return f.Secondary
	}
	return f.Primary
}

func (f *Fallback) run(call func(Chooser) (string, error)) (path string, err error) {
	c := f.use()
	if c == f.Secondary {
		return call(c)
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = errors.New("native dialog failed")
			}
		}()
		path, err = call(c)
	}()
	if err == nil || errors.Is(err, ErrCancelled) || errors.Is(err, ErrBusy) {
		return path, err
	}
	f.mu.Lock()
	f.broken = true
	f.mu.Unlock()
	return call(f.Secondary)
}

// Broken reports whether the fallback is in use.
func (f *Fallback) Broken() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.broken || f.Primary == nil
}

func (f *Fallback) OpenFile(title, start string, filters ...Filter) (string, error) {
	return f.run(func(c Chooser) (string, error) { return c.OpenFile(title, start, filters...) })
}

func (f *Fallback) SaveFile(title, start, name string, filters ...Filter) (string, error) {
	return f.run(func(c Chooser) (string, error) { return c.SaveFile(title, start, name, filters...) })
}

func (f *Fallback) Folder(title, start string) (string, error) {
	return f.run(func(c Chooser) (string, error) { return c.Folder(title, start) })
}
