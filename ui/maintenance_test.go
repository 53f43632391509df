package ui

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"holdfast/backup"
	"holdfast/dialogs"
)

// Activity analysis: every operation of the current log, sorted by a column (twice: the other
// way), filtered, exported as CSV; Browse... analyses a log backup instead.
func TestActivityAnalysis(t *testing.T) {
	dir := filepath.Join(uiTempDir(t), "Shop")
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
	out := filepath.Join(uiTempDir(t), "activity.csv")
	fake.Choose(out)
	onUI(mw.export)
	waitFor(t, w, "the export", func() bool { return mw.exported == out })
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(out); err != nil {
		t.Fatal(err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Errorf("the exported activity's mode is %v, want 0600: it holds the user's data", fi.Mode().Perm())
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
	d, w, _ := openShop(t, 0)
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
	onUI(func() { mw.tabs.SelectIndex(2) }) // which lists the operations again
	waitFor(t, w, "the operations listed again", func() bool { return strings.HasPrefix(mw.rbPageInfo.Text, "Operations ") })
	onUI(func() { mw.SelectRollback(row) })
	if mw.rbButton.Disabled() || !strings.Contains(mw.rbInfo.Text, "operation "+strconv.FormatUint(keep, 10)) {
		t.Fatalf("after choosing: %q, button off %v", mw.rbInfo.Text, mw.rbButton.Disabled())
	}
	saveCapture(t, mw.Window, filepath.Join("testdata", "ui", "rollback_page.png"))
	onUI(func() { mw.rbButton.OnTapped() })
	checkSafeDefault(t, mw.Window, "Cancel", "Roll Back")
	pressOverlay(t, mw.Window, "Roll Back")
	waitFor(t, w, "the database open again, rolled back", func() bool {
		return openedName(d) == "Shop" && d.DB() != db && strings.Contains(strings.Join(overlayText(d.Main.Window), " "), "Rolled back")
	})
	n, err := d.DB().Count("Customers")
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Fatalf("%d customers after rolling back to the 5th, want 5", n)
	}
	// The result says to make a backup now, and gives the button.
	saveCapture(t, d.Main.Window, filepath.Join("testdata", "ui", "rolled_back.png"))
	pressOverlay(t, d.Main.Window, "Back up now")
	waitFor(t, w, "the backup after the rollback", func() bool {
		bw := d.Main.BackupWindow()
		return bw != nil && bw.Running() != nil && strings.Contains(bw.Running().Result(), "done")
	})
}

// Right after New Log File, the Rollback page still lists the work before it: every operation
// since the backup, across the log backup New Log File archived and the current log, newest
// first a page at a time (Older, Newer), each with its log file; one from the log backup, on
// the second page, rolls back.
func TestRollbackPageAcrossLogs(t *testing.T) {
	d, w, _ := openShop(t, 3)
	db := d.DB()
	if _, err := backup.Run(context.Background(), db, backup.Options{}); err != nil {
		t.Fatal(err)
	}
	addCustomers(t, db, 4, 4)
	keep := db.LogStatus().LastOp
	addCustomers(t, db, 5, 5)
	for i := 6; i <= 80; i++ { // three operations each: more than a page
		addCustomers(t, db, i, i)
	}
	nl, err := backup.NewLog(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	addCustomers(t, db, 151, 151)
	last := db.LogStatus().LastOp
	onUI(d.Main.OpenMaintenance)
	mw := d.Main.MaintenanceWindow()
	onUI(func() { mw.tabs.SelectIndex(2) })
	waitFor(t, w, "the first page", func() bool {
		return len(mw.rbRows) == rollbackPageSize && !mw.rbOld.Disabled() && strings.HasPrefix(mw.rbPageInfo.Text, "Operations ")
	})
	var segment string
	onUI(func() {
		if mw.rbRows[0].Operation != last || !mw.rbNewer.Disabled() {
			t.Errorf("the first page starts at operation %d (Newer on: %v), want %d", mw.rbRows[0].Operation, !mw.rbNewer.Disabled(), last)
		}
		segment = filepath.Base(nl.Archived[0])
		if words := strings.Join(labelTexts(mw.Content()), "\n"); !strings.Contains(words, "(current log)") || !strings.Contains(words, "("+segment+")") {
			t.Errorf("the page does not say which log holds each operation: %q", words)
		}
	})
	saveCapture(t, mw.Window, filepath.Join("testdata", "ui", "rollback_pages.png"))
	onUI(func() { test.Tap(mw.rbOld) })
	row := -1
	waitFor(t, w, "the second page", func() bool {
		row = slices.IndexFunc(mw.rbRows, func(op backup.ListedOp) bool { return op.Operation == keep })
		return mw.rbPage == 1 && row >= 0
	})
	onUI(func() {
		if mw.rbNewer.Disabled() || !mw.rbOld.Disabled() || filepath.Base(mw.rbRows[row].Log) != segment {
			t.Errorf("page 2: Newer on %v, Older on %v, operation %d from %s", !mw.rbNewer.Disabled(), !mw.rbOld.Disabled(), keep, mw.rbRows[row].Log)
		}
		mw.SelectRollback(row)
		mw.rbButton.OnTapped()
	})
	pressOverlay(t, mw.Window, "Roll Back")
	waitFor(t, w, "the database open again, rolled back", func() bool {
		return openedName(d) == "Shop" && d.DB() != db && strings.Contains(strings.Join(overlayText(d.Main.Window), " "), "Rolled back")
	})
	if n, _ := d.DB().Count("Customers"); n != 4 {
		t.Fatalf("%d customers after rolling back to the 4th, want 4", n)
	}
}

// A database that keeps no log says so on the analysis and rollback pages, with 1403 and how
// to turn the log on. Analyze and Browse... wait while a log is read, and a second Analyze
// then reads the log once more rather than twice at once.
func TestAnalysisWithoutLog(t *testing.T) {
	d, w, _ := openShop(t, 3)
	if err := d.DB().StopLog(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(d.DB().LogPath()); err != nil {
		t.Fatal(err)
	}
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
	d, w, _ := openShop(t, 8)
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
	n, err := d.DB().Count("Customers")
	if err != nil {
		t.Fatal(err)
	}
	if n != 8 {
		t.Errorf("%d customers after a refused rollback", n)
	}
	onUI(func() { d.Main.BackupWindow().progress.Stop() })
	<-stopped
}

// The Backup page lists the backups kept (number, date, size, duration, result, verified), with
// Verify and Delete... on the one chosen: Verify reads it back and the list says so; Delete...
// asks first, Cancel the default, saying what is lost with the oldest backup; Cancel keeps it,
// Delete removes it.
func TestBackupList(t *testing.T) {
	d, w, _ := openShop(t, 3)
	db := d.DB()
	var archives []string
	for i := 1; i <= 3; i++ {
		addCustomers(t, db, 10*i, 10*i+5)
		res, err := backup.Run(context.Background(), db, backup.Options{})
		if err != nil {
			t.Fatal(err)
		}
		archives = append(archives, res.Archive)
	}
	onUI(d.Main.OpenMaintenance)
	mw := d.Main.MaintenanceWindow()
	l := mw.Backup.list
	waitFor(t, w, "the backups listed", func() bool { return len(l.backups) == 3 })
	onUI(func() {
		cells := backupCells(&l.backups[0], time.Now())
		if cells[0] != "#3" || !strings.HasSuffix(cells[2], "B") || cells[4] != "ok" || cells[5] != "verified when made" {
			t.Errorf("backup 3 listed as %q", cells)
		}
		if !l.verify.Disabled() || !l.remove.Disabled() {
			t.Error("Verify or Delete... on with no backup chosen")
		}
		if !strings.HasPrefix(mw.Backup.estimate.Text, "about ") {
			t.Errorf("no estimate before the next backup: %q", mw.Backup.estimate.Text)
		}
		l.Choose(2)
		test.Tap(l.verify)
	})
	waitFor(t, w, "backup 2 verified", func() bool {
		return strings.Contains(l.info.Text, "Backup 2 verified") && len(l.backups) == 3 && strings.HasPrefix(backupCells(&l.backups[1], time.Now())[5], "verified today ")
	})
	saveCapture(t, mw.Window, filepath.Join("testdata", "ui", "maintenance_backups.png"))
	onUI(func() {
		l.Choose(1)
		test.Tap(l.remove)
	})
	waitFor(t, w, "the question", func() bool { return overlayButton(mw.Window, "Cancel") != nil })
	onUI(func() {
		c, del := overlayButton(mw.Window, "Cancel"), overlayButton(mw.Window, "Delete")
		if c == nil || del == nil || c.Importance != widget.HighImportance || del.Importance == widget.HighImportance {
			t.Error("Cancel is not the default answer of Delete backup 1")
		}
		if words := strings.Join(overlayText(mw.Window), " "); !strings.Contains(words, "Lost: the operations") || !strings.Contains(words, "Shop[0001].4BL") {
			t.Errorf("the question does not say what is lost with the oldest backup: %q", words)
		}
	})
	saveCapture(t, mw.Window, filepath.Join("testdata", "ui", "maintenance_delete_backup.png"))
	pressOverlay(t, mw.Window, "Cancel")
	waitFor(t, w, "Cancel", func() bool { return strings.Contains(l.info.Text, "Backup 1 is kept") })
	if _, err := os.Stat(archives[0]); err != nil {
		t.Fatalf("Cancel deleted backup 1: %v", err)
	}
	onUI(func() { test.Tap(l.remove) })
	waitFor(t, w, "the question again", func() bool { return overlayButton(mw.Window, "Delete") != nil })
	pressOverlay(t, mw.Window, "Delete")
	waitFor(t, w, "backup 1 deleted", func() bool { return strings.Contains(l.info.Text, "Backup 1 deleted") && len(l.backups) == 2 })
	if _, err := os.Stat(archives[0]); err == nil {
		t.Error("the archive of backup 1 is still there")
	}
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
