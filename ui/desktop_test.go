package ui

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"holdfast/backup"
	"holdfast/dialogs"
	"holdfast/engine"
	"holdfast/journal"
	"holdfast/settings"
)

func newDesktop(t *testing.T, fake *dialogs.Fake, state string) (*Desktop, *watcher) {
	t.Helper()
	a := newApp(t)
	w := newWatcher()
	var d *Desktop
	onUI(func() {
		d = NewDesktop(a, DesktopOptions{StateDir: state, NoState: state == "", Chooser: fake, OnUpdate: w.update})
		d.Main.Show()
	})
	t.Cleanup(func() {
		d.Close()
		d.Main.Close()
	})
	return d, w
}

// shopDB makes a closed database with a table of n customers.
func shopDB(t *testing.T, dir string, n int) {
	t.Helper()
	db, err := engine.Create(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateTable(engine.Table{Name: "Customers", Journaled: true, PrimaryKey: []string{"id"},
		Fields: []engine.Field{{Name: "id", Type: journal.KindInt}, {Name: "name", Type: journal.KindText}}}); err != nil {
		t.Fatal(err)
	}
	addCustomers(t, db, 1, n)
}

// openShop opens, in a desktop of its own, a new Shop database of n customers in a folder of
// uiTempDir, and waits until it is shown.
func openShop(t *testing.T, n int) (d *Desktop, w *watcher, dir string) {
	t.Helper()
	dir = filepath.Join(uiTempDir(t), "Shop")
	shopDB(t, dir, n)
	d, w = newDesktop(t, &dialogs.Fake{}, "")
	d.Open(dir)
	waitFor(t, w, "the database open", func() bool { return openedName(d) == "Shop" })
	return d, w, dir
}

func addCustomers(t *testing.T, db *engine.DB, from, to int) {
	t.Helper()
	_, err := db.NewProcess("").Update(func(tx *engine.Tx) error {
		for i := from; i <= to; i++ {
			if _, err := tx.Add("Customers", map[string]journal.Value{"id": journal.Int(int64(i)), "name": journal.Text("c")}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func openedName(d *Desktop) string {
	if db := d.DB(); db != nil && d.Main.view != nil && d.Main.view.db == db {
		return db.Name()
	}
	return ""
}

// New Database... creates a database where the dialog says and opens it; Open Database...
// opens another; the last one opened is the one opened next time.
func TestNewAndOpenDatabase(t *testing.T) {
	state := uiTempDir(t)
	fake := &dialogs.Fake{}
	d, w := newDesktop(t, fake, state)
	root := uiTempDir(t)
	other := filepath.Join(root, "Archive2025")
	shopDB(t, other, 5)
	fresh := filepath.Join(root, "Invoices")
	fake.Choose(fresh)
	onUI(d.NewDatabase)
	waitFor(t, w, "the new database open", func() bool { return openedName(d) == "Invoices" })
	if d.Main.Title() != "Holdfast - Invoices" {
		t.Errorf("title %q", d.Main.Title())
	}
	if _, err := os.Stat(filepath.Join(fresh, "Data")); err != nil {
		t.Fatal(err)
	}
	fake.Choose(other)
	onUI(d.OpenDatabase)
	waitFor(t, w, "the other database open", func() bool { return openedName(d) == "Archive2025" })
	got, err := d.DefaultDatabase()
	if err != nil {
		t.Fatal(err)
	}
	if got != other {
		t.Errorf("next time opens %q, want %q", got, other)
	}
	// A folder that is not a database is refused with its code; the open one stays.
	fake.Choose(uiTempDir(t))
	onUI(d.OpenDatabase)
	waitFor(t, w, "the error", func() bool { return strings.Contains(strings.Join(overlayText(d.Main.Window), " "), "2013") })
	if openedName(d) != "Archive2025" {
		t.Error("a failed open closed the database open")
	}
	// While a backup of the open database runs, another one is not opened (1415).
	snap, err := d.DB().BeginBackup(1)
	if err != nil {
		t.Fatal(err)
	}
	d.Open(fresh)
	waitFor(t, w, "the refusal", func() bool { return strings.Contains(strings.Join(overlayText(d.Main.Window), " "), "1415") })
	snap.Abort()
	if openedName(d) != "Archive2025" {
		t.Error("a database was switched during a backup")
	}
	// A dialog that fails says so with its code, and nothing is opened.
	fake.Answer(dialogs.FakeAnswer{Err: errors.New("the file chooser could not start")})
	onUI(d.OpenDatabase)
	waitFor(t, w, "the dialog's failure", func() bool {
		return strings.Contains(strings.Join(overlayText(d.Main.Window), " "), "2019: file dialog: the file chooser could not start")
	})
	// A second app on the same state opens the last one.
	d2, _ := newDesktop(t, &dialogs.Fake{}, state)
	got, err = d2.DefaultDatabase()
	if err != nil {
		t.Fatal(err)
	}
	if got != other {
		t.Errorf("a new start opens %q", got)
	}
}

// Opens asked one after another, while the one before is still under way, are each carried
// out in order: the last one asked is the one left open, and none is lost.
func TestOpensInARow(t *testing.T) {
	d, w := newDesktop(t, &dialogs.Fake{}, "")
	root := uiTempDir(t)
	for _, name := range []string{"One", "Two", "Three"} {
		shopDB(t, filepath.Join(root, name), 3)
	}
	d.Open(filepath.Join(root, "One"))
	d.Open(filepath.Join(root, "Two"))
	d.Open(filepath.Join(root, "Two")) // a second click on the same one
	d.Open(filepath.Join(root, "Three"))
	waitFor(t, w, "the last database asked open", func() bool { return openedName(d) == "Three" })
	pending.Wait()
	if openedName(d) != "Three" {
		t.Errorf("open at the end: %q", openedName(d))
	}
}

// The first run creates the demo database and opens it.
func TestFirstRunOpensDemo(t *testing.T) {
	d, w := newDesktop(t, &dialogs.Fake{}, uiTempDir(t))
	d.opts.DemoDir = filepath.Join(uiTempDir(t), "Demo")
	dir, err := d.DefaultDatabase()
	if err != nil || dir != d.opts.DemoDir {
		t.Fatalf("first run: %q %v", dir, err)
	}
	d.Open(dir)
	waitFor(t, w, "the demo open with its tables", func() bool {
		return openedName(d) == "Demo" && len(d.Main.view.names) > 0 && len(d.Main.view.browser.Rows()) > 0
	})
}

// lagging makes a database whose data file lacks the last operations of its log, with the
// automatic integration off: the data file is put back as it was before them.
func lagging(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(uiTempDir(t), "Shop")
	shopDB(t, dir, 10)
	data := filepath.Join(dir, "Data", "Shop.4DD")
	old, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	addCustomers(t, db, 11, 15)
	s := db.Settings()
	if err := s.Set("restore.autoIntegrateLog", "false"); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateSettings(s); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(data, old, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// At open, operations of the log the data file lacks are integrated only if the person says
// so: Integrate brings them in and writing is allowed.
func TestOpenAsksIntegrate(t *testing.T) {
	dir := lagging(t)
	d, w := newDesktop(t, &dialogs.Fake{}, "")
	d.Open(dir)
	waitFor(t, w, "the question", func() bool { return overlayButton(d.Main.Window, "Integrate") != nil })
	if texts := overlayWords(d.Main.Window); !strings.Contains(texts, "operations 11 to 15") && !strings.Contains(texts, "5 operation(s)") {
		t.Errorf("question: %s", texts)
	}
	saveCapture(t, d.Main.Window, filepath.Join("testdata", "ui", "integrate_question.png"))
	pressOverlay(t, d.Main.Window, "Integrate")
	waitFor(t, w, "the log integrated", func() bool {
		p := d.Main.integrating
		return p != nil && p.Result() != "" && d.Main.Banner() == ""
	})
	if d.DB().LogStatus().Incomplete != nil {
		t.Fatal("operations left out after Integrate")
	}
	if res := d.Main.integrating.Result(); !strings.HasPrefix(res, "5 operation(s) integrated") {
		t.Errorf("the integration's result: %q", res)
	}
	saveCapture(t, d.Main.Window, filepath.Join("testdata", "ui", "integrated.png"))
	n, err := d.DB().Count("Customers")
	if err != nil {
		t.Fatal(err)
	}
	if n != 15 {
		t.Fatalf("%d customers after integrating, want 15", n)
	}
	tx := d.DB().NewProcess("").Auto()
	if _, err := tx.Add("Customers", map[string]journal.Value{"id": journal.Int(16)}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatalf("a write after integrating: %v", err)
	}
}

// Don't integrate keeps the operations out: the database is read-only, a banner says why and
// offers to integrate them later.
func TestOpenDontIntegrate(t *testing.T) {
	dir := lagging(t)
	d, w := newDesktop(t, &dialogs.Fake{}, "")
	d.Open(dir)
	waitFor(t, w, "the question", func() bool { return overlayButton(d.Main.Window, "Don't integrate") != nil })
	pressOverlay(t, d.Main.Window, "Don't integrate")
	waitFor(t, w, "the banner", func() bool { return strings.Contains(d.Main.Banner(), "read-only") })
	n, err := d.DB().Count("Customers")
	if err != nil {
		t.Fatal(err)
	}
	if n != 10 {
		t.Fatalf("%d customers, want the 10 of the data file", n)
	}
	tx := d.DB().NewProcess("").Auto()
	tx.Add("Customers", map[string]journal.Value{"id": journal.Int(99)}) // refused here or at the commit
	if _, err := tx.Commit(); err == nil {
		t.Fatal("a write was accepted with operations left out")
	}
	saveCapture(t, d.Main.Window, filepath.Join("testdata", "ui", "not_integrated.png"))
	onUI(func() { d.Main.BannerAction() })
	waitFor(t, w, "the banner's Integrate", func() bool {
		p := d.Main.integrating
		return p != nil && p.Result() != "" && d.Main.Banner() == ""
	})
	if d.DB().LogStatus().Incomplete != nil {
		t.Fatal("operations left out after the banner's Integrate")
	}
	n, err = d.DB().Count("Customers")
	if err != nil {
		t.Fatal(err)
	}
	if n != 15 {
		t.Fatalf("%d customers after the banner's Integrate", n)
	}
}

// Stop ends an integration: it says so with 2020, the database stays read-only with its banner,
// and the banner's Integrate does the rest later.
func TestIntegrateStop(t *testing.T) {
	defer func(f time.Duration) { firstFrame = f }(firstFrame)
	firstFrame = 2 * time.Second // Stop is pressed before the work starts
	dir := lagging(t)
	d, w := newDesktop(t, &dialogs.Fake{}, "")
	d.Open(dir)
	waitFor(t, w, "the question", func() bool { return overlayButton(d.Main.Window, "Integrate") != nil })
	pressOverlay(t, d.Main.Window, "Integrate")
	onUI(func() { d.Main.integrating.Stop() })
	waitFor(t, w, "the stopped integration", func() bool {
		p := d.Main.integrating
		return p != nil && p.Result() != ""
	})
	if res := d.Main.integrating.Result(); !strings.Contains(res, "2020") || !strings.Contains(res, "stopped") {
		t.Errorf("the stopped integration's result: %q", res)
	}
	waitFor(t, w, "the banner", func() bool { return strings.Contains(d.Main.Banner(), "read-only") })
	n, err := d.DB().Count("Customers")
	if err != nil {
		t.Fatal(err)
	}
	if n != 10 {
		t.Fatalf("%d customers after a stop before the start, want 10", n)
	}
	firstFrame = time.Millisecond
	onUI(func() { d.Main.BannerAction() })
	waitFor(t, w, "the banner's Integrate", func() bool {
		p := d.Main.integrating
		return p != nil && strings.HasPrefix(p.Result(), "5 operation(s) integrated") && d.Main.Banner() == ""
	})
}

// A damaged data file with the automatic repair off shows the report: what is wrong, the
// steps, and Repair now, which repairs it from the backup and opens it.
func TestDamagedReportRepairs(t *testing.T) {
	dir := filepath.Join(uiTempDir(t), "Shop")
	shopDB(t, dir, 20)
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Run(context.Background(), db, backup.Options{}); err != nil {
		t.Fatal(err)
	}
	addCustomers(t, db, 21, 25)
	s := db.Settings()
	if err := s.Set("restore.autoRestoreIfDamaged", "false"); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateSettings(s); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "Data", "Shop.4DD")
	f, err := os.OpenFile(data, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(make([]byte, 16<<10), 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	d, w := newDesktop(t, &dialogs.Fake{}, "")
	d.Open(dir)
	waitFor(t, w, "the report", func() bool { return containsText(labelTexts(d.Main.Content()), "error 1433") })
	texts := contentWords(d.Main.Content)
	if !strings.Contains(texts, "restore the data of backup 1") || !strings.Contains(texts, "integrate") {
		t.Errorf("the report has no steps:\n%s", texts)
	}
	saveCapture(t, d.Main.Window, filepath.Join("testdata", "ui", "damaged_report.png"))
	var repair *widget.Button
	onUI(func() { repair = findButton(d.Main.Content(), "Repair now") })
	if repair == nil {
		t.Fatal("no Repair now button")
	}
	onUI(func() { test.Tap(repair) })
	waitFor(t, w, "the repaired database open", func() bool { return openedName(d) == "Shop" })
	n, err := d.DB().Count("Customers")
	if err != nil {
		t.Fatal(err)
	}
	if n != 25 {
		t.Fatalf("%d customers after the repair, want 25", n)
	}
}

// File > New Log File archives the log and starts a new one, and says so; asked twice at
// once (a double click), it runs once and says the first is under way.
func TestNewLogFileOnce(t *testing.T) {
	d, w, _ := openShop(t, 3)
	onUI(func() {
		d.Main.NewLogFile()
		d.Main.NewLogFile()
	})
	waitFor(t, w, "the new log said", func() bool {
		return strings.Contains(strings.Join(overlayText(d.Main.Window), " "), "A new log file starts at operation")
	})
	if words := overlayWords(d.Main.Window); !strings.Contains(words, "being started already") {
		t.Errorf("the second New Log File was not answered: %q", words)
	}
	logs, err := filepath.Glob(filepath.Join(backup.Destination(d.DB()), "*.4BL"))
	if err != nil || len(logs) != 1 || filepath.Base(logs[0]) != "Shop[0000-0001].4BL" {
		t.Fatalf("log backups %v (%v), want Shop[0000-0001].4BL alone", logs, err)
	}
}

// Opening a database whose data file lacks operations of its log, with the automatic
// integration on, reports how the integration goes to the window (shown over it while it
// lasts), and nothing of it is left once open.
func TestOpenShowsIntegration(t *testing.T) {
	dir := lagging(t)
	path := filepath.Join(dir, settings.FileName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := settings.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set("restore.autoIntegrateLog", "true"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, s.Marshal(), 0o600); err != nil {
		t.Fatal(err)
	}
	d, w := newDesktop(t, &dialogs.Fake{}, "")
	d.Open(dir)
	waitFor(t, w, "the database open", func() bool { return openedName(d) == "Shop" })
	n, err := d.DB().Count("Customers")
	if err != nil {
		t.Fatal(err)
	}
	if n != 15 {
		t.Fatalf("%d customers, want the 15 of the log", n)
	}
	onUI(func() {
		if d.openReports.Load() == 0 {
			t.Error("the integration at open reported no progress")
		}
		if words := strings.Join(overlayText(d.Main.Window), " "); strings.Contains(words, "up to date") {
			t.Errorf("the progress of the open is still shown: %q", words)
		}
	})
}

// A database whose log file is missing does not open: the window says what is wrong and how
// out, in buttons. Open Without the Log opens it with writes refused (the banner's Back up
// now starts a new log), and nothing the data file holds is lost.
func TestLogReportOpensWithoutTheLog(t *testing.T) {
	dir := filepath.Join(uiTempDir(t), "Shop")
	shopDB(t, dir, 20)
	if err := os.Remove(filepath.Join(dir, "Data", "data.journal")); err != nil {
		t.Fatal(err)
	}
	d, w := newDesktop(t, &dialogs.Fake{}, "")
	d.Open(dir)
	waitFor(t, w, "the report", func() bool { return containsText(labelTexts(d.Main.Content()), "cannot be used") })
	if texts := contentWords(d.Main.Content); strings.Contains(texts, "holdfast ") {
		t.Errorf("the report tells people to type commands:\n%s", texts)
	}
	saveCapture(t, d.Main.Window, filepath.Join("testdata", "ui", "log_report.png"))
	var without *widget.Button
	onUI(func() { without = findButton(d.Main.Content(), "Open Without the Log") })
	if without == nil {
		t.Fatal("no Open Without the Log button")
	}
	onUI(func() { test.Tap(without) })
	waitFor(t, w, "the database open without its log", func() bool { return openedName(d) == "Shop" })
	n, err := d.DB().Count("Customers")
	if err != nil {
		t.Fatal(err)
	}
	if n != 20 {
		t.Fatalf("%d customers, want 20", n)
	}
	waitFor(t, w, "the banner", func() bool { return strings.Contains(d.Main.Banner(), "1274") })
}

// A read that finds the data file damaged (1433) repairs it at once: the window says so in
// plain words, closes the database and opens it again from the last backup and the logs, and
// the record that could not be read is back. Before, every read said 1433 until a restart.
func TestDamageFoundWhileReadingRepairs(t *testing.T) {
	dir := filepath.Join(uiTempDir(t), "Shop")
	shopDB(t, dir, 20)
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	marker := strings.Repeat("find-and-damage-me ", 8)
	if _, err := db.NewProcess("").Update(func(tx *engine.Tx) error {
		_, err := tx.Add("Customers", map[string]journal.Value{"id": journal.Int(99), "name": journal.Text(marker)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Run(context.Background(), db, backup.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Damage that the checks at open do not look for: a record's bytes, found by its first read.
	data := filepath.Join(dir, "Data", "Shop.4DD")
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(marker)) {
		t.Fatal("the record is not in the data file")
	}
	f, err := os.OpenFile(data, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; ; {
		at := bytes.Index(b[off:], []byte(marker))
		if at < 0 {
			break
		}
		if _, err := f.WriteAt([]byte("X"), int64(off+at+5)); err != nil { // every copy: bbolt keeps freed pages
			t.Fatal(err)
		}
		off += at + len(marker)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	d, w := newDesktop(t, &dialogs.Fake{}, "")
	d.Open(dir)
	waitFor(t, w, "the database open", func() bool { return openedName(d) == "Shop" })
	first := d.DB()
	_, _, err = first.Get("Customers", []journal.Value{journal.Int(99)})
	// The window's own first page of records may have found the damage first, and the
	// repair be done before the test read.
	already := strings.Contains(journalOf(t, dir), "Automatic repair done")
	if engine.CodeOf(err) != engine.CodeDamaged && first.Damaged() == nil && !already {
		t.Fatalf("the damaged record read: %v, want 1433", err)
	}
	waitFor(t, w, "the repaired database open", func() bool {
		cur := d.DB()
		return cur != nil && (cur != first || already) && openedName(d) == "Shop"
	})
	if !strings.Contains(journalOf(t, dir), "Automatic repair done") {
		t.Error("the backup journal does not record the repair")
	}
	rec, found, err := d.DB().Get("Customers", []journal.Value{journal.Int(99)})
	if err != nil || !found || rec.Values[1].S != marker {
		t.Fatalf("after the repair: %v %v %v", rec, found, err)
	}
	n, err := d.DB().Count("Customers")
	if err != nil {
		t.Fatal(err)
	}
	if n != 21 {
		t.Errorf("%d customers after the repair, want 21", n)
	}
}

func journalOf(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(engine.BackupJournalPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
