package ui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"holdfast/dialogs"
	"holdfast/engine"
	"holdfast/settings"
)

// SettingsOptions are what the Database Settings window needs from the app.
type SettingsOptions struct {
	Chooser dialogs.Chooser // files and folders: attachments, destination, the log file
	Backup  BackupFunc      // the backup run when the log needs one first (S3.4)
	Updated func()          // called on the Fyne thread after each change made from the background
	Saved   func()          // called on the Fyne thread once OK saved the settings
}

// SettingsWindow is the Database Settings window (S8): the pages Backup/Scheduler,
// Backup/Configuration and Backup/Backup & Restore, bound to every key of S7. A value is
// checked as it is typed and shown at its field; OK saves only when every field is valid,
// Cancel saves nothing. The log is the exception (S3.4): turning it on or off acts at once,
// through its own dialogs, because the log must never be in a state the settings file does not
// say.
type SettingsWindow struct {
	fyne.Window
	db   *engine.DB
	opts SettingsOptions

	fields  []*settingField
	tabs    *container.AppTabs
	pages   map[string]*container.TabItem
	summary *widget.Label
	sched   *widget.Label // a schedule that does not hold together (custom mode)
	mode    *widget.Select
	ok      *widget.Button

	modeRows map[string][]fyne.CanvasObject
	rowOf    map[*settingField]fyne.CanvasObject // the scheduler row a field is in

	attachments []string
	attachList  *widget.List
	attachSel   int
	attachDel   *widget.Button

	dest      *widget.Entry
	destSpace *widget.Label
	spaceMu   sync.Mutex
	spaceGen  int

	logCheck *widget.Check
	logState *widget.Label
	logQuiet bool // the check is being set to what the database says: not a request

	closed bool
}

// Close closes the window; a second call does nothing.
func (w *SettingsWindow) Close() {
	if !w.closed {
		w.closed = true
		w.Window.Close()
	}
}

// settingField binds one key to a widget: its value as text, and where its error is shown.
type settingField struct {
	key   settings.Key
	page  string
	get   func() string
	entry *widget.Entry // nil for widgets that cannot hold an invalid value
	err   *widget.Label
	obj   fyne.CanvasObject // the widget
}

// Pages of the window.
const (
	pageScheduler     = "Scheduler"
	pageConfiguration = "Configuration"
	pageBackupRestore = "Backup & Restore"
)

var schedulerModes = []struct{ value, label string }{
	{"never", "Never"}, {"hourly", "Every Hour"}, {"daily", "Every Day"}, {"weekly", "Every Week"},
	{"monthly", "Every Month"}, {"custom", "Personalized"},
}

var weekdayNames = []struct{ value, label string }{
	{"mon", "Monday"}, {"tue", "Tuesday"}, {"wed", "Wednesday"}, {"thu", "Thursday"},
	{"fri", "Friday"}, {"sat", "Saturday"}, {"sun", "Sunday"},
}

