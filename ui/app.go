package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"holdfast/assets"
	"holdfast/backup"
	"holdfast/dialogs"
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
	// Chooser asks for files and folders (dialogs.New in the app, a dialogs.Fake in tests);
	// nil: Fyne's own dialogs over the window.
	Chooser dialogs.Chooser
	// Scheduler, when set, runs the database's automatic backups from the window (S6.7) with
	// these options; the app passes the zero value (the real clock, backup.Run).
	Scheduler *backup.SchedulerOptions
	// Notify shows a desktop notification (nil: the app's own); tests record them.
	Notify func(title, body string)
	// ReadOnlyFor, when set, is why DB was opened read-only: its settings hold a bad value
	// where the log is or in what the open may do (2009). The banner says so, and once
	// Database Settings... fixed them the desktop opens the database again.
	ReadOnlyFor error
}

// Icon returns the application icon as a Fyne resource.
func Icon() fyne.Resource {
	return fyne.NewStaticResource("icon.png", assets.Icon)
}

// Run opens the main window on the database in dir ("" = the last one used, or the demo
// database) and blocks until the user closes it. It needs a display: see CheckDisplay.
func Run(dir string) error {
	if err := CheckDisplay(); err != nil {
		return err
	}
	// A compressing backup keeps every Go scheduler slot busy on a small machine; one more
	// slot than cores lets the window's thread run as soon as the kernel gives it a core
	// (bench/results.md: the window's p99 wait during a backup fell from ~37 to 15-20 ms).
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(runtime.NumCPU() + 1)
	}
	a := app.NewWithID(AppID)
	stopProbe := startStallProbe() // only with HOLDFAST_STALL_PROBE: see stallprobe.go
	defer stopProbe()
	a.SetIcon(Icon())
	d := NewDesktop(a, DesktopOptions{StatusEvery: 3 * time.Second, Scheduler: &backup.SchedulerOptions{}})
	if dir == "" {
		var err error
		if dir, err = d.DefaultDatabase(); err != nil {
			return err
		}
	}
	d.Main.Show()
	d.Open(dir)
	a.Run()
	d.Close()
	return nil
}

// MainWindow is the main window; Start begins its background reads (records, status).
type MainWindow struct {
	fyne.Window
	view        *databaseView
	app         fyne.App
	cfg         Config
	backup      *BackupWindow
	settings    *SettingsWindow
	restore     *RestoreWindow
	maintenance *MaintenanceWindow
	desk        *Desktop // the app's database switching; nil for a window on one database
	// integrating is the progress of the integration started last, or nil.
	integrating *Progress
	closed      bool
	// RunBackup is the backup the backup window starts: DatabaseBackup(DB) unless a test
	// puts another one here.
	RunBackup BackupFunc
}

// Shortcuts of the File menu: Ctrl+B (Cmd+B on macOS) for Backup..., Ctrl+, for Database
// Settings..., Ctrl+Q for Quit (in every window of the database too).
var (
	backupShortcut   = &desktop.CustomShortcut{KeyName: fyne.KeyB, Modifier: fyne.KeyModifierShortcutDefault}
	settingsShortcut = &desktop.CustomShortcut{KeyName: fyne.KeyComma, Modifier: fyne.KeyModifierShortcutDefault}
	quitShortcut     = &desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierShortcutDefault}
)

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
	m.backup = NewBackupWindow(m.app, m.view.db, m.manualBackup(), m.view.updated)
	m.backup.OpenSettings = m.OpenSettings
	m.backup.SetOnClosed(func() { m.backup = nil })
	m.guardClose(m.backup.Window)
	m.backup.Show()
	m.backup.Refresh()
}

// backUpNow opens the backup window and starts its backup (the Back up now buttons).
func (m *MainWindow) backUpNow() {
	m.OpenBackup()
	if m.backup != nil {
		m.backup.Start()
	}
}

// showNotice shows a message kept for the database now open (a rollback's result). One that
// asks for a backup now comes with the button that makes it.
func (m *MainWindow) showNotice(n notice) {
	title, text := n.title, n.text
	if !n.backUp {
		dialog.ShowInformation(title, text, m.Window)
		return
	}
	msg := widget.NewLabel(text)
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(title, "Back up now", "Later", msg, func(now bool) {
		if now {
			m.backUpNow()
		}
	}, m.Window)
	d.Resize(fyne.NewSize(560, 260))
	d.Show()
}

