package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
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
//
// A value of the settings file that is not valid is shown at its field, with its line, and
// OK refuses to save until it is replaced there: it is never overwritten by the default the
// field would otherwise show. A bad log key is replaced in the window too (where the log is
// cannot be guessed): the Use Log check, or the log file's field shown for it, then OK.
type SettingsWindow struct {
	fyne.Window
	db   *engine.DB
	opts SettingsOptions

	fields  []*settingField
	tabs    *container.AppTabs
	pages   map[string]*container.TabItem
	summary *widget.Label
	sched   *widget.Label // a schedule that does not hold together (custom mode)
	// The Scheduler page, laid out again when the mode shows other rows.
	schedPage *fyne.Container
	mode      *widget.Select
	ok        *widget.Button

	modeRows map[string][]*formRow
	rowOf    map[*settingField]*formRow // the scheduler row a field is in

	attachments []string
	attachList  *widget.List
	attachSel   int
	attachDel   *widget.Button

	dest      *widget.Entry
	destSpace *widget.Label
	destOpen  string // the destination as the window opened: not probed
	spaceMu   sync.Mutex
	spaceGen  int
	destErr   map[string]string // what the probe found wrong with each destination tried ("": none)
	probeMu   sync.Mutex        // one probe at a time: each removes the folders it made

	logCheck  *widget.Check
	logState  *widget.Label
	logBackup *widget.Button // Back up now, while the log is unavailable (1274)
	logQuiet  bool           // the check is being set to what the database says: not a request

	problems map[string][]settings.Problem // the bad values of the file, by key, when the window opened
	refused  bool                          // OK was refused: the summary follows every change

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
	key    settings.Key
	page   string
	get    func() string
	entry  *widget.Entry // nil for widgets that cannot hold an invalid value
	err    *widget.Label
	errBox fyne.CanvasObject // err in the room it keeps (see errorRoom)
	obj    fyne.CanvasObject // the widget
	// bad is the value the file holds that is not valid, until the widget replaces it (an
	// entry shows it; other widgets say it in err).
	bad *settings.Problem
	// valid, when set, says what is wrong with the field's value ("": nothing): a list's items.
	valid func() string
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
		pages: map[string]*container.TabItem{}, modeRows: map[string][]*formRow{},
		rowOf: map[*settingField]*formRow{}, attachSel: -1, problems: map[string][]settings.Problem{}, destErr: map[string]string{}}
	cur := db.Settings()
	for _, p := range cur.Problems() {
		w.problems[p.Key] = append(w.problems[p.Key], p)
	}
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
	// The file's bad values are shown at once, each at its field, with the rows that hold them.
	for _, f := range w.fields {
		if f.bad != nil || f.valid != nil {
			w.check(f)
		}
	}
	w.showMode(w.mode.Selected)
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
	if ps := w.problems[key]; len(ps) > 0 && !k.List {
		f.bad = &ps[0]
	}
	lines := 0
	if entry != nil {
		lines = 1
	}
	f.err, f.errBox = errorLabel(lines)
	if entry != nil {
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

// check shows the field's error at the field, or hides it, and brings the summary of a refused
// OK up to date; it reports whether the field is valid.
func (w *SettingsWindow) check(f *settingField) bool {
	ok := w.show(f)
	w.updateSummary()
	return ok
}

// show shows the field's error at the field, or hides it; it reports whether it is valid.
func (w *SettingsWindow) show(f *settingField) bool {
	msg := f.problem()
	f.err.SetText(msg)
	f.err.Hidden = msg == ""
	f.errBox.Refresh()
	if f.entry != nil {
		f.entry.AlwaysShowValidationError = msg != ""
		f.entry.Refresh()
	}
	return msg == ""
}

// problem says what is wrong with the field's value, "" when nothing is.
func (f *settingField) problem() string {
	switch {
	case f.entry != nil:
		err := f.entry.Validate()
		if err == nil {
			return ""
		}
		if p := destProblem(""); errors.As(err, &p) {
			return string(p)
		}
		msg := fmt.Sprintf("Expected: %s.", err)
		if f.bad != nil && strings.TrimSpace(f.entry.Text) == f.bad.Value {
			msg += fmt.Sprintf(" This is what the settings file holds, on line %d: replace it.", f.bad.Line)
		}
		return msg
	case f.valid != nil:
		return f.valid()
	case f.bad != nil:
		how := "choose the value here to replace it"
		if _, ok := f.obj.(*widget.Check); ok {
			how = "click the check to choose the value that replaces it (twice to keep what it shows)"
		}
		return fmt.Sprintf("The settings file holds %q here, on line %d, which is not %s: %s.", f.bad.Value, f.bad.Line, f.bad.Want, how)
	}
	return ""
}

// replaced is what a change of a field's widget (not an entry) does: the value shown replaces
// the file's bad value, if it held one.
func (w *SettingsWindow) replaced(f *settingField) {
	if f.bad != nil {
		f.bad = nil
		w.check(f)
	}
}

// at is obj with the errors of the fields of keys below it (obj holds their widgets).
func (w *SettingsWindow) at(obj fyne.CanvasObject, keys ...string) fyne.CanvasObject {
	box := container.NewVBox(obj)
	for _, k := range keys {
		box.Add(w.fieldOf(k).errBox)
	}
	return box
}

// entry is a text field of key; at shows its error. A value of the file that is not valid is
// shown as it is, for the person to replace.
func (w *SettingsWindow) entry(page, key string, cur *settings.Settings, placeholder string) *widget.Entry {
	e := widget.NewEntry()
	e.SetPlaceHolder(placeholder)
	f := w.bind(page, key, func() string { return strings.TrimSpace(e.Text) }, e)
	if f.bad != nil {
		e.SetText(f.bad.Value)
	} else {
		e.SetText(cur.Get(f.key))
	}
	f.obj = e
	return e
}

// checkbox is a check of key; its error is shown with at.
func (w *SettingsWindow) checkbox(page, key, label string, cur *settings.Settings) *widget.Check {
	c := widget.NewCheck(label, nil)
	f := w.bind(page, key, func() string { return fmt.Sprint(c.Checked) }, nil)
	c.SetChecked(cur.Get(f.key) == "true")
	c.OnChanged = func(bool) { w.replaced(f) }
	f.obj = c
	return c
}

// choice is a drop-down of key; labels[i] shows values[i]; its error is shown with at.
func (w *SettingsWindow) choice(page, key string, cur *settings.Settings, opts []struct{ value, label string }) *widget.Select {
	var labels []string
	for _, o := range opts {
		labels = append(labels, o.label)
	}
	s := widget.NewSelect(labels, nil)
	var f *settingField
	var v string
	f = w.bind(page, key, func() string {
		for _, o := range opts {
			if o.label == s.Selected {
				return o.value
			}
		}
		return v
	}, nil)
	v = cur.Get(f.key)
	for _, o := range opts {
		if o.value == v {
			s.SetSelected(o.label)
		}
	}
	s.OnChanged = func(string) { w.replaced(f) }
	f.obj = s
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
	modeChanged := mode.OnChanged
	day := w.choice(p, "scheduler.weekday", cur, weekdayNames)
	var dayLabels []string
	for _, d := range weekdayNames {
		dayLabels = append(dayLabels, d.label[:3]) // seven in a row must fit the window
	}
	weekdays := widget.NewCheckGroup(dayLabels, nil)
	weekdays.Horizontal = true
	wf := w.bind(p, "scheduler.custom.weekdays", func() string {
		var out []string
		for _, d := range weekdayNames {
			if slices.Contains(weekdays.Selected, d.label[:3]) {
				out = append(out, d.value)
			}
		}
		return strings.Join(out, ",")
	}, nil)
	chosen := cur.Get(wf.key)
	for _, d := range weekdayNames {
		if slices.Contains(strings.Split(chosen, ","), d.value) {
			weekdays.Selected = append(weekdays.Selected, d.label[:3])
		}
	}
	weekdays.OnChanged = func([]string) { w.replaced(wf) }
	tray := w.checkbox(p, "app.runInTray", "Keep running in the system tray when the window is closed, so that scheduled backups happen", cur)

	// One form: the labels in a column, and a row the mode does not use takes no room.
	form := container.New(layout.NewFormLayout())
	row := func(label, key string, obj fyne.CanvasObject, modes ...string) {
		r := &formRow{label: widget.NewLabelWithStyle(label, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}), obj: w.at(obj, key)}
		form.Add(r.label)
		form.Add(r.obj)
		w.rowOf[w.fieldOf(key)] = r
		for _, m := range modes {
			w.modeRows[m] = append(w.modeRows[m], r)
		}
	}
	text := func(key, placeholder string) fyne.CanvasObject { return w.entry(p, key, cur, placeholder) }
	row("Automatic backup", "scheduler.mode", mode)
	delete(w.rowOf, w.fieldOf("scheduler.mode")) // always shown
	row("At", "scheduler.time", text("scheduler.time", "HH:MM"), "daily", "weekly", "monthly")
	row("On", "scheduler.weekday", day, "weekly")
	row("On day", "scheduler.monthday", text("scheduler.monthday", "1 to 31"), "monthly")
	row("Every ... hour(s)", "scheduler.custom.hours", text("scheduler.custom.hours", "0 = off"), "custom")
	row("Every ... day(s)", "scheduler.custom.days", text("scheduler.custom.days", "0 = off"), "custom")
	row("at", "scheduler.custom.daysTime", text("scheduler.custom.daysTime", "HH:MM"), "custom")
	row("Every ... week(s)", "scheduler.custom.weeks", text("scheduler.custom.weeks", "0 = off"), "custom")
	row("on", "scheduler.custom.weekdays", weekdays, "custom")
	row("at", "scheduler.custom.weeksTime", text("scheduler.custom.weeksTime", "HH:MM"), "custom")
	row("Every ... month(s)", "scheduler.custom.months", text("scheduler.custom.months", "0 = off"), "custom")
	row("on day", "scheduler.custom.monthday", text("scheduler.custom.monthday", "1 to 31"), "custom")
	row("at", "scheduler.custom.monthsTime", text("scheduler.custom.monthsTime", "HH:MM"), "custom")
	w.mode = mode
	var schedBox fyne.CanvasObject
	w.sched, schedBox = errorLabel(1)
	note := widget.NewLabel("A personalized schedule uses one of hours, days, weeks or months; leave the others at 0. " +
		"Day 31 means the last day of shorter months.")
	note.Wrapping = fyne.TextWrapWord
	w.showMode(mode.Selected)
	mode.OnChanged = func(label string) {
		modeChanged(label)
		w.showMode(label)
	}
	w.schedPage = container.NewVBox(form, schedBox, note, widget.NewSeparator(), w.at(tray, "app.runInTray"))
	return w.schedPage
}

