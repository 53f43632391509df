package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
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
// backup made and the last attempt apart, what the next one should write and take, and a
// Backup button that shows the progress over its window. It is the backup window and the
// Backup page of Maintenance and Security, where it also lists the backups kept (see
// backupList).
type BackupPanel struct {
	win      fyne.Window
	db       *engine.DB
	run      BackupFunc
	updated  func()
	dest     *widget.Label
	space    *widget.Label
	content  *widget.Label
	last     *widget.Label
	estimate *widget.Label
	form     *widget.Form
	button   *widget.Button
	progress *Progress
	list     *backupList // nil in the backup window
	root     fyne.CanvasObject
	// OpenSettings, when set, is what the Database Settings... button does.
	OpenSettings func()
}

// NewBackupWindow builds the backup window of db; run is the backup to start (DatabaseBackup
// in the app). updated, when set, is called on the Fyne thread after each change made from the
// background. On the Fyne thread; call Refresh once it is shown.
func NewBackupWindow(a fyne.App, db *engine.DB, run BackupFunc, updated func()) *BackupWindow {
	w := a.NewWindow("Backup - " + db.Name())
	b := &BackupWindow{Window: w, BackupPanel: newBackupPanel(w, db, run, updated, false)}
	b.SetContent(withWarmUp(b.root))
	// Enter presses Backup, the window's default button.
	b.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter {
			if !b.button.Disabled() {
				b.Start()
			}
		}
	})
	b.Resize(fyne.NewSize(640, 360))
	return b
}

// newBackupPanel builds the panel; its progress shows over win. withList adds the list of the
// backups kept.
func newBackupPanel(win fyne.Window, db *engine.DB, run BackupFunc, updated func(), withList bool) *BackupPanel {
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
	b.estimate = widget.NewLabel("")
	b.estimate.Wrapping = fyne.TextWrapWord
	b.button = widget.NewButton("Backup", b.Start)
	b.button.Importance = widget.HighImportance
	b.form = widget.NewForm(
		widget.NewFormItem("Destination", b.dest),
		widget.NewFormItem("Disk", b.space),
		widget.NewFormItem("Content", b.content),
		widget.NewFormItem("Last backup", b.last),
		widget.NewFormItem("Next backup", b.estimate),
	)
	settingsButton := widget.NewButton("Database Settings...", func() {
		if b.OpenSettings != nil {
			b.OpenSettings()
		}
	})
	buttons := container.NewHBox(b.button, widget.NewLabel("(Enter)"), layout.NewSpacer(), settingsButton)
	if !withList {
		b.root = container.NewBorder(nil, buttons, nil, nil, b.form)
		return b
	}
	b.list = newBackupList(b)
	b.root = container.NewBorder(b.form, buttons, nil, nil, b.list.root)
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
		last, est := "none yet", ""
		var list []backup.BackupInfo
		h, err := backup.LoadHistory(dest)
		if err != nil {
			last = "the history cannot be read: " + codedError(historyError(dest, err)).Error()
		} else {
			last = lastBackupText(h, time.Now(), true)
			e, eerr := backup.EstimateNext(b.db)
			est = estimateText(e, eerr)
			if b.list != nil {
				list, err = backup.ListBackups(dest)
			}
		}
		do(func() {
			b.dest.SetText(dest)
			b.space.SetText(space)
			b.content.SetText(content)
			b.last.SetText(last)
			b.estimate.SetText(est)
			b.form.Refresh() // its rows take the height of the wrapped texts
			if b.list != nil {
				b.list.show(list, err)
			}
			b.updated()
		})
	})
}

