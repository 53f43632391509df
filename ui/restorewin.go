package ui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
	"github.com/dustin/go-humanize"

	"holdfast/backup"
	"holdfast/dialogs"
	"holdfast/engine"
)

// RestoreWindow is File > Restore...: choose an archive (from the history of the database open,
// or any file), see what it holds and choose the items, the destination (a new folder beside
// the archive by default) and the log integration (none, automatic, chosen log files one after
// another, or up to a point), then restore with its progress. The result offers to open the
// restored database or show its folder. It is the restore panel in a window of its own.
type RestoreWindow struct {
	fyne.Window
	*RestorePanel
	// Cancel is what the Cancel button does: it closes the window (asking first while a
	// restore runs, when the main window guards it).
	Cancel func()
}

// RestorePanel is what the restore window shows; it is also the Restore page of Maintenance
// and Security. Its dialogs and progress show over win.
type RestorePanel struct {
	win     fyne.Window
	close   func() // closes what holds the panel (before the restored database opens)
	root    fyne.CanvasObject
	chooser dialogs.Chooser
	open    func(dir string) // opens a restored database in the main window; nil: no button
	updated func()

	archive *widget.Entry
	history *widget.Select
	byLabel map[string]string
	preview *widget.Label
	items   *widget.CheckGroup
	dest    *widget.Entry
	destErr *widget.Label
	// destAuto is the destination last proposed (from the archive's name, in destParent when
	// a folder was chosen for it): while Into still holds it, Into follows the archive chosen.
	destAuto, destParent string
	// destSeen is the destination last looked at on the disk, destThere whether it exists;
	// destLooking the one being looked at.
	destSeen, destLooking string
	destThere             bool
	mode                  *widget.RadioGroup
	logs                  []string
	logList               *widget.Label
	until                 *widget.Entry
	untilErr              *widget.Label
	start                 *widget.Button
	buttons               *fyne.Container // Restore, and Cancel in a window of its own
	manifest              *backup.Manifest
	gen                   int

	progress *Progress
	result   *backup.RestoreResult
	err      error
}

// Log integration choices.
const (
	integrateNone  = "None"
	integrateAuto  = "The matching log backups, then the current log"
	integrateFiles = "These log files, one after another"
	integrateUntil = "Automatic, up to a point (an operation number or a date and time)"
)

var restoreItems = pairs(backup.ItemData, "Data", backup.ItemStructure, "Structure", backup.ItemAttachments, "Attachments")

// NewRestoreWindow builds the window; db, when set, lists its backups from the history. On the
// Fyne thread.
func NewRestoreWindow(a fyne.App, db *engine.DB, chooser dialogs.Chooser, open func(string), updated func()) *RestoreWindow {
	w := a.NewWindow("Restore")
	r := &RestoreWindow{Window: w, RestorePanel: newRestorePanel(w, db, chooser, open, updated)}
	r.close = w.Close
	r.Cancel = w.Close
	r.buttons.Objects = []fyne.CanvasObject{layout.NewSpacer(), widget.NewButton("Cancel", func() { r.Cancel() }), r.start}
	r.SetContent(withWarmUp(r.root))
	r.Resize(fyne.NewSize(760, 620))
	return r
}

