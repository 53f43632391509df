package ui

import (
	"path/filepath"
	"strings"
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
// a record is added, changed and deleted, and the page shows each change.
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

// A Save the database refuses (a key already taken) leaves the form open with what was typed,
// the error under the key, and Save off until the key changes; an empty key is flagged at its
// field and never sent. A key that is free then saves and closes the form.
func TestRecordFormKeepsWhatWasTyped(t *testing.T) {
	a := newApp(t)
	db := browsedDB(t, 3)
	w := newWatcher()
	win := a.NewWindow("forms")
	b := NewBrowser(db)
	b.SetWindow(win)
	b.OnLoaded = w.update
	win.SetContent(b.Object())
	win.Resize(fyne.NewSize(900, 480))
	win.Show()
	defer win.Close()
	onUI(func() { b.Show("Customers") })
	waitFor(t, w, "the first page", func() bool { return len(b.Rows()) == 3 })

	var f *recordForm
	onUI(func() {
		b.AddRecord()
		f = b.form
	})
	saveOff := func() bool {
		var off bool
		onUI(func() { off = overlayButton(win, "Save").Disabled() })
		return off
	}
	if words := overlayWords(win); !strings.Contains(words, "Required: the primary key") || !saveOff() {
		t.Errorf("an empty key is not flagged at its field (Save off %v): %q", saveOff(), words)
	}
	saveCapture(t, win, filepath.Join("testdata", "ui", "record_form_new.png"))
	onUI(f.submit)
	if words := overlayWords(win); !strings.Contains(words, "Add a record to Customers") {
		t.Fatalf("Save with an empty key closed the form; the window shows %q", words)
	}
	onUI(func() {
		f.entries["id"].SetText("1")
		f.entries["name"].SetText("Ana Silva")
		f.entries["city"].SetText("Faro")
	})
	onUI(f.submit)
	waitFor(t, w, "the refusal", func() bool { return b.WriteErr() != nil })
	if engine.CodeOf(b.WriteErr()) != engine.CodeDuplicateKey {
		t.Fatalf("a duplicate key: %v, want 2003", b.WriteErr())
	}
	words := overlayWords(win)
	if !strings.Contains(words, "Add a record to Customers") {
		t.Fatalf("the form closed on the refused Save; the window shows %q", words)
	}
	onUI(func() {
		if f.entries["name"].Text != "Ana Silva" || f.entries["city"].Text != "Faro" {
			t.Errorf("what was typed is lost: %q, %q", f.entries["name"].Text, f.entries["city"].Text)
		}
	})
	if !strings.Contains(words, "A record with this key already exists (error 2003)") || !saveOff() {
		t.Errorf("the form does not say the key is taken (Save off %v): %q", saveOff(), words)
	}
	saveCapture(t, win, filepath.Join("testdata", "ui", "record_form_duplicate.png"))

	onUI(func() { f.entries["id"].SetText("40") })
	if words := overlayWords(win); strings.Contains(words, "already exists") || saveOff() {
		t.Fatalf("a free key is still refused (Save off %v): %q", saveOff(), words)
	}
	onUI(f.submit)
	waitFor(t, w, "the record added", func() bool { return len(b.Rows()) == 4 })
	if words := overlayWords(win); words != "" {
		t.Errorf("the form stays open after the record was added: %q", words)
	}
	if r, ok, _ := db.Get("Customers", []journal.Value{journal.Int(40)}); !ok || r.Values[1].S != "Ana Silva" {
		t.Errorf("record 40: %+v (found %v)", r, ok)
	}
}
