package ui

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"holdfast/backup"
	"holdfast/dialogs"
	"holdfast/engine"
	"holdfast/journal"
	"holdfast/settings"
)

// settingsFile is the settings file of db as it is on disk.
func settingsFile(t *testing.T, db *engine.DB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(db.Dir(), settings.FileName))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openSettings(t *testing.T, db *engine.DB, fake *dialogs.Fake) (*SettingsWindow, *watcher) {
	t.Helper()
	a := newApp(t)
	w := newWatcher()
	var sw *SettingsWindow
	onUI(func() {
		sw = NewSettingsWindow(a, db, SettingsOptions{Chooser: fake, Backup: DatabaseBackup(db), Updated: w.update})
		sw.Show()
	})
	t.Cleanup(sw.Close)
	onUI(sw.Refresh)
	waitFor(t, w, "the log state and the space", func() bool { return sw.LogState() != "" && sw.Space() != "" })
	return sw, w
}

func entryOf(t *testing.T, sw *SettingsWindow, key string) *widget.Entry {
	t.Helper()
	f := sw.fieldOf(key)
	if f == nil || f.entry == nil {
		t.Fatalf("no text field for %s", key)
	}
	return f.entry
}

// Every page refuses what its keys do not accept: the error is shown at the field as it is
// typed, OK saves nothing and says which pages to look at; once fixed, OK saves every value.
func TestSettingsValidationOnEveryPage(t *testing.T) {
	db := browsedDB(t, 3)
	sw, w := openSettings(t, db, &dialogs.Fake{})
	before := settingsFile(t, db)
	aFile := filepath.Join(uiTempDir(t), "not-a-folder")
	if err := os.WriteFile(aFile, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}

	bad := map[string]string{
		"scheduler.time":      "25:00",   // Scheduler
		"destination":         aFile,     // Configuration
		"keep.count":          "0",       // Backup & Restore
		"failure.retryAfter":  "ten min", // Backup & Restore
		"archive.segmentMB":   "4096",    // Backup & Restore
		"failure.maxAttempts": "100",     // Backup & Restore
	}
	onUI(func() {
		for key, v := range bad {
			test.Type(entryOf(t, sw, key), "") // focus, as a person clicking in
			entryOf(t, sw, key).SetText(v)
		}
	})
	// A file as the destination is found by a look at the disk, off the Fyne thread.
	waitFor(t, w, "the destination checked", func() bool {
		return slices.ContainsFunc(sw.Errors(), func(e string) bool { return strings.HasPrefix(e, "destination: Expected:") })
	})
	var errs []string
	onUI(func() { errs = sw.Errors() })
	for key := range bad {
		shown := slices.ContainsFunc(errs, func(e string) bool { return strings.HasPrefix(e, key+": Expected:") })
		// The time is not used by the mode (never), so its row is hidden until OK.
		if shown != (key != "scheduler.time") {
			t.Errorf("error at %s shown %v while typing; shown: %q", key, shown, errs)
		}
	}
	onUI(func() { test.Tap(sw.ok) })
	onUI(func() { errs = sw.Errors() })
	for key := range bad {
		if !slices.ContainsFunc(errs, func(e string) bool { return strings.HasPrefix(e, key+": Expected:") }) {
			t.Errorf("no error shown at %s after OK; shown: %q", key, errs)
		}
	}
	if !bytes.Equal(settingsFile(t, db), before) {
		t.Fatal("OK with invalid values changed the settings file")
	}
	summary := sw.Summary()
	for _, page := range []string{pageScheduler, pageConfiguration, pageBackupRestore} {
		if !strings.Contains(summary, page) {
			t.Errorf("the summary %q does not name the page %s", summary, page)
		}
	}
	if sw.tabs.Selected() != sw.pages[pageScheduler] {
		t.Error("OK did not show the first page with an error")
	}
	saveCapture(t, sw.Window, filepath.Join("testdata", "ui", "settings_invalid.png"))
	onUI(func() { sw.tabs.Select(sw.pages[pageBackupRestore]) })
	saveCapture(t, sw.Window, filepath.Join("testdata", "ui", "settings_invalid_backup_restore.png"))

	// A personalized schedule with two intervals is refused as a whole.
	good := map[string]string{
		"scheduler.time": "06:30", "destination": filepath.Join(uiTempDir(t), "Backups"), "keep.count": "7",
		"failure.retryAfter": "30s", "archive.segmentMB": "512", "failure.maxAttempts": "5",
		"scheduler.custom.hours": "4", "scheduler.custom.days": "2",
	}
	onUI(func() {
		for key, v := range good {
			entryOf(t, sw, key).SetText(v)
		}
		selectOf(sw, "scheduler.mode").SetSelected("Personalized")
		test.Tap(sw.ok)
	})
	if !bytes.Equal(settingsFile(t, db), before) {
		t.Fatal("OK with a schedule of two intervals changed the settings file")
	}
	onUI(func() { errs = sw.Errors() })
	if len(errs) != 1 || !strings.HasPrefix(errs[0], "schedule: ") {
		t.Fatalf("errors %q, want the schedule's only", errs)
	}
	onUI(func() {
		entryOf(t, sw, "scheduler.custom.days").SetText("0")
		test.Tap(sw.ok)
	})
	waitFor(t, w, "the settings saved", func() bool { return sw.closed })
	s := db.Settings()
	for key, v := range good {
		if key == "scheduler.custom.days" {
			v = "0"
		}
		if got := s.Get(sw.fieldOf(key).key); got != v {
			t.Errorf("%s = %q after OK, want %q", key, got, v)
		}
	}
	if m := db.Values().Scheduler.Mode; m != settings.ModeCustom {
		t.Errorf("scheduler.mode = %q", m)
	}
	onUI(func() { summary = sw.Summary() })
	if summary != "" {
		t.Errorf("summary after a good OK: %q", summary)
	}
}

