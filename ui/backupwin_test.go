package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"holdfast/backup"
	"holdfast/engine"
)

// Ctrl+B opens the backup window, whose Backup button runs a real backup with its progress
// shown; the result line names the archive, which is there; the window shows it as the last
// backup; a second Ctrl+B brings the same window forward.
func TestBackupWindowRunsBackup(t *testing.T) {
	a := newApp(t)
	db := browsedDB(t, 500)
	updates := make(chan struct{}, 32)
	m := newMainUI(a, Config{DBPath: "/home/ana/Databases/Shop", Name: db.Name(), DB: db, OnUpdate: func() { updates <- struct{}{} }})
	m.Show()
	defer m.Close()
	onUI(m.Start)
	waitPage(t, updates)
	waitPage(t, updates)
	m.Canvas().(interface{ TypedShortcut(fyne.Shortcut) }).TypedShortcut(backupShortcut)
	bw := m.BackupWindow()
	if bw == nil {
		t.Fatal("Ctrl+B opened no backup window")
	}
	waitPage(t, updates) // its destination and history read
	if !strings.Contains(bw.dest.Text, "Shop Backups") || !strings.Contains(bw.space.Text, "free") || bw.last.Text != "none yet" {
		t.Errorf("backup window: %q %q %q", bw.dest.Text, bw.space.Text, bw.last.Text)
	}
	m.Canvas().(interface{ TypedShortcut(fyne.Shortcut) }).TypedShortcut(backupShortcut)
	if m.BackupWindow() != bw {
		t.Error("a second Ctrl+B opened another window")
	}
	gate := make(chan struct{})
	old := bw.run
	bw.run = func(ctx context.Context, p func(backup.Progress)) (*backup.Result, error) {
		<-gate // the test looks at the window while the backup has not started
		return old(ctx, p)
	}
	test.Tap(bw.button)
	if !bw.button.Disabled() {
		t.Error("the Backup button stays on while a backup runs")
	}
	test.Tap(bw.button) // a second click while it runs starts nothing
	close(gate)
	waitPage(t, updates) // the status bar and the backup window, read again after the backup
	waitPage(t, updates)
	res := bw.Running().Result()
	if !strings.HasPrefix(res, "Backup 1 done: ") || !strings.HasPrefix(bw.last.Text, "#1 ") || bw.button.Disabled() {
		t.Fatalf("result %q, last backup %q", res, bw.last.Text)
	}
	archive := strings.SplitN(strings.TrimPrefix(res, "Backup 1 done: "), " (", 2)[0]
	if _, err := os.Stat(archive); err != nil {
		t.Fatalf("the archive of the result line: %v", err)
	}
	saveCapture(t, bw.Window, filepath.Join("testdata", "ui", "backup_done.png"))
}