// NewSettingsWindow builds the window on db's current settings. On the Fyne thread; call
// Refresh once it is shown.
func NewSettingsWindow(a fyne.App, db *engine.DB, opts SettingsOptions) *SettingsWindow {
	if opts.Updated == nil {
		opts.Updated = func() {}
	}
	w := &SettingsWindow{Window: a.NewWindow("Database Settings - " + db.Name()), db: db, opts: opts,
		pages: map[string]*container.TabItem{}, modeRows: map[string][]fyne.CanvasObject{},
		rowOf: map[*settingField]fyne.CanvasObject{}, attachSel: -1}
	cur := db.Settings()
	w.tabs = container.NewAppTabs(
		w.page(pageScheduler, w.schedulerPage(cur)),
		w.page(pageConfiguration, w.configurationPage(cur)),
		w.page(pageBackupRestore, w.backupRestorePage(cur)),
	)
	w.summary = widget.NewLabel("")
	w.summary.Wrapping = fyne.TextWrapWord
	w.summary.Importance = widget.DangerImportance
	w.summary.Hide()
	w.ok = widget.NewButton("OK", w.Save)
	w.ok.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", w.Close)
	header := widget.NewLabelWithStyle("Backup", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w.SetContent(withWarmUp(container.NewBorder(header, container.NewVBox(w.summary, container.NewHBox(layout.NewSpacer(), cancel, w.ok)), nil, nil, w.tabs)))
	w.Resize(fyne.NewSize(760, 640))
	return w
}

func (w *SettingsWindow) page(name string, content fyne.CanvasObject) *container.TabItem {
	t := container.NewTabItem(name, container.NewVScroll(content))
	w.pages[name] = t
	return t
}

// bind registers a field of key shown by obj; for an entry, each change is checked at once.
func (w *SettingsWindow) bind(page, key string, get func() string, entry *widget.Entry) *settingField {
	k, err := settings.Lookup(key)
	if err != nil {
		panic(err) // a key missing from settings.Keys is a programming error
	}
	f := &settingField{key: k, page: page, get: get, entry: entry}
	if entry != nil {
		f.err = widget.NewLabel("")
		f.err.Importance = widget.DangerImportance
		f.err.Wrapping = fyne.TextWrapWord
		f.err.Hide()
		entry.Validator = func(s string) error {
			if k.Check(strings.TrimSpace(s)) != nil {
				return errors.New(k.Want)
			}
			return nil
		}
		entry.OnChanged = func(string) { w.check(f) }
	}
	w.fields = append(w.fields, f)
	return f
}

// check shows the field's error at the field, or hides it; it reports whether it is valid.
func (w *SettingsWindow) check(f *settingField) bool {
	if f.entry == nil {
		return true
	}
	err := f.entry.Validate()
	if err == nil {
		f.err.Hide()
		f.entry.AlwaysShowValidationError = false
	} else {
		f.err.SetText(fmt.Sprintf("Expected: %s.", err))
		f.err.Show()
		f.entry.AlwaysShowValidationError = true
	}
	f.entry.Refresh()
	return err == nil
}

// entry is a text field of key with its error below it.
func (w *SettingsWindow) entry(page, key string, cur *settings.Settings, placeholder string) (*widget.Entry, fyne.CanvasObject) {
	e := widget.NewEntry()
	e.SetText(cur.String(key))
	e.SetPlaceHolder(placeholder)
	f := w.bind(page, key, func() string { return strings.TrimSpace(e.Text) }, e)
	f.obj = e
	return e, container.NewVBox(e, f.err)
}

func (w *SettingsWindow) checkbox(page, key, label string, cur *settings.Settings) *widget.Check {
	c := widget.NewCheck(label, nil)
	c.SetChecked(cur.Bool(key))
	w.bind(page, key, func() string { return fmt.Sprint(c.Checked) }, nil).obj = c
	return c
}

// choice is a drop-down of key; labels[i] shows values[i].
func (w *SettingsWindow) choice(page, key string, cur *settings.Settings, opts []struct{ value, label string }) *widget.Select {
	var labels []string
	for _, o := range opts {
		labels = append(labels, o.label)
	}
	s := widget.NewSelect(labels, nil)
	v := cur.String(key)
	for _, o := range opts {
		if o.value == v {
			s.SetSelected(o.label)
		}
	}
	w.bind(page, key, func() string {
		for _, o := range opts {
			if o.label == s.Selected {
				return o.value
			}
		}
		return v
	}, nil).obj = s
	return s
}

func pairs(vals ...string) []struct{ value, label string } {
	var out []struct{ value, label string }
	for i := 0; i+1 < len(vals); i += 2 {
		out = append(out, struct{ value, label string }{vals[i], vals[i+1]})
	}
	return out
}

func (w *SettingsWindow) schedulerPage(cur *settings.Settings) fyne.CanvasObject {
	p := pageScheduler
	mode := w.choice(p, "scheduler.mode", cur, schedulerModes)
	_, at := w.entry(p, "scheduler.time", cur, "HH:MM")
	day := w.choice(p, "scheduler.weekday", cur, weekdayNames)
	_, monthday := w.entry(p, "scheduler.monthday", cur, "1 to 31")
	_, hours := w.entry(p, "scheduler.custom.hours", cur, "0 = off")
	_, days := w.entry(p, "scheduler.custom.days", cur, "0 = off")
	_, daysAt := w.entry(p, "scheduler.custom.daysTime", cur, "HH:MM")
	_, weeks := w.entry(p, "scheduler.custom.weeks", cur, "0 = off")
	var dayLabels []string
	for _, d := range weekdayNames {
		dayLabels = append(dayLabels, d.label)
	}
	weekdays := widget.NewCheckGroup(dayLabels, nil)
	weekdays.Horizontal = true
	chosen, _ := cur.Get("scheduler.custom.weekdays")
	for _, d := range weekdayNames {
		if slices.Contains(strings.Split(chosen, ","), d.value) {
			weekdays.Selected = append(weekdays.Selected, d.label)
		}
	}
	w.bind(p, "scheduler.custom.weekdays", func() string {
		var out []string
		for _, d := range weekdayNames {
			if slices.Contains(weekdays.Selected, d.label) {
				out = append(out, d.value)
			}
		}
		return strings.Join(out, ",")
	}, nil)
	_, weeksAt := w.entry(p, "scheduler.custom.weeksTime", cur, "HH:MM")
	_, months := w.entry(p, "scheduler.custom.months", cur, "0 = off")
	_, monthsDay := w.entry(p, "scheduler.custom.monthday", cur, "1 to 31")
	_, monthsAt := w.entry(p, "scheduler.custom.monthsTime", cur, "HH:MM")
	tray := w.checkbox(p, "app.runInTray", "Keep running in the system tray when the window is closed, so that scheduled backups happen", cur)

	form := widget.NewForm(widget.NewFormItem("Automatic backup", mode))
	row := func(label, key string, obj fyne.CanvasObject, modes ...string) {
		c := container.NewBorder(nil, nil, widget.NewLabel(label), nil, obj)
		form.Append("", c)
		w.rowOf[w.fieldOf(key)] = c
		for _, m := range modes {
			w.modeRows[m] = append(w.modeRows[m], c)
		}
	}
	row("At", "scheduler.time", at, "daily", "weekly", "monthly")
	row("On", "scheduler.weekday", day, "weekly")
	row("On day", "scheduler.monthday", monthday, "monthly")
	row("Every ... hour(s)", "scheduler.custom.hours", hours, "custom")
	row("Every ... day(s)", "scheduler.custom.days", days, "custom")
	row("  at", "scheduler.custom.daysTime", daysAt, "custom")
	row("Every ... week(s)", "scheduler.custom.weeks", weeks, "custom")
	row("  on", "scheduler.custom.weekdays", weekdays, "custom")
	row("  at", "scheduler.custom.weeksTime", weeksAt, "custom")
	row("Every ... month(s)", "scheduler.custom.months", months, "custom")
	row("  on day", "scheduler.custom.monthday", monthsDay, "custom")
	row("  at", "scheduler.custom.monthsTime", monthsAt, "custom")
	w.mode = mode
	w.sched = widget.NewLabel("")
	w.sched.Importance = widget.DangerImportance
	w.sched.Wrapping = fyne.TextWrapWord
	w.sched.Hide()
	note := widget.NewLabel("A personalized schedule uses one of hours, days, weeks or months; leave the others at 0. " +
		"Day 31 means the last day of shorter months.")
	note.Wrapping = fyne.TextWrapWord
	w.showMode(mode.Selected)
	mode.OnChanged = w.showMode
	return container.NewVBox(form, w.sched, note, widget.NewSeparator(), tray)
}

// showMode shows the rows the scheduler mode uses, and any row whose value is invalid (OK
// refuses it even when the mode does not use it, so it must be seen).
func (w *SettingsWindow) showMode(label string) {
	mode := ""
	for _, m := range schedulerModes {
		if m.label == label {
			mode = m.value
		}
	}
	shown := map[fyne.CanvasObject]bool{}
	for _, r := range w.modeRows[mode] {
		shown[r] = true
	}
	for f, r := range w.rowOf {
		if f.err != nil && f.err.Visible() {
			shown[r] = true
		}
	}
	for _, rows := range w.modeRows {
		for _, r := range rows {
			if shown[r] {
				r.Show()
			} else {
				r.Hide()
			}
		}
	}
}

func (w *SettingsWindow) configurationPage(cur *settings.Settings) fyne.CanvasObject {
	p := pageConfiguration
	data := w.checkbox(p, "content.data", "Data file", cur)
	structure := w.checkbox(p, "content.structure", "Structure file", cur)
	w.attachments, _ = cur.List("content.attachments")
	w.attachList = widget.NewList(func() int { return len(w.attachments) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(w.attachments[i]) })
	w.attachList.OnSelected = func(i widget.ListItemID) { w.attachSel = i; w.attachDel.Enable() }
	w.attachList.OnUnselected = func(widget.ListItemID) { w.attachSel = -1; w.attachDel.Disable() }
	w.bind(p, "content.attachments", func() string { return strings.Join(w.attachments, "\n") }, nil)
	addFile := widget.NewButton("Add file...", func() { w.addAttachment(false) })
	addFolder := widget.NewButton("Add folder...", func() { w.addAttachment(true) })
	w.attachDel = widget.NewButton("Delete", w.DeleteAttachment)
	w.attachDel.Disable()
	attach := container.NewBorder(nil, container.NewHBox(addFile, addFolder, w.attachDel), nil, nil, w.attachList)
	listBox := container.NewGridWrap(fyne.NewSize(700, 150), attach)

	var destBox fyne.CanvasObject
	w.dest, destBox = w.entry(p, "destination", cur, filepath.Join(filepath.Dir(w.db.Dir()), w.db.Name()+" Backups"))
	w.destSpace = widget.NewLabel("")
	// Beyond what the key accepts, a destination that is a file can never hold backups.
	validDest := w.dest.Validator
	w.dest.Validator = func(s string) error {
		if err := validDest(s); err != nil {
			return err
		}
		if fi, err := os.Stat(strings.TrimSpace(s)); err == nil && !fi.IsDir() {
			return errors.New("a folder (this is a file)")
		}
		return nil
	}
	w.dest.OnChanged = func(string) {
		w.check(w.fieldOf("destination"))
		w.readSpace()
	}
	choose := widget.NewButton("Choose...", w.chooseDestination)

	w.logCheck = widget.NewCheck("Use Log", w.logChanged)
	w.logState = widget.NewLabel("")
	w.logState.Wrapping = fyne.TextWrapWord
	advice := widget.NewLabel("Put the log file on another disk than the data file: if one disk fails, the other still " +
		"holds what is needed to rebuild the data.")
	advice.Wrapping = fyne.TextWrapWord
	newLog := widget.NewButton("New Log File", w.newLogFile)
	w.showLog()

	return container.NewVBox(
		widget.NewLabelWithStyle("Content", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		data, structure, widget.NewLabel("Attachments (files and folders copied into each backup):"), listBox,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Backup file destination", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewBorder(nil, nil, nil, choose, destBox), w.destSpace,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Log management", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewHBox(w.logCheck, newLog), w.logState, advice,
	)
}

func (w *SettingsWindow) backupRestorePage(cur *settings.Settings) fyne.CanvasObject {
	p := pageBackupRestore
	keep := w.checkbox(p, "keep.enabled", "Keep only the last", cur)
	_, keepCount := w.entry(p, "keep.count", cur, "1 to 9999")
	deleteOldest := widget.NewRadioGroup([]string{"before the backup", "after the backup"}, nil)
	deleteOldest.Horizontal = true
	deleteOldest.Required = true
	deleteOldest.SetSelected(cur.String("keep.deleteOldest") + " the backup")
	w.bind(p, "keep.deleteOldest", func() string { return strings.TrimSuffix(deleteOldest.Selected, " the backup") }, nil)
	onlyModified := w.checkbox(p, "backupOnlyIfModified", "Backup only if the data file has been modified", cur)
	failure := widget.NewRadioGroup([]string{"Retry at the next scheduled time", "Retry after"}, nil)
	failure.Required = true
	if cur.String("failure.mode") == "retry" {
		failure.SetSelected("Retry after")
	} else {
		failure.SetSelected("Retry at the next scheduled time")
	}
	w.bind(p, "failure.mode", func() string {
		if failure.Selected == "Retry after" {
			return "retry"
		}
		return "nextScheduled"
	}, nil)
	_, retryAfter := w.entry(p, "failure.retryAfter", cur, "30s, 10m, 1h")
	maxOn := w.checkbox(p, "failure.maxAttemptsEnabled", "Cancel the operation after", cur)
	_, maxN := w.entry(p, "failure.maxAttempts", cur, "1 to 99")
	verbose := w.checkbox(p, "journal.verbose", "Write every step in the backup journal (verbose)", cur)
	_, onStart := w.entry(p, "hooks.onStartup", cur, "a command run before each backup (empty = none)")
	_, onEnd := w.entry(p, "hooks.onShutdown", cur, "a command run after each backup (empty = none)")

	compression := w.choice(p, "archive.compression", cur, pairs("none", "None", "fast", "Fast", "compact", "Compact"))
	_, segment := w.entry(p, "archive.segmentMB", cur, "0 = no segments")
	levels := pairs("none", "None", "low", "Low", "medium", "Medium", "high", "High")
	redundancy := w.choice(p, "archive.redundancy", cur, levels)
	interlacing := w.choice(p, "archive.interlacing", cur, levels)
	verify := w.checkbox(p, "archive.verify", "Check the archive after writing it", cur)

	autoRestore := w.checkbox(p, "restore.autoRestoreIfDamaged", "Restore last backup if database is damaged", cur)
	autoIntegrate := w.checkbox(p, "restore.autoIntegrateLog", "Integrate last log file if database is incomplete", cur)

	general := widget.NewForm(
		widget.NewFormItem("", container.NewBorder(nil, nil, keep, widget.NewLabel("backup file(s)"), keepCount)),
		widget.NewFormItem("Delete oldest", deleteOldest),
		widget.NewFormItem("", onlyModified),
		widget.NewFormItem("If backup fails", failure),
		widget.NewFormItem("  retry after", retryAfter),
		widget.NewFormItem("", container.NewBorder(nil, nil, maxOn, widget.NewLabel("attempts"), maxN)),
		widget.NewFormItem("", verbose),
		widget.NewFormItem("Before backup", onStart),
		widget.NewFormItem("After backup", onEnd),
	)
	archive := widget.NewForm(
		widget.NewFormItem("Segment size (MB)", segment),
		widget.NewFormItem("Compression", compression),
		widget.NewFormItem("Redundancy", redundancy),
		widget.NewFormItem("Interlacing", interlacing),
		widget.NewFormItem("", verify),
	)
	return container.NewVBox(
		widget.NewLabelWithStyle("General settings", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), general,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Archive", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), archive,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Automatic restore", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), autoRestore, autoIntegrate,
	)
}

func (w *SettingsWindow) fieldOf(key string) *settingField {
	for _, f := range w.fields {
		if f.key.Name == key {
			return f
		}
	}
	return nil
}

// Refresh reads what the window shows from the disk (the destination's space).
func (w *SettingsWindow) Refresh() { w.readSpace() }

// readSpace shows the used and free space of the destination typed, read on a goroutine; a
// newer request replaces an older one.
func (w *SettingsWindow) readSpace() {
	dest := strings.TrimSpace(w.dest.Text)
	if dest == "" {
		dest = filepath.Join(filepath.Dir(w.db.Dir()), w.db.Name()+" Backups")
	}
	w.spaceMu.Lock()
	w.spaceGen++
	gen := w.spaceGen
	w.spaceMu.Unlock()
	background(func() {
		text := spaceOf(dest)
		do(func() {
			w.spaceMu.Lock()
			current := gen == w.spaceGen
			w.spaceMu.Unlock()
			if current {
				w.destSpace.SetText(text)
				w.opts.Updated()
			}
		})
	})
}

// Space is the used and free space shown for the destination.
func (w *SettingsWindow) Space() string { return w.destSpace.Text }

func (w *SettingsWindow) chooseDestination() {
	start := strings.TrimSpace(w.dest.Text)
	background(func() {
		path, err := w.opts.Chooser.Folder("Backup destination", start)
		do(func() {
			if err == nil {
				w.dest.SetText(path) // its OnChanged checks it and reads its space
			} else if dialogFailed(err) {
				alert(err, w.Window)
			}
			w.opts.Updated()
		})
	})
}

// addAttachment asks for a file or a folder and adds it to the list (not saved before OK).
func (w *SettingsWindow) addAttachment(folder bool) {
	start, _ := os.UserHomeDir()
	background(func() {
		var path string
		var err error
		if folder {
			path, err = w.opts.Chooser.Folder("Add a folder to the backups", start)
		} else {
			path, err = w.opts.Chooser.OpenFile("Add a file to the backups", start)
		}
		do(func() {
			switch {
			case err == nil:
				if abs, aerr := filepath.Abs(path); aerr == nil {
					path = abs
				}
				if !slices.Contains(w.attachments, path) {
					w.attachments = append(w.attachments, path)
					w.attachList.Refresh()
				}
			case dialogFailed(err):
				alert(err, w.Window)
			}
			w.opts.Updated()
		})
	})
}

// Attachments are the attachments listed (saved by OK).
func (w *SettingsWindow) Attachments() []string { return append([]string(nil), w.attachments...) }

// DeleteAttachment removes the attachment selected from the list.
func (w *SettingsWindow) DeleteAttachment() {
	if w.attachSel < 0 || w.attachSel >= len(w.attachments) {
		return
	}
	w.attachments = slices.Delete(w.attachments, w.attachSel, w.attachSel+1)
	w.attachList.UnselectAll()
	w.attachSel = -1
	w.attachDel.Disable()
	w.attachList.Refresh()
}

// Save checks every field and saves the settings if all are valid (OK); otherwise it shows
// each error at its field, says which pages have them, shows the first, and saves nothing.
func (w *SettingsWindow) Save() {
	next := w.db.Settings()
	var bad []*settingField
	for _, f := range w.fields {
		if !w.check(f) {
			bad = append(bad, f)
			continue
		}
		var err error
		if f.key.List {
			var vals []string
			if v := f.get(); v != "" {
				vals = strings.Split(v, "\n")
			}
			err = next.Set(f.key.Name, vals...)
		} else {
			err = next.Set(f.key.Name, f.get())
		}
		if err != nil {
			bad = append(bad, f)
			if f.err != nil {
				f.err.SetText(err.Error())
				f.err.Show()
			}
		}
	}
	schedErr := ""
	if len(bad) == 0 {
		if _, err := settings.ScheduleOf(next); err != nil {
			schedErr = "The schedule does not hold together: " + err.Error()
		}
	}
	if schedErr != "" {
		w.sched.SetText(schedErr)
		w.sched.Show()
	} else {
		w.sched.Hide()
	}
	if len(bad) > 0 || schedErr != "" {
		var pages []string
		for _, f := range bad {
			if !slices.Contains(pages, f.page) {
				pages = append(pages, f.page)
			}
		}
		if schedErr != "" && !slices.Contains(pages, pageScheduler) {
			pages = append(pages, pageScheduler)
		}
		n := len(bad)
		if schedErr != "" {
			n++
		}
		w.showMode(w.mode.Selected)
		w.summary.SetText(fmt.Sprintf("Nothing was saved: %d value(s) need a fix, shown in red on the page(s) %s.", n, strings.Join(pages, ", ")))
		w.summary.Show()
		w.tabs.Select(w.pages[pages[0]])
		w.Content().Refresh()
		return
	}
	// Written off the Fyne thread: the file is synced, and the database's lock may be busy.
	w.ok.Disable()
	background(func() {
		// The log keys are the database's own: the log dialogs changed them already.
		cur := w.db.Settings()
		next.Set("log.use", cur.String("log.use"))
		next.Set("log.path", cur.String("log.path"))
		err := w.db.UpdateSettings(next)
		do(func() {
			w.ok.Enable()
			if err != nil {
				w.summary.SetText(fmt.Sprintf("Nothing was saved (error %d): %v", engine.CodeOf(err), err))
				w.summary.Show()
				w.opts.Updated()
				return
			}
			w.summary.Hide()
			if w.opts.Saved != nil {
				w.opts.Saved()
			}
			w.Close()
			w.opts.Updated()
		})
	})
}

// Errors lists the errors shown at the fields, as "key: text", for tests and the summary.
func (w *SettingsWindow) Errors() []string {
	var out []string
	for _, f := range w.fields {
		if row, ok := w.rowOf[f]; ok && !row.Visible() {
			continue // not seen: not shown
		}
		if f.err != nil && f.err.Visible() {
			out = append(out, f.key.Name+": "+f.err.Text)
		}
	}
	if w.sched.Visible() {
		out = append(out, "schedule: "+w.sched.Text)
	}
	return out
}

// Summary is the line under the pages after a refused OK ("" when none).
func (w *SettingsWindow) Summary() string {
	if !w.summary.Visible() {
		return ""
	}
	return w.summary.Text
}