// errorLabel is the label of a field's error (hidden while there is none) and the room it is
// shown in (see errorRoom), with lines kept for it from the start: one for a field whose error
// can appear while the window is open (a text field), none for the others.
func errorLabel(lines int) (*widget.Label, fyne.CanvasObject) {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.SizeName = theme.SizeNameCaptionText
	l.Hide()
	return l, container.New(&errorRoom{lines: lines}, l)
}

// errorRoom lays out the error under a field so that the fields below never move under the
// pointer: its height never shrinks while the window is open (an error that goes leaves its
// room), and it has its lines from the start, for an error that comes as one types. The
// label's padding above and below is left out, so that the lines are small ones.
type errorRoom struct {
	lines   int
	tallest float32
}

func (r *errorRoom) trim() float32 { return theme.InnerPadding() - theme.Padding()/2 }

func (r *errorRoom) MinSize(objs []fyne.CanvasObject) fyne.Size {
	l := objs[0].(*widget.Label)
	var size fyne.Size
	if l.Visible() {
		size = l.MinSize()
		size.Height -= 2 * r.trim()
		// A wrapped label knows its height once laid out at its width: not before.
		if l.Size().Width > 0 {
			r.tallest = max(r.tallest, size.Height)
		}
	}
	if r.lines > 0 && r.tallest == 0 {
		room := widget.NewLabel(strings.Repeat("\n", r.lines-1))
		room.SizeName = l.SizeName
		r.tallest = room.MinSize().Height - 2*r.trim()
	}
	size.Height = max(size.Height, r.tallest)
	return size
}