// lastBackupText says what the history holds of the last backup made and, when an attempt
// after it made none (stopped, failed), of that attempt: apart, so that an attempt that failed
// never hides the backup there is. long adds each one's error message and how long ago it was.
func lastBackupText(h *backup.History, now time.Time, long bool) string {
	good, last := h.LastGood(), h.Last()
	text := "none yet"
	if good != nil {
		text = fmt.Sprintf("#%d %s (%s)", good.Number, shortWhen(entryTime(good), now), resultWord(good))
		if good.ErrorCode != 0 {
			text = strings.TrimSuffix(text, ")") + fmt.Sprintf(", %d)", good.ErrorCode) // partial
		}
		if long {
			text += ", " + humanize.RelTime(entryTime(good), now, "ago", "from now")
		}
	}
	if last == nil || last.Status != backup.StatusFailed {
		return text // the last attempt made the backup (deleted since, maybe)
	}
	attempt := ""
	if last.Number != 0 {
		attempt = fmt.Sprintf("#%d ", last.Number)
	}
	attempt += fmt.Sprintf("%s %s", shortWhen(entryTime(last), now), resultWord(last))
	if last.ErrorCode != 0 {
		attempt += fmt.Sprintf(" (%d)", last.ErrorCode)
		if long && last.Error != "" {
			attempt = strings.TrimSuffix(attempt, ")") + ": " + last.WindowError() + ")"
		}
	}
	if long {
		return text + "\nLast attempt: " + attempt
	}
	return text + "; last attempt " + attempt
}

// resultWord is a backup's result in a word or two.
func resultWord(e *backup.HistoryEntry) string {
	switch {
	case e.Status == backup.StatusSuccess:
		return "ok"
	case e.Status == backup.StatusPartial:
		return "partial"
	case e.ErrorCode == int(engine.CodeBackupInterrupted):
		return "stopped"
	}
	return "failed"
}

// entryTime is when a history entry started (from its date and time when an older history
// kept no start).
func entryTime(e *backup.HistoryEntry) time.Time {
	if !e.Start.IsZero() {
		return e.Start
	}
	t, _ := time.ParseInLocation("2006-01-02 15:04:05", e.Date+" "+e.Time, time.Local)
	return t
}

// shortWhen says when t was, as short as stays clear: "today 10:04", "yesterday 18:30",
// "Mon 2 Nov 09:00", "2 Nov 2025 09:00".
func shortWhen(t, now time.Time) string {
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	switch {
	case !t.Before(today) && t.Before(today.AddDate(0, 0, 1)):
		return "today " + t.Format("15:04")
	case !t.Before(today.AddDate(0, 0, -1)) && t.Before(today):
		return "yesterday " + t.Format("15:04")
	case t.Year() == y:
		return t.Format("Mon 2 Jan 15:04")
	}
	return t.Format("2 Jan 2006 15:04")
}

// estimateText says what the next backup should write and take.
func estimateText(e backup.Estimate, err error) string {
	switch {
	case err != nil:
		return fmt.Sprintf("no estimate (error %d: %s)", engine.CodeOf(err), engine.WindowText(err))
	case e.From == 0:
		return fmt.Sprintf("no estimate before a first backup is made (the log holds %s)", humanize.Bytes(uint64(e.Log)))
	}
	took := "in under a second"
	if e.Duration >= time.Second {
		took = "in about " + roundDuration(e.Duration)
	}
	return fmt.Sprintf("about %s, %s (from the last %d backup(s), with the %s logged since)",
		humanize.Bytes(uint64(e.Size)), took, e.From, humanize.Bytes(uint64(e.Log)))
}

// roundDuration reads a duration in whole seconds ("under 1s" below that).
func roundDuration(d time.Duration) string {
	if d < time.Second {
		return "under 1s"
	}
	return d.Round(time.Second).String()
}

// backupList is the list of the backups kept (Maintenance and Security, Backup page): number,
// date, size, duration, result and verification, newest first, with Verify and Delete... on
// the one chosen. Both read and write the destination on a goroutine; the list is read again
// after each.
type backupList struct {
	panel   *BackupPanel
	backups []backup.BackupInfo
	chosen  int // row chosen, -1: none
	busy    bool
	table   *widget.Table
	info    *widget.Label
	verify  *widget.Button
	remove  *widget.Button
	root    fyne.CanvasObject
}

// backupColumns are the list's columns, with their widths.
var backupColumns = []struct {
	name  string
	width float32
}{{"Backup", 70}, {"Date", 170}, {"Size", 90}, {"Duration", 80}, {"Result", 170}, {"Verified", 250}}