// manualBackup is the backup a person starts: it refreshes the status bar when it ends and,
// when it succeeds, turns automatic backups back on after 1401 (S6.7).
func (m *MainWindow) manualBackup() BackupFunc {
	run := m.RunBackup
	if run == nil {
		run = DatabaseBackup(m.view.db)
	}
	v := m.view
	return func(ctx context.Context, progress func(backup.Progress)) (*backup.Result, error) {
		res, err := run(ctx, progress)
		if res != nil && v.sched != nil {
			v.sched.ManualBackupSucceeded()
		}
		v.refreshStatus() // the status bar shows the new last backup
		return res, err
	}
}

// Close closes the window (which quits the app); a second call does nothing.
func (m *MainWindow) Close() {
	if !m.closed {
		m.closed = true
		m.Window.Close()
	}
}

// Quit quits the app (File > Quit, the tray's Quit). While work runs (a backup, a restore, an
// integration) it asks first: quitting stops it (1406), which a person must choose knowingly.
func (m *MainWindow) Quit() {
	if m.desk != nil && m.desk.hidden {
		m.desk.showWindow() // the question needs a window to be seen in
	}
	m.confirmStop(nil, "quit", m.app.Quit)
}

// confirmStop does then, on the Fyne thread, once no work runs over win (every window when win
// is nil or the main window, which also runs the scheduled backups). While some runs it asks:
// Stop and <verb> stops it all and does then when it has ended; Keep running does nothing.
func (m *MainWindow) confirmStop(win fyne.Window, verb string, then func()) {
	all := win == nil || win == m.Window
	if all {
		win = nil
	}
	works := runningIn(win)
	var names []string
	for _, w := range works {
		names = append(names, w.title)
	}
	v := m.view
	scheduled := false
	if all && v != nil {
		v.schedMu.Lock()
		scheduled = v.schedCtl != nil
		v.schedMu.Unlock()
	}
	switch {
	case scheduled:
		names = append(names, "a scheduled backup of "+v.db.Name())
	case all && v != nil && len(names) == 0 && v.db.BackupRunning():
		names = append(names, "a backup of "+v.db.Name()) // started from elsewhere in the app
	}
	if len(names) == 0 {
		then()
		return
	}
	text := fmt.Sprintf("Running now: %s. To %s now stops it: a backup or a restore stopped leaves no archive "+
		"and no folder behind and changes nothing (1406); an integration stopped keeps what it has done (2020). Keep running lets it finish.",
		strings.Join(names, ", "), verb)
	for _, w := range works {
		if w.stop == nil {
			text += " " + w.title + " cannot be stopped halfway: Holdfast waits for its end."
		}
	}
	msg := widget.NewLabel(text)
	msg.Wrapping = fyne.TextWrapWord
	parent := win
	if parent == nil {
		parent = m.Window
	}
	title := "A backup is running"
	for _, n := range names {
		if !strings.HasPrefix(strings.ToLower(n), "backup") && !strings.HasPrefix(n, "a scheduled backup") && !strings.HasPrefix(n, "a backup") {
			title = "Work is running"
		}
	}
	d := confirmDanger(title, "Stop and "+verb, "Keep running", msg, func() {
		for _, w := range works {
			if w.stop != nil {
				w.stop()
			}
		}
		if all && v != nil {
			v.stopScheduled()
		}
		background(func() {
			// What stops does so at once; 30 s is past any of it. What cannot be stopped is
			// waited for to its end: quitting in the middle of a rollback would leave it half done.
			for end := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				var left, unstoppable int
				doWait(func() {
					for _, w := range runningIn(win) {
						left++
						if w.stop == nil {
							unstoppable++
						}
					}
				})
				if left == 0 && !(all && v != nil && v.db.BackupRunning()) || unstoppable == 0 && time.Now().After(end) {
					break
				}
			}
			do(then)
		})
	}, parent)
	d.Resize(fyne.NewSize(520, 220))
}

// guardClose makes closing win ask first while work runs over it (see confirmStop); Ctrl+Q
// there quits, as in the main window.
func (m *MainWindow) guardClose(win fyne.Window) {
	win.SetCloseIntercept(func() { m.confirmStop(win, "close", win.Close) })
	win.Canvas().AddShortcut(quitShortcut, func(fyne.Shortcut) { m.Quit() })
}

// BackupWindow is the backup window when it is open, or nil.
func (m *MainWindow) BackupWindow() *BackupWindow { return m.backup }

// SettingsWindow is the Database Settings window when it is open, or nil.
func (m *MainWindow) SettingsWindow() *SettingsWindow { return m.settings }

