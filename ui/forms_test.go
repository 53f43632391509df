package ui

import (
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"

	"holdfast/engine"
	"holdfast/journal"
)

func TestParseField(t *testing.T) {
	good := []struct {
		k    journal.Kind
		in   string
		want string
	}{
		{journal.KindInt, " 42 ", "42"}, {journal.KindReal, "3,5", "3.5"}, {journal.KindBool, "yes", "true"},
		{journal.KindDate, "2026-12-01", "2026-12-01"}, {journal.KindTime, "17:30:05", "17:30:05"}, {journal.KindText, "Ana", "Ana"},
		{journal.KindInt, "", ""},
	}
	for _, c := range good {
		v, err := ParseField(c.k, c.in)
		if err != nil || v.String() != c.want {
			t.Errorf("ParseField(%v, %q) = %q, %v; want %q", c.k, c.in, v.String(), err, c.want)
		}
	}
	for _, c := range []struct {
		k  journal.Kind
		in string
	}{{journal.KindInt, "4x"}, {journal.KindReal, "pi"}, {journal.KindBool, "maybe"}, {journal.KindDate, "1/12/2026"}, {journal.KindTime, "25:00:00"}} {
		if _, err := ParseField(c.k, c.in); err == nil {
			t.Errorf("ParseField(%v, %q) accepted", c.k, c.in)
		}
	}
}

// Add, edit and delete through the forms: an invalid field is shown there and blocks Save;
// a record is added, changed and deleted, and the page shows each change; a duplicate key is
// refused with its code.
func TestRecordForms(t *testing.T) {
	a := newApp(t)
	db := browsedDB(t, 3)
	loaded := make(chan struct{}, 8)
	w := a.NewWindow("forms")
	b := NewBrowser(db)
	b.SetWindow(w)
	b.OnLoaded = func() { loaded <- struct{}{} }
	w.SetContent(b.Object())
	w.Resize(fyne.NewSize(900, 420))
	w.Show()
	defer w.Close()
	b.Show("Customers")
	waitPage(t, loaded)

	b.AddRecord()
	f := b.form
	f.entries["id"].SetText("forty")
	if f.entries["id"].Validate() == nil {
		t.Fatal("a word in an integer field passes")
	}
	f.entries["id"].SetText("40")
	f.entries["name"].SetText("Ana")
	f.entries["city"].SetText("Faro")
	if err := f.entries["id"].Validate(); err != nil {
		t.Fatalf("a good id refused: %v", err)
	}
	f.submit()
	waitPage(t, loaded)
	if b.WriteErr() != nil || len(b.Rows()) != 4 || b.Rows()[3].Values[1].S != "Ana" {
		t.Fatalf("after the add: %v, %d rows", b.WriteErr(), len(b.Rows()))
	}

	b.Select(3)
	b.EditRecord()
	if !b.form.entries["id"].Disabled() {
		t.Error("the key can be edited")
	}
	b.form.entries["city"].SetText("Lagos")
	b.form.submit()
	waitPage(t, loaded)
	r, ok, err := db.Get("Customers", []journal.Value{journal.Int(40)})
	if err != nil {
		t.Fatal(err)
	}
	if !ok || r.Values[2].S != "Lagos" {
		t.Fatalf("after the edit: %+v", r)
	}

	b.AddRecord()
	b.form.entries["id"].SetText("1")
	b.form.submit()
	waitPage(t, loaded)
	if engine.CodeOf(b.WriteErr()) != engine.CodeDuplicateKey {
		t.Fatalf("a duplicate key: %v, want 2003", b.WriteErr())
	}
	if top := w.Canvas().Overlays().Top(); top == nil {
		t.Error("the refused write shows no error")
	} else {
		w.Canvas().Overlays().Remove(top)
	}

	b.Select(0)
	go b.write(func(tx *engine.Tx) error { _, err := tx.Delete("Customers", b.keyOf(b.Rows()[0])); return err })
	waitPage(t, loaded)
	n, err := db.Count("Customers")
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || b.Rows()[0].Values[0].I != 2 {
		t.Fatalf("after the delete: %d records, first %d", n, b.Rows()[0].Values[0].I)
	}
	saveCapture(t, w, filepath.Join("testdata", "ui", "record_forms.png"))
}