// newRestorePanel builds the panel; db, when set, lists its backups from the history.
func newRestorePanel(win fyne.Window, db *engine.DB, chooser dialogs.Chooser, open func(string), updated func()) *RestorePanel {
	if updated == nil {
		updated = func() {}
	}
	r := &RestorePanel{win: win, close: func() {}, chooser: chooser, open: open, updated: updated, byLabel: map[string]string{}}
	r.archive = widget.NewEntry()
	r.archive.SetPlaceHolder("the archive (.4BK) to restore")
	r.archive.OnChanged = func(string) {
		r.followArchive()
		r.readManifest()
	}
	browse := widget.NewButton("Browse...", r.browse)
	r.history = widget.NewSelect(nil, func(label string) {
		if p, ok := r.byLabel[label]; ok {
			r.archive.SetText(p)
		}
	})
	r.history.PlaceHolder = "(no backups recorded)"
	if db != nil {
		r.readHistory(db)
	}
	r.preview = widget.NewLabel("Choose an archive.")
	r.preview.Wrapping = fyne.TextWrapWord
	var labels []string
	for _, it := range restoreItems {
		labels = append(labels, it.label)
	}
	r.items = widget.NewCheckGroup(labels, func([]string) { r.check() })
	r.items.Horizontal = true
	r.items.Selected = slices.Clone(labels)
	r.dest = widget.NewEntry()
	r.dest.SetPlaceHolder("a new folder: the restored database")
	r.dest.OnChanged = func(string) { r.check() }
	r.destErr = errLabel()
	chooseDest := widget.NewButton("Choose...", r.chooseDest)
	r.mode = widget.NewRadioGroup([]string{integrateNone, integrateAuto, integrateFiles, integrateUntil}, nil)
	r.mode.Required = true
	r.mode.SetSelected(integrateAuto)
	r.logList = widget.NewLabel("(no log file chosen)")
	r.logList.Wrapping = fyne.TextWrapWord
	addLog := widget.NewButton("Add log file...", r.addLog)
	clearLogs := widget.NewButton("Clear", func() { r.logs = nil; r.showLogs(); r.check() })
	r.until = widget.NewEntry()
	r.until.SetPlaceHolder("e.g. 1250, or 2026-11-30 17:45")
	r.until.OnChanged = func(string) { r.check() }
	r.untilErr = errLabel()
	r.start = widget.NewButton("Restore", r.Start)
	r.start.Importance = widget.HighImportance
	r.start.Disable()
	r.mode.OnChanged = func(string) { r.check() }

	form := widget.NewForm(
		widget.NewFormItem("Archive", container.NewBorder(nil, nil, nil, browse, r.archive)),
		widget.NewFormItem("Recent backups", r.history),
		widget.NewFormItem("Holds", r.preview),
		widget.NewFormItem("Restore", r.items),
		widget.NewFormItem("Into", container.NewVBox(container.NewBorder(nil, nil, nil, chooseDest, r.dest), r.destErr)),
		widget.NewFormItem("Integrate", r.mode),
		widget.NewFormItem("Log files", container.NewVBox(r.logList, container.NewHBox(addLog, clearLogs))),
		widget.NewFormItem("Up to", container.NewVBox(r.until, r.untilErr)),
	)
	r.buttons = container.NewHBox(r.start)
	r.root = container.NewBorder(nil, r.buttons, nil, nil, container.NewVScroll(form))
	return r
}

// followArchive proposes the destination of the archive chosen, unless Into holds one the
// person typed; and the history shows no backup the archive is not.
func (r *RestorePanel) followArchive() {
	path := strings.TrimSpace(r.archive.Text)
	if dest := strings.TrimSpace(r.dest.Text); path != "" && (dest == "" || dest == r.destAuto) {
		auto := backup.DefaultRestoreFolder(path)
		if r.destParent != "" {
			auto = filepath.Join(r.destParent, filepath.Base(auto))
		}
		r.destAuto = auto
		r.dest.SetText(auto)
	}
	if sel := r.history.Selected; sel != "" && r.byLabel[sel] != path {
		r.history.ClearSelected()
	}
}

func errLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