func (r *errorRoom) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	objs[0].Move(fyne.NewPos(0, -r.trim()))
	objs[0].Resize(fyne.NewSize(size.Width, size.Height+2*r.trim()))
}

// formRow is a row of the scheduler's form: its label and its widget, shown or hidden together.
type formRow struct{ label, obj fyne.CanvasObject }

func (r *formRow) setVisible(on bool) {
	for _, o := range []fyne.CanvasObject{r.label, r.obj} {
		if on {
			o.Show()
		} else {
			o.Hide()
		}
	}
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
	shown := map[*formRow]bool{}
	for _, r := range w.modeRows[mode] {
		shown[r] = true
	}
	for f, r := range w.rowOf {
		if f.err.Visible() {
			shown[r] = true
		}
	}
	for _, r := range w.rowOf {
		r.setVisible(shown[r])
	}
	if w.schedPage != nil {
		w.schedPage.Refresh() // lays out the form again, then its page
		w.pages[pageScheduler].Content.Refresh()
	}
}

func (w *SettingsWindow) configurationPage(cur *settings.Settings) fyne.CanvasObject {
	p := pageConfiguration
	data := w.checkbox(p, "content.data", "Data file", cur)
	structure := w.checkbox(p, "content.structure", "Structure file", cur)
	listBox := w.attachmentsBox(p, cur)

	w.dest = w.entry(p, "destination", cur, w.defaultDest())
	df := w.fieldOf("destination")
	df.err, df.errBox = errorLabel(2) // the probe's error names the folder: two lines
	w.destOpen = strings.TrimSpace(w.dest.Text)
	w.destSpace = widget.NewLabel("")
	// Beyond what the key accepts, a destination that is a file can never hold backups, nor
	// one the probe of readSpace could not write to.
	validDest := w.dest.Validator
	w.dest.Validator = func(s string) error {
		if err := validDest(s); err != nil {
			return err
		}
		if msg := w.destErr[w.destOf(s)]; msg != "" {
			return destProblem(msg)
		}
		return nil
	}
	w.dest.OnChanged = func(string) {
		w.check(w.fieldOf("destination"))
		w.readSpace()
	}
	choose := widget.NewButton("Choose...", w.chooseDestination)

	return container.NewVBox(
		widget.NewLabelWithStyle("Content", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		w.at(data, "content.data"), w.at(structure, "content.structure"),
		widget.NewLabel("Attachments (files and folders copied into each backup):"), listBox,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Backup file destination", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		w.at(container.NewBorder(nil, nil, nil, choose, w.dest), "destination"), w.destSpace,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Log management", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		w.logBox(p, cur),
	)
}

// attachmentsBox is the list of attachments with Add file..., Add folder... and Delete. It
// lists the file's values as they are, one that is not valid included, with its error below:
// deleting it is the way to be rid of it.
func (w *SettingsWindow) attachmentsBox(p string, cur *settings.Settings) fyne.CanvasObject {
	f := w.bind(p, "content.attachments", func() string { return strings.Join(w.attachments, "\n") }, nil)
	w.attachments, _ = cur.Raw(f.key)
	f.valid = func() string { return w.badAttachments(f.key) }
	w.attachList = widget.NewList(func() int { return len(w.attachments) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(w.attachments[i]) })
	w.attachList.OnSelected = func(i widget.ListItemID) { w.attachSel = i; w.attachDel.Enable() }
	w.attachList.OnUnselected = func(widget.ListItemID) { w.attachSel = -1; w.attachDel.Disable() }
	addFile := widget.NewButton("Add file...", func() { w.addAttachment(false) })
	addFolder := widget.NewButton("Add folder...", func() { w.addAttachment(true) })
	w.attachDel = widget.NewButton("Delete", w.DeleteAttachment)
	w.attachDel.Disable()
	attach := container.NewBorder(nil, container.NewHBox(addFile, addFolder, w.attachDel), nil, nil, w.attachList)
	return w.at(container.NewGridWrap(fyne.NewSize(700, 150), attach), f.key.Name)
}

// badAttachments says which attachments listed are not valid, and how to be rid of them.
func (w *SettingsWindow) badAttachments(k settings.Key) string {
	var bad []string
	for _, a := range w.attachments {
		if k.Check(a) == nil {
			continue
		}
		where := ""
		for _, p := range w.problems[k.Name] {
			if p.Value == a {
				where = fmt.Sprintf(" (line %d of the settings file)", p.Line)
			}
		}
		bad = append(bad, fmt.Sprintf("%q%s", a, where))
	}
	if len(bad) == 0 {
		return ""
	}
	return fmt.Sprintf("Not %s: %s. Select it in the list and click Delete.", k.Want, strings.Join(bad, ", "))
}

// logBox is the log management: the Use Log check, New Log File and the log's state. While a
// log key holds a bad value in the file, the database is open read-only and the log cannot be
// turned on or off: the check then says whether the database keeps a log and a field where it
// is (both saved by OK), since neither can be guessed.
func (w *SettingsWindow) logBox(p string, cur *settings.Settings) fyne.CanvasObject {
	w.logCheck = widget.NewCheck("Use Log", nil)
	w.logState = widget.NewLabel("")
	w.logState.Wrapping = fyne.TextWrapWord
	advice := widget.NewLabel("Put the log file on another disk than the data file: if one disk fails, the other still " +
		"holds what is needed to rebuild the data.")
	advice.Wrapping = fyne.TextWrapWord
	newLog := widget.NewButton("New Log File", w.newLogFile)
	w.logBackup = widget.NewButton("Back up now", w.backUpForLog)
	w.logBackup.Hide()
	box := container.NewVBox(container.NewHBox(w.logCheck, newLog, w.logBackup))
	if w.logFixing() {
		use := w.bind(p, "log.use", func() string { return fmt.Sprint(w.logCheck.Checked) }, nil)
		use.obj = w.logCheck
		w.logCheck.SetChecked(cur.Get(use.key) == "true")
		e := w.entry(p, "log.path", cur, "Data/data.journal")
		choose := widget.NewButton("Choose...", func() { w.chooseLogFile(e) })
		box.Add(use.errBox)
		box.Add(widget.NewForm(widget.NewFormItem("Log file", w.at(container.NewBorder(nil, nil, nil, choose, e), "log.path"))))
		newLog.Disable()
	}
	w.logCheck.OnChanged = w.logChanged
	w.showLog()
	box.Add(w.logState)
	box.Add(advice)
	return box
}

// logFixing reports whether a log key held a bad value in the file when the window opened.
func (w *SettingsWindow) logFixing() bool {
	return slices.ContainsFunc(settings.LogKeys, func(k string) bool { return len(w.problems[k]) > 0 })
}

// chooseLogFile asks where the log file of the database is, for its field (see logBox).
func (w *SettingsWindow) chooseLogFile(e *widget.Entry) {
	start := w.db.Dir()
	background(func() {
		path, err := w.opts.Chooser.OpenFile("Where is the log file of this database?", start,
			dialogs.Filter{Desc: "Log files", Extensions: []string{"journal"}})
		do(func() {
			if err == nil {
				e.SetText(path)
			} else if dialogFailed(err) {
				alert(err, w.Window)
			}
			w.opts.Updated()
		})
	})
}

func (w *SettingsWindow) backupRestorePage(cur *settings.Settings) fyne.CanvasObject {
	p := pageBackupRestore
	keep := w.checkbox(p, "keep.enabled", "Keep only the last", cur)
	keepCount := w.entry(p, "keep.count", cur, "1 to 9999")
	deleteOldest := w.radio(p, "keep.deleteOldest", cur, pairs("before", "before the backup", "after", "after the backup"))
	deleteOldest.Horizontal = true
	onlyModified := w.checkbox(p, "backupOnlyIfModified", "Backup only if the data file has been modified", cur)
	failure := w.radio(p, "failure.mode", cur, pairs("nextScheduled", "Retry at the next scheduled time", "retry", "Retry after"))
	retryAfter := w.entry(p, "failure.retryAfter", cur, "30s, 10m, 1h")
	maxOn := w.checkbox(p, "failure.maxAttemptsEnabled", "Cancel the operation after", cur)
	maxN := w.entry(p, "failure.maxAttempts", cur, "1 to 99")
	verbose := w.checkbox(p, "journal.verbose", "Write every step in the backup journal (verbose)", cur)
	onStart := w.entry(p, "hooks.onStartup", cur, "a command run before each backup (empty = none)")
	onEnd := w.entry(p, "hooks.onShutdown", cur, "a command run after each backup (empty = none)")

	compression := w.choice(p, "archive.compression", cur, pairs("none", "None", "fast", "Fast", "compact", "Compact"))
	segment := w.entry(p, "archive.segmentMB", cur, "0 = no segments")
	levels := pairs("none", "None", "low", "Low", "medium", "Medium", "high", "High")
	redundancy := w.choice(p, "archive.redundancy", cur, levels)
	interlacing := w.choice(p, "archive.interlacing", cur, levels)
	verify := w.checkbox(p, "archive.verify", "Check the archive after writing it", cur)

	autoRestore := w.checkbox(p, "restore.autoRestoreIfDamaged", "Restore last backup if database is damaged", cur)
	autoIntegrate := w.checkbox(p, "restore.autoIntegrateLog", "Integrate last log file if database is incomplete", cur)

	general := widget.NewForm(
		widget.NewFormItem("", w.at(container.NewBorder(nil, nil, keep, widget.NewLabel("backup file(s)"), keepCount), "keep.count", "keep.enabled")),
		widget.NewFormItem("Delete oldest", w.at(deleteOldest, "keep.deleteOldest")),
		widget.NewFormItem("", w.at(onlyModified, "backupOnlyIfModified")),
		widget.NewFormItem("If backup fails", w.at(failure, "failure.mode")),
		widget.NewFormItem("retry after", w.at(retryAfter, "failure.retryAfter")),
		widget.NewFormItem("", w.at(container.NewBorder(nil, nil, maxOn, widget.NewLabel("attempts"), maxN), "failure.maxAttempts", "failure.maxAttemptsEnabled")),
		widget.NewFormItem("", w.at(verbose, "journal.verbose")),
		widget.NewFormItem("Before backup", w.at(onStart, "hooks.onStartup")),
		widget.NewFormItem("After backup", w.at(onEnd, "hooks.onShutdown")),
	)
	archive := widget.NewForm(
		widget.NewFormItem("Segment size (MB)", w.at(segment, "archive.segmentMB")),
		widget.NewFormItem("Compression", w.at(compression, "archive.compression")),
		widget.NewFormItem("Redundancy", w.at(redundancy, "archive.redundancy")),
		widget.NewFormItem("Interlacing", w.at(interlacing, "archive.interlacing")),
		widget.NewFormItem("", w.at(verify, "archive.verify")),
	)
	return container.NewVBox(
		widget.NewLabelWithStyle("General settings", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), general,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Archive", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), archive,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Automatic restore", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		w.at(autoRestore, "restore.autoRestoreIfDamaged"), w.at(autoIntegrate, "restore.autoIntegrateLog"),
	)
}

// radio is a radio group of key, one choice required; labels[i] shows values[i]; its error is
// shown with at.
func (w *SettingsWindow) radio(page, key string, cur *settings.Settings, opts []struct{ value, label string }) *widget.RadioGroup {
	var labels []string
	for _, o := range opts {
		labels = append(labels, o.label)
	}
	r := widget.NewRadioGroup(labels, nil)
	r.Required = true
	f := w.bind(page, key, func() string {
		for _, o := range opts {
			if o.label == r.Selected {
				return o.value
			}
		}
		return ""
	}, nil)
	v := cur.Get(f.key)
	for _, o := range opts {
		if o.value == v {
			r.SetSelected(o.label)
		}
	}
	r.OnChanged = func(string) { w.replaced(f) }
	f.obj = r
	return r
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
// newer request replaces an older one. A destination chosen here (not the one the window
// opened with) is probed too: a folder backups cannot be written to is an error at its field.
func (w *SettingsWindow) readSpace() {
	dest := w.destOf(w.dest.Text)
	probe := w.destChosen()
	w.spaceMu.Lock()
	w.spaceGen++
	gen := w.spaceGen
	w.spaceMu.Unlock()
	background(func() {
		problem := w.destProblem(dest, probe)
		text := spaceOf(dest)
		if problem != "" {
			text = "" // the folder cannot be made: its disk's space says nothing
		}
		do(func() {
			w.destErr[dest] = problem
			w.spaceMu.Lock()
			current := gen == w.spaceGen
			w.spaceMu.Unlock()
			if current {
				w.destSpace.SetText(text)
				w.check(w.fieldOf("destination"))
				w.opts.Updated()
			}
		})
	})
}

// defaultDest is where backups go when the destination is empty.
func (w *SettingsWindow) defaultDest() string {
	return filepath.Join(filepath.Dir(w.db.Dir()), w.db.Name()+" Backups")
}

// destOf is the folder the destination text s names.
func (w *SettingsWindow) destOf(s string) string {
	if s = strings.TrimSpace(s); s != "" {
		return s
	}
	return w.defaultDest()
}

// destChosen reports whether the destination field holds a folder chosen in this window (one
// whose form the key accepts), not the one it opened with.
func (w *SettingsWindow) destChosen() bool {
	k := w.fieldOf("destination").key
	s := strings.TrimSpace(w.dest.Text)
	return s != w.destOpen && k.Check(s) == nil
}

// destProblem is what the probe found wrong with a destination, as its field says it.
type destProblem string

func (p destProblem) Error() string { return string(p) }

// destProblem is what is wrong with dest as a destination, "" when nothing is: a file is never
// one, and one chosen in this window (probe) must take a file (probeDest). It reads the disk:
// off the Fyne thread.
func (w *SettingsWindow) destProblem(dest string, probe bool) string {
	if fi, err := os.Stat(dest); err == nil && !fi.IsDir() {
		return "Expected: a folder (this is a file)."
	}
	if probe {
		return w.probeDest(dest)
	}
	return ""
}

// probeDest checks that backups can be written to dest, as the first backup will: it makes the
// folder, writes a file there and removes it, then removes the folders it made (the backup
// makes them again). It says what is wrong and what to do, "" when nothing is. Off the Fyne
// thread; one at a time, so that none removes a folder another one relies on.
func (w *SettingsWindow) probeDest(dest string) string {
	w.probeMu.Lock()
	defer w.probeMu.Unlock()
	var made string // the highest folder missing on the way to dest, "" when dest is there
	for p := dest; ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) || filepath.Dir(p) == p {
			break
		}
		made = p
	}
	err := os.MkdirAll(dest, 0o700)
	if err == nil {
		var f *os.File
		if f, err = os.CreateTemp(dest, ".holdfast-probe-*"); err == nil {
			_, err = f.WriteString("Holdfast checks that backups can be written here.\n")
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if rerr := os.Remove(f.Name()); err == nil {
				err = rerr
			}
		}
	}
	for p := dest; made != ""; p = filepath.Dir(p) {
		os.Remove(p) // only when empty: a folder that holds something else stays
		if p == made {
			break
		}
	}
	if err != nil {
		return fmt.Sprintf("Backups cannot be written there (error %d: %v). Click Choose... and pick a folder on a disk you can write to, "+
			"or empty the field for the default.", engine.CodeDestination, err)
	}
	return ""
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
				w.check(w.fieldOf("content.attachments"))
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
	w.check(w.fieldOf("content.attachments"))
}

