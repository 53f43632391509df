package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"holdfast/engine"
	"holdfast/journal"
)

// waitShownAfter is how long a structure change runs before the window says it waits for a
// backup: a change that does not wait ends long before.
var waitShownAfter = 150 * time.Millisecond

// structureChange runs a change of the structure of db on a goroutine (S3.7). While a backup
// runs it waits for the backup's end; the window then says so, with Cancel operation, which
// ends the wait with -9976 and changes nothing. done gets the result on the Fyne thread.
// On the Fyne thread.
//
// Cancel operation acts at once: the window stops waiting and done gets -9976 when it is
// pressed, whatever the engine is doing (its wait may itself be held up, by a backup switching
// its log). Should the change still be made (the backup ended just as Cancel was pressed),
// done gets that result too, and the window says the change was made after all. The wait shows
// no animation: while a backup takes the processors, every frame of the window is slow to
// draw, and an animation would draw one after the other without pause (the backup's window
// shows how it goes).
func structureChange(win fyne.Window, db *engine.DB, what string, run func(ctx context.Context) error, done func(error)) {
	unfocusForWork(win) // the form's field would go on blinking under the wait
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	var waiting dialog.Dialog
	cancelled := false // said to done at Cancel operation (on the Fyne thread)
	after := waitShownAfter
	background(func() {
		defer cancel()
		go func() {
			// Said only when the change is slow because a backup runs: a change slow for
			// another reason (a checkpoint) has no backup to wait for.
			t := time.NewTicker(after)
			defer t.Stop()
			for {
				select {
				case <-finished:
					return
				case <-t.C:
				}
				if db.BackupRunning() {
					break
				}
			}
			do(func() {
				select {
				case <-finished:
					return // ended while this waited for the thread
				default:
				}
				msg := widget.NewLabel(fmt.Sprintf("%s waits for the backup under way: the structure of a database does not change during a backup. "+
					"It is done as soon as the backup ends, or cancel it.", what))
				msg.Wrapping = fyne.TextWrapWord
				b := widget.NewButton("Cancel operation", func() {
					cancel()
					cancelled = true
					waiting.Hide()
					done(&engine.Error{Code: engine.CodeBackupInProgress, Op: what,
						Err: errors.New("cancelled while waiting for the backup to end; nothing was changed")})
				})
				waiting = dialog.NewCustomWithoutButtons("Waiting for the backup to end", container.NewVBox(msg, container.NewCenter(b)), win)
				waiting.Resize(fyne.NewSize(460, 180))
				waiting.Show()
			})
		}()
		err := run(ctx)
		do(func() {
			close(finished)
			if !cancelled {
				if waiting != nil {
					waiting.Hide()
				}
				done(err)
				return
			}
			if err == nil {
				done(nil)
				dialog.ShowInformation("Done after all", what+" was done after all: the backup ended as Cancel operation was pressed.", win)
			}
		})
	})
}

// fieldRow is one field of the New Table form.
type fieldRow struct {
	name *widget.Entry
	kind *widget.Select
	key  *widget.Check
	err  *widget.Label
	box  *fyne.Container
}

// fieldKinds are the types offered for a field, in the order shown.
var fieldKinds = []journal.Kind{journal.KindText, journal.KindInt, journal.KindReal, journal.KindBool, journal.KindDate, journal.KindTime, journal.KindBlob}

// tableForm is the New Table dialog: the table's name, its fields with their types and the
// primary key, and Include in Log File. Each value is checked at its field; Create does nothing
// while one is wrong.
type tableForm struct {
	v         *databaseView
	dlg       dialog.Dialog
	name      *widget.Entry
	nameErr   *widget.Label
	rows      []*fieldRow
	list      *fyne.Container
	keyErr    *widget.Label
	journaled *widget.Check
	add       *widget.Button
	create    *widget.Button
	body      *fyne.Container
}

