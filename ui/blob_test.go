package ui

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/widget"

	"holdfast/dialogs"
	"holdfast/engine"
	"holdfast/journal"
)

// productsDB is a new database with a table Products of an id and a BLOB field, photo.
func productsDB(t *testing.T) *engine.DB {
	t.Helper()
	db, err := engine.Create(filepath.Join(uiTempDir(t), "Shop"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	addProducts(t, db)
	return db
}

// addProducts adds to db the table Products of productsDB.
func addProducts(t *testing.T, db *engine.DB) {
	t.Helper()
	if err := db.CreateTable(engine.Table{Name: "Products", Journaled: true, PrimaryKey: []string{"id"},
		Fields: []engine.Field{{Name: "id", Type: journal.KindInt}, {Name: "photo", Type: journal.KindBlob}}}); err != nil {
		t.Fatal(err)
	}
}

// A BLOB is imported from the file the open dialog gives, and exported to the file the save
// dialog gives (its name proposed from the record, with the extension its bytes say).
func TestBlobImportAndExport(t *testing.T) {
	a := newApp(t)
	db := productsDB(t)
	defer db.Close()
	for i := 1; i <= 3; i++ {
		tx := db.NewProcess("").Auto()
		if _, err := tx.Add("Products", map[string]journal.Value{"id": journal.Int(int64(i))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	picture := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 5000)...)
	in := filepath.Join(uiTempDir(t), "chair.png")
	if err := os.WriteFile(in, picture, 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(uiTempDir(t), "exported.png")
	fake := &dialogs.Fake{}
	fake.Choose(in)
	fake.Choose(out)
	w := newWatcher()
	m := newMainUI(a, Config{DBPath: db.Dir(), Name: db.Name(), DB: db, OnUpdate: w.update, Chooser: fake})
	m.Show()
	defer m.Close()
	onUI(m.Start)
	b := m.view.browser
	waitFor(t, w, "the first page", func() bool { return len(b.Rows()) == 3 })
	onUI(func() {
		b.Select(1)
		b.ImportBlob()
	})
	waitFor(t, w, "the picture in the record", func() bool {
		return len(b.Rows()) == 3 && b.Rows()[1].Values[1].Kind == journal.KindBlob
	})
	rec, _, err := db.Get("Products", []journal.Value{journal.Int(2)})
	if err != nil || !bytes.Equal(rec.Values[1].B, picture) {
		t.Fatalf("the record holds %d bytes (%v), want the file's %d", len(rec.Values[1].B), err, len(picture))
	}
	onUI(func() {
		b.Select(1)
		b.ExportBlob()
	})
	waitFor(t, w, "the export", func() bool { return strings.Contains(b.info.Text, "exported to") })
	got, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(got, picture) {
		t.Fatalf("exported file: %d bytes, %v", len(got), err)
	}
	if fi, err := os.Stat(out); err != nil {
		t.Fatal(err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Errorf("the exported file's mode is %v, want 0600: it holds the user's data", fi.Mode().Perm())
	}
	calls := fake.Recorded()
	if len(calls) != 2 || calls[0].Kind != "open" || calls[1].Kind != "save" || calls[1].Name != "Products-2-photo.png" {
		t.Errorf("dialogs: %+v", calls)
	}
	// A record without a picture has nothing to export: said with its code, no file written.
	fake.Choose(filepath.Join(uiTempDir(t), "none.bin"))
	onUI(func() {
		b.Select(0)
		b.ExportBlob()
	})
	waitFor(t, w, "the error", func() bool { return engine.CodeOf(b.WriteErr()) == engine.CodeBadValue })
	if len(fake.Recorded()) != 2 {
		t.Error("a save dialog was opened for an empty field")
	}
}

// Importing into a field that holds a BLOB asks first, saying what it holds and what would
// replace it, with Cancel as the default: Cancel keeps the BLOB, Replace stores the file. An
// empty field is filled without a question. Each time the window says what was stored.
func TestBlobImportAsksBeforeReplacing(t *testing.T) {
	a := newApp(t)
	db := productsDB(t)
	defer db.Close()
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 5000)...)
	tx := db.NewProcess("").Auto()
	_, err := tx.Add("Products", map[string]journal.Value{"id": journal.Int(1)})
	must(t, err)
	_, err = tx.Add("Products", map[string]journal.Value{"id": journal.Int(2), "photo": journal.Blob(png)})
	must(t, err)
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	jpeg := append([]byte("\xff\xd8\xff\xe0"), bytes.Repeat([]byte{9}, 12000)...)
	in := filepath.Join(uiTempDir(t), "chair.jpg")
	if err := os.WriteFile(in, jpeg, 0o600); err != nil {
		t.Fatal(err)
	}
	fake := &dialogs.Fake{}
	w := newWatcher()
	m := newMainUI(a, Config{DBPath: db.Dir(), Name: db.Name(), DB: db, OnUpdate: w.update, Chooser: fake})
	defer m.Close()
	onUI(m.Start)
	b := m.view.browser
	waitFor(t, w, "the first page", func() bool { return len(b.Rows()) == 2 })
	photo := func(id int64) []byte {
		t.Helper()
		rec, _, err := db.Get("Products", []journal.Value{journal.Int(id)})
		if err != nil {
			t.Fatal(err)
		}
		return rec.Values[1].B
	}
	info := func() string {
		var s string
		onUI(func() { s = b.info.Text })
		return s
	}
	importInto := func(row int) {
		fake.Choose(in)
		onUI(func() {
			b.Select(row)
			b.ImportBlob()
		})
	}

	importInto(1)
	waitFor(t, w, "the question", func() bool { return overlayButton(m.Window, "Replace") != nil })
	words := overlayWords(m.Window)
	for _, want := range []string{"The field photo of Products 2 already holds a BLOB (5.0 kB, PNG image)", "Replace it with chair.jpg (12 kB, JPEG image)?"} {
		if !strings.Contains(words, want) {
			t.Errorf("the question does not say %q: %q", want, words)
		}
	}
	onUI(func() {
		if c, r := overlayButton(m.Window, "Cancel"), overlayButton(m.Window, "Replace"); c == nil || c.Importance != widget.HighImportance || r.Importance == widget.HighImportance {
			t.Error("Cancel is not the default (highlighted) answer")
		}
	})
	saveCapture(t, m.Window, filepath.Join("testdata", "ui", "blob_replace.png"))
	pressOverlay(t, m.Window, "Cancel")
	if !bytes.Equal(photo(2), png) {
		t.Fatal("Cancel replaced the BLOB")
	}
	if !strings.Contains(info(), "Nothing imported") {
		t.Errorf("after Cancel the window says %q", info())
	}

	importInto(1)
	waitFor(t, w, "the question again", func() bool { return overlayButton(m.Window, "Replace") != nil })
	pressOverlay(t, m.Window, "Replace")
	waitFor(t, w, "the JPEG stored", func() bool { return strings.Contains(b.info.Text, "Stored") })
	if !bytes.Equal(photo(2), jpeg) {
		t.Fatal("Replace did not store the file")
	}
	if want := "Stored chair.jpg in photo of Products 2: 12 kB, JPEG image."; info() != want {
		t.Errorf("after Replace the window says %q, want %q", info(), want)
	}

	importInto(0)
	waitFor(t, w, "the empty field filled", func() bool { return strings.Contains(b.info.Text, "photo of Products 1") })
	if words := overlayWords(m.Window); words != "" || !bytes.Equal(photo(1), jpeg) {
		t.Errorf("an empty field: asked %q, stored %d bytes", words, len(photo(1)))
	}
}
