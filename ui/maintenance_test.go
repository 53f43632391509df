package ui

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"holdfast/backup"
	"holdfast/dialogs"
)

// Activity analysis: every operation of the current log, sorted by a column (twice: the other
// way), filtered, exported as CSV; Browse... analyses a log backup instead.
func TestActivityAnalysis(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Shop")
	shopDB(t, dir, 0)
	fake := &dialogs.Fake{}
	d, w := newDesktop(t, fake, "")
	d.Open(dir)
	waitFor(t, w, "the database open", func() bool { return openedName(d) == "Shop" })
	db := d.DB()
	for i := 1; i <= 6; i++ {
		addCustomers(t, db, i, i)
	}
	res, err := backup.Run(context.Background(), db, backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	addCustomers(t, db, 7, 7)
	last := db.LogStatus().LastOp

	onUI(d.Main.OpenMaintenance)
	mw := d.Main.MaintenanceWindow()
	waitFor(t, w, "the current log analysed", func() bool { return len(mw.rows) > 0 && len(mw.Shown()) == len(mw.rows) })
	onUI(func() {
		mw.tabs.SelectIndex(3)
		mw.SortBy(0)
	})
	var shown [][]string
	onUI(func() { shown = mw.Shown() })
	if shown[0][0] != strconv.FormatUint(last, 10) || !mw.sortDesc {
		t.Fatalf("sorted by operation, reversed: first row %q, want operation %d", shown[0], last)
	}
	saveCapture(t, mw.Window, filepath.Join("testdata", "ui", "activity_analysis.png"))
	onUI(func() { mw.filter.SetText("addition") })
	onUI(func() { shown = mw.Shown() })
	if len(shown) == 0 || len(shown) >= len(mw.rows) {
		t.Fatalf("filter kept %d of %d rows", len(shown), len(mw.rows))
	}
	for _, r := range shown {
		if !strings.Contains(strings.ToLower(strings.Join(r, " ")), "addition") {
			t.Errorf("a row without the filter's text: %q", r)
		}
	}
	out := filepath.Join(t.TempDir(), "activity.csv")
	fake.Choose(out)
	onUI(mw.export)
	waitFor(t, w, "the export", func() bool { return mw.exported == out })
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if !strings.HasPrefix(lines[0], "Operation,Action,Table,Primary Key/BLOB") || len(lines) != len(shown)+1 {
		t.Fatalf("CSV of %d lines for %d rows: %q", len(lines), len(shown), lines[0])
	}

	fake.Choose(res.LogBackups[0])
	onUI(func() { mw.filter.SetText("") })
	onUI(mw.browseLog)
	waitFor(t, w, "the log backup analysed", func() bool { return mw.source == res.LogBackups[0] })
	for _, r := range mw.rows {
		if r.Operation > res.Operation {
			t.Errorf("operation %d in the log backup of backup %d taken at %d", r.Operation, res.Number, res.Operation)
		}
	}
}

// Rollback page: choosing an operation and confirming takes the database back to it; the window
// reopens it and says what was done.
func TestRollbackPage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Shop")
	shopDB(t, dir, 0)
	d, w := newDesktop(t, &dialogs.Fake{}, "")
	d.Open(dir)
	waitFor(t, w, "the database open", func() bool { return openedName(d) == "Shop" })
	db := d.DB()
	var keep uint64
	for i := 1; i <= 8; i++ {
		addCustomers(t, db, i, i)
		if i == 5 {
			keep = db.LogStatus().LastOp
		}
	}
	onUI(d.Main.OpenMaintenance)
	mw := d.Main.MaintenanceWindow()
	waitFor(t, w, "the operations listed", func() bool { return len(mw.rbRows) > 0 })
	row := -1
	for i, r := range mw.rbRows {
		if r.Operation == keep {
			row = i
		}
	}
	if row <= 0 {
		t.Fatalf("operation %d not listed (or listed first)", keep)
	}
	onUI(func() {
		mw.tabs.SelectIndex(2)
		mw.SelectRollback(row)
	})
	if mw.rbButton.Disabled() || !strings.Contains(mw.rbInfo.Text, "operation "+strconv.FormatUint(keep, 10)) {
		t.Fatalf("after choosing: %q, button off %v", mw.rbInfo.Text, mw.rbButton.Disabled())
	}
	saveCapture(t, mw.Window, filepath.Join("testdata", "ui", "rollback_page.png"))
	onUI(func() { mw.rbButton.OnTapped() })
	pressOverlay(t, mw.Window, "Roll Back")
	waitFor(t, w, "the database open again, rolled back", func() bool {
		return openedName(d) == "Shop" && d.DB() != db && strings.Contains(strings.Join(overlayText(d.Main.Window), " "), "Rolled back")
	})
	if n, _ := d.DB().Count("Customers"); n != 5 {
		t.Fatalf("%d customers after rolling back to the 5th, want 5", n)
	}
}