// Save checks every field and saves the settings if all are valid (OK); otherwise it shows
// each error at its field, says which pages have them, shows the first, and saves nothing. A
// destination is checked first (see readSpace): OK may come before the check of what was typed ends.
func (w *SettingsWindow) Save() {
	next, bad, schedErr := w.collect()
	if len(bad) > 0 || schedErr != "" {
		w.refuse(bad, schedErr)
		return
	}
	dest, probe := w.destOf(w.dest.Text), w.destChosen()
	// Written off the Fyne thread: the file is synced, and the database's lock may be busy.
	w.ok.Disable()
	background(func() {
		if problem := w.destProblem(dest, probe); problem != "" {
			do(func() {
				w.ok.Enable()
				w.destErr[dest] = problem
				_, bad, schedErr := w.collect()
				w.refuse(bad, schedErr)
				w.opts.Updated()
			})
			return
		}
		// The log keys are the database's own: the log dialogs changed them already, as the
		// file holds them (a bad value too). Only while one of them is bad does the window
		// replace them (logBox).
		if !w.logFixing() {
			next.CopyKeys(w.db.Settings(), settings.LogKeys...)
		}
		err := w.db.UpdateSettings(next)
		do(func() {
			w.ok.Enable()
			if err != nil {
				w.summary.SetText(fmt.Sprintf("Nothing was saved (error %d): %s", engine.CodeOf(err), engine.WindowText(err)))
				w.summary.Show()
				w.opts.Updated()
				return
			}
			w.refused = false
			w.summary.Hide()
			if w.opts.Saved != nil {
				w.opts.Saved()
			}
			w.Close()
			w.opts.Updated()
		})
	})
}