// OpenSettings shows the Database Settings window (File > Database Settings..., Ctrl+,); a
// second call brings the open one forward.
func (m *MainWindow) OpenSettings() {
	if m.view == nil {
		return
	}
	if m.settings != nil {
		m.settings.Show()
		m.settings.RequestFocus()
		return
	}
	v := m.view
	m.settings = NewSettingsWindow(m.app, v.db, SettingsOptions{
		Chooser: m.chooser(),
		Backup:  m.manualBackup(),
		Updated: v.updated,
		Saved: func() {
			if v.sched != nil {
				v.sched.Changed()
			}
			if m.desk != nil {
				m.desk.applyTray()
			}
			v.refreshStatus()
			if m.backup != nil {
				m.backup.Refresh()
			}
			if m.desk != nil {
				m.desk.reopenFixed(v)
			}
		},
	})
	m.settings.SetOnClosed(func() { m.settings = nil })
	m.guardClose(m.settings.Window)
	m.settings.Show()
	m.settings.Refresh()
}

// chooser is the configured file chooser, or Fyne's dialogs over this window.
func (m *MainWindow) chooser() dialogs.Chooser {
	if m.cfg.Chooser == nil {
		m.cfg.Chooser = dialogs.New(m.Window)
	}
	m.cfg.Chooser = withCode(m.cfg.Chooser)
	return m.cfg.Chooser
}

// codedChooser gives a dialog's failure (not a cancel, nor a refusal while another dialog is
// open) its code and what to do, as every error shown must have (SPEC S4).
type codedChooser struct{ c dialogs.Chooser }

func withCode(c dialogs.Chooser) dialogs.Chooser {
	if _, ok := c.(codedChooser); ok || c == nil {
		return c
	}
	return codedChooser{c}
}

func (c codedChooser) answer(path string, err error) (string, error) {
	if dialogFailed(err) {
		err = &engine.Error{Code: engine.CodeFileIO, Op: "file dialog", Err: fmt.Errorf("%v; try again, or type the path", err)}
	}
	return path, err
}

func (c codedChooser) OpenFile(title, start string, filters ...dialogs.Filter) (string, error) {
	return c.answer(c.c.OpenFile(title, start, filters...))
}

func (c codedChooser) SaveFile(title, start, name string, filters ...dialogs.Filter) (string, error) {
	return c.answer(c.c.SaveFile(title, start, name, filters...))
}

func (c codedChooser) Folder(title, start string) (string, error) {
	return c.answer(c.c.Folder(title, start))
}

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
	m := &MainWindow{Window: w, app: a}
	w.SetIcon(Icon())
	w.Resize(fyne.NewSize(1000, 640))
	w.SetMaster()
	w.SetOnClosed(m.stopView)
	w.Canvas().AddShortcut(backupShortcut, func(fyne.Shortcut) { m.OpenBackup() })
	w.Canvas().AddShortcut(settingsShortcut, func(fyne.Shortcut) { m.OpenSettings() })
	w.Canvas().AddShortcut(quitShortcut, func(fyne.Shortcut) { m.Quit() })
	m.show(cfg)
	return m
}

// show puts cfg's database in the window, in place of what it showed. On the Fyne thread.
func (m *MainWindow) show(cfg Config) {
	m.stopView()
	m.cfg = cfg
	m.SetTitle(windowTitle(cfg.Name))
	path := widget.NewLabel("Database: " + cfg.DBPath)
	path.Truncation = fyne.TextTruncateEllipsis
	status := widget.NewLabel(cfg.Status)
	status.Wrapping = fyne.TextWrapWord
	if cfg.DB == nil {
		m.view = nil
		m.SetContent(container.NewVBox(path, widget.NewSeparator(), status))
		m.setMenu()
		return
	}
	m.view = newDatabaseView(m, cfg, path, status)
	m.SetContent(withWarmUp(m.view.root))
	m.setMenu()
}

// showPage puts obj in the window with no database open (while one opens, after a failure).
func (m *MainWindow) showPage(title string, obj fyne.CanvasObject) {
	m.stopView()
	m.view = nil
	m.cfg = Config{Chooser: m.cfg.Chooser}
	m.SetTitle("Holdfast - " + title)
	m.SetContent(obj)
	m.setMenu()
}

// stopView ends the background work of the database shown (status reads, the scheduler) and
// closes the windows that belong to it.
func (m *MainWindow) stopView() {
	if m.view == nil {
		return
	}
	m.view.close()
	if m.backup != nil {
		m.backup.Close()
	}
	if m.settings != nil {
		m.settings.Close()
	}
	if m.maintenance != nil {
		m.maintenance.Close()
	}
}

