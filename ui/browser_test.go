package ui

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"holdfast/engine"
	"holdfast/journal"
)

func browsedDB(t *testing.T, n int) *engine.DB {
	t.Helper()
	db, err := engine.Create(filepath.Join(t.TempDir(), "Shop"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.CreateTable(engine.Table{Name: "Customers", Journaled: true, PrimaryKey: []string{"id"}, Fields: []engine.Field{
		{Name: "id", Type: journal.KindInt}, {Name: "name", Type: journal.KindText}, {Name: "city", Type: journal.KindText}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.NewProcess("").Update(func(tx *engine.Tx) error {
		for i := 1; i <= n; i++ {
			_, err := tx.Add("Customers", map[string]journal.Value{"id": journal.Int(int64(i)),
				"name": journal.Text("Customer " + string(rune('A'+i%26))), "city": journal.Text([]string{"Lisbon", "Porto", "Braga"}[i%3])})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// waitPage waits for the browser to show a page (pages are read on a goroutine).
func waitPage(t *testing.T, loaded chan struct{}) {
	t.Helper()
	select {
	case <-loaded:
	case <-time.After(10 * time.Second):
		t.Fatal("the page was never shown")
	}
}

// The main window lists the tables and shows the first one a page at a time: Next and
// Previous turn pages in key order, and the buttons say when there is no page to turn to.
func TestBrowserPages(t *testing.T) {
	a := newApp(t)
	db := browsedDB(t, 250)
	loaded := make(chan struct{}, 8)
	b := NewBrowser(db)
	b.OnLoaded = func() { loaded <- struct{}{} }
	w := a.NewWindow("browser")
	w.SetContent(b.Object())
	w.Show()
	defer w.Close()
	b.Show("Customers")
	waitPage(t, loaded)
	firstIDs := func() (int64, int64) { r := b.Rows(); return r[0].Values[0].I, r[len(r)-1].Values[0].I }
	if lo, hi := firstIDs(); lo != 1 || hi != 100 || b.Page() != 1 {
		t.Fatalf("page %d holds %d..%d, want page 1 with 1..100", b.Page(), lo, hi)
	}
	if !b.prev.Disabled() || b.next.Disabled() {
		t.Error("on the first page: Previous should be off and Next on")
	}
	test.Tap(b.next)
	waitPage(t, loaded)
	if lo, hi := firstIDs(); lo != 101 || hi != 200 {
		t.Fatalf("page 2 holds %d..%d", lo, hi)
	}
	test.Tap(b.next)
	waitPage(t, loaded)
	if lo, hi := firstIDs(); lo != 201 || hi != 250 || !b.next.Disabled() {
		t.Fatalf("the last page holds %d..%d (Next disabled %v)", lo, hi, b.next.Disabled())
	}
	if !strings.Contains(b.info.Text, "records 201 to 250 of 250") {
		t.Errorf("page label %q", b.info.Text)
	}
	test.Tap(b.prev)
	waitPage(t, loaded)
	if lo, _ := firstIDs(); lo != 101 {
		t.Fatalf("back to page 2: starts at %d", lo)
	}
}

// The main window of an open database: its tables on the left, the first table's records on
// the right, the status bar with the log and backups.
func TestMainWindowBrowsesDatabase(t *testing.T) {
	a := newApp(t)
	db := browsedDB(t, 42)
	updates := make(chan struct{}, 8)
	w := newMainUI(a, Config{DBPath: "/home/ana/Databases/Shop", Name: db.Name(), DB: db, OnUpdate: func() { updates <- struct{}{} }})
	w.Show()
	defer w.Close()
	onUI(w.Start)
	waitPage(t, updates) // the first page and the status line, in either order
	waitPage(t, updates)
	texts := strings.Join(labelTexts(w.Content()), "|")
	if !strings.Contains(texts, "records 1 to 42 of 42") || !strings.Contains(texts, "Log: on") {
		t.Fatalf("the window does not show the records and the status; labels: %s", texts)
	}
	if texts := strings.Join(labelTexts(w.Content()), "|"); !strings.Contains(texts, "Last backup: none yet") || !strings.Contains(texts, "Next backup:") {
		t.Errorf("status bar: %s", texts)
	}
	saveCapture(t, w, filepath.Join("testdata", "ui", "main_window_database.png"))
}

// Delete asks first, with Cancel the default (Return): it deletes nothing; Delete deletes the
// record selected.
func TestDeleteRecordAsks(t *testing.T) {
	a := newApp(t)
	db := browsedDB(t, 3)
	w := newWatcher()
	m := newMainUI(a, Config{DBPath: "/home/ana/Databases/Shop", Name: db.Name(), DB: db, OnUpdate: w.update})
	defer m.Close()
	onUI(m.Start)
	b := m.view.browser
	waitFor(t, w, "the records shown", func() bool { return len(b.Rows()) == 3 })
	onUI(func() {
		b.Select(1)
		b.DeleteRecord()
	})
	if words := overlayWords(m.Window); !strings.Contains(words, "Delete the record 2 of Customers?") {
		t.Fatalf("the question says %q", words)
	}
	checkSafeDefault(t, m.Window, "Cancel", "Delete")
	saveCapture(t, m.Window, filepath.Join("testdata", "ui", "delete_record.png"))
	pressKey(t, m.Window, fyne.KeyReturn)
	if words := overlayWords(m.Window); words != "" {
		t.Fatalf("Return left %q open", words)
	}
	onUI(b.DeleteRecord)
	pressOverlay(t, m.Window, "Delete")
	waitFor(t, w, "the record deleted", func() bool { return len(b.Rows()) == 2 })
	if n, _ := db.Count("Customers"); n != 2 {
		t.Fatalf("%d records after one Cancel and one Delete, want 2", n)
	}
}