func newBackupList(p *BackupPanel) *backupList {
	l := &backupList{panel: p, chosen: -1}
	l.table = widget.NewTable(func() (int, int) { return len(l.backups), len(backupColumns) },
		func() fyne.CanvasObject {
			t := widget.NewLabel("")
			t.Truncation = fyne.TextTruncateEllipsis
			return t
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			text := ""
			if id.Row < len(l.backups) {
				text = backupCells(&l.backups[id.Row], time.Now())[id.Col]
			}
			o.(*widget.Label).SetText(text)
		})
	l.table.ShowHeaderRow = true
	l.table.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	l.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 && id.Col < len(backupColumns) {
			o.(*widget.Label).SetText(backupColumns[id.Col].name)
		}
	}
	for i, c := range backupColumns {
		l.table.SetColumnWidth(i, c.width)
	}
	l.table.OnSelected = func(id widget.TableCellID) { l.choose(id.Row) }
	l.info = widget.NewLabel("Choose a backup to verify or delete it.")
	l.info.Wrapping = fyne.TextWrapWord
	l.verify = widget.NewButton("Verify", l.Verify)
	l.remove = widget.NewButton("Delete...", l.Delete)
	l.remove.Importance = widget.DangerImportance
	l.verify.Disable()
	l.remove.Disable()
	title := widget.NewLabelWithStyle("Backups kept", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	bottom := container.NewBorder(nil, nil, container.NewHBox(l.verify, l.remove), nil, l.info)
	l.root = container.NewBorder(title, bottom, nil, nil, l.table)
	return l
}

// backupCells is what the list shows of a backup, one text per column.
func backupCells(b *backup.BackupInfo, now time.Time) []string {
	result := resultWord(&b.HistoryEntry)
	if b.ErrorCode != 0 {
		result += fmt.Sprintf(" (%d)", b.ErrorCode)
	}
	if !b.Present {
		result += ", archive missing"
	}
	verified := "not verified (archive.verify was off)"
	if b.Checked {
		verified = "verified when made"
	}
	if v := b.Verified; v != nil && v.Status == backup.StatusSuccess {
		verified = "verified " + shortWhen(entryTime(v), now)
	} else if v != nil {
		verified = fmt.Sprintf("failed %s (%d)", shortWhen(entryTime(v), now), v.ErrorCode)
	}
	return []string{fmt.Sprintf("#%d", b.Number), b.Date + " " + b.Time, humanize.Bytes(uint64(b.Size)),
		roundDuration(time.Duration(b.DurationMS) * time.Millisecond), result, verified}
}

// show puts the backups read in the list (or why they cannot be read); the one chosen stays
// chosen while it is listed.
func (l *backupList) show(list []backup.BackupInfo, err error) {
	var n uint32
	if l.chosen >= 0 && l.chosen < len(l.backups) {
		n = l.backups[l.chosen].Number
	}
	l.backups, l.chosen = list, -1
	l.table.UnselectAll()
	for i := range list {
		if list[i].Number == n {
			l.table.Select(widget.TableCellID{Row: i})
		}
	}
	switch {
	case err != nil:
		l.info.SetText(fmt.Sprintf("The backups cannot be listed (error %d): %s", engine.CodeOf(err), engine.WindowText(err)))
	case len(list) == 0:
		l.info.SetText("No backup kept yet: press Backup to make the first one.")
	}
	l.table.Refresh()
	l.enable()
}

func (l *backupList) choose(row int) {
	if row < 0 || row >= len(l.backups) {
		return
	}
	l.chosen = row
	l.enable()
}

// enable turns Verify and Delete... on while a backup is chosen and neither runs.
func (l *backupList) enable() {
	if l.chosen < 0 || l.busy {
		l.verify.Disable()
		l.remove.Disable()
		return
	}
	l.remove.Enable()
	if l.backups[l.chosen].Present {
		l.verify.Enable()
	} else {
		l.verify.Disable()
	}
}

// Choose selects the backup numbered n in the list (for tests, and to show one).
func (l *backupList) Choose(n uint32) {
	for i := range l.backups {
		if l.backups[i].Number == n {
			l.table.Select(widget.TableCellID{Row: i})
		}
	}
}