func showErr(l *widget.Label, text string) {
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// readHistory lists the backups of db, newest first, on a goroutine.
func (r *RestorePanel) readHistory(db *engine.DB) {
	background(func() {
		dest := backup.Destination(db)
		h, err := backup.LoadHistory(dest)
		var labels []string
		paths := map[string]string{}
		if err == nil {
			for i := len(h.Operations) - 1; i >= 0; i-- {
				e := h.Operations[i]
				archive := ""
				for _, f := range e.Files {
					if strings.HasSuffix(f.Path, ".4BK") {
						archive = f.Path
						break
					}
				}
				if archive == "" || e.Kind != "backup" || e.Status == backup.StatusFailed {
					continue
				}
				l := fmt.Sprintf("#%d  %s %s  %s", e.Number, e.Date, e.Time, filepath.Base(archive))
				labels = append(labels, l)
				paths[l] = archive
			}
		}
		do(func() {
			r.byLabel = paths
			r.history.Options = labels
			if len(labels) > 0 {
				r.history.PlaceHolder = "(choose one)"
			}
			if err != nil {
				r.history.PlaceHolder = fmt.Sprintf("(the history cannot be read, error %d: use Browse...)", engine.CodeDestination)
				if strings.TrimSpace(r.archive.Text) == "" {
					r.preview.SetText(codedError(historyError(dest, err)).Error())
				}
			}
			r.history.Refresh()
			r.updated()
		})
	})
}

func (r *RestorePanel) browse() {
	start := filepath.Dir(strings.TrimSpace(r.archive.Text))
	background(func() {
		p, err := r.chooser.OpenFile("Archive to restore", start, dialogs.Filter{Desc: "Holdfast backups", Extensions: []string{"4BK"}})
		do(func() {
			if err == nil {
				r.archive.SetText(p)
			} else if dialogFailed(err) {
				alert(err, r.win)
			}
			r.updated()
		})
	})
}

func (r *RestorePanel) chooseDest() {
	start := filepath.Dir(strings.TrimSpace(r.dest.Text))
	background(func() {
		p, err := r.chooser.Folder("Restore into a new folder inside", start)
		do(func() {
			if err == nil {
				name := filepath.Base(backup.DefaultRestoreFolder(strings.TrimSpace(r.archive.Text)))
				// The folder chosen holds the restore of whichever archive is chosen next.
				r.destParent, r.destAuto = p, filepath.Join(p, name)
				r.dest.SetText(r.destAuto)
			} else if dialogFailed(err) {
				alert(err, r.win)
			}
			r.updated()
		})
	})
}

func (r *RestorePanel) addLog() {
	start := filepath.Dir(strings.TrimSpace(r.archive.Text))
	background(func() {
		p, err := r.chooser.OpenFile("Log file to integrate", start, dialogs.Filter{Desc: "Log backups and log files", Extensions: []string{"4BL", "journal"}})
		do(func() {
			if err == nil {
				r.logs = append(r.logs, p)
				r.mode.SetSelected(integrateFiles)
				r.showLogs()
				r.check()
			} else if dialogFailed(err) {
				alert(err, r.win)
			}
			r.updated()
		})
	})
}

func (r *RestorePanel) showLogs() {
	if len(r.logs) == 0 {
		r.logList.SetText("(no log file chosen)")
		return
	}
	var b strings.Builder
	for i, l := range r.logs {
		fmt.Fprintf(&b, "%d. %s\n", i+1, l)
	}
	r.logList.SetText(strings.TrimSpace(b.String()))
}

// readManifest reads what the archive holds, on a goroutine, and proposes the destination.
func (r *RestorePanel) readManifest() {
	path := strings.TrimSpace(r.archive.Text)
	r.gen++
	gen := r.gen
	r.manifest = nil
	r.start.Disable()
	if path == "" {
		r.preview.SetText("Choose an archive.")
		return
	}
	r.preview.SetText("Reading " + filepath.Base(path) + "...")
	background(func() {
		m, err := backup.ReadManifest(path)
		do(func() {
			if gen != r.gen {
				return
			}
			if err != nil {
				r.preview.SetText(fmt.Sprintf("This archive cannot be restored (error %d): %s", engine.CodeOf(err), engine.WindowText(err)))
			} else {
				r.manifest = m
				r.preview.SetText(manifestSummary(m))
			}
			r.check()
			r.updated()
		})
	})
}

// manifestSummary says what an archive holds, for a person.
func manifestSummary(m *backup.Manifest) string {
	var size int64
	counts := map[string]int{}
	for _, e := range m.Entries {
		size += e.Size
		switch {
		case strings.HasPrefix(e.Path, "Data/"):
			counts["data"]++
		case strings.HasPrefix(e.Path, "Project/"):
			counts["structure"]++
		case strings.HasPrefix(e.Path, "Attachments/"):
			counts["attachments"]++
		}
	}
	return fmt.Sprintf("Backup %d of %s, taken %s (%s) at operation %d.\n%d data file(s), %d structure file(s), %d attachment file(s), %s.",
		m.Backup, m.Name, m.Time.Local().Format("2006-01-02 15:04"), humanize.Time(m.Time), m.Operation,
		counts["data"], counts["structure"], counts["attachments"], humanize.Bytes(uint64(size)))
}

// parseUntil reads a point in time: an operation number, or a local date and time.
func parseUntil(s string) (engine.Until, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseUint(s, 10, 64); err == nil && n > 0 {
		return engine.Until{Op: n}, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", time.RFC3339} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return engine.Until{Time: t}, nil
		}
	}
	return engine.Until{}, errors.New("an operation number (like 1250) or a date and time (like 2026-11-30 17:45)")
}

