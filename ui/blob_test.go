package ui

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"holdfast/dialogs"
	"holdfast/engine"
	"holdfast/journal"
)

// A BLOB is imported from the file the open dialog gives, and exported to the file the save
// dialog gives (its name proposed from the record, with the extension its bytes say).
func TestBlobImportAndExport(t *testing.T) {
	a := newApp(t)
	db, err := engine.Create(filepath.Join(t.TempDir(), "Shop"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateTable(engine.Table{Name: "Products", Journaled: true, PrimaryKey: []string{"id"},
		Fields: []engine.Field{{Name: "id", Type: journal.KindInt}, {Name: "photo", Type: journal.KindBlob}}}); err != nil {
		t.Fatal(err)
	}
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
	in := filepath.Join(t.TempDir(), "chair.png")
	if err := os.WriteFile(in, picture, 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "exported.png")
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
	calls := fake.Recorded()
	if len(calls) != 2 || calls[0].Kind != "open" || calls[1].Kind != "save" || calls[1].Name != "Products-2-photo.png" {
		t.Errorf("dialogs: %+v", calls)
	}
	// A record without a picture has nothing to export: said with its code, no file written.
	fake.Choose(filepath.Join(t.TempDir(), "none.bin"))
	onUI(func() {
		b.Select(0)
		b.ExportBlob()
	})
	waitFor(t, w, "the error", func() bool { return engine.CodeOf(b.WriteErr()) == engine.CodeBadValue })
	if len(fake.Recorded()) != 2 {
		t.Error("a save dialog was opened for an empty field")
	}
}
