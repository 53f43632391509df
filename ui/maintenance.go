package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"holdfast/backup"
	"holdfast/dialogs"
	"holdfast/engine"
	"holdfast/journal"
)

// MaintenanceWindow is File > Maintenance and Security... (S8): the Backup page (the backup
// panel, with the list of the backups kept), the Restore page (the restore panel), the Rollback
// page (the operations a rollback can go back to, in every log since the oldest backup kept;
// the one chosen is the last kept) and the Activity analysis page (S3.6: every operation of the
// current log or of a log file chosen, sortable by column, filtered, exported as text or CSV).
type MaintenanceWindow struct {
	fyne.Window
	m       *MainWindow
	db      *engine.DB
	updated func()
	tabs    *container.AppTabs
	Backup  *BackupPanel
	Restore *RestorePanel

	// Rollback page: the operations a rollback can go back to (read a page at a time, on a
	// goroutine: rbMu keeps one read of rbOps at a time), the page shown and the one selected.
	rbMu           sync.Mutex
	rbOps          *backup.OperationList
	rbRows         []backup.ListedOp
	rbPage         int
	rbNewest       uint64 // the last operation of the log: nothing after it to undo
	rbList         *widget.List
	rbSel          int
	rbInfo         *widget.Label
	rbPageInfo     *widget.Label
	rbButton       *widget.Button
	rbNewer, rbOld *widget.Button

	// Activity analysis page: the rows read, those shown (filtered, sorted), the sort.
	source   string // the log file analysed
	rows     []journal.Row
	shown    []int
	sortCol  int
	sortDesc bool
	filter   *widget.Entry
	table    *widget.Table
	anInfo   *widget.Label
	exported string
	// The buttons that read a log, disabled while one is read (a log can be large); a log
	// asked for meanwhile (a file chosen with Browse...) is read next.
	analyzeButton, browseButton *widget.Button
	nextLog                     string
}

// NewMaintenanceWindow builds the window for the database shown in m. On the Fyne thread;
// call Refresh once it is shown.
func NewMaintenanceWindow(m *MainWindow) *MaintenanceWindow {
	v := m.view
	w := &MaintenanceWindow{Window: m.app.NewWindow("Maintenance and Security - " + v.db.Name()), m: m, db: v.db, updated: v.updated, rbSel: -1}
	w.Backup = newBackupPanel(w.Window, v.db, m.manualBackup(), v.updated, true)
	w.Backup.OpenSettings = m.OpenSettings
	var open func(string)
	if m.desk != nil {
		open = m.desk.Open
	}
	w.Restore = newRestorePanel(w.Window, v.db, m.chooser(), open, v.updated)
	w.Restore.close = w.Close
	w.tabs = container.NewAppTabs(
		container.NewTabItem("Backup", w.Backup.root),
		container.NewTabItem("Restore", w.Restore.root),
		container.NewTabItem("Rollback", w.rollbackPage()),
		container.NewTabItem("Activity analysis", w.analysisPage()),
	)
	w.tabs.OnSelected = func(t *container.TabItem) {
		if t.Text == "Rollback" {
			w.ListOperations() // with what was logged since
		}
	}
	w.SetContent(withWarmUp(w.tabs))
	w.Resize(fyne.NewSize(900, 620))
	return w
}

// Refresh reads what the pages show: the backup panel, the operations a rollback can go back
// to, and the current log's operations for Activity analysis.
func (w *MaintenanceWindow) Refresh() {
	w.Backup.Refresh()
	w.ListOperations()
	w.Analyze()
}

// OpenMaintenance shows the Maintenance and Security window; a second call brings it forward.
func (m *MainWindow) OpenMaintenance() {
	if m.view == nil {
		return
	}
	if m.maintenance != nil {
		m.maintenance.Show()
		m.maintenance.RequestFocus()
		return
	}
	m.maintenance = NewMaintenanceWindow(m)
	m.maintenance.SetOnClosed(func() { m.maintenance = nil })
	m.guardClose(m.maintenance.Window)
	m.maintenance.Show()
	m.maintenance.Refresh()
}

// MaintenanceWindow is the Maintenance and Security window when it is open, or nil.
func (m *MainWindow) MaintenanceWindow() *MaintenanceWindow { return m.maintenance }