// A database that keeps no log says so on the analysis and rollback pages, with 1403 and how
// to turn the log on. Analyze and Browse... wait while a log is read, and a second Analyze
// then reads the log once more rather than twice at once.
func TestAnalysisWithoutLog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Shop")
	shopDB(t, dir, 3)
	d, w := newDesktop(t, &dialogs.Fake{}, "")
	d.Open(dir)
	waitFor(t, w, "the database open", func() bool { return openedName(d) == "Shop" })
	if err := d.DB().StopLog(); err != nil {
		t.Fatal(err)
	}
	os.Remove(d.DB().LogPath())
	var mw *MaintenanceWindow
	onUI(func() {
		d.Main.OpenMaintenance()
		mw = d.Main.MaintenanceWindow()
		if !mw.analyzeButton.Disabled() || !mw.browseButton.Disabled() {
			t.Error("Analyze and Browse... can be pressed while the log is read")
		}
		mw.Analyze() // pressed again meanwhile: read next
		if mw.nextLog == "" {
			t.Error("an Analyze pressed during a read is lost")
		}
	})
	waitFor(t, w, "both reads ended", func() bool {
		return mw.nextLog == "" && !mw.analyzeButton.Disabled() && strings.Contains(mw.anInfo.Text, "1403")
	})
	onUI(func() {
		if !strings.Contains(mw.anInfo.Text, "Use Log") || !strings.Contains(mw.rbInfo.Text, "1403") {
			t.Errorf("without a log: analysis %q, rollback %q", mw.anInfo.Text, mw.rbInfo.Text)
		}
	})
}

// A rollback is refused while other work runs on the database (1415, naming it): it would
// close the database under that work.
func TestRollbackRefusedDuringWork(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Shop")
	shopDB(t, dir, 8)
	d, w := newDesktop(t, &dialogs.Fake{}, "")
	d.Open(dir)
	waitFor(t, w, "the database open", func() bool { return openedName(d) == "Shop" })
	run, stopped := blockingBackup(d.DB())
	d.Main.RunBackup = run
	onUI(func() {
		d.Main.OpenBackup()
		d.Main.BackupWindow().Start()
	})
	waitFor(t, w, "the backup running", func() bool { return d.DB().BackupRunning() })
	onUI(func() { d.Rollback(3) })
	waitFor(t, w, "the refusal", func() bool { return strings.Contains(strings.Join(overlayText(d.Main.Window), " "), "1415") })
	if words := overlayWords(d.Main.Window); !strings.Contains(words, "Backup of Shop") {
		t.Errorf("the refusal does not name the backup: %q", words)
	}
	if n, _ := d.DB().Count("Customers"); n != 8 {
		t.Errorf("%d customers after a refused rollback", n)
	}
	onUI(func() { d.Main.BackupWindow().progress.Stop() })
	<-stopped
}

// While a rollback runs the window says what it does and, each second, for how long it has
// run; it shows no endless bar, which would repaint the window without pause meanwhile.
func TestRollingPage(t *testing.T) {
	ended := make(chan struct{})
	defer close(ended)
	var page fyne.CanvasObject
	onUI(func() {
		page = rollingPage("Shop", 5, ended)
		if findInfinite(page) != nil {
			t.Error("the rollback's page shows an endless progress bar")
		}
	})
	if words := contentWords(func() fyne.CanvasObject { return page }); !strings.Contains(words, "Rolling Shop back to operation 5") {
		t.Errorf("the rollback's page says %q", words)
	}
	waitFor(t, newWatcher(), "the time it has run", func() bool { return strings.Contains(strings.Join(labelTexts(page), " "), "Running for 1s") })
	win := test.NewTempWindow(t, page)
	win.Resize(fyne.NewSize(1000, 640))
	saveCapture(t, win, filepath.Join("testdata", "ui", "rolling_back.png"))
}