// setMenu builds the File menu of S8; what needs a database is off without one.
func (m *MainWindow) setMenu() {
	item := func(label string, fn func(), needsDB bool) *fyne.MenuItem {
		it := fyne.NewMenuItem(label, fn)
		it.Disabled = needsDB && m.view == nil
		return it
	}
	newDB := item("New Database...", func() { m.desk.NewDatabase() }, false)
	openDB := item("Open Database...", func() { m.desk.OpenDatabase() }, false)
	newDB.Disabled, openDB.Disabled = m.desk == nil, m.desk == nil
	backupItem := item("Backup...", m.OpenBackup, true)
	backupItem.Shortcut = backupShortcut
	restoreItem := item("Restore...", m.OpenRestore, false)
	restoreItem.Disabled = m.desk == nil && m.view == nil
	newLog := item("New Log File", m.NewLogFile, true)
	settingsItem := item("Database Settings...", m.OpenSettings, true)
	settingsItem.Shortcut = settingsShortcut
	maintenanceItem := item("Maintenance and Security...", m.OpenMaintenance, true)
	quit := fyne.NewMenuItem("Quit", m.Quit)
	quit.IsQuit = true
	quit.Shortcut = quitShortcut
	m.SetMainMenu(fyne.NewMainMenu(fyne.NewMenu("File", newDB, openDB, fyne.NewMenuItemSeparator(),
		backupItem, restoreItem, newLog, fyne.NewMenuItemSeparator(), settingsItem, maintenanceItem, fyne.NewMenuItemSeparator(), quit)))
}

// NewLogFile closes the current log, archives it as a log backup and starts a new one
// (File > New Log File), saying what it did.
func (m *MainWindow) NewLogFile() {
	if m.view == nil {
		return
	}
	v := m.view
	newLogFile(v.db, m.Window, v.updated, v.refreshStatus)
}

// newLogFile runs New Log File on a goroutine and says over win what it did; updated is called
// on the Fyne thread once it is said, then after on the goroutine. Asked again while it runs (a
// double click), it says so rather than run twice. On the Fyne thread.
func newLogFile(db *engine.DB, win fyne.Window, updated, after func()) {
	title := "New Log File of " + db.Name()
	for _, w := range runningIn(nil) {
		if w.title == title {
			dialog.ShowInformation("New log file", "A new log file is being started already; this window says so when it is done.", win)
			return
		}
	}
	w := trackWork(win, title, nil)
	background(func() {
		res, err := backup.NewLog(context.Background(), db)
		do(func() {
			w.untrack()
			if err != nil {
				alert(err, win)
			} else {
				s := fmt.Sprintf("A new log file starts at operation %d.", res.FirstOp)
				for _, p := range res.Archived {
					s += "\nThe previous one is kept as " + p + "."
				}
				dialog.ShowInformation("New log file", s, win)
			}
			updated()
		})
		after()
	})
}

// dialogFailed reports whether a chooser's error is a failure to tell the person about: not a
// cancel, nor a second dialog refused while one is open.
func dialogFailed(err error) bool {
	return err != nil && !errors.Is(err, dialogs.ErrCancelled) && !errors.Is(err, dialogs.ErrBusy)
}

// historyError is a failure to read the backup history of dest, with its code (1407).
func historyError(dest string, err error) error {
	return &engine.Error{Code: engine.CodeDestination, Op: "read history", Path: dest, Err: err}
}

// codedError is an error as the window shows it: its code first, as every alert does, and its
// window's words (engine.WindowText: what to click, where the command line says what to type).
func codedError(err error) error {
	if code := engine.CodeOf(err); code != 0 {
		return fmt.Errorf("error %d: %s", code, engine.WindowText(err))
	}
	return errors.New(engine.WindowText(err))
}

// alert shows err over win, its code first, in the window's words.
func alert(err error, win fyne.Window) { dialog.ShowError(codedError(err), win) }

// Banner is the warning over the browser ("" when there is none).
func (m *MainWindow) Banner() string {
	if m.view == nil || !m.view.banner.Visible() {
		return ""
	}
	return m.view.bannerText.Text
}

// BannerAction presses the banner's button (Back up now, Integrate); false when it has none.
func (m *MainWindow) BannerAction() bool {
	if m.view == nil || !m.view.banner.Visible() || !m.view.bannerButton.Visible() {
		return false
	}
	m.view.bannerButton.OnTapped()
	return true
}

// RefreshStatus reads the status line (and the banner) again.
func (m *MainWindow) RefreshStatus() {
	if m.view != nil {
		m.view.refreshStatus()
	}
}

func windowTitle(name string) string {
	return "Holdfast - " + name
}
