package ui

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"holdfast/assets"
	"holdfast/backup"
	"holdfast/engine"
	_ "holdfast/ui/internal/localefix" // before Fyne initializes: see its doc
)

// AppID is the application identifier, the same as in FyneApp.toml. Fyne uses
// it to name the folder where it keeps preferences.
const AppID = "app.holdfast.desktop"

// Config is what the caller tells the main window about the open database.
type Config struct {
	// DBPath is the database folder, shown in full.
	DBPath string
	// Name is the database name; the window is titled "Holdfast - Name".
	Name string
	// Status is a one-line summary, such as the tables and record counts.
	Status string
	// DB, when set, is browsed: its tables on the left, their records on the right, and the
	// status bar below (log, last backup, next backup).
	DB *engine.DB
	// OnUpdate, when set, is called on the Fyne thread after each change made from the
	// background (a page of records shown, the status line refreshed): tests wait on it.
	OnUpdate func()
	// StatusEvery is how often the status line and the banner are read again (0: only after
	// a backup); the app reads them every few seconds, so that a log failing while nobody
	// writes is shown too.
	StatusEvery time.Duration
}

// Icon returns the application icon as a Fyne resource.
func Icon() fyne.Resource {
	return fyne.NewStaticResource("icon.png", assets.Icon)
}

// Run opens the main window for cfg and blocks until the user closes it.
// It needs a display: see CheckDisplay.
func Run(cfg Config) error {
	if err := CheckDisplay(); err != nil {
		return err
	}
	a := app.NewWithID(AppID)
	a.SetIcon(Icon())
	w := NewMainWindow(a, cfg)
	w.Start()
	w.ShowAndRun()
	return nil
}

// MainWindow is the main window; Start begins its background reads (records, status).
type MainWindow struct {
	fyne.Window
	view   *databaseView
	app    fyne.App
	backup *BackupWindow
	// RunBackup is the backup the backup window starts: DatabaseBackup(DB) unless a test
	// puts another one here.
	RunBackup BackupFunc
}

// backupShortcut is Ctrl+B (Cmd+B on macOS): File > Backup...
var backupShortcut = &desktop.CustomShortcut{KeyName: fyne.KeyB, Modifier: fyne.KeyModifierShortcutDefault}

// OpenBackup shows the backup window (File > Backup..., Ctrl+B); a second call brings the open
// one forward.
func (m *MainWindow) OpenBackup() {
	if m.view == nil {
		return
	}
	if m.backup != nil {
		m.backup.Show()
		m.backup.RequestFocus()
		return
	}
	run := m.RunBackup
	if run == nil {
		run = DatabaseBackup(m.view.db)
	}
	withStatus := func(ctx context.Context, progress func(backup.Progress)) (*backup.Result, error) {
		res, err := run(ctx, progress)
		m.view.refreshStatus() // the status bar shows the new last backup
		return res, err
	}
	m.backup = NewBackupWindow(m.app, m.view.db, withStatus, m.view.updated)
	m.backup.SetOnClosed(func() { m.backup = nil })
	m.backup.Show()
	m.backup.Refresh()
}

// BackupWindow is the backup window when it is open, or nil.
func (m *MainWindow) BackupWindow() *BackupWindow { return m.backup }

// Start begins reading what the window shows, once it is built (and, in tests, shown).
func (m *MainWindow) Start() {
	if m.view != nil {
		m.view.start()
	}
}

