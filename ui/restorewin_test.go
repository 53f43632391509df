package ui

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"holdfast/backup"
)

// File > Restore...: the archive picked from the history is previewed, the destination is
// proposed beside it, a point in time is checked as it is typed, and the restore runs with its
// progress; Open restored database opens the result in the main window.
func TestRestoreWindow(t *testing.T) {
	d, w, dir := openShop(t, 20)
	db := d.DB()
	res, err := backup.Run(context.Background(), db, backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var point uint64 // the last operation of the 25th customer's transaction
	for i := 21; i <= 30; i++ {
		addCustomers(t, db, i, i) // one transaction each: a point in time can fall between them
		if i == 25 {
			point = db.LogStatus().LastOp
		}
	}

	onUI(d.Main.OpenRestore)
	r := d.Main.RestoreWindow()
	waitFor(t, w, "the history listed", func() bool { return len(r.history.Options) == 1 })
	onUI(func() { r.history.SetSelected(r.history.Options[0]) })
	waitFor(t, w, "the preview", func() bool { return strings.HasPrefix(r.preview.Text, "Backup 1 of Shop") })
	if r.archive.Text != res.Archive || r.dest.Text != backup.DefaultRestoreFolder(res.Archive) {
		t.Fatalf("archive %q, destination %q", r.archive.Text, r.dest.Text)
	}
	onUI(func() {
		r.mode.SetSelected(integrateUntil)
		r.until.SetText("yesterday")
	})
	if !r.untilErr.Visible() || !r.start.Disabled() {
		t.Errorf("a bad point in time: error shown %v, Restore on %v", r.untilErr.Visible(), !r.start.Disabled())
	}
	onUI(func() { r.dest.SetText(dir) })
	waitFor(t, w, "an existing folder refused", func() bool { return strings.Contains(r.destErr.Text, "exists already") && r.destErr.Visible() })
	to := filepath.Join(uiTempDir(t), "Shop restored")
	onUI(func() {
		r.dest.SetText(to)
		r.until.SetText(strconv.FormatUint(point, 10))
	})
	waitFor(t, w, "Restore on", func() bool { return !r.start.Disabled() })
	saveCapture(t, r.Window, filepath.Join("testdata", "ui", "restore_window.png"))
	onUI(r.Start)
	waitFor(t, w, "the restore done", func() bool { return r.Running() != nil && r.Running().Result() != "" })
	got, err := r.Result()
	if err != nil || got.Dir != to || got.Reached != point {
		t.Fatalf("restore: %+v %v (want up to %d)", got, err, point)
	}
	if !strings.HasPrefix(r.Running().Result(), "Restored into "+to) {
		t.Errorf("result %q", r.Running().Result())
	}
	saveCapture(t, r.Window, filepath.Join("testdata", "ui", "restore_done.png"))
	var open *widget.Button
	onUI(func() { open = overlayButton(r.Window, "Open restored database") })
	if open == nil {
		t.Fatal("no Open restored database button")
	}
	test.Tap(open) // not under uiMu: opening hands the window its new content at once
	defer func() {
		if t.Failed() {
			t.Logf("main window shows: %s; db %v; content %s", overlayWords(d.Main.Window), d.DB().Dir(), contentWords(d.Main.Content))
		}
	}()
	waitFor(t, w, "the restored database open", func() bool { return d.DB() != nil && d.DB().Dir() == to && openedName(d) != "" })
	n, err := d.DB().Count("Customers")
	if err != nil {
		t.Fatal(err)
	}
	if n != 25 {
		t.Errorf("%d customers in the restored database, want 25 (20 + 5 up to the point)", n)
	}
}

// With chosen log files, Up to counts: the restore stops at the point typed (it brought back
// what came after, an undone deletion included, before). Where it does not count (no
// integration, the automatic chain), Up to is off.
func TestRestoreChosenLogsUpTo(t *testing.T) {
	d, w, _ := openShop(t, 20)
	db := d.DB()
	if _, err := backup.Run(context.Background(), db, backup.Options{}); err != nil {
		t.Fatal(err)
	}
	var point uint64
	for i := 21; i <= 30; i++ {
		addCustomers(t, db, i, i)
		if i == 25 {
			point = db.LogStatus().LastOp
		}
	}
	nl, err := backup.NewLog(context.Background(), db)
	if err != nil || len(nl.Archived) != 1 {
		t.Fatalf("new log: %+v %v", nl, err)
	}
	onUI(d.Main.OpenRestore)
	r := d.Main.RestoreWindow()
	waitFor(t, w, "the history listed", func() bool { return len(r.history.Options) >= 1 })
	onUI(func() { r.history.SetSelected(r.history.Options[len(r.history.Options)-1]) })
	waitFor(t, w, "the preview", func() bool { return strings.HasPrefix(r.preview.Text, "Backup 1 of Shop") })
	onUI(func() { r.mode.SetSelected(integrateAuto) })
	if !r.until.Disabled() {
		t.Error("Up to is on for the automatic chain, where it does not count")
	}
	to := filepath.Join(uiTempDir(t), "Chosen")
	onUI(func() {
		r.mode.SetSelected(integrateFiles)
		r.logs = nl.Archived
		r.showLogs()
		r.dest.SetText(to)
		r.until.SetText(strconv.FormatUint(point, 10))
	})
	waitFor(t, w, "the destination looked at", func() bool { return r.destSeen == to })
	if r.until.Disabled() || r.start.Disabled() {
		t.Fatalf("Up to off %v, Restore off %v with chosen log files", r.until.Disabled(), r.start.Disabled())
	}
	onUI(r.Start)
	waitFor(t, w, "the restore done", func() bool { return r.Running() != nil && r.Running().Result() != "" })
	got, err := r.Result()
	if err != nil || got.Reached != point {
		t.Fatalf("restore of chosen logs up to %d: %+v %v", point, got, err)
	}
}

// Into follows the archive chosen while it holds the destination proposed (backup 3 chosen
// after backup 1 restores into a folder named after backup 3); a destination typed stays, and so
// do the other choices; Cancel closes the window.
func TestRestoreFormFollowsArchive(t *testing.T) {
	d, w, _ := openShop(t, 5)
	var archives []string
	for range 3 {
		res, err := backup.Run(context.Background(), d.DB(), backup.Options{})
		if err != nil {
			t.Fatal(err)
		}
		archives = append(archives, res.Archive)
	}
	onUI(d.Main.OpenRestore)
	r := d.Main.RestoreWindow()
	waitFor(t, w, "the history listed", func() bool { return len(r.history.Options) == 3 })
	choose := func(n int) { // the history lists the newest first
		onUI(func() { r.history.SetSelected(r.history.Options[3-n]) })
		waitFor(t, w, "the preview", func() bool { return strings.HasPrefix(r.preview.Text, "Backup "+strconv.Itoa(n)+" of Shop") })
	}
	choose(1)
	if r.dest.Text != backup.DefaultRestoreFolder(archives[0]) {
		t.Fatalf("Into %q for backup 1", r.dest.Text)
	}
	onUI(func() {
		r.items.SetSelected([]string{"Data"})
		r.mode.SetSelected(integrateNone)
	})
	choose(3)
	if r.dest.Text != backup.DefaultRestoreFolder(archives[2]) {
		t.Errorf("Into stayed %q after backup 3 was chosen, want %q", r.dest.Text, backup.DefaultRestoreFolder(archives[2]))
	}
	if strings.Join(r.items.Selected, ",") != "Data" || r.mode.Selected != integrateNone {
		t.Errorf("choices lost when the archive changed: items %q, integrate %q", r.items.Selected, r.mode.Selected)
	}
	typed := filepath.Join(uiTempDir(t), "Mine")
	onUI(func() { r.dest.SetText(typed) })
	choose(2)
	if r.dest.Text != typed {
		t.Errorf("the destination typed was replaced by %q", r.dest.Text)
	}
	// A typed archive path that is not the backup shown in the list clears the list's choice.
	onUI(func() { r.archive.SetText(archives[0]) })
	if r.history.Selected != "" {
		t.Errorf("the list still shows %q for another archive", r.history.Selected)
	}
	saveCapture(t, r.Window, filepath.Join("testdata", "ui", "restore_form.png"))
	var cancel *widget.Button
	onUI(func() { cancel = findButton(r.Content(), "Cancel") })
	if cancel == nil {
		t.Fatal("the restore window has no Cancel")
	}
	onUI(func() { test.Tap(cancel) })
	waitFor(t, w, "the restore window closed", func() bool { return d.Main.RestoreWindow() == nil })
}

// Show folder says why it cannot open the folder (no xdg-open) and where it is, with Copy path,
// instead of doing nothing.
func TestShowFolderSaysWhyNot(t *testing.T) {
	a := newApp(t)
	old := openFolder
	openFolder = func(string) error {
		return errors.New("no program that opens folders is installed (xdg-open, from the xdg-utils package)")
	}
	defer func() { openFolder = old }()
	win := a.NewWindow("Restore")
	win.Resize(fyne.NewSize(600, 400))
	win.Show()
	defer win.Close()
	onUI(func() { showFolder("/home/ana/Shop restored", win) })
	w := newWatcher()
	waitFor(t, w, "the reason shown", func() bool { return strings.Contains(strings.Join(overlayText(win), " "), "xdg-open") })
	if words := overlayWords(win); !strings.Contains(words, "/home/ana/Shop restored") {
		t.Errorf("the dialog does not say where the folder is: %q", words)
	}
	pressOverlay(t, win, "Copy path")
	if got := a.Clipboard().Content(); got != "/home/ana/Shop restored" {
		t.Errorf("clipboard holds %q", got)
	}
	saveCapture(t, win, filepath.Join("testdata", "ui", "show_folder.png"))
}