// check shows what is wrong at its field and turns Restore on only when all is right.
func (r *RestorePanel) check() {
	before := [2]bool{r.destErr.Visible(), r.untilErr.Visible()}
	defer func() {
		if before != [2]bool{r.destErr.Visible(), r.untilErr.Visible()} {
			r.root.Refresh() // an error line appeared or went: lay the form out again
		}
	}()
	ok := r.manifest != nil && len(r.items.Selected) > 0
	dest := strings.TrimSpace(r.dest.Text)
	switch {
	case dest == "":
		showErr(r.destErr, "")
		ok = false
	case !filepath.IsAbs(dest):
		showErr(r.destErr, "Expected: a full path, starting with /.")
		ok = false
	case r.destSeen != dest:
		// Whether it exists is read off the Fyne thread (a disk may be slow to answer); Restore
		// waits for the answer.
		showErr(r.destErr, "")
		ok = false
		r.lookAtDest(dest)
	case r.destThere:
		showErr(r.destErr, "This folder exists already: a restore creates a new folder, so choose another name.")
		ok = false
	default:
		showErr(r.destErr, "")
	}
	showErr(r.untilErr, "")
	// Up to counts for the chosen log files (where it may stay empty: as far as they go) and
	// for the automatic chain up to a point (where it is needed); it is off otherwise.
	if r.mode.Selected == integrateFiles || r.mode.Selected == integrateUntil {
		r.until.Enable()
	} else {
		r.until.Disable()
	}
	switch r.mode.Selected {
	case integrateFiles:
		ok = ok && len(r.logs) > 0
		if strings.TrimSpace(r.until.Text) != "" {
			if _, err := parseUntil(r.until.Text); err != nil {
				showErr(r.untilErr, "Expected: "+err.Error()+".")
				ok = false
			}
		}
	case integrateUntil:
		if _, err := parseUntil(r.until.Text); err != nil {
			if strings.TrimSpace(r.until.Text) != "" {
				showErr(r.untilErr, "Expected: "+err.Error()+".")
			}
			ok = false
		}
	}
	if ok && (r.progress == nil || r.progress.Result() != "") {
		r.start.Enable()
	} else {
		r.start.Disable()
	}
}

// lookAtDest finds out, on a goroutine, whether dest exists, then checks the form again.
func (r *RestorePanel) lookAtDest(dest string) {
	if r.destLooking == dest {
		return
	}
	r.destLooking = dest
	background(func() {
		there := fileExists(dest)
		do(func() {
			if r.destLooking == dest {
				r.destLooking = ""
			}
			r.destSeen, r.destThere = dest, there
			r.check()
			r.updated()
		})
	})
}

// options are the restore options the window says.
func (r *RestorePanel) options() backup.RestoreOptions {
	opts := backup.RestoreOptions{To: strings.TrimSpace(r.dest.Text)}
	if len(r.items.Selected) < len(restoreItems) {
		for _, it := range restoreItems {
			if slices.Contains(r.items.Selected, it.label) {
				opts.Items = append(opts.Items, it.value)
			}
		}
	}
	switch r.mode.Selected {
	case integrateNone:
		opts.NoIntegrate = true
	case integrateFiles:
		opts.Logs = slices.Clone(r.logs)
		if strings.TrimSpace(r.until.Text) != "" {
			opts.Until, _ = parseUntil(r.until.Text)
		}
	case integrateUntil:
		opts.Until, _ = parseUntil(r.until.Text)
	}
	return opts
}

// Start restores with the progress shown; the result offers to open the database restored.
func (r *RestorePanel) Start() {
	if r.start.Disabled() {
		return
	}
	r.start.Disable()
	archive := strings.TrimSpace(r.archive.Text)
	opts := r.options()
	r.result, r.err = nil, nil
	r.progress = startWork(r.win, "Restore of "+filepath.Base(archive), true, func(ctx context.Context, progress func(backup.Progress)) (string, error) {
		opts.Progress = progress
		res, err := backup.Restore(ctx, archive, opts)
		r.result, r.err = res, err
		return restoreSentence(res, err), err
	}, func() {
		r.check()
		if r.err == nil {
			r.offerOpen()
		}
		r.updated()
	})
}

// Running is the progress of the restore started last, or nil.
func (r *RestorePanel) Running() *Progress { return r.progress }

// Result is the outcome of the restore started last.
func (r *RestorePanel) Result() (*backup.RestoreResult, error) { return r.result, r.err }

