package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
	"github.com/dustin/go-humanize"

	"holdfast/backup"
	"holdfast/dialogs"
	"holdfast/engine"
	"holdfast/journal"
)

// DesktopOptions tune the app; the zero value is what tests want (no scheduler, no state kept).
type DesktopOptions struct {
	// StateDir keeps the last database opened ("" = os.UserConfigDir()/Holdfast); NoState
	// keeps nothing.
	StateDir string
	NoState  bool
	// DemoDir is where the demo database is created on first run ("" = the user's data
	// folder, ~/.local/share/Holdfast/Demo).
	DemoDir string
	// Chooser asks for files and folders (nil: dialogs.New over the main window).
	Chooser     dialogs.Chooser
	OnUpdate    func()
	StatusEvery time.Duration
	Scheduler   *backup.SchedulerOptions
	Notify      func(title, body string)
}

// Desktop is the app: the main window and the database open in it, one at a time. New
// Database... and Open Database... switch it; the last one is opened again next time.
type Desktop struct {
	App  fyne.App
	Main *MainWindow
	opts DesktopOptions

	mu      sync.Mutex
	db      *engine.DB // the database open, or nil
	opening bool       // an open is under way
	// openReports counts the progress reports of the opens (an integration, a repair).
	openReports atomic.Int64
	toOpen      []string // the folders asked to open next, in order

	// The system tray (app.runInTray): the app's, or a test's.
	tray                               desktop.App
	inTray, trayMenu, hidden, toldTray bool

	notice notice // to show once the next database opens (after a rollback)
	// logWay is how the next open of a folder treats a log it cannot use (chosen on the page
	// that said so): opened without it, or read-only.
	logWay map[string]engine.Options
}

// NewDesktop builds the app's main window, empty until Open. On the Fyne thread.
func NewDesktop(a fyne.App, opts DesktopOptions) *Desktop {
	d := &Desktop{App: a, opts: opts}
	d.Main = NewMainWindow(a, Config{Name: "no database", Status: "No database is open."})
	d.Main.desk = d
	if d.opts.Chooser == nil {
		d.opts.Chooser = dialogs.New(d.Main.Window)
	}
	d.opts.Chooser = withCode(d.opts.Chooser)
	d.Main.cfg.Chooser = d.opts.Chooser
	d.Main.setMenu()
	d.Main.SetCloseIntercept(d.closeRequested)
	return d
}

// DB is the database open in the window, or nil.
func (d *Desktop) DB() *engine.DB {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.db
}

// Close closes the database open, once the window is gone.
func (d *Desktop) Close() {
	d.mu.Lock()
	db, v := d.db, d.Main.view
	d.db = nil
	d.mu.Unlock()
	if v != nil {
		v.closeAndWait()
	}
	if db != nil {
		db.Close()
	}
}

// Open opens the database in dir in the window, on a goroutine: the repair at open when its
// data file is damaged (S3.5), then the question about operations left out of the data file.
// The database open before is closed once the new one is open; if it cannot open, the window
// keeps the one it had and says why.
func (d *Desktop) Open(dir string) {
	// One open at a time, in the order asked: an open asked while another is under way waits
	// for it instead of being lost, and the same folder asked twice is opened once.
	d.mu.Lock()
	d.toOpen = append(d.toOpen, dir)
	if d.opening {
		d.mu.Unlock()
		return
	}
	d.opening = true
	d.mu.Unlock()
	background(func() {
		for {
			d.mu.Lock()
			if len(d.toOpen) == 0 {
				d.opening = false
				d.mu.Unlock()
				return
			}
			next := d.toOpen[0]
			d.toOpen = d.toOpen[1:]
			d.mu.Unlock()
			d.open(next)
		}
	})
}