func selectOf(sw *SettingsWindow, key string) *widget.Select {
	return sw.fieldOf(key).obj.(*widget.Select)
}

func checkOf(sw *SettingsWindow, key string) *widget.Check {
	return sw.fieldOf(key).obj.(*widget.Check)
}

// Cancel saves nothing, whatever was typed.
func TestSettingsCancelSavesNothing(t *testing.T) {
	db := browsedDB(t, 3)
	sw, _ := openSettings(t, db, &dialogs.Fake{})
	before := settingsFile(t, db)
	onUI(func() {
		entryOf(t, sw, "keep.count").SetText("9")
		checkOf(sw, "archive.verify").SetChecked(false)
	})
	sw.Close()
	if !bytes.Equal(settingsFile(t, db), before) {
		t.Fatal("closing without OK changed the settings file")
	}
}

// Attachments are added through the file and folder dialogs and deleted from the list; the
// destination comes from the folder dialog and shows its space; OK saves them.
func TestSettingsAttachmentsAndDestination(t *testing.T) {
	db := browsedDB(t, 3)
	fake := &dialogs.Fake{}
	sw, w := openSettings(t, db, fake)
	file := filepath.Join(uiTempDir(t), "invoice.pdf")
	if err := os.WriteFile(file, []byte("%PDF"), 0o600); err != nil {
		t.Fatal(err)
	}
	folder := uiTempDir(t)
	dest := filepath.Join(uiTempDir(t), "Shop Backups")
	fake.Choose(file)
	fake.Choose(folder)
	fake.Choose(file) // twice: listed once
	fake.Choose(dest)
	onUI(func() { sw.addAttachment(false) })
	waitFor(t, w, "the file added", func() bool { return len(sw.Attachments()) == 1 })
	onUI(func() { sw.addAttachment(true) })
	waitFor(t, w, "the folder added", func() bool { return len(sw.Attachments()) == 2 })
	onUI(func() { sw.addAttachment(false) })
	waitFor(t, w, "the third answer", func() bool { return len(fake.Recorded()) == 3 })
	onUI(func() { sw.chooseDestination() })
	waitFor(t, w, "the destination chosen", func() bool { return sw.dest.Text == dest && strings.Contains(sw.Space(), "free of") })
	if got := sw.Attachments(); !slices.Equal(got, []string{file, folder}) {
		t.Fatalf("attachments %q", got)
	}
	calls := fake.Recorded()
	if calls[0].Kind != "open" || calls[1].Kind != "folder" || calls[3].Kind != "folder" {
		t.Errorf("dialogs asked: %+v", calls)
	}
	var space string
	onUI(func() { space = sw.Space() })
	if !strings.Contains(space, "created by the first backup") {
		t.Errorf("space of a destination not made yet: %q", space)
	}
	onUI(func() { sw.tabs.Select(sw.pages[pageConfiguration]) })
	saveCapture(t, sw.Window, filepath.Join("testdata", "ui", "settings_configuration.png"))
	onUI(func() {
		sw.attachList.Select(0)
		test.Tap(sw.attachDel)
		test.Tap(sw.ok)
	})
	waitFor(t, w, "the settings saved", func() bool { return sw.closed })
	v := db.Values()
	if got := v.Content.Attachments; !slices.Equal(got, []string{folder}) {
		t.Errorf("saved attachments %q, want the folder only", got)
	}
	if v.Destination != dest {
		t.Errorf("saved destination %q", v.Destination)
	}
	if backup.Destination(db) != dest {
		t.Errorf("backups go to %q", backup.Destination(db))
	}
}