// NewMainWindow builds the main window of a, titled "Holdfast - Name", without
// showing it or reading anything yet (see Start). Call it on the Fyne thread.
func NewMainWindow(a fyne.App, cfg Config) *MainWindow {
	w := a.NewWindow(windowTitle(cfg.Name))
	m := &MainWindow{Window: w}
	w.SetIcon(Icon())

	path := widget.NewLabel("Database: " + cfg.DBPath)
	path.Truncation = fyne.TextTruncateEllipsis
	status := widget.NewLabel(cfg.Status)
	status.Wrapping = fyne.TextWrapWord

	if cfg.DB == nil {
		w.SetContent(container.NewVBox(path, widget.NewSeparator(), status))
	} else {
		m.view = newDatabaseView(cfg.DB, path, status, cfg.OnUpdate)
		m.view.browser.SetWindow(w)
		m.view.every = cfg.StatusEvery
		stop := make(chan struct{})
		m.view.stop = stop
		w.SetOnClosed(func() { close(stop) })
		w.SetContent(m.view.root)
		m.app = a
		backupItem := fyne.NewMenuItem("Backup...", m.OpenBackup)
		backupItem.Shortcut = backupShortcut
		w.SetMainMenu(fyne.NewMainMenu(fyne.NewMenu("File", backupItem)))
		w.Canvas().AddShortcut(backupShortcut, func(fyne.Shortcut) { m.OpenBackup() })
	}
	w.Resize(fyne.NewSize(1000, 640))
	w.SetMaster()
	return m
}

// databaseView is the main window's content for an open database.
type databaseView struct {
	db      *engine.DB
	tables  *widget.List
	names   []string
	browser *Browser
	status  *widget.Label
	banner  *widget.Label
	root    fyne.CanvasObject
	updated func()
	every   time.Duration
	stop    chan struct{}
}

func newDatabaseView(db *engine.DB, path, status *widget.Label, updated func()) *databaseView {
	if updated == nil {
		updated = func() {}
	}
	v := &databaseView{db: db, browser: NewBrowser(db), status: status, updated: updated}
	v.browser.OnLoaded = updated
	for _, t := range db.Catalog().Tables {
		v.names = append(v.names, t.Name)
	}
	v.tables = widget.NewList(func() int { return len(v.names) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(v.names[i]) })
	v.tables.OnSelected = func(i widget.ListItemID) { v.browser.Show(v.names[i]) }
	split := container.NewHSplit(v.tables, v.browser.Object())
	split.Offset = 0.2
	v.banner = widget.NewLabel("")
	v.banner.Wrapping = fyne.TextWrapWord
	v.banner.Importance = widget.DangerImportance
	v.banner.Hide()
	v.root = container.NewBorder(container.NewVBox(path, v.banner), status, nil, nil, split)
	return v
}

// Banner is the warning over the browser ("" when there is none).
func (m *MainWindow) Banner() string {
	if m.view == nil || !m.view.banner.Visible() {
		return ""
	}
	return m.view.banner.Text
}

// RefreshStatus reads the status line (and the banner) again.
func (m *MainWindow) RefreshStatus() {
	if m.view != nil {
		m.view.refreshStatus()
	}
}

// bannerText is the warning for what the user must know at once, or "".
func bannerText(db *engine.DB) string {
	if st := db.LogStatus(); st.Failed != nil {
		return fmt.Sprintf("The log file %s is unavailable (error 1274): writes are refused, reading goes on. "+
			"Once its disk is back, make a backup (Ctrl+B): it starts a new log and writing resumes.", st.Path)
	}
	return ""
}

// start reads the status line and shows the first table.
func (v *databaseView) start() {
	if len(v.names) > 0 {
		v.tables.Select(0) // its widgets change here, before any background read starts
	}
	v.refreshStatus()
	if v.every > 0 {
		go func() {
			t := time.NewTicker(v.every)
			defer t.Stop()
			for {
				select {
				case <-v.stop:
					return
				case <-t.C:
					v.refreshStatus()
				}
			}
		}()
	}
}

// refreshStatus reads the status line on a goroutine and shows it.
func (v *databaseView) refreshStatus() {
	go func() {
		line, banner := StatusLine(v.db, time.Now()), bannerText(v.db)
		do(func() {
			v.status.SetText(line)
			if banner != v.banner.Text {
				v.banner.SetText(banner)
				if banner == "" {
					v.banner.Hide()
				} else {
					v.banner.Show()
				}
				// A wrapped label knows its height once laid out at its width: twice.
				v.root.Refresh()
				v.root.Refresh()
			}
			v.updated()
		})
	}()
}

func windowTitle(name string) string {
	return "Holdfast - " + name
}