// offerOpen adds Open restored database and Show folder under the result.
func (r *RestorePanel) offerOpen() {
	dir := r.result.Dir
	buttons := container.NewHBox()
	if r.open != nil {
		buttons.Add(widget.NewButton("Open restored database", func() {
			r.progress.dlg.Hide()
			r.close()
			r.open(dir)
		}))
	}
	buttons.Add(widget.NewButton("Show folder", func() { showFolder(dir, r.win) }))
	r.progress.body.Add(buttons)
	r.progress.body.Refresh()
	r.progress.dlg.Resize(fyne.NewSize(520, 300))
}

// restoreSentence says how a restore ended.
func restoreSentence(res *backup.RestoreResult, err error) string {
	if err != nil {
		if engine.CodeOf(err) == engine.CodeBackupInterrupted {
			return "Restore stopped: nothing was left behind (1406)."
		}
		return fmt.Sprintf("The restore failed (%d): %s", engine.CodeOf(err), engine.WindowText(err))
	}
	s := fmt.Sprintf("Restored into %s", res.Dir)
	if len(res.Logs) > 0 {
		s += fmt.Sprintf(", with %d operation(s) of %d log file(s)", res.Integrated, len(res.Logs))
	}
	s += fmt.Sprintf(": it holds every operation up to %d.", res.Reached)
	if res.Stopped {
		s += " Integration stopped at the point asked for."
	}
	if res.Repaired.Damaged() {
		s += fmt.Sprintf(" The archive was damaged, and repaired by its redundancy: %s.", res.Repaired)
	}
	if len(res.DisabledHooks) > 0 {
		var was []string
		for _, h := range res.DisabledHooks {
			was = append(was, fmt.Sprintf("%q", h.Command))
		}
		s += fmt.Sprintf(" The backup commands that came with the archive (%s) were turned off: a restored database runs no command you did not give it. If you trust them, set them again in Database Settings..., page Backup & Restore.", strings.Join(was, ", "))
	}
	return s
}

// OpenRestore shows the restore window (File > Restore...).
func (m *MainWindow) OpenRestore() {
	if m.restore != nil {
		m.restore.Show()
		m.restore.RequestFocus()
		return
	}
	var db *engine.DB
	var updated func()
	if m.view != nil {
		db, updated = m.view.db, m.view.updated
	}
	var open func(string)
	if m.desk != nil {
		open = m.desk.Open
	}
	m.restore = NewRestoreWindow(m.app, db, m.chooser(), open, updated)
	m.restore.SetOnClosed(func() { m.restore = nil })
	m.guardClose(m.restore.Window)
	win := m.restore.Window
	m.restore.Cancel = func() { m.confirmStop(win, "close", win.Close) }
	m.restore.Show()
}

// RestoreWindow is the restore window when it is open, or nil.
func (m *MainWindow) RestoreWindow() *RestoreWindow { return m.restore }

// openFolder opens dir in the file manager, through Fyne; where that runs xdg-open (Linux, the
// BSDs), a missing xdg-open is said rather than left to fail in silence.
var openFolder = func(dir string) error {
	switch runtime.GOOS {
	case "windows", "darwin", "android", "ios", "js":
	default:
		if _, err := exec.LookPath("xdg-open"); err != nil {
			return errors.New("no program that opens folders is installed (xdg-open, from the xdg-utils package)")
		}
	}
	return fyne.CurrentApp().OpenURL(&url.URL{Scheme: "file", Path: dir})
}

// showFolder opens dir in the file manager, on a goroutine (on Windows, opening waits for the
// program it starts). When it cannot, it says why and where the folder is, with Copy path.
func showFolder(dir string, win fyne.Window) {
	background(func() {
		err := openFolder(dir)
		if err == nil {
			return
		}
		do(func() {
			msg := widget.NewLabel(fmt.Sprintf("The folder could not be opened (error %d): %v.\nIt is %s: open it in your file manager (Copy path copies where it is).", engine.CodeFileIO, err, dir))
			msg.Wrapping = fyne.TextWrapWord
			copyPath := widget.NewButton("Copy path", func() { fyne.CurrentApp().Clipboard().SetContent(dir) })
			d := dialog.NewCustom("Show folder", "Close", container.NewVBox(msg, container.NewHBox(copyPath)), win)
			d.Resize(fyne.NewSize(480, 200))
			d.Show()
		})
	})
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