func (d *Desktop) open(dir string) {
	cur := d.DB()
	if cur != nil && sameDir(cur.Dir(), dir) {
		do(d.Main.RequestFocus)
		return
	}
	var busy []string
	doWait(func() { busy = busyWith(cur, nil) })
	if len(busy) > 0 {
		d.showError(&engine.Error{Code: engine.CodeBusy, Op: "open", Path: dir,
			Err: fmt.Errorf("still running: %s; wait for it to end, or stop it, then open the other database", strings.Join(busy, ", "))})
		return
	}
	if cur == nil {
		do(func() { d.Main.showPage("opening", container.NewCenter(widget.NewLabel("Opening "+dir+"..."))) })
	}
	var self *work
	doWait(func() { self = trackWork(d.Main.Window, "the opening of "+filepath.Base(dir), nil) })
	defer doWait(self.untrack)
	op := &openProgress{win: d.Main.Window, name: filepath.Base(dir)}
	report := latestOnly(op.show)
	opts, problems, readOnlyFor := d.openOptions(dir)
	opts.Progress = func(done, total int64) {
		d.openReports.Add(1)
		report(backup.Progress{Done: done, Total: total})
	}
	opts.OnDamage = func(err error) { d.damageFound(dir, err) }
	db, repaired, err := backup.OpenOrRepair(context.Background(), dir, opts)
	doWait(op.end)
	if err != nil {
		if n := d.takeNotice(); n.title != "" {
			do(func() { dialog.ShowInformation(n.title, n.text, d.Main.Window) })
		}
		d.openFailed(dir, err, cur == nil)
		return
	}
	// Work started on the database shown while this one opened keeps it: the new one closes.
	var started []string
	doWait(func() { started = busyWith(cur, self) })
	if len(started) > 0 {
		db.Close()
		d.showError(&engine.Error{Code: engine.CodeBusy, Op: "open", Path: dir,
			Err: fmt.Errorf("started while it opened, still running: %s; wait for it to end, or stop it, then open the other database", strings.Join(started, ", "))})
		return
	}
	d.remember(db.Dir())
	d.mu.Lock()
	old := d.db
	d.db = db
	d.mu.Unlock()
	inc := db.Report().Incomplete // it takes the database's lock: read here, not on the Fyne thread
	var oldView *databaseView
	doWait(func() {
		oldView = d.Main.view
		d.Main.show(Config{DBPath: db.Dir(), Name: db.Name(), DB: db, OnUpdate: d.opts.OnUpdate,
			StatusEvery: d.opts.StatusEvery, Chooser: d.opts.Chooser, Scheduler: d.opts.Scheduler, Notify: d.opts.Notify,
			ReadOnlyFor: readOnlyFor})
		d.Main.Start()
		d.applyTray()
		if repaired != nil {
			dialog.ShowInformation("The database was repaired", repairSentence(repaired), d.Main.Window)
		}
		if n := d.takeNotice(); n.title != "" {
			d.Main.showNotice(n)
		}
		if len(problems) > 0 {
			d.Main.showSettingsProblems(db.Dir(), problems, readOnlyFor != nil)
		}
		if inc != nil {
			d.Main.askIntegrate(inc)
		}
		d.updated()
	})
	// The window shows the new database: the old one's background work ends (a scheduled
	// backup running is stopped), then it closes.
	if oldView != nil {
		oldView.closeAndWait()
	}
	if old != nil {
		old.Close()
	}
}

// openProgress shows over the window how the integration or the repair done while opening a
// database goes, from its first report on: an open that integrates nothing shows nothing.
// On the Fyne thread.
type openProgress struct {
	win   fyne.Window
	name  string
	dlg   *dialog.CustomDialog
	bar   *widget.ProgressBar
	label *widget.Label
	ended bool
}

func (o *openProgress) show(p backup.Progress) {
	if o.ended {
		return // a report that waited for the thread past the end
	}
	if o.dlg == nil {
		o.bar = widget.NewProgressBar()
		o.label = widget.NewLabel("")
		o.label.Wrapping = fyne.TextWrapWord
		o.dlg = dialog.NewCustomWithoutButtons("Opening "+o.name, container.NewVBox(
			widget.NewLabel("Bringing the data file up to date (from the log, or from the backups for a repair)..."), o.bar, o.label), o.win)
		o.dlg.Resize(fyne.NewSize(460, 180))
		o.dlg.Show()
	}
	if p.Total > 0 {
		o.bar.SetValue(float64(p.Done) / float64(p.Total))
	}
	o.label.SetText(fmt.Sprintf("%s of %s", humanize.Bytes(uint64(p.Done)), humanize.Bytes(uint64(p.Total))))
}

