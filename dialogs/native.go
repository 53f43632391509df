package dialogs

import (
	"errors"
	"os"

	sq "github.com/sqweek/dialog"
)

// Native is the system's own dialogs (GTK3 on Linux). Without a display its calls panic:
// wrap it in a Fallback (New does).
type Native struct{}

func native(err error) error {
	if errors.Is(err, sq.ErrCancelled) {
		return ErrCancelled
	}
	return err
}

func (Native) OpenFile(title, start string, filters ...Filter) (string, error) {
	b := sq.File().Title(title)
	for _, f := range filters {
		b = b.Filter(f.Desc, f.Extensions...)
	}
	if start != "" {
		b = b.SetStartDir(start)
	}
	p, err := b.Load()
	return p, native(err)
}

func (Native) SaveFile(title, start, name string, filters ...Filter) (string, error) {
	b := sq.File().Title(title)
	for _, f := range filters {
		b = b.Filter(f.Desc, f.Extensions...)
	}
	if start != "" {
		b = b.SetStartDir(start)
	}
	if name != "" {
		b = b.SetStartFile(name)
	}
	p, err := b.Save()
	return p, native(err)
}

func (Native) Folder(title, start string) (string, error) {
	b := sq.Directory().Title(title)
	if start != "" {
		b = b.SetStartDir(start)
	}
	p, err := b.Browse()
	return p, native(err)
}

// HasDisplay reports whether a native dialog can open at all (an X11 or Wayland display).
func HasDisplay() bool {
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}