// collect reads every field: the settings they make, the fields OK refuses and, when there is
// none, what is wrong with the schedule as a whole ("" if nothing).
func (w *SettingsWindow) collect() (*settings.Settings, []*settingField, string) {
	next := w.db.Settings()
	var bad []*settingField
	for _, f := range w.fields {
		if f.problem() != "" {
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
		}
	}
	if len(bad) > 0 {
		return next, bad, ""
	}
	if _, err := settings.ScheduleOf(next); err != nil {
		return next, nil, "The schedule does not hold together: " + err.Error()
	}
	return next, nil, ""
}

// refuse is a refused OK: every error at its field, the rows that hold them, the summary, and
// the first page with an error.
func (w *SettingsWindow) refuse(bad []*settingField, schedErr string) {
	for _, f := range w.fields {
		w.show(f)
	}
	w.refused = true
	w.showSummary(bad, schedErr)
	w.showMode(w.mode.Selected)
	if pages := w.summaryPages(bad, schedErr); len(pages) > 0 {
		w.tabs.Select(w.pages[pages[0]])
	}
}

// updateSummary brings the summary of a refused OK up to date after a change: how many values
// still need a fix and where, or nothing once none does.
func (w *SettingsWindow) updateSummary() {
	if w.refused {
		_, bad, schedErr := w.collect()
		w.showSummary(bad, schedErr)
	}
}