// readLog reads every operation of a log file as analysis rows; noLog says path is the log of
// a database that keeps none. Off the Fyne thread.
func readLog(path string, noLog bool) ([]journal.Row, string, error) {
	rows, torn, err := journal.ReadRows(journal.OSFS{}, path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && noLog {
			return nil, "", &engine.Error{Code: engine.CodeNoLog, Op: "analyze", Path: path,
				Err: errors.New("this database keeps no log; turn Use Log on in Database Settings (Configuration), or Browse... for a log backup")}
		}
		if errors.Is(err, os.ErrNotExist) {
			return nil, "", &engine.Error{Code: engine.CodeLogIO, Op: "analyze", Path: path, Err: errors.New("no such log file; choose another one")}
		}
		return nil, "", &engine.Error{Code: engine.CodeLogIO, Op: "analyze", Path: path, Err: err}
	}
	note := ""
	if torn != nil {
		note = fmt.Sprintf(" The log ends with an interrupted write (%d bytes not shown).", torn.Bytes)
	}
	return rows, note, nil
}

// rollbackHint is what the Rollback page says until an operation is chosen.
const rollbackHint = "Choose the last operation to keep. The operations after it are undone; they stay in the log kept beside the database."

// rollbackPageSize is how many operations a page of the Rollback page shows.
const rollbackPageSize = 200

func (w *MaintenanceWindow) rollbackPage() fyne.CanvasObject {
	w.rbList = widget.NewList(func() int { return len(w.rbRows) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(w.rbRows) {
				o.(*widget.Label).SetText(operationLine(&w.rbRows[i]))
			}
		})
	w.rbList.OnSelected = func(i widget.ListItemID) { w.selectRollback(i) }
	w.rbInfo = widget.NewLabel(rollbackHint)
	w.rbInfo.Wrapping = fyne.TextWrapWord
	w.rbPageInfo = widget.NewLabel("Reading the logs...")
	w.rbNewer = widget.NewButton("Newer", func() { w.readOperations(w.rbPage - 1) })
	w.rbOld = widget.NewButton("Older", func() { w.readOperations(w.rbPage + 1) })
	w.rbNewer.Disable()
	w.rbOld.Disable()
	w.rbButton = widget.NewButton("Roll Back...", w.confirmRollback)
	w.rbButton.Importance = widget.DangerImportance
	w.rbButton.Disable()
	top := container.NewBorder(nil, nil, nil, container.NewHBox(w.rbNewer, w.rbOld), w.rbPageInfo)
	return container.NewBorder(top, container.NewVBox(w.rbInfo, container.NewHBox(w.rbButton)), nil, nil, w.rbList)
}

// operationLine is one operation of the Rollback page: its number, time, what it did, and the
// log file that holds it.
func operationLine(op *backup.ListedOp) string {
	f := op.Fields()
	from := "current log"
	if !op.Current {
		from = filepath.Base(op.Log)
	}
	what := strings.Join(slices.DeleteFunc([]string{op.Action, op.Table, op.PrimaryKey}, func(s string) bool { return s == "" }), " ")
	return fmt.Sprintf("%s   %s   %s   (%s)", f[0], f[6], what, from)
}

// ListOperations lists again, from its first page, the operations a rollback can go back to.
func (w *MaintenanceWindow) ListOperations() { w.readOperations(-1) }

// readOperations reads page n of the operations on a goroutine and shows it; n < 0 lists them
// again (the logs may have changed) and shows the first page. Newer and Older wait meanwhile.
func (w *MaintenanceWindow) readOperations(n int) {
	w.rbNewer.Disable()
	w.rbOld.Disable()
	w.rbPageInfo.SetText("Reading the logs...")
	db := w.db
	background(func() {
		w.rbMu.Lock()
		defer w.rbMu.Unlock()
		var err error
		if n < 0 || w.rbOps == nil {
			n = 0
			w.rbOps, err = backup.ListOperations(db)
		}
		var ops []backup.ListedOp
		var more bool
		if err == nil {
			ops, more, err = w.rbOps.Page(n, rollbackPageSize)
		}
		do(func() { w.showRollback(n, ops, more, err) })
	})
}

