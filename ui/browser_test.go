package ui

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"holdfast/dialogs"
	"holdfast/engine"
	"holdfast/journal"
)

func browsedDB(t *testing.T, n int) *engine.DB {
	t.Helper()
	db, err := engine.Create(filepath.Join(uiTempDir(t), "Shop"), engine.Options{})
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

// The buttons under the records are on only when they can act, and the line beside them says
// why the others are off: no table chosen, no record selected, no BLOB field, no BLOB stored.
func TestBrowserButtonsSayWhyTheyAreOff(t *testing.T) {
	a := newApp(t)
	db := browsedDB(t, 150)
	addProducts(t, db)
	tx := db.NewProcess("").Auto()
	_, err := tx.Add("Products", map[string]journal.Value{"id": journal.Int(1)})
	must(t, err)
	_, err = tx.Add("Products", map[string]journal.Value{"id": journal.Int(2), "photo": journal.Blob([]byte("%PDF-1.4 a leaflet"))})
	must(t, err)
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	w := newWatcher()
	win := a.NewWindow("browser")
	b := NewBrowser(db)
	b.SetWindow(win)
	b.OnLoaded = w.update
	win.SetContent(b.Object())
	win.Resize(fyne.NewSize(1000, 480))
	win.Show()
	defer win.Close()
	// expect checks which of Add, Edit, Delete, Import BLOB... and Export BLOB... are on, and
	// that the hint says why the others are off.
	expect := func(when, on, why string) {
		t.Helper()
		onUI(func() {
			var got []string
			for _, label := range []string{"Add...", "Edit...", "Delete", "Import BLOB...", "Export BLOB..."} {
				if button := findButton(b.Object(), label); button != nil && !button.Disabled() {
					got = append(got, label)
				}
			}
			if strings.Join(got, " ") != on {
				t.Errorf("%s: the buttons on are %q, want %q", when, got, on)
			}
			if texts := strings.Join(labelTexts(b.Object()), "|"); !strings.Contains(texts, why) {
				t.Errorf("%s: nothing says %q; labels: %s", when, why, texts)
			}
		})
	}
	expect("no table", "", "Choose a table on the left")
	onUI(func() { b.Show("Customers") })
	waitFor(t, w, "the first page", func() bool { return len(b.Rows()) == 100 })
	expect("no record selected", "Add...", "Click a record to edit or delete it. Customers has no BLOB field.")
	onUI(func() { b.Select(4) })
	expect("a record selected", "Add... Edit... Delete", "Customers has no BLOB field.")
	onUI(b.Next)
	waitFor(t, w, "the second page", func() bool { return len(b.Rows()) == 50 })
	expect("the next page", "Add...", "Click a record")

	onUI(func() { b.Show("Products") })
	waitFor(t, w, "the products", func() bool { return len(b.Rows()) == 2 })
	expect("products, none selected", "Add...", "Click a record to edit or delete it, or for its BLOB.")
	onUI(func() { b.Select(0) })
	expect("a product without a BLOB", "Add... Edit... Delete Import BLOB...", "This record holds no BLOB yet")
	onUI(func() { b.Select(1) })
	expect("a product with a BLOB", "Add... Edit... Delete Import BLOB... Export BLOB...", "")
	time.Sleep(300 * time.Millisecond)
	saveCapture(t, win, filepath.Join("testdata", "ui", "browser_buttons.png"))
}

// The records read as people write them: a real in the shortest decimals that are the same
// number (never a rounding that hides a digit, never an exponent for an everyday amount), a
// BLOB as its size and its kind, told by its first bytes.
func TestBrowserShowsValuesAsPeopleRead(t *testing.T) {
	newApp(t)
	db, err := engine.Create(filepath.Join(uiTempDir(t), "Shop"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateTable(engine.Table{Name: "Files", Journaled: true, PrimaryKey: []string{"id"}, Fields: []engine.Field{
		{Name: "id", Type: journal.KindInt}, {Name: "amount", Type: journal.KindReal}, {Name: "data", Type: journal.KindBlob}}}); err != nil {
		t.Fatal(err)
	}
	picture := make([]byte, 83886080)
	copy(picture, "\x89PNG\r\n\x1a\n")
	rows := []struct {
		amount     float64
		data       []byte
		real, blob string
	}{
		{257.47, picture, "257.47", "84 MB, PNG image"},
		{1234567.5, []byte("%PDF-1.7 an invoice"), "1234567.5", "19 B, PDF document"},
		{math.Nextafter(0.3, 1), []byte("PK\x03\x04 a zip"), "0.30000000000000004", "10 B, ZIP archive"},
		{-3, []byte("call notes, plain text"), "-3", "22 B, text"},
		{1e300, []byte{0, 1, 2, 3, 250, 251}, "1e+300", "6 B, BLOB"},
		{0, []byte("\xff\xd8\xff\xe0 jpeg"), "0", "9 B, JPEG image"},
	}
	for i, r := range rows {
		tx := db.NewProcess("").Auto()
		if _, err := tx.Add("Files", map[string]journal.Value{"id": journal.Int(int64(i)), "amount": journal.Real(r.amount), "data": journal.Blob(r.data)}); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	w := newWatcher()
	b := NewBrowser(db)
	b.OnLoaded = w.update
	onUI(func() { b.Show("Files") })
	waitFor(t, w, "the page", func() bool { return len(b.Rows()) == len(rows) })
	onUI(func() {
		for i, r := range rows {
			for col, want := range map[int]string{1: r.real, 2: r.blob} {
				l := widget.NewLabel("")
				b.cell(widget.TableCellID{Row: i, Col: col}, l)
				if l.Text != want {
					t.Errorf("row %d, column %d reads %q, want %q", i, col, l.Text, want)
				}
			}
		}
	})
}

// The main window can be made narrow (640 px) whatever it shows: a long database path, a table
// with a long name, a long sentence under the records. Browsing never moves the split between
// the tables and the records. And the demo's amounts read as amounts (257.47).
func TestMainWindowStaysNarrow(t *testing.T) {
	a := newApp(t)
	db, err := engine.Create(filepath.Join(uiTempDir(t), "Demo"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := engine.FillDemo(db); err != nil {
		t.Fatal(err)
	}
	long := "Orders of the customers who asked for a delivery after the holidays"[:64]
	if err := db.CreateTable(engine.Table{Name: long, Journaled: true, PrimaryKey: []string{"order_number_given_by_the_shop"}, Fields: []engine.Field{
		{Name: "order_number_given_by_the_shop", Type: journal.KindInt}, {Name: "what_the_customer_wrote_on_the_form", Type: journal.KindText}}}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(uiTempDir(t), strings.Repeat("a folder with a long name ", 4), "the portrait of the first customer of the demo.png")
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		t.Fatal(err)
	}
	fake := &dialogs.Fake{}
	w := newWatcher()
	m := newMainUI(a, Config{DBPath: "/home/ana/" + strings.Repeat("Databases kept on the second disk/", 6) + "Demo",
		Name: db.Name(), DB: db, OnUpdate: w.update, Chooser: fake})
	defer m.Close()
	onUI(m.Start)
	b := m.view.browser
	var split *container.Split
	onUI(func() {
		for _, o := range test.LaidOutObjects(m.Content()) {
			if s, ok := o.(*container.Split); ok {
				split = s
			}
		}
	})
	// narrow checks the window's smallest width and the tables' pane, which must not move. A
	// desktop window grows to fit its content's smallest size: so does this one first.
	var pane float32
	narrow := func(when string) {
		t.Helper()
		onUI(func() {
			min := m.Content().MinSize()
			m.Resize(m.Canvas().Size().Max(min))
			if min.Width > 640 {
				t.Errorf("%s: the window cannot be narrower than %.0f px", when, min.Width)
			}
			if pane == 0 {
				pane = split.Leading.Size().Width
			} else if got := split.Leading.Size().Width; got != pane {
				t.Errorf("%s: the tables' pane is %.1f px wide, was %.1f", when, got, pane)
			}
		})
	}
	show := func(table string, rows int) {
		t.Helper()
		onUI(func() { m.view.tables.Select(slices.Index(m.view.names, table)) })
		waitFor(t, w, table, func() bool { return b.table.Name == table && len(b.Rows()) == rows })
	}
	waitFor(t, w, "the customers", func() bool { return len(b.Rows()) == 48 })
	narrow("the customers")
	show("Invoices", 100)
	narrow("the invoices")
	onUI(func() {
		l := widget.NewLabel("")
		b.cell(widget.TableCellID{Row: 3, Col: 3}, l)
		if l.Text != "257.47" {
			t.Errorf("the fourth invoice's amount reads %q, want 257.47", l.Text)
		}
	})
	show(long, 0)
	narrow("a table with a long name")
	show("Customers", 48)
	fake.Choose(out)
	onUI(func() {
		b.Select(0)
		b.ExportBlob()
	})
	waitFor(t, w, "the export", func() bool { return strings.Contains(b.info.Text, "exported to") })
	narrow("a long sentence under the records")
	saveCapture(t, m.Window, filepath.Join("testdata", "ui", "main_window_long_texts.png"))
	onUI(func() { m.Resize(fyne.NewSize(640, 480)) })
	saveCapture(t, m.Window, filepath.Join("testdata", "ui", "main_window_narrow.png"))
}

// A write from the browser while an integration runs waits for it (writers wait), off the Fyne
// thread: the page shown meanwhile is read at once. The first write made the browser's process
// while holding the lock its page reads take on the Fyne thread, which froze the window until
// the integration ended.
func TestBrowserWriteDuringIntegrationFreezesNothing(t *testing.T) {
	a := newApp(t)
	dir := lagging(t)
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Report().Incomplete == nil {
		t.Fatal("the database has no operations to integrate")
	}
	inside, release := make(chan struct{}), make(chan struct{})
	integrated := make(chan error, 1)
	go func() {
		var once sync.Once
		_, err := db.IntegrateProgress(context.Background(), nil, func(done, total int64) {
			once.Do(func() {
				close(inside)
				<-release
			})
		})
		integrated <- err
	}()
	<-inside
	defer func() { <-integrated }()
	defer close(release)

	b := NewBrowser(db)
	loaded := make(chan struct{}, 8)
	b.OnLoaded = func() { loaded <- struct{}{} }
	w := a.NewWindow("browser")
	w.SetContent(b.Object())
	b.SetWindow(w) // the write is refused in the end (read-only until integrated): said over w
	w.Show()
	defer w.Close()
	wrote := make(chan struct{})
	background(func() {
		defer close(wrote)
		b.write(func(tx *engine.Tx) error {
			_, err := tx.Add("Customers", map[string]journal.Value{"id": journal.Int(99)})
			return err
		})
	})
	waitBlockedIn(t, "holdfast/engine.(*DB).NewProcess") // the write waits for the integration
	shown := make(chan struct{})
	go func() {
		onUI(func() { b.Show("Customers") }) // what a click on the table does
		close(shown)
	}()
	select {
	case <-shown:
	case <-time.After(5 * time.Second):
		t.Fatal("showing a page waited for the write, which waits for the integration: the window froze")
	}
	waitPage(t, loaded)
	select {
	case <-wrote:
		t.Fatal("the write did not wait for the integration")
	default:
	}
}

// waitBlockedIn waits until a goroutine's stack passes through fn (a call that waits).
func waitBlockedIn(t *testing.T, fn string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if strings.Contains(string(buf[:runtime.Stack(buf, true)]), fn+"(") {
			return
		}
	}
	t.Fatalf("no goroutine reached %s", fn)
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