func (o *openProgress) end() {
	o.ended = true
	if o.dlg != nil {
		o.dlg.Hide()
	}
}

func (d *Desktop) updated() {
	if d.opts.OnUpdate != nil {
		d.opts.OnUpdate()
	}
}

func sameDir(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// openFailed says why dir did not open. A damaged data file the settings say not to repair on
// its own gets the damaged-database report, with its steps and a Repair now button.
func (d *Desktop) openFailed(dir string, err error, empty bool) {
	var e *engine.Error
	if errors.As(err, &e) && e.Op == "open log" {
		d.showReport("log unusable", func() fyne.CanvasObject { return d.logReport(dir, err) })
		return
	}
	if engine.CodeOf(err) == engine.CodeDamaged {
		plans, perr := backup.PlanRepair(dir)
		d.showReport("damaged database", func() fyne.CanvasObject { return d.damagedReport(dir, err, plans, perr) })
		return
	}
	do(func() {
		if empty {
			d.Main.showPage("no database", d.startPage(fmt.Sprintf("%s could not be opened.", dir)))
		}
		alert(err, d.Main.Window)
		d.updated()
	})
}

// showReport puts a report page (built on the Fyne thread) in the window's place: the
// database shown before closes.
func (d *Desktop) showReport(name string, page func() fyne.CanvasObject) {
	var v *databaseView
	doWait(func() {
		v = d.Main.view
		d.Main.showPage(name, page())
		d.updated()
	})
	if v != nil {
		v.closeAndWait()
	}
	d.mu.Lock()
	old := d.db
	d.db = nil
	d.mu.Unlock()
	if old != nil {
		old.Close()
	}
}

// startPage is the window with no database: New Database... and Open Database....
func (d *Desktop) startPage(why string) fyne.CanvasObject {
	l := widget.NewLabel(why)
	l.Wrapping = fyne.TextWrapWord
	return container.NewVBox(l, container.NewHBox(
		widget.NewButton("New Database...", d.NewDatabase),
		widget.NewButton("Open Database...", d.OpenDatabase)))
}

// damagedReport is the page shown for a damaged data file (1433) left unrepaired by the
// settings: what is wrong, the steps that repair it, and a button that takes them. perr is why
// no plan was found.
func (d *Desktop) damagedReport(dir string, err error, plans []backup.RepairPlan, perr error) fyne.CanvasObject {
	title := widget.NewLabelWithStyle("The data file of "+dir+" is damaged (error 1433)", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	text := engine.WindowText(err)
	if i := strings.Index(text, ". To repair it:"); i >= 0 {
		text = text[:i+1] // the steps follow, one per line
	}
	what := widget.NewLabel(text)
	what.Wrapping = fyne.TextWrapWord
	steps := "No backup of this database can repair it: its backups are missing. Restore an archive you keep elsewhere (File > Restore...)."
	if engine.CodeOf(perr) == engine.CodeBadSetting {
		// Where the backups and the log are cannot be told: the repair waits for the fix.
		steps = fmt.Sprintf("It cannot be repaired while its settings hold a bad value (error %d): %s", engine.CodeBadSetting, engine.WindowText(perr))
	}
	if len(plans) > 0 {
		var b strings.Builder
		b.WriteString("To repair it, Holdfast will:\n")
		fmt.Fprintf(&b, "1. set the damaged data file aside (it is kept);\n2. restore the data of backup %d (%s);\n", plans[0].Backup, plans[0].Archive)
		for i, l := range plans[0].Logs {
			fmt.Fprintf(&b, "%d. integrate %s;\n", i+3, l)
		}
		fmt.Fprintf(&b, "%d. open the database.", len(plans[0].Logs)+3)
		steps = b.String()
	}
	stepsLabel := widget.NewLabel(steps)
	stepsLabel.Wrapping = fyne.TextWrapWord
	result := widget.NewLabel("")
	result.Wrapping = fyne.TextWrapWord
	bar := widget.NewProgressBarInfinite()
	bar.Hide()
	bar.Stop()
	var repairButton *widget.Button
	repairButton = widget.NewButton("Repair now", func() {
		repairButton.Disable()
		bar.Show()
		bar.Start()
		result.SetText("Repairing...")
		repairing := trackWork(d.Main.Window, "the repair of "+filepath.Base(dir), nil)
		background(func() {
			res, err := backup.Repair(context.Background(), dir)
			doWait(func() {
				repairing.untrack()
				bar.Stop()
				bar.Hide()
				if err != nil {
					repairButton.Enable()
					result.SetText(fmt.Sprintf("The repair failed (error %d): %s", engine.CodeOf(err), engine.WindowText(err)))
					d.updated()
					return
				}
				result.SetText(repairSentence(res))
				d.updated()
			})
			if err == nil {
				d.Open(dir)
			}
		})
	})
	repairButton.Importance = widget.HighImportance
	if len(plans) == 0 {
		repairButton.Disable()
	}
	buttons := container.NewHBox(repairButton, widget.NewButton("Open Another Database...", d.OpenDatabase),
		widget.NewButton("Restore...", d.Main.OpenRestore))
	return container.NewVScroll(container.NewVBox(title, what, widget.NewSeparator(), stepsLabel, bar, buttons, result))
}

// repairSentence says what an automatic repair did.
func repairSentence(r *backup.RepairResult) string {
	s := fmt.Sprintf("The data file was damaged or missing. It was rebuilt from backup %d (%s)", r.Backup, r.Archive)
	if r.Integrated > 0 {
		s += fmt.Sprintf(" and %d operation(s) of the logs", r.Integrated)
	}
	s += fmt.Sprintf("; it holds every operation up to %d.", r.Reached)
	if r.Damaged != "" {
		s += " The damaged file is kept as " + r.Damaged + "."
	}
	for _, sk := range r.Skipped {
		s += "\nNot used: " + sk
	}
	return s
}

// askIntegrate asks whether to integrate the operations of the log the data file lacks, when
// the settings say not to on their own (S3.5 step 2). Not integrating keeps the database
// read-only, with a banner that offers it again.
func (m *MainWindow) askIntegrate(inc *engine.Incomplete) {
	msg := widget.NewLabel(fmt.Sprintf("The log file holds %d operation(s) that the data file lacks (operations %d to %d).\n"+
		"Integrate them now? Not integrating keeps a mistake out of the data: the database stays read-only "+
		"until they are integrated or a backup is restored.", inc.Operations, inc.From, inc.To))
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("Integrate the log?", "Integrate", "Don't integrate", msg, func(ok bool) {
		if ok {
			m.integrate()
		}
		m.RefreshStatus()
	}, m.Window)
	d.Resize(fyne.NewSize(520, 240))
	d.Show()
}

// integrate integrates what the current log holds beyond the data file, with its progress
// (the bytes of the log read). Stop ends it after the batch under way: what was integrated
// stays, and the banner offers the rest.
func (m *MainWindow) integrate() {
	if m.view == nil {
		return
	}
	v := m.view
	m.integrating = startWork(m.Window, "Integrating the log", true, func(ctx context.Context, progress func(backup.Progress)) (string, error) {
		path := v.db.LogPath()
		n, err := v.db.IntegrateProgress(ctx, nil, func(done, total int64) {
			progress(backup.Progress{Done: done, Total: total, Item: path})
		})
		if engine.CodeOf(err) == engine.CodeIntegrationStopped {
			return fmt.Sprintf("Integration stopped (2020) after %d operation(s): %s", n, engine.WindowText(err)), err
		}
		if err != nil {
			return fmt.Sprintf("The log could not be integrated (error %d): %s", engine.CodeOf(err), engine.WindowText(err)), err
		}
		return fmt.Sprintf("%d operation(s) integrated: the data file is at operation %d and writing is allowed.", n, v.db.LogStatus().Applied), nil
	}, func() {
		v.browser.load()
		v.refreshStatus()
	})
}

// NewDatabase asks where to create a database (File > New Database...), creates it and opens it.
func (d *Desktop) NewDatabase() {
	start := d.databasesFolder()
	background(func() {
		path, err := d.opts.Chooser.SaveFile("New database: its folder", start, "My Database")
		if err != nil {
			if dialogFailed(err) {
				d.showError(err)
			}
			return
		}
		if fi, err := os.Stat(path); err == nil && fi.IsDir() {
			if ents, _ := os.ReadDir(path); len(ents) > 0 {
				d.showError(&engine.Error{Code: engine.CodeExists, Op: "create", Path: path,
					Err: errors.New("this folder is not empty; choose a new name (the database is created as a folder)")})
				return
			}
		}
		db, err := engine.Create(path, engine.Options{})
		if err != nil {
			d.showError(err)
			return
		}
		if err := db.Close(); err != nil {
			d.showError(err)
			return
		}
		d.Open(path)
	})
}

// OpenDatabase asks for a database folder (File > Open Database...) and opens it.
func (d *Desktop) OpenDatabase() {
	start := d.databasesFolder()
	background(func() {
		path, err := d.opts.Chooser.Folder("Open database: choose its folder", start)
		if err != nil {
			if dialogFailed(err) {
				d.showError(err)
			}
			return
		}
		if _, err := os.Stat(filepath.Join(path, "Data")); err != nil {
			d.showError(&engine.Error{Code: engine.CodeNotDatabase, Op: "open", Path: path,
				Err: errors.New("this folder holds no Holdfast database (no Data folder); choose the folder that holds Data/")})
			return
		}
		d.Open(path)
	})
}

// databasesFolder is where New and Open start: beside the database open.
func (d *Desktop) databasesFolder() string {
	if db := d.DB(); db != nil {
		return filepath.Dir(db.Dir())
	}
	home, _ := os.UserHomeDir()
	return home
}

func (d *Desktop) showError(err error) {
	do(func() {
		alert(err, d.Main.Window)
		d.updated()
	})
}

// stateFile is where the last database opened is remembered, or "".
func (d *Desktop) stateFile() string {
	if d.opts.NoState {
		return ""
	}
	dir := d.opts.StateDir
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(base, "Holdfast")
	}
	return filepath.Join(dir, "last-database")
}

func (d *Desktop) remember(dir string) {
	f := d.stateFile()
	if f == "" {
		return
	}
	if err := os.MkdirAll(filepath.Dir(f), 0o700); err == nil {
		journal.WriteFileAtomic(journal.OSFS{}, f, []byte(dir+"\n"), 0o600)
	}
}

// DefaultDatabase is the last database opened, or the demo database, created the first time.
func (d *Desktop) DefaultDatabase() (string, error) {
	if f := d.stateFile(); f != "" {
		if b, err := os.ReadFile(f); err == nil {
			if p := strings.TrimSpace(string(b)); p != "" {
				if _, err := os.Stat(p); err == nil {
					return p, nil
				}
			}
		}
	}
	demo := d.opts.DemoDir
	if demo == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", &engine.Error{Code: engine.CodeUsage, Err: fmt.Errorf("no home folder for the demo database: %v; open one with holdfast gui DB", err)}
		}
		demo = filepath.Join(home, ".local", "share", "Holdfast", "Demo")
	}
	if _, err := os.Stat(demo); errors.Is(err, os.ErrNotExist) {
		db, err := engine.Create(demo, engine.Options{})
		if err != nil {
			return "", err
		}
		err = engine.FillDemo(db)
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", err
		}
	}
	return demo, nil
}