// Stop stops at once: the backup's context is cancelled, and the result says 1406 plainly.
func TestBackupProgressStop(t *testing.T) {
	a := newApp(t)
	w := a.NewWindow("Holdfast - Test")
	w.Resize(fyne.NewSize(700, 400))
	w.Show()
	defer w.Close()
	started := make(chan struct{})
	ended := make(chan error, 1)
	run := func(ctx context.Context, progress func(backup.Progress)) (*backup.Result, error) {
		progress(backup.Progress{Done: 300 << 20, Total: 1 << 30, Item: "Data/Shop.4DD", Speed: 150e6, Left: 5 * time.Second})
		close(started)
		<-ctx.Done()
		return nil, &engine.Error{Code: engine.CodeBackupInterrupted, Op: "backup"}
	}
	p := StartBackup(w, "Backup of Shop", run, func(_ *backup.Result, err error) { ended <- err })
	<-started
	waitFor(t, newWatcher(), "the progress shown", func() bool { return strings.Contains(p.detail.Text, "315 MB of 1.1 GB") })
	onUI(func() {
		if !strings.Contains(p.detail.Text, "left") || p.item.Text != "Data/Shop.4DD" {
			t.Errorf("progress shows %q / %q", p.detail.Text, p.item.Text)
		}
		if p.bar.Value < 0.29 || p.bar.Value > 0.3 {
			t.Errorf("thermometer at %.2f", p.bar.Value)
		}
	})
	saveCapture(t, w, filepath.Join("testdata", "ui", "backup_progress.png"))
	onUI(p.Stop)
	select {
	case err := <-ended:
		if engine.CodeOf(err) != engine.CodeBackupInterrupted {
			t.Fatalf("ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not stop the backup")
	}
	waitFor(t, newWatcher(), "the result", func() bool { return p.Result() != "" })
	if !strings.Contains(p.Result(), "stopped") || !strings.Contains(p.Result(), "1406") {
		t.Errorf("result %q", p.Result())
	}
}

// Quitting (Ctrl+Q, in the main window or another) while a backup runs asks first, Keep
// running the default: it lets the backup go on; Stop and quit stops it (1406) and then quits.
func TestQuitDuringBackupAsks(t *testing.T) {
	m, db, w, stopped := blockedBackupUI(t)
	onUI(func() {
		m.OpenBackup()
		m.BackupWindow().Start()
	})
	waitFor(t, w, "the backup running", db.BackupRunning)
	onUI(func() { m.Canvas().(interface{ TypedShortcut(fyne.Shortcut) }).TypedShortcut(quitShortcut) })
	waitFor(t, w, "the question", func() bool { return overlayButton(m.Window, "Keep running") != nil })
	checkSafeDefault(t, m.Window, "Keep running", "Stop and quit")
	pressKey(t, m.Window, fyne.KeyReturn)
	if !db.BackupRunning() {
		t.Fatal("Keep running stopped the backup")
	}
	onUI(func() {
		m.BackupWindow().Canvas().(interface{ TypedShortcut(fyne.Shortcut) }).TypedShortcut(quitShortcut)
	})
	waitFor(t, w, "the question again", func() bool { return overlayButton(m.Window, "Stop and quit") != nil })
	pressOverlay(t, m.Window, "Stop and quit")
	select {
	case err := <-stopped:
		if engine.CodeOf(err) != engine.CodeBackupInterrupted {
			t.Fatalf("the backup ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Stop and quit did not stop the backup")
	}
	waitFor(t, w, "the backup ended", func() bool { return !db.BackupRunning() })
}

// Closing the backup window while its backup runs asks first: Keep running keeps the window
// and the backup; Stop and close stops the backup (1406), then closes the window.
func TestCloseBackupWindowDuringBackupAsks(t *testing.T) {
	m, db, w, stopped := blockedBackupUI(t)
	var bw *BackupWindow
	onUI(func() {
		m.OpenBackup()
		bw = m.BackupWindow()
		bw.Start()
	})
	waitFor(t, w, "the backup running", db.BackupRunning)
	closeBackupWindow := func() { m.confirmStop(bw.Window, "close", bw.Close) } // what its close button does
	onUI(closeBackupWindow)
	waitFor(t, w, "the question", func() bool { return overlayButton(bw.Window, "Keep running") != nil })
	if words := overlayWords(bw.Window); !strings.Contains(words, "Backup of "+db.Name()) {
		t.Errorf("the question does not name the backup: %q", words)
	}
	pressOverlay(t, bw.Window, "Keep running")
	if !db.BackupRunning() || m.BackupWindow() == nil {
		t.Fatal("Keep running stopped the backup or closed its window")
	}
	onUI(closeBackupWindow)
	pressOverlay(t, bw.Window, "Stop and close")
	select {
	case err := <-stopped:
		if engine.CodeOf(err) != engine.CodeBackupInterrupted {
			t.Fatalf("the backup ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Stop and close did not stop the backup")
	}
	waitFor(t, w, "the window closed", func() bool { return m.BackupWindow() == nil })
}

// A damaged backupHistory.json is said with its code (1407) and what to do, in the backup
// window, the status bar and the restore window, which still offers Browse....
func TestDamagedHistorySaid(t *testing.T) {
	a := newApp(t)
	db := browsedDB(t, 3)
	dest := backup.Destination(db)
	if err := os.MkdirAll(dest, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dest, backup.HistoryFile), []byte(`{"format": 1, "operations": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	w := newWatcher()
	m := newMainUI(a, Config{DBPath: db.Dir(), Name: db.Name(), DB: db, OnUpdate: w.update})
	defer m.Close()
	onUI(m.Start)
	onUI(m.OpenBackup)
	bw := m.BackupWindow()
	waitFor(t, w, "the backup window's last backup", func() bool { return strings.Contains(bw.last.Text, "1407") })
	if !strings.Contains(bw.last.Text, "move it aside") {
		t.Errorf("the backup window says %q", bw.last.Text)
	}
	waitFor(t, w, "the status bar", func() bool { return strings.Contains(m.view.status.Text, "error 1407") })
	onUI(m.OpenRestore)
	rw := m.RestoreWindow()
	waitFor(t, w, "the restore window", func() bool { return strings.Contains(rw.preview.Text, "1407") })
	onUI(func() {
		if !strings.Contains(rw.history.PlaceHolder, "Browse") {
			t.Errorf("the history list says %q", rw.history.PlaceHolder)
		}
	})
}

// blockedBackupUI is a main window on a database whose backups run until they are stopped
// (blockingBackup).
func blockedBackupUI(t *testing.T) (*MainWindow, *engine.DB, *watcher, chan error) {
	t.Helper()
	a := newApp(t)
	db := browsedDB(t, 20)
	w := newWatcher()
	m := newMainUI(a, Config{DBPath: db.Dir(), Name: db.Name(), DB: db, OnUpdate: w.update})
	t.Cleanup(m.Close)
	onUI(m.Start)
	var stopped chan error
	m.RunBackup, stopped = blockingBackup(db)
	return m, db, w, stopped
}

// blockingBackup is a backup of db that runs until it is stopped, then reports how it ended on
// the channel.
func blockingBackup(db *engine.DB) (BackupFunc, chan error) {
	stopped := make(chan error, 1)
	return func(ctx context.Context, p func(backup.Progress)) (*backup.Result, error) {
		snap, err := db.BeginBackup(1)
		if err != nil {
			return nil, err
		}
		<-ctx.Done()
		snap.Abort()
		err = &engine.Error{Code: engine.CodeBackupInterrupted, Op: "backup", Err: ctx.Err()}
		stopped <- err
		return nil, err
	}, stopped
}

// The thermometer names the step under way and counts the steps to come in the time left: the
// first backup of a large database sat at "99 %, about 0s left" while it was checked.
func TestBackupProgressNamesSteps(t *testing.T) {
	a := newApp(t)
	w := a.NewWindow("Holdfast - Test")
	w.Resize(fyne.NewSize(700, 400))
	w.Show()
	defer w.Close()
	release := make(chan struct{})
	run := func(ctx context.Context, progress func(backup.Progress)) (*backup.Result, error) {
		// The archive is written (1 GiB), and a quarter of it checked: half of the work is left.
		progress(backup.Progress{Done: 1<<30 + 256<<20, Total: 2<<30 + 512<<20, Step: backup.StepCheck, StepNum: 2, Steps: 3,
			StepDone: 256 << 20, StepTotal: 1 << 30, Item: "Data/Shop.4DD", Speed: 400e6, Left: 6 * time.Second})
		<-release
		return nil, &engine.Error{Code: engine.CodeBackupInterrupted, Op: "backup"}
	}
	p := StartBackup(w, "Backup of Shop", run, nil)
	defer close(release)
	waitFor(t, newWatcher(), "the step shown", func() bool { return strings.Contains(p.step.Text, "2 of 3") })
	onUI(func() {
		if want := "Step 2 of 3: checking the archive"; p.step.Text != want || !p.step.Visible() {
			t.Errorf("the step reads %q (shown: %v), want %q", p.step.Text, p.step.Visible(), want)
		}
		if want := "268 MB of 1.1 GB, 400 MB/s, about 6s left"; p.detail.Text != want {
			t.Errorf("progress reads %q, want %q", p.detail.Text, want)
		}
		if p.bar.Value < 0.49 || p.bar.Value > 0.51 {
			t.Errorf("thermometer at %.2f, want half: the steps to come count", p.bar.Value)
		}
	})
	saveCapture(t, w, filepath.Join("testdata", "ui", "backup_steps.png"))
}

// After a stopped backup, the status bar and the backup window still show the last backup
// made, and the stopped attempt apart from it, without a number it never had.
func TestLastBackupAndLastAttemptApart(t *testing.T) {
	a := newApp(t)
	db := browsedDB(t, 20)
	if _, err := backup.Run(context.Background(), db, backup.Options{}); err != nil {
		t.Fatal(err)
	}
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := backup.Run(stopped, db, backup.Options{}); engine.CodeOf(err) != engine.CodeBackupInterrupted {
		t.Fatalf("a stopped backup: %v", err)
	}
	line := statusLine(db, time.Now(), nil)
	for _, want := range []string{"Last backup: #1 today ", " (ok); last attempt today ", " stopped (1406)"} {
		if !strings.Contains(line, want) {
			t.Errorf("the status bar reads %q: no %q", line, want)
		}
	}
	w := newWatcher()
	var bw *BackupWindow
	onUI(func() {
		bw = NewBackupWindow(a, db, nil, w.update)
		bw.Show()
		bw.Refresh()
	})
	defer onUI(bw.Close)
	waitFor(t, w, "the last backup shown", func() bool { return bw.last.Text != "" })
	onUI(func() {
		last := bw.last.Text
		if !strings.HasPrefix(last, "#1 today ") || !strings.Contains(last, "(ok)") || !strings.Contains(last, "\nLast attempt: today ") ||
			!strings.Contains(last, "stopped (1406: ") || strings.Contains(last, "#0") {
			t.Errorf("the backup window reads %q", last)
		}
		if !strings.HasPrefix(bw.estimate.Text, "about ") {
			t.Errorf("no estimate of the next backup before it starts: %q", bw.estimate.Text)
		}
	})
	saveCapture(t, bw.Window, filepath.Join("testdata", "ui", "backup_last_attempt.png"))
}

// The last backup made and the last attempt, as the status bar says them, for the histories a
// user meets: an attempt shows only when it made no backup, and never as "#0".
func TestLastBackupText(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 40, 0, 0, time.Local)
	made := func(n uint32, at string, status string, code int) backup.HistoryEntry {
		start, _ := time.ParseInLocation("2006-01-02 15:04", at, time.Local)
		e := backup.HistoryEntry{Kind: "backup", Number: n, Start: start, Status: status, ErrorCode: code}
		if n != 0 {
			e.Files = []backup.FileInfo{{Path: fmt.Sprintf("/b/Shop[%04d].4BK", n)}}
		}
		return e
	}
	deleted := made(13, "2026-12-04 10:20", backup.StatusSuccess, 0)
	deleted.Files = nil
	for _, c := range []struct {
		ops  []backup.HistoryEntry
		want string
	}{
		{nil, "none yet"},
		{[]backup.HistoryEntry{made(12, "2026-12-04 10:04", backup.StatusSuccess, 0)}, "#12 today 10:04 (ok)"},
		{[]backup.HistoryEntry{made(12, "2026-12-04 10:04", backup.StatusSuccess, 0), made(0, "2026-12-04 10:30", backup.StatusFailed, 1406)},
			"#12 today 10:04 (ok); last attempt today 10:30 stopped (1406)"},
		{[]backup.HistoryEntry{made(12, "2026-12-03 18:00", backup.StatusPartial, 1430), made(0, "2026-12-04 09:00", backup.StatusFailed, 1407)},
			"#12 yesterday 18:00 (partial, 1430); last attempt today 09:00 failed (1407)"},
		{[]backup.HistoryEntry{made(0, "2026-11-02 09:00", backup.StatusFailed, 1407)}, "none yet; last attempt Mon 2 Nov 09:00 failed (1407)"},
		{[]backup.HistoryEntry{made(12, "2026-12-04 10:04", backup.StatusSuccess, 0), deleted}, "#12 today 10:04 (ok)"},
	} {
		if got := lastBackupText(&backup.History{Operations: c.ops}, now, false); got != c.want {
			t.Errorf("%d entries: %q, want %q", len(c.ops), got, c.want)
		}
	}
}

// The backup window's last attempt says its error as the window says it (what to click): the
// history keeps both wordings, and the command line's one names a command.
func TestLastAttemptInTheWindowsWords(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 40, 0, 0, time.Local)
	failed := backup.HistoryEntry{Kind: "backup", Start: now.Add(-10 * time.Minute), Status: backup.StatusFailed,
		ErrorCode: 1412, Error: "log backup missing: run holdfast verify DB", ErrorWindow: "log backup missing: open File > Restore..."}
	got := lastBackupText(&backup.History{Operations: []backup.HistoryEntry{failed}}, now, true)
	if strings.Contains(got, "holdfast verify") || !strings.Contains(got, "File > Restore...") {
		t.Errorf("the window's last attempt reads %q", got)
	}
}
