package ui

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"holdfast/engine"
	"holdfast/journal"
)

// ParseField turns what a person typed into a value of a field of kind k; an empty field is
// null. Its error says what is expected, shown at the field.
func ParseField(k journal.Kind, text string) (journal.Value, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return journal.Value{}, nil
	}
	switch k {
	case journal.KindText:
		return journal.Text(text), nil
	case journal.KindInt:
		i, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return journal.Value{}, errors.New("a whole number, like 42")
		}
		return journal.Int(i), nil
	case journal.KindReal:
		f, err := strconv.ParseFloat(strings.ReplaceAll(text, ",", "."), 64)
		if err != nil {
			return journal.Value{}, errors.New("a number, like 3.5")
		}
		return journal.Real(f), nil
	case journal.KindBool:
		switch strings.ToLower(text) {
		case "true", "yes", "1":
			return journal.Value{Kind: journal.KindBool, I: 1}, nil
		case "false", "no", "0":
			return journal.Value{Kind: journal.KindBool, I: 0}, nil
		}
		return journal.Value{}, errors.New("true or false")
	case journal.KindDate:
		d, err := time.Parse("2006-01-02", text)
		if err != nil {
			return journal.Value{}, errors.New("a date, like 2026-12-01")
		}
		return journal.Date(d.Unix() / 86400), nil
	case journal.KindTime:
		t, err := time.Parse("15:04:05", text)
		if err != nil {
			return journal.Value{}, errors.New("a time, like 17:30:00")
		}
		return journal.Value{Kind: journal.KindTime, I: int64(t.Hour()*3600000 + t.Minute()*60000 + t.Second()*1000)}, nil
	}
	return journal.Value{}, fmt.Errorf("this field is not edited here")
}

// recordForm is the add or edit form of a record: one entry per field (BLOBs are kept as they
// are), each checked as it is typed, its error shown under it; Save is possible only when every
// field is valid. The form stays open until the record is written: a write refused (a key
// already taken) is shown at its field, or under the fields, and nothing typed is lost.
type recordForm struct {
	win     fyne.Window
	dlg     *dialog.CustomDialog
	table   *engine.Table
	adding  bool
	entries map[string]*widget.Entry
	errs    map[string]*widget.Label
	failed  *widget.Label // a refused write that no field explains
	save    *widget.Button
	// taken is the key a write found already taken ("" for none): shown at the key until it
	// changes.
	taken  string
	saving bool
	closed bool
	submit func() // what Save does (tests call it)
}

// openRecordForm shows the form over w. rec is the record edited, or nil to add one. save
// receives the values of the editable fields, runs off the Fyne thread, and hands the write's
// result to done on the Fyne thread.
func openRecordForm(w fyne.Window, t *engine.Table, rec *engine.Record, save func(vals map[string]journal.Value, done func(error))) *recordForm {
	f := &recordForm{win: w, table: t, adding: rec == nil, entries: map[string]*widget.Entry{}, errs: map[string]*widget.Label{}, failed: errLabel()}
	form := widget.NewForm()
	for i, fld := range t.Fields {
		if fld.Type == journal.KindBlob {
			continue
		}
		e := widget.NewEntry()
		if rec != nil {
			e.SetText(cellText(rec.Values[i]))
			if isKey(t, fld.Name) {
				e.Disable() // a key is not modified: delete the record and add it again
			}
		}
		name := fld.Name
		e.Validator = func(string) error {
			if p := f.problem(name); p != "" {
				return errors.New(p)
			}
			return nil
		}
		e.OnChanged = func(string) { f.check() }
		f.entries[name], f.errs[name] = e, errLabel()
		form.Append(name, container.NewVBox(e, f.errs[name]))
	}
	title := "Add a record to " + t.Name
	if rec != nil {
		title = "Edit the record of " + t.Name
	}
	f.submit = func() {
		vals, ok := f.values()
		if !ok || f.saving {
			return // the form shows why at the fields
		}
		f.saving = true
		f.save.Disable()
		showErr(f.failed, "")
		background(func() { save(vals, f.done) })
	}
	f.save = widget.NewButton("Save", f.submit)
	f.save.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() {
		f.closed = true
		f.dlg.Hide()
	})
	f.dlg = dialog.NewCustomWithoutButtons(title, container.NewVBox(form, f.failed), w)
	f.dlg.SetButtons([]fyne.CanvasObject{cancel, f.save})
	f.dlg.Resize(fyne.NewSize(480, 0))
	f.check()
	f.dlg.Show()
	return f
}

// values are the editable fields' values, or ok false when one is not valid.
func (f *recordForm) values() (map[string]journal.Value, bool) {
	vals := map[string]journal.Value{}
	for name, e := range f.entries {
		if e.Disabled() {
			continue
		}
		if f.problem(name) != "" {
			return nil, false
		}
		vals[name], _ = ParseField(fieldKind(f.table, name), e.Text)
	}
	return vals, true
}

// problem says what is wrong with a field's text, "" when nothing is.
func (f *recordForm) problem(name string) string {
	e := f.entries[name]
	if e.Disabled() {
		return ""
	}
	if _, err := ParseField(fieldKind(f.table, name), e.Text); err != nil {
		return "Expected: " + err.Error() + "."
	}
	if !isKey(f.table, name) {
		return ""
	}
	switch {
	case strings.TrimSpace(e.Text) == "":
		return "Required: the primary key identifies the record."
	case f.taken != "" && f.keyText() == f.taken && name == f.table.PrimaryKey[0]:
		return fmt.Sprintf("A record with this key already exists (error %d): use another key, or Cancel and edit that record.", engine.CodeDuplicateKey)
	}
	return ""
}

// keyText is the key typed, to tell whether it changed since a write found it taken.
func (f *recordForm) keyText() string {
	var parts []string
	for _, k := range f.table.PrimaryKey {
		parts = append(parts, strings.TrimSpace(f.entries[k].Text))
	}
	return strings.Join(parts, "\x00")
}

// check shows each field's error under it and allows Save only when there is none. On the Fyne
// thread.
func (f *recordForm) check() {
	ok := true
	for name, e := range f.entries {
		p := f.problem(name)
		showErr(f.errs[name], p)
		e.AlwaysShowValidationError = p != "" // the entry is outlined in red too, at once
		e.Validate()
		ok = ok && p == ""
	}
	enable(f.save, ok && !f.saving)
	f.dlg.Refresh() // errors shown or hidden change its height
}

// done is the write's result: the form closes when it worked; otherwise it stays open with
// the error at the field it is about, or under the fields. On the Fyne thread.
func (f *recordForm) done(err error) {
	f.saving = false
	switch {
	case err == nil:
		f.closed = true
		f.dlg.Hide()
		return
	case f.closed:
		alert(err, f.win) // the form was cancelled meanwhile: the error must still be seen
		return
	case engine.CodeOf(err) == engine.CodeDuplicateKey && f.adding:
		f.taken = f.keyText()
	default:
		showErr(f.failed, codedError(err).Error())
	}
	f.check()
}

func isKey(t *engine.Table, name string) bool { return slices.Contains(t.PrimaryKey, name) }

func fieldKind(t *engine.Table, name string) journal.Kind {
	if i := t.FieldIndex(name); i >= 0 {
		return t.Fields[i].Type
	}
	return journal.KindNull
}