// Turning Use Log on asks where to create it. With the data unchanged since the last backup
// it starts at once.
func TestUseLogOnStartsAtOnce(t *testing.T) {
	db := browsedDB(t, 3)
	if err := db.StopLog(); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Run(context.Background(), db, backup.Options{}); err != nil {
		t.Fatal(err)
	}
	fake := &dialogs.Fake{}
	sw, w := openSettings(t, db, fake)
	if sw.logCheck.Checked {
		t.Fatal("Use Log checked with the log off")
	}
	path := filepath.Join(uiTempDir(t), "other disk", "data.journal")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	fake.Choose(path)
	onUI(func() { sw.SetUseLog(true) })
	waitFor(t, w, "the log on", func() bool { return strings.HasPrefix(sw.LogState(), "On: ") })
	if c := fake.Recorded(); len(c) != 1 || c[0].Kind != "save" || c[0].Name != "data-2.journal" { // data.journal is the stopped log
		t.Fatalf("dialogs: %+v", c)
	}
	if st := db.LogStatus(); !st.Open || st.Path != path {
		t.Fatalf("log status %+v", st)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}

// Use Log on proposes a name no file has: the stopped log keeps its own, and a third start
// skips the second's too.
func TestUseLogOnProposesAFreeName(t *testing.T) {
	db := browsedDB(t, 3)
	stopped := db.LogPath()
	if err := db.StopLog(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stopped); err != nil {
		t.Fatalf("the stopped log is not kept: %v", err)
	}
	os.WriteFile(filepath.Join(filepath.Dir(stopped), "data-2.journal"), nil, 0o600)
	fake := &dialogs.Fake{}
	sw, w := openSettings(t, db, fake)
	fake.Cancel()
	onUI(func() { sw.SetUseLog(true) })
	waitFor(t, w, "the dialog asked", func() bool { return len(fake.Recorded()) == 1 && !sw.logCheck.Checked })
	if c := fake.Recorded()[0]; c.Name != "data-3.journal" || c.Start != filepath.Dir(stopped) {
		t.Fatalf("the dialog proposed %q in %q, want data-3.journal beside %s", c.Name, c.Start, stopped)
	}
}

// Cancelling the save dialog leaves the log off and the check unticked.
func TestUseLogOnCancelled(t *testing.T) {
	db := browsedDB(t, 3)
	if err := db.StopLog(); err != nil {
		t.Fatal(err)
	}
	fake := &dialogs.Fake{}
	sw, w := openSettings(t, db, fake)
	fake.Cancel()
	onUI(func() { sw.SetUseLog(true) })
	waitFor(t, w, "the check unticked", func() bool { return len(fake.Recorded()) == 1 && !sw.logCheck.Checked })
	if st := db.LogStatus(); st.Open || st.Pending {
		t.Fatalf("log status %+v", st)
	}
}

// With data changed since the last backup, an alert says a backup is required. OK backs up
// now, with its progress, and the log starts after it.
func TestUseLogBackupRequiredOK(t *testing.T) {
	db := browsedDB(t, 3)
	if err := db.StopLog(); err != nil {
		t.Fatal(err)
	}
	fake := &dialogs.Fake{}
	sw, w := openSettings(t, db, fake)
	path := filepath.Join(uiTempDir(t), "data.journal")
	fake.Choose(path)
	onUI(func() { sw.SetUseLog(true) })
	waitFor(t, w, "the alert", func() bool { return overlayButton(sw.Window, "OK") != nil })
	if texts := overlayWords(sw.Window); !strings.Contains(texts, "backs up now") {
		t.Fatalf("alert: %s", texts)
	}
	saveCapture(t, sw.Window, filepath.Join("testdata", "ui", "log_backup_required.png"))
	pressOverlay(t, sw.Window, "OK")
	waitFor(t, w, "the log on after the backup", func() bool { return strings.HasPrefix(sw.LogState(), "On: ") })
	if st := db.LogStatus(); !st.Open || st.Path != path {
		t.Fatalf("log status %+v", st)
	}
	h, err := backup.LoadHistory(backup.Destination(db))
	if err != nil || h.Last() == nil || h.Last().Status != backup.StatusSuccess {
		t.Fatalf("no backup before the log: %+v %v", h, err)
	}
}

// Cancel keeps the request: the log starts right after the next backup.
func TestUseLogBackupRequiredCancel(t *testing.T) {
	db := browsedDB(t, 3)
	if err := db.StopLog(); err != nil {
		t.Fatal(err)
	}
	fake := &dialogs.Fake{}
	sw, w := openSettings(t, db, fake)
	fake.Choose(filepath.Join(uiTempDir(t), "data.journal"))
	onUI(func() { sw.SetUseLog(true) })
	waitFor(t, w, "the alert", func() bool { return overlayButton(sw.Window, "Cancel") != nil })
	pressOverlay(t, sw.Window, "Cancel")
	waitFor(t, w, "the request shown", func() bool { return strings.HasPrefix(sw.LogState(), "Requested: ") })
	if st := db.LogStatus(); st.Open || !st.Pending {
		t.Fatalf("log status %+v, want pending", st)
	}
	h, err := backup.LoadHistory(backup.Destination(db))
	if err != nil {
		t.Fatal(err)
	}
	if h != nil && h.Last() != nil {
		t.Fatal("Cancel ran a backup")
	}
	if _, err := backup.Run(context.Background(), db, backup.Options{}); err != nil {
		t.Fatal(err)
	}
	if st := db.LogStatus(); !st.Open {
		t.Fatalf("the log did not start after the next backup: %+v", st)
	}
}

// Turning Use Log off asks first: Cancel keeps the log, Stop closes it at once (no OK needed).
func TestUseLogOffStopAndCancel(t *testing.T) {
	db := browsedDB(t, 3)
	sw, w := openSettings(t, db, &dialogs.Fake{})
	if !sw.logCheck.Checked {
		t.Fatal("Use Log unticked with the log on")
	}
	onUI(func() { sw.SetUseLog(false) })
	waitFor(t, w, "the alert", func() bool { return overlayButton(sw.Window, "Stop") != nil })
	checkSafeDefault(t, sw.Window, "Cancel", "Stop")
	saveCapture(t, sw.Window, filepath.Join("testdata", "ui", "log_stop.png"))
	pressKey(t, sw.Window, fyne.KeyReturn)
	waitFor(t, w, "the check ticked again", func() bool { return sw.logCheck.Checked && len(overlayText(sw.Window)) == 0 })
	if !db.LogStatus().Open {
		t.Fatal("Cancel stopped the log")
	}
	onUI(func() { sw.SetUseLog(false) })
	waitFor(t, w, "the alert again", func() bool { return overlayButton(sw.Window, "Stop") != nil })
	pressOverlay(t, sw.Window, "Stop")
	waitFor(t, w, "the log off", func() bool { return strings.HasPrefix(sw.LogState(), "Off: ") && !sw.logCheck.Checked })
	if st := db.LogStatus(); st.Open || st.Use {
		t.Fatalf("log status %+v", st)
	}
	if db.Values().Log.Use {
		t.Fatal("log.use still true in the settings")
	}
}

// Every key of the settings table has its field in the window; the two log keys are the Use
// Log check and the save dialog it opens.
func TestSettingsWindowBindsEveryKey(t *testing.T) {
	db := browsedDB(t, 1)
	sw, _ := openSettings(t, db, &dialogs.Fake{})
	for _, k := range settings.Keys {
		if k.Name == "log.use" || k.Name == "log.path" {
			continue
		}
		if sw.fieldOf(k.Name) == nil {
			t.Errorf("no field for %s", k.Name)
		}
	}
	// OK without a change saves the same values.
	before := db.Settings()
	onUI(func() { test.Tap(sw.ok) })
	waitFor(t, newWatcher(), "the settings saved", func() bool { return sw.closed })
	after := db.Settings()
	for _, k := range settings.Keys {
		if b, a := before.Get(k), after.Get(k); a != b {
			t.Errorf("%s went from %q to %q by an OK without change", k.Name, b, a)
		}
	}
}

// An error appearing or going as one types never moves the fields below it (a click aimed at
// one lands on it); the summary of a refused OK follows every fix; a destination chosen is
// probed, and one that cannot be written is an error at its field (1407), with OK refused.
func TestSettingsFieldsStayPut(t *testing.T) {
	db := browsedDB(t, 3)
	sw, w := openSettings(t, db, &dialogs.Fake{})
	// Where o is drawn once the window is laid out again, as the next frame of a real window
	// does (the test driver lays out only when asked).
	pos := func(o fyne.CanvasObject) (p fyne.Position) {
		onUI(func() {
			sw.Content().Refresh()
			p = fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
		})
		return p
	}
	type move struct{ key, value string }
	onUI(func() {
		sw.tabs.Select(sw.pages[pageBackupRestore])
		selectOf(sw, "scheduler.mode").SetSelected("Every Day")
	})
	below := map[string]fyne.CanvasObject{
		pageBackupRestore: entryOf(t, sw, "hooks.onShutdown"),
		pageScheduler:     checkOf(sw, "app.runInTray"),
	}
	for _, step := range []struct {
		page string
		move
	}{
		{pageBackupRestore, move{"keep.count", "0"}}, {pageBackupRestore, move{"keep.count", "7"}},
		{pageBackupRestore, move{"failure.retryAfter", "ten"}}, {pageBackupRestore, move{"failure.retryAfter", "10m"}},
		{pageScheduler, move{"scheduler.time", "25:00"}}, {pageScheduler, move{"scheduler.time", "06:30"}},
	} {
		onUI(func() { sw.tabs.Select(sw.pages[step.page]) })
		before := pos(below[step.page])
		onUI(func() { entryOf(t, sw, step.key).SetText(step.value) })
		if after := pos(below[step.page]); after != before {
			t.Errorf("%s set to %q moved the field below from %v to %v", step.key, step.value, before, after)
		}
	}

	// Three values refused; each fix brings the count down, the last one clears it.
	onUI(func() {
		entryOf(t, sw, "keep.count").SetText("0")
		entryOf(t, sw, "failure.maxAttempts").SetText("100")
		entryOf(t, sw, "scheduler.time").SetText("25:00")
		test.Tap(sw.ok)
	})
	var summary string
	onUI(func() { summary = sw.Summary() })
	if !strings.Contains(summary, "3 value(s) need a fix") {
		t.Fatalf("summary %q", summary)
	}
	onUI(func() { entryOf(t, sw, "keep.count").SetText("7") })
	onUI(func() { summary = sw.Summary() })
	if !strings.Contains(summary, "2 value(s) need a fix") || !strings.Contains(summary, pageBackupRestore) {
		t.Errorf("after one fix the summary says %q", summary)
	}
	onUI(func() {
		entryOf(t, sw, "failure.maxAttempts").SetText("5")
		entryOf(t, sw, "scheduler.time").SetText("06:30")
	})
	onUI(func() { summary = sw.Summary() })
	if summary != "" {
		t.Errorf("after every fix the summary says %q", summary)
	}

	// A folder that cannot be made (under a file, in /proc) is an error at the field.
	file := filepath.Join(uiTempDir(t), "a file")
	os.WriteFile(file, []byte("x"), 0o600)
	bad := []string{filepath.Join(file, "Backups")}
	if _, err := os.Stat("/proc/self"); err == nil {
		bad = append(bad, "/proc/hf-dest")
	}
	for _, dest := range bad {
		onUI(func() { sw.dest.SetText(dest) })
		waitFor(t, w, "the destination probed", func() bool {
			return slices.ContainsFunc(sw.Errors(), func(e string) bool { return strings.HasPrefix(e, "destination: Backups cannot be written") })
		})
		onUI(func() {
			if sw.dest.Validate() == nil {
				t.Errorf("%s: the field shows a tick", dest)
			}
			errs := strings.Join(sw.Errors(), "\n")
			if !strings.Contains(errs, "1407") || !strings.Contains(errs, "Choose...") {
				t.Errorf("%s: the error says %q", dest, errs)
			}
		})
	}
	// OK right after typing, before the probe answers, is refused all the same.
	before := settingsFile(t, db)
	onUI(func() {
		sw.dest.SetText(filepath.Join(file, "Other"))
		test.Tap(sw.ok)
	})
	waitFor(t, w, "OK refused", func() bool { return strings.Contains(sw.Summary(), "1 value(s) need a fix") && !sw.ok.Disabled() })
	if !bytes.Equal(settingsFile(t, db), before) || sw.closed {
		t.Fatal("OK saved a destination that cannot be written")
	}
	saveCapture(t, sw.Window, filepath.Join("testdata", "ui", "settings_destination_unwritable.png"))
	// A folder that can be made is taken, and is not left behind by the probe.
	good := filepath.Join(uiTempDir(t), "new", "Shop Backups")
	onUI(func() { sw.dest.SetText(good) })
	waitFor(t, w, "the destination probed and accepted", func() bool {
		return len(sw.Errors()) == 0 && sw.Summary() == "" && strings.Contains(sw.Space(), "created by the first backup")
	})
	if _, err := os.Stat(filepath.Dir(good)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the probe left %s behind: %v", filepath.Dir(good), err)
	}
	onUI(func() { test.Tap(sw.ok) })
	waitFor(t, w, "the settings saved", func() bool { return sw.closed })
	if v, s := db.Values(), db.Settings(); v.Destination != good || s.Get(sw.fieldOf("scheduler.time").key) != "06:30" {
		t.Errorf("saved destination %q, time %q", v.Destination, s.Get(sw.fieldOf("scheduler.time").key))
	}
}

// Keep running in the system tray is on the Scheduler page as it opens, within sight (not
// below rows the mode does not use), and OK saves it.
func TestRunInTraySetting(t *testing.T) {
	db := browsedDB(t, 1)
	sw, w := openSettings(t, db, &dialogs.Fake{})
	tray := checkOf(sw, "app.runInTray")
	onUI(func() {
		d := fyne.CurrentApp().Driver()
		page := sw.pages[pageScheduler].Content
		top, bottom := d.AbsolutePositionForObject(page).Y, d.AbsolutePositionForObject(page).Y+page.Size().Height
		at := d.AbsolutePositionForObject(tray).Y
		if sw.tabs.Selected() != sw.pages[pageScheduler] || !tray.Visible() || at < top || at+tray.MinSize().Height > bottom {
			t.Errorf("the tray check is at y %v, the page shows y %v to %v", at, top, bottom)
		}
		test.Tap(tray)
		test.Tap(sw.ok)
	})
	waitFor(t, w, "the settings saved", func() bool { return sw.closed })
	if !db.Values().App.RunInTray {
		t.Fatal("app.runInTray not saved")
	}
}

// While the log is unavailable (1274), the log management says to back up once its disk is
// back and gives the button: the backup starts a new log.
func TestSettingsLogUnavailableBacksUp(t *testing.T) {
	ffs := &brokenLogFS{}
	db, err := engine.Create(filepath.Join(uiTempDir(t), "Shop"), engine.Options{FS: ffs})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateTable(engine.Table{Name: "T", Journaled: true, PrimaryKey: []string{"id"}, Fields: []engine.Field{{Name: "id", Type: journal.KindInt}}}); err != nil {
		t.Fatal(err)
	}
	ffs.broken.Store(true)
	tx := db.NewProcess("").Auto()
	if _, err := tx.Add("T", map[string]journal.Value{"id": journal.Int(1)}); err != nil {
		t.Fatal(err) // the log is written at the commit
	}
	if _, err := tx.Commit(); engine.CodeOf(err) != engine.CodeLogUnavailable {
		t.Fatalf("a write with the log broken: %v, want 1274", err)
	}
	ffs.broken.Store(false)
	sw, w := openSettings(t, db, &dialogs.Fake{})
	if s := sw.LogState(); !strings.Contains(s, "1274") || !strings.Contains(s, "Back up now") {
		t.Fatalf("log state %q", s)
	}
	var b *widget.Button
	onUI(func() {
		sw.tabs.Select(sw.pages[pageConfiguration])
		sw.pages[pageConfiguration].Content.(*container.Scroll).ScrollToBottom()
		b = findButton(sw.Content(), "Back up now")
	})
	if b == nil {
		t.Fatal("no Back up now in the log management")
	}
	saveCapture(t, sw.Window, filepath.Join("testdata", "ui", "settings_log_unavailable.png"))
	onUI(func() { test.Tap(b) })
	waitFor(t, w, "the new log after the backup", func() bool { return strings.HasPrefix(sw.LogState(), "On: ") && !sw.logBackup.Visible() })
}