func (w *SettingsWindow) showSummary(bad []*settingField, schedErr string) {
	w.sched.SetText(schedErr)
	w.sched.Hidden = schedErr == ""
	w.sched.Refresh()
	n := len(bad)
	if schedErr != "" {
		n++
	}
	text := ""
	if n > 0 {
		text = fmt.Sprintf("Nothing was saved: %d value(s) need a fix, shown in red on the page(s) %s.", n,
			strings.Join(w.summaryPages(bad, schedErr), ", "))
	}
	if text == w.Summary() {
		return
	}
	w.summary.SetText(text)
	w.summary.Hidden = text == ""
	// A wrapped label knows its height once laid out at its width: twice.
	w.Content().Refresh()
	w.Content().Refresh()
}

// summaryPages are the pages that hold the errors, in the order of the tabs.
func (w *SettingsWindow) summaryPages(bad []*settingField, schedErr string) []string {
	var pages []string
	for _, page := range []string{pageScheduler, pageConfiguration, pageBackupRestore} {
		if slices.ContainsFunc(bad, func(f *settingField) bool { return f.page == page }) || page == pageScheduler && schedErr != "" {
			pages = append(pages, page)
		}
	}
	return pages
}

// Errors lists the errors shown at the fields, as "key: text", for tests and the summary.
func (w *SettingsWindow) Errors() []string {
	var out []string
	for _, f := range w.fields {
		if row, ok := w.rowOf[f]; ok && !row.obj.Visible() {
			continue // not seen: not shown
		}
		if f.err.Visible() {
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
