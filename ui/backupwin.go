package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
	"github.com/dustin/go-humanize"

	"holdfast/backup"
	"holdfast/engine"
)

// BackupWindow is the window Ctrl+B opens: the backup panel in a window of its own.
type BackupWindow struct {
	fyne.Window
	*BackupPanel
}

// BackupPanel shows where backups go (with used and free space), what they hold, the last
// backup, and a Backup button that shows the progress over its window. It is the backup window
// and the Backup page of Maintenance and Security.
type BackupPanel struct {
	win      fyne.Window
	db       *engine.DB
	run      BackupFunc
	updated  func()
	dest     *widget.Label
	space    *widget.Label
	content  *widget.Label
	last     *widget.Label
	button   *widget.Button
	progress *Progress
	root     fyne.CanvasObject
	// OpenSettings, when set, is what the Database Settings... button does.
	OpenSettings func()
}

// NewBackupWindow builds the backup window of db; run is the backup to start (DatabaseBackup
// in the app). updated, when set, is called on the Fyne thread after each change made from the
// background. On the Fyne thread; call Refresh once it is shown.
func NewBackupWindow(a fyne.App, db *engine.DB, run BackupFunc, updated func()) *BackupWindow {
	w := a.NewWindow("Backup - " + db.Name())
	b := &BackupWindow{Window: w, BackupPanel: newBackupPanel(w, db, run, updated)}
	b.SetContent(withWarmUp(b.root))
	// Enter presses Backup, the window's default button.
	b.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter {
			if !b.button.Disabled() {
				b.Start()
			}
		}
	})
	b.Resize(fyne.NewSize(640, 320))
	return b
}

// newBackupPanel builds the panel; its progress shows over win.
func newBackupPanel(win fyne.Window, db *engine.DB, run BackupFunc, updated func()) *BackupPanel {
	if updated == nil {
		updated = func() {}
	}
	b := &BackupPanel{win: win, db: db, run: run, updated: updated}
	b.dest = widget.NewLabel("")
	b.dest.Truncation = fyne.TextTruncateEllipsis
	b.space = widget.NewLabel("")
	b.content = widget.NewLabel("")
	b.content.Wrapping = fyne.TextWrapWord
	b.last = widget.NewLabel("")
	b.last.Wrapping = fyne.TextWrapWord
	b.button = widget.NewButton("Backup", b.Start)
	b.button.Importance = widget.HighImportance
	form := widget.NewForm(
		widget.NewFormItem("Destination", b.dest),
		widget.NewFormItem("Disk", b.space),
		widget.NewFormItem("Content", b.content),
		widget.NewFormItem("Last backup", b.last),
	)
	settingsButton := widget.NewButton("Database Settings...", func() {
		if b.OpenSettings != nil {
			b.OpenSettings()
		}
	})
	b.root = container.NewBorder(nil, container.NewHBox(b.button, widget.NewLabel("(Enter)"), layout.NewSpacer(), settingsButton), nil, nil, form)
	return b
}

// Refresh reads the destination, its space and the history on a goroutine and shows them.
func (b *BackupPanel) Refresh() {
	background(func() {
		v := b.db.Values()
		dest := v.DestinationFor(b.db.Dir())
		space := spaceOf(dest)
		var parts []string
		if v.Content.Data {
			parts = append(parts, "data")
		}
		if v.Content.Structure {
			parts = append(parts, "structure")
		}
		if n := len(v.Content.Attachments); n > 0 {
			parts = append(parts, fmt.Sprintf("%d attachment(s)", n))
		}
		content := strings.Join(parts, ", ") + "; compression " + v.Archive.Compression
		last := "none yet"
		if h, err := backup.LoadHistory(dest); err != nil {
			last = "the history cannot be read: " + codedError(historyError(dest, err)).Error()
		} else if e := h.Last(); e != nil {
			last = fmt.Sprintf("#%d on %s at %s: %s", e.Number, e.Date, e.Time, e.Status)
			if e.ErrorCode != 0 {
				last += fmt.Sprintf(" (error %d: %s)", e.ErrorCode, e.Error)
			}
			if !e.Start.IsZero() {
				last += ", " + humanize.RelTime(e.Start, time.Now(), "ago", "from now")
			}
		}
		do(func() {
			b.dest.SetText(dest)
			b.space.SetText(space)
			b.content.SetText(content)
			b.last.SetText(last)
			b.updated()
		})
	})
}

// Start begins a backup with its progress over the window; while one runs, the button is off.
func (b *BackupPanel) Start() {
	if b.progress != nil && b.progress.Result() == "" {
		return // one at a time
	}
	b.button.Disable()
	b.progress = StartBackup(b.win, "Backup of "+b.db.Name(), b.run, func(*backup.Result, error) {
		b.button.Enable()
		b.Refresh()
	})
}

// Running is the progress of the backup started last, or nil.
func (b *BackupPanel) Running() *Progress { return b.progress }

// spaceOf says the used and free space of the disk that holds dest (or will: the nearest
// folder above it that exists), in human units. It reads the disk: off the Fyne thread.
func spaceOf(dest string) string {
	probe := dest
	for {
		if _, err := os.Stat(probe); err == nil || filepath.Dir(probe) == probe {
			break
		}
		probe = filepath.Dir(probe)
	}
	free, total, ok := backup.DiskSpace(probe)
	if !ok {
		return "unknown (the folder and its parents cannot be read)"
	}
	text := fmt.Sprintf("%s used, %s free of %s", humanize.Bytes(total-free), humanize.Bytes(free), humanize.Bytes(total))
	if probe != dest {
		text += " (the folder is created by the first backup)"
	}
	return text
}