// showRollback shows page n of the operations (or why they cannot be listed); the operation
// chosen stays chosen while it is shown.
func (w *MaintenanceWindow) showRollback(n int, ops []backup.ListedOp, more bool, err error) {
	var chosen uint64
	if w.rbSel >= 0 && w.rbSel < len(w.rbRows) {
		chosen = w.rbRows[w.rbSel].Operation
	}
	w.rbRows, w.rbPage, w.rbSel = ops, n, -1
	if n == 0 && len(ops) > 0 {
		w.rbNewest = ops[0].Operation
	}
	w.rbList.UnselectAll()
	w.rbList.ScrollToTop()
	w.rbButton.Disable()
	switch {
	case err != nil:
		w.rbPageInfo.SetText("")
		w.rbInfo.SetText(fmt.Sprintf("The operations cannot be listed (error %d): %s", engine.CodeOf(err), engine.WindowText(err)))
	case len(ops) == 0:
		w.rbPageInfo.SetText("No operation logged since the oldest backup kept.")
		w.rbInfo.SetText(rollbackHint)
	default:
		w.rbInfo.SetText(rollbackHint)
		w.rbPageInfo.SetText(fmt.Sprintf("Operations %d to %d, newest first (page %d)", ops[len(ops)-1].Operation, ops[0].Operation, n+1))
	}
	if n > 0 {
		w.rbNewer.Enable()
	}
	if more && err == nil {
		w.rbOld.Enable()
	}
	w.rbList.Refresh()
	if i := slices.IndexFunc(ops, func(op backup.ListedOp) bool { return op.Operation == chosen }); i >= 0 {
		w.rbList.Select(i)
	}
	w.updated()
}

// SelectRollback chooses the operation at row i of the Rollback page shown (newest first).
func (w *MaintenanceWindow) SelectRollback(i int) { w.rbList.Select(i) }

func (w *MaintenanceWindow) selectRollback(i int) {
	if i < 0 || i >= len(w.rbRows) {
		return
	}
	w.rbSel = i
	op := w.rbRows[i].Operation
	if op >= w.rbNewest {
		w.rbInfo.SetText("This is the last operation: there is nothing after it to undo.")
		w.rbButton.Disable()
		return
	}
	w.rbInfo.SetText(fmt.Sprintf("Roll back to operation %d: the data keeps every operation up to %d, and those after it (to %d) are undone.",
		op, op, w.rbNewest))
	w.rbButton.Enable()
}

// confirmRollback asks before the rollback: the database closes meanwhile.
func (w *MaintenanceWindow) confirmRollback() {
	if w.rbSel < 0 || w.rbButton.Disabled() || w.m.desk == nil {
		return
	}
	op := w.rbRows[w.rbSel].Operation
	msg := widget.NewLabel(fmt.Sprintf("Roll back %s to operation %d? The database closes while its data is rebuilt from the last "+
		"backup before it and the logs; the data file and the log as they are now are kept beside it. Make a backup afterwards.", w.db.Name(), op))
	msg.Wrapping = fyne.TextWrapWord
	d := confirmDanger("Roll back", "Roll Back", "Cancel", msg, func() {
		desk := w.m.desk
		w.Close()
		desk.Rollback(op)
	}, w.Window)
	d.Resize(fyne.NewSize(520, 220))
}

func (w *MaintenanceWindow) analysisPage() fyne.CanvasObject {
	w.sortCol = 0
	w.filter = widget.NewEntry()
	w.filter.SetPlaceHolder("Filter: only the rows holding this text")
	w.filter.OnChanged = func(string) { w.arrange() }
	w.table = widget.NewTable(func() (int, int) { return len(w.shown), len(journal.Columns) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			text := ""
			if id.Row < len(w.shown) {
				text = w.rows[w.shown[id.Row]].Fields()[id.Col]
			}
			o.(*widget.Label).SetText(text)
		})
	w.table.ShowHeaderRow = true
	w.table.CreateHeader = func() fyne.CanvasObject { return widget.NewButton("", nil) }
	w.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		b := o.(*widget.Button)
		if id.Col < 0 || id.Col >= len(journal.Columns) {
			b.SetText("")
			return
		}
		label := journal.Columns[id.Col]
		if id.Col == w.sortCol {
			if w.sortDesc {
				label += " ▼"
			} else {
				label += " ▲"
			}
		}
		b.SetText(label)
		col := id.Col
		b.OnTapped = func() { w.SortBy(col) }
	}
	for i, width := range []float32{90, 150, 110, 150, 70, 70, 160, 100, 90, 260, 70} {
		w.table.SetColumnWidth(i, width)
	}
	w.anInfo = widget.NewLabel("")
	w.anInfo.Wrapping = fyne.TextWrapWord
	w.analyzeButton = widget.NewButton("Analyze", w.Analyze)
	w.browseButton = widget.NewButton("Browse...", w.browseLog)
	export := widget.NewButton("Export...", w.export)
	top := container.NewBorder(nil, nil, nil, container.NewHBox(w.analyzeButton, w.browseButton, export), w.filter)
	return container.NewBorder(top, w.anInfo, nil, nil, w.table)
}

// Analyze reads the current log (the Analyze button).
func (w *MaintenanceWindow) Analyze() { w.analyze(w.db.LogPath()) }