// newTable shows the New Table dialog. On the Fyne thread.
func (v *databaseView) newTable() *tableForm {
	f := &tableForm{v: v}
	f.name = widget.NewEntry()
	f.name.SetPlaceHolder("Customers")
	f.nameErr = errLabel()
	f.name.OnChanged = func(string) { f.check() }
	f.list = container.NewVBox()
	f.addRow("id", journal.KindInt, true)
	f.addRow("name", journal.KindText, false)
	f.keyErr = errLabel()
	f.journaled = widget.NewCheck("Include in Log File (its operations are logged, so that a restore can bring them back)", nil)
	f.journaled.SetChecked(true)
	f.add = widget.NewButton("Add field", func() {
		f.addRow("", journal.KindText, false)
		f.check()
	})
	f.create = widget.NewButton("Create", f.submit)
	f.create.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() { f.dlg.Hide() })
	header := container.NewGridWithColumns(3, widget.NewLabelWithStyle("Field", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabelWithStyle("Type", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabelWithStyle("Primary key", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	f.body = container.NewVBox(
		widget.NewForm(widget.NewFormItem("Table name", container.NewVBox(f.name, f.nameErr))),
		header, f.list, f.add, f.keyErr, f.journaled,
		container.NewHBox(cancel, f.create))
	f.dlg = dialog.NewCustomWithoutButtons("New Table", container.NewVScroll(f.body), v.m.Window)
	f.dlg.Resize(fyne.NewSize(620, 520))
	f.check()
	f.dlg.Show()
	return f
}

// errText is err's sentence, or "" for nil.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (f *tableForm) addRow(name string, kind journal.Kind, key bool) {
	r := &fieldRow{name: widget.NewEntry(), err: errLabel()}
	r.name.SetText(name)
	r.name.SetPlaceHolder("field name")
	r.name.OnChanged = func(string) { f.check() }
	var names []string
	for _, k := range fieldKinds {
		names = append(names, k.String())
	}
	r.kind = widget.NewSelect(names, func(string) { f.check() })
	r.kind.SetSelected(kind.String())
	r.key = widget.NewCheck("", func(bool) { f.check() })
	r.key.SetChecked(key)
	remove := widget.NewButton("Remove", func() {
		for i, x := range f.rows {
			if x == r {
				f.rows = append(f.rows[:i], f.rows[i+1:]...)
				break
			}
		}
		f.list.Remove(r.box)
		f.check()
	})
	r.box = container.NewVBox(container.NewGridWithColumns(3, r.name, r.kind, container.NewBorder(nil, nil, r.key, remove)), r.err)
	f.rows = append(f.rows, r)
	f.list.Add(r.box)
}

// table is the definition the form holds.
func (f *tableForm) table() engine.Table {
	t := engine.Table{Name: strings.TrimSpace(f.name.Text), Journaled: f.journaled.Checked}
	for _, r := range f.rows {
		k, _ := journal.ParseKind(r.kind.Selected)
		name := strings.TrimSpace(r.name.Text)
		t.Fields = append(t.Fields, engine.Field{Name: name, Type: k})
		if r.key.Checked {
			t.PrimaryKey = append(t.PrimaryKey, name)
		}
	}
	return t
}

// check shows what is wrong at each field and says whether all is right.
func (f *tableForm) check() bool {
	if f.create == nil {
		return false // still being built
	}
	ok := true
	t := f.table()
	var nameErr error
	switch {
	case t.Name == "":
		nameErr = errors.New("name the table")
	case f.v.db.Catalog().Table(t.Name) != nil:
		nameErr = fmt.Errorf("a table named %s exists; choose another name", t.Name)
	default:
		if err := engine.CheckName(t.Name); err != nil {
			nameErr = err
		}
	}
	showErr(f.nameErr, errText(nameErr))
	ok = ok && nameErr == nil
	seen := map[string]bool{}
	for i, r := range f.rows {
		name := t.Fields[i].Name
		var err error
		switch {
		case name == "":
			err = errors.New("name the field, or remove it")
		case engine.CheckName(name) != nil:
			err = engine.CheckName(name)
		case seen[name]:
			err = fmt.Errorf("another field is named %s", name)
		case r.key.Checked && t.Fields[i].Type == journal.KindBlob:
			err = errors.New("a blob field cannot be part of the primary key")
		}
		seen[name] = true
		showErr(r.err, errText(err))
		ok = ok && err == nil
	}
	var keyErr error
	switch {
	case len(f.rows) == 0:
		keyErr = errors.New("add at least one field")
	case len(t.PrimaryKey) == 0:
		keyErr = errors.New("check Primary key for the field (or fields) that identify a record")
	}
	showErr(f.keyErr, errText(keyErr))
	ok = ok && keyErr == nil
	if ok {
		f.create.Enable()
	} else {
		f.create.Disable()
	}
	// Errors shown or hidden change the rows' heights: lay the form out again.
	f.list.Refresh()
	f.body.Refresh()
	return ok
}

// submit creates the table, waiting for a backup under way to end (S3.7).
func (f *tableForm) submit() {
	if !f.check() {
		return
	}
	t := f.table()
	f.create.Disable()
	v := f.v
	structureChange(v.m.Window, v.db, "Creating the table "+t.Name, func(ctx context.Context) error {
		return v.db.CreateTableContext(ctx, t)
	}, func(err error) {
		if err != nil {
			f.check()
			alert(err, v.m.Window)
			v.updated()
			return
		}
		f.dlg.Hide()
		v.noTables.Hide()
		v.names = append(v.names, t.Name)
		v.tables.Refresh()
		v.tables.Select(len(v.names) - 1)
		v.updated()
	})
}

// NewTableForm is the New Table dialog when it was opened from the window, or nil.
func (m *MainWindow) NewTableForm() *tableForm {
	if m.view == nil {
		return nil
	}
	return m.view.tableForm
}

// setJournaled turns Include in Log File of the table shown on or off (S3.7: it waits for a
// backup under way). Leaving a table out asks first, as stopping the log does: the check shows
// the table in the log until Stop is chosen. On failure the check shows the table's setting
// again.
func (v *databaseView) setJournaled(on bool) {
	t := v.browser.table
	if t == nil || t.Journaled == on {
		return
	}
	name := t.Name
	if on {
		v.changeJournaled(name, true)
		return
	}
	v.showJournaled()
	msg := widget.NewLabel(fmt.Sprintf("The operations on %s will no longer be written to the log file: if the data file is damaged, "+
		"the changes made to %s after the last backup cannot be recovered, and rollback and activity analysis no longer see them. "+
		"Stop leaves %s out of the log now; Cancel keeps it in.", name, name, name))
	msg.Wrapping = fyne.TextWrapWord
	confirmDanger("Stop logging "+name+"?", "Stop", "Cancel", msg, func() { v.changeJournaled(name, false) }, v.m.Window).
		Resize(fyne.NewSize(520, 220))
}

// changeJournaled makes the change of Include in Log File of the table name. On the Fyne thread.
func (v *databaseView) changeJournaled(name string, on bool) {
	verb := "Including " + name + " in the log file"
	if !on {
		verb = "Leaving " + name + " out of the log file"
	}
	v.journaled.Disable()
	v.journalPending = true
	structureChange(v.m.Window, v.db, verb, func(ctx context.Context) error {
		return v.db.SetJournaledContext(ctx, name, on)
	}, func(err error) {
		v.journalPending = false
		if nt := v.db.Catalog().Table(name); nt != nil && v.browser.table != nil && v.browser.table.Name == name {
			v.browser.table = nt
		}
		v.showJournaled() // the table shown, as the structure now says
		if err != nil {
			alert(err, v.m.Window)
		}
		v.updated()
	})
}

// showJournaled sets the Include in Log File check to the table shown, without changing it.
func (v *databaseView) showJournaled() {
	t := v.browser.table
	v.settingCheck = true
	defer func() { v.settingCheck = false }()
	if t == nil {
		v.journaled.SetChecked(false)
		v.journaled.Disable()
		return
	}
	if nt := v.db.Catalog().Table(t.Name); nt != nil {
		t = nt // a change made since the table was shown
	}
	if v.journalPending {
		v.journaled.Disable() // a change is under way: its end shows the outcome
	} else {
		v.journaled.Enable()
	}
	v.journaled.SetChecked(t.Journaled)
}