// Verify reads the chosen backup back and says what it found (the Verify button).
func (l *backupList) Verify() {
	if l.chosen < 0 || l.busy {
		return
	}
	n, db := l.backups[l.chosen].Number, l.panel.db
	l.busy = true
	l.enable()
	l.info.SetText(fmt.Sprintf("Verifying backup %d...", n))
	background(func() {
		m, err := backup.VerifyBackup(db, n)
		do(func() {
			l.busy = false
			if err != nil {
				l.info.SetText(fmt.Sprintf("Backup %d failed its verification (error %d): %s", n, engine.CodeOf(err), engine.WindowText(err)))
			} else {
				l.info.SetText(fmt.Sprintf("Backup %d verified: its %d file(s) read back as they were written.", n, len(m.Entries)))
			}
			l.panel.Refresh()
		})
	})
}

// Delete asks, then deletes the chosen backup (the Delete... button): the question says what
// goes with it and what can no longer be restored or rolled back to; Cancel is the default.
func (l *backupList) Delete() {
	if l.chosen < 0 || l.busy {
		return
	}
	b, db := l.backups[l.chosen], l.panel.db
	l.busy = true
	l.enable()
	background(func() {
		plan, err := backup.PlanDelete(db, b.Number)
		do(func() {
			if err != nil {
				l.busy = false
				l.enable()
				alert(err, l.panel.win)
				return
			}
			l.confirmDelete(&b, plan)
		})
	})
}

// confirmDelete asks before backup b goes, as plan says. On the Fyne thread.
func (l *backupList) confirmDelete(b *backup.BackupInfo, plan *backup.DeletePlan) {
	text := fmt.Sprintf("Delete backup %d of %s %s (%s)? Its archive is removed from the destination.", b.Number, b.Date, b.Time, humanize.Bytes(uint64(b.Size)))
	var logs []string
	for _, f := range plan.Files {
		if filepath.Ext(f.Path) == ".4BL" {
			logs = append(logs, filepath.Base(f.Path))
		}
	}
	if len(logs) > 0 {
		text += fmt.Sprintf("\n\nThe log backups that only it can start go with it: %s.", strings.Join(logs, ", "))
	}
	if plan.Lost != "" {
		text += "\n\nLost: " + plan.Lost + "."
	}
	if plan.Only {
		text += "\n\nIt is the only backup kept: nothing will be left to restore the database from. Make another backup first unless you mean it."
	}
	msg := widget.NewLabel(text)
	msg.Wrapping = fyne.TextWrapWord
	var d *dialog.CustomDialog
	cancel := widget.NewButton("Cancel", func() {
		d.Hide()
		l.busy = false
		l.enable()
		l.info.SetText(fmt.Sprintf("Backup %d is kept.", b.Number))
	})
	cancel.Importance = widget.HighImportance // the safe answer is the default
	remove := widget.NewButton("Delete", func() {
		d.Hide()
		l.deleteNow(plan)
	})
	remove.Importance = widget.DangerImportance
	d = dialog.NewCustomWithoutButtons(fmt.Sprintf("Delete backup %d?", b.Number), msg, l.panel.win)
	d.SetButtons([]fyne.CanvasObject{cancel, remove})
	d.Resize(fyne.NewSize(520, 0))
	d.Show()
}

// deleteNow deletes the backup of plan, the loss it says accepted.
func (l *backupList) deleteNow(plan *backup.DeletePlan) {
	db := l.panel.db
	l.info.SetText(fmt.Sprintf("Deleting backup %d...", plan.Number))
	background(func() {
		_, err := backup.DeleteBackup(db, plan.Number, plan)
		do(func() {
			l.busy = false
			if err != nil {
				l.info.SetText(fmt.Sprintf("Deleting backup %d failed (error %d).", plan.Number, engine.CodeOf(err)))
				alert(err, l.panel.win)
			} else {
				l.info.SetText(fmt.Sprintf("Backup %d deleted.", plan.Number))
			}
			l.panel.Refresh()
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