// analyze reads the log file at path on a goroutine and shows its operations. Analyze and
// Browse... wait meanwhile: one log is read at a time.
func (w *MaintenanceWindow) analyze(path string) {
	if w.analyzeButton.Disabled() {
		w.nextLog = path // read once the one under way ends
		return
	}
	current := path == w.db.LogPath()
	w.anInfo.SetText("Reading " + path + "...")
	w.analyzeButton.Disable()
	w.browseButton.Disable()
	background(func() {
		rows, note, err := readLog(path, current && !w.db.LogStatus().Use)
		do(func() {
			w.analyzeButton.Enable()
			w.browseButton.Enable()
			if next := w.nextLog; next != "" {
				w.nextLog = ""
				defer w.analyze(next)
			}
			if err != nil {
				w.anInfo.SetText(fmt.Sprintf("This log cannot be analysed (error %d): %s", engine.CodeOf(err), engine.WindowText(err)))
				w.updated()
				return
			}
			w.source, w.rows = path, rows
			w.arrange()
			w.anInfo.SetText(w.anInfo.Text + note)
			w.updated()
		})
	})
}

func (w *MaintenanceWindow) browseLog() {
	dest := backup.Destination(w.db)
	chooser := w.m.chooser()
	background(func() {
		start := filepath.Dir(dest)
		if _, err := os.Stat(dest); err == nil {
			start = dest
		}
		path, err := chooser.OpenFile("Log file to analyse", start, dialogs.Filter{Desc: "Log backups and log files", Extensions: []string{"4BL", "journal"}})
		do(func() {
			if err == nil {
				w.analyze(path)
			} else if dialogFailed(err) {
				alert(err, w.Window)
			}
			w.updated()
		})
	})
}

// SortBy sorts the rows by column col; a second time on the same column reverses the order.
func (w *MaintenanceWindow) SortBy(col int) {
	if col == w.sortCol {
		w.sortDesc = !w.sortDesc
	} else {
		w.sortCol, w.sortDesc = col, false
	}
	w.arrange()
}

// numeric columns sort as numbers.
var numericColumns = map[int]bool{0: true, 4: true, 5: true, 10: true}

// arrange filters and sorts the rows, and shows them.
func (w *MaintenanceWindow) arrange() {
	needle := strings.ToLower(strings.TrimSpace(w.filter.Text))
	w.shown = w.shown[:0]
	for i := range w.rows {
		if needle == "" || strings.Contains(strings.ToLower(strings.Join(w.rows[i].Fields(), "\t")), needle) {
			w.shown = append(w.shown, i)
		}
	}
	col, desc := w.sortCol, w.sortDesc
	key := func(i int) journal.Row { return w.rows[i] }
	sort.SliceStable(w.shown, func(a, b int) bool {
		ra, rb := key(w.shown[a]), key(w.shown[b])
		var less, more bool
		if numericColumns[col] {
			na, nb := numericField(&ra, col), numericField(&rb, col)
			less, more = na < nb, na > nb
		} else if col == 6 {
			less, more = ra.Time.Before(rb.Time), ra.Time.After(rb.Time)
		} else {
			fa, fb := ra.Fields()[col], rb.Fields()[col]
			less, more = fa < fb, fa > fb
		}
		if desc {
			return more
		}
		return less
	})
	w.anInfo.SetText(fmt.Sprintf("%s: %d operation(s), %d shown.", w.source, len(w.rows), len(w.shown)))
	w.table.Refresh()
}

func numericField(r *journal.Row, col int) uint64 {
	switch col {
	case 0:
		return r.Operation
	case 4:
		return uint64(r.Process)
	case 5:
		return r.Size
	}
	return r.Record
}

// Shown is the text of the rows shown, in order, for tests.
func (w *MaintenanceWindow) Shown() [][]string {
	out := make([][]string, len(w.shown))
	for i, j := range w.shown {
		out[i] = w.rows[j].Fields()
	}
	return out
}

