package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
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
// are), each checked as it is typed; Save is possible only when every field is valid.
type recordForm struct {
	dlg     *dialog.FormDialog
	entries map[string]*widget.Entry
	submit  func() // what Save does (tests call it)
}

// openRecordForm shows the form over w. rec is the record edited, or nil to add one. save
// receives the values of the editable fields and runs off the Fyne thread.
func openRecordForm(w fyne.Window, t *engine.Table, rec *engine.Record, save func(map[string]journal.Value)) *recordForm {
	f := &recordForm{entries: map[string]*widget.Entry{}}
	var items []*widget.FormItem
	isKey := map[string]bool{}
	for _, k := range t.PrimaryKey {
		isKey[k] = true
	}
	for i, fld := range t.Fields {
		if fld.Type == journal.KindBlob {
			continue
		}
		e := widget.NewEntry()
		kind := fld.Type
		e.Validator = func(s string) error { _, err := ParseField(kind, s); return err }
		if rec != nil {
			e.SetText(rec.Values[i].String())
			if isKey[fld.Name] {
				e.Disable() // a key is not modified: delete the record and add it again
			}
		}
		f.entries[fld.Name] = e
		items = append(items, widget.NewFormItem(fld.Name, e))
	}
	title := "Add a record to " + t.Name
	if rec != nil {
		title = "Edit the record of " + t.Name
	}
	f.submit = func() {
		vals := map[string]journal.Value{}
		for name, e := range f.entries {
			if e.Disabled() {
				continue
			}
			v, err := ParseField(fieldKind(t, name), e.Text)
			if err != nil {
				return // the form shows it at the field
			}
			vals[name] = v
		}
		f.dlg.Hide()
		go save(vals)
	}
	f.dlg = dialog.NewForm(title, "Save", "Cancel", items, func(ok bool) {
		if ok {
			f.submit()
		}
	}, w)
	f.dlg.Resize(fyne.NewSize(480, 0))
	f.dlg.Show()
	return f
}

func fieldKind(t *engine.Table, name string) journal.Kind {
	if i := t.FieldIndex(name); i >= 0 {
		return t.Fields[i].Type
	}
	return journal.KindNull
}