// export writes the rows shown to the file the save dialog gives: CSV for a .csv name, text
// (tab-separated) otherwise.
func (w *MaintenanceWindow) export() {
	rows := make([]journal.Row, len(w.shown))
	for i, j := range w.shown {
		rows[i] = w.rows[j]
	}
	home, _ := os.UserHomeDir()
	chooser := w.m.chooser()
	background(func() {
		path, err := chooser.SaveFile("Export the activity", home, w.db.Name()+" activity.txt",
			dialogs.Filter{Desc: "Text (tab-separated)", Extensions: []string{"txt"}}, dialogs.Filter{Desc: "CSV", Extensions: []string{"csv"}})
		if err != nil {
			if dialogFailed(err) {
				do(func() { alert(err, w.Window) })
			}
			return
		}
		var buf bytes.Buffer
		write := journal.WriteText
		if strings.EqualFold(filepath.Ext(path), ".csv") {
			write = journal.WriteCSV
		}
		err = write(&buf, rows)
		if err == nil {
			err = journal.WriteFileAtomic(journal.OSFS{}, path, buf.Bytes(), 0o600) // private, as SPEC S2 wants
		}
		do(func() {
			if err != nil {
				alert(&engine.Error{Code: engine.CodeFileIO, Op: "export", Path: path, Err: err}, w.Window)
			} else {
				w.exported = path
				w.anInfo.SetText(fmt.Sprintf("%d row(s) exported to %s.", len(rows), path))
			}
			w.updated()
		})
	})
}

// Rollback takes the database open back to operation to (the Rollback page): the window
// closes it, runs the rollback with its progress shown in place of the records, and opens the
// result; what it did (or why it failed) is said in a dialog. On the Fyne thread.
func (d *Desktop) Rollback(to uint64) {
	db := d.DB()
	if db == nil {
		return
	}
	if busy := busyWith(db, nil); len(busy) > 0 {
		alert(&engine.Error{Code: engine.CodeBusy, Op: "rollback", Path: db.Dir(),
			Err: fmt.Errorf("still running: %s; wait for it to end, then roll back", strings.Join(busy, ", "))}, d.Main.Window)
		d.updated()
		return
	}
	dir := db.Dir()
	rolling := trackWork(d.Main.Window, "the rollback of "+db.Name(), nil)
	background(func() {
		var v *databaseView
		ended := make(chan struct{})
		defer close(ended)
		doWait(func() {
			v = d.Main.view
			d.Main.showPage("rolling back", rollingPage(db.Name(), to, ended))
		})
		if v != nil {
			v.closeAndWait()
		}
		d.mu.Lock()
		d.db = nil
		d.mu.Unlock()
		err := db.Close()
		var res *backup.RollbackResult
		if err == nil {
			res, err = backup.Rollback(context.Background(), dir, to)
		}
		if err != nil {
			d.setNotice(notice{title: "The rollback failed", text: fmt.Sprintf("Error %d: %s\nThe database is as it was.", engine.CodeOf(err), engine.WindowText(err))})
		} else {
			d.setNotice(notice{title: "Rolled back", text: rollbackSentence(res), backUp: true})
		}
		doWait(rolling.untrack)
		d.Open(dir)
	})
}

// rollingPage is what the window shows while a rollback runs: what it does and for how long
// it has run, said again each second until ended is closed. No endless bar: it would repaint
// the window without pause, each frame slow while the rollback takes the processors.
func rollingPage(name string, to uint64, ended <-chan struct{}) fyne.CanvasObject {
	what := widget.NewLabel(fmt.Sprintf("Rolling %s back to operation %d...", name, to))
	since := widget.NewLabel("The data is rebuilt from a backup and the log: this takes about as long as a restore.")
	start := time.Now()
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ended:
				return
			case now := <-t.C:
				text := fmt.Sprintf("Running for %s: the data is rebuilt from a backup and the log.", now.Sub(start).Round(time.Second))
				do(func() { since.SetText(text) })
			}
		}
	}()
	return container.NewCenter(container.NewVBox(what, since))
}

func rollbackSentence(r *backup.RollbackResult) string {
	from := "a blank data file"
	if r.Backup != 0 {
		from = fmt.Sprintf("backup %d", r.Backup)
	}
	return fmt.Sprintf("The data now holds every operation up to %d (from %s and %d log file(s)); operations %d to %d are undone.\n"+
		"Kept: %s and %s.\nMake a backup now: the backups taken after operation %d no longer lead to the database as it is.",
		r.To, from, len(r.Logs), r.To+1, r.Undone, r.OldData, r.OldLog, r.To)
}

// notice is a message to show once the next database opens (after a rollback); backUp says
// it asks for a backup now, which its dialog then offers.
type notice struct {
	title, text string
	backUp      bool
}

// setNotice keeps a message to show once the next database opens.
func (d *Desktop) setNotice(n notice) {
	d.mu.Lock()
	d.notice = n
	d.mu.Unlock()
}

// takeNotice returns the message kept by setNotice, once.
func (d *Desktop) takeNotice() notice {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.notice
	d.notice = notice{}
	return n
}
