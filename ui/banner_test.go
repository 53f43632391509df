package ui

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"holdfast/backup"
	"holdfast/dialogs"
	"holdfast/engine"
	"holdfast/journal"
)

// brokenLogFS is the real filesystem whose log file stops syncing once armed.
type brokenLogFS struct {
	journal.OSFS
	broken atomic.Bool
}

func (f *brokenLogFS) OpenFile(name string, flag int, perm fs.FileMode) (journal.File, error) {
	file, err := f.OSFS.OpenFile(name, flag, perm)
	if err != nil || !strings.HasSuffix(name, "data.journal") {
		return file, err
	}
	return &brokenLogFile{File: file, fs: f}, nil
}

type brokenLogFile struct {
	journal.File
	fs *brokenLogFS
}

func (f *brokenLogFile) Sync() error {
	if f.fs.broken.Load() {
		return &fs.PathError{Op: "fdatasync", Path: f.Name(), Err: syscall.EIO}
	}
	return f.File.Sync()
}

// When the log cannot be written (1274), the main window says so above the records, with what
// to do; the status bar too. Without the failure there is no banner.
func TestBannerWhenLogUnavailable(t *testing.T) {
	a := newApp(t)
	ffs := &brokenLogFS{}
	db, err := engine.Create(filepath.Join(uiTempDir(t), "Shop"), engine.Options{FS: ffs})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateTable(engine.Table{Name: "T", Journaled: true, PrimaryKey: []string{"id"}, Fields: []engine.Field{{Name: "id", Type: journal.KindInt}}}); err != nil {
		t.Fatal(err)
	}
	w := newWatcher()
	m := newMainUI(a, Config{DBPath: "/home/ana/Databases/Shop", Name: "Shop", DB: db, OnUpdate: w.update})
	defer m.Close()
	onUI(m.Start)
	waitFor(t, w, "the status line", func() bool { return strings.HasPrefix(m.view.status.Text, "Log: on") })
	if b := m.Banner(); b != "" {
		t.Fatalf("a banner without a failure: %q", b)
	}
	ffs.broken.Store(true)
	tx := db.NewProcess("").Auto()
	if _, err := tx.Add("T", map[string]journal.Value{"id": journal.Int(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(); engine.CodeOf(err) != engine.CodeLogUnavailable {
		t.Fatalf("a write with the log broken: %v, want 1274", err)
	}
	onUI(m.RefreshStatus)
	waitFor(t, w, "the 1274 banner", func() bool { return strings.Contains(m.Banner(), "1274") })
	if b := m.Banner(); !strings.Contains(b, "make a backup") {
		t.Fatalf("banner %q", b)
	}
	if texts := contentWords(m.Content); !strings.Contains(texts, "Log: unavailable (1274)") {
		t.Errorf("status bar: %s", texts)
	}
	saveCapture(t, m.Window, filepath.Join("testdata", "ui", "log_unavailable.png"))

	// The disk is back: the banner's Back up now makes the backup that starts a new log, and
	// writing resumes.
	ffs.broken.Store(false)
	onUI(func() {
		if !m.BannerAction() {
			t.Fatal("the 1274 banner has no button")
		}
	})
	waitFor(t, w, "the backup done and the banner gone", func() bool {
		bw := m.BackupWindow()
		return bw != nil && bw.Running() != nil && bw.Running().Result() != "" && m.Banner() == ""
	})
	if res := m.BackupWindow().Running().Result(); !strings.HasPrefix(res, "Backup 1 done") {
		t.Fatalf("the banner's backup: %q", res)
	}
	tx = db.NewProcess("").Auto()
	if _, err := tx.Add("T", map[string]journal.Value{"id": journal.Int(2)}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatalf("a write after the backup: %v", err)
	}
}

// With the log off, the banner says what is not protected; its Turn on opens Database
// Settings at the log and asks where to create the log file; once it is on, the banner goes.
func TestBannerWhenLogOff(t *testing.T) {
	a := newApp(t)
	db := browsedDB(t, 3)
	if err := db.StopLog(); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Run(context.Background(), db, backup.Options{}); err != nil {
		t.Fatal(err)
	}
	fake := &dialogs.Fake{}
	path := filepath.Join(uiTempDir(t), "shop.journal")
	fake.Choose(path)
	w := newWatcher()
	m := newMainUI(a, Config{DBPath: db.Dir(), Name: db.Name(), DB: db, OnUpdate: w.update, Chooser: fake})
	defer m.Close()
	onUI(m.Start)
	waitFor(t, w, "the log-off banner", func() bool { return strings.Contains(m.Banner(), "The log is off") })
	onUI(func() {
		if b := findButton(m.Content(), "Turn on"); b == nil {
			t.Error("the log-off banner has no Turn on")
		}
	})
	saveCapture(t, m.Window, filepath.Join("testdata", "ui", "log_off_banner.png"))
	onUI(func() {
		if !m.BannerAction() {
			t.Fatal("the banner has no button")
		}
	})
	waitFor(t, w, "the log on", func() bool { return db.LogStatus().Open })
	if c := fake.Recorded(); len(c) != 1 || c[0].Kind != "save" {
		t.Fatalf("Turn on asked %+v, want where to create the log file", c)
	}
	onUI(func() {
		sw := m.SettingsWindow()
		if sw == nil || sw.tabs.Selected() != sw.pages[pageConfiguration] {
			t.Error("Turn on did not show the log in Database Settings")
		}
	})
	if st := db.LogStatus(); st.Path != path {
		t.Errorf("the log is at %s, want %s", st.Path, path)
	}
	onUI(m.RefreshStatus)
	waitFor(t, w, "the banner gone", func() bool { return m.Banner() == "" })
}

// A scheduled backup missed while Holdfast was not running: the status bar says it was
// missed and when, and the banner offers Back up now, which makes it and clears both.
func TestBannerMissedBackup(t *testing.T) {
	a := newApp(t)
	db := browsedDB(t, 3)
	if _, err := backup.Run(context.Background(), db, backup.Options{}); err != nil {
		t.Fatal(err)
	}
	s := db.Settings()
	must(t, s.Set("scheduler.mode", "daily"))
	must(t, s.Set("scheduler.time", "23:00"))
	if err := db.UpdateSettings(s); err != nil {
		t.Fatal(err)
	}
	today := time.Now()
	now := time.Date(today.Year(), today.Month(), today.Day()+2, 9, 0, 0, 0, time.Local)
	due := time.Date(today.Year(), today.Month(), today.Day()+1, 23, 0, 0, 0, time.Local)
	clk := &stepClock{now: now, fire: make(chan time.Time)}
	w := newWatcher()
	scheduled := func(context.Context) (*backup.Result, error) {
		t.Error("a scheduled backup ran: the clock never reached one")
		return nil, errors.New("not scheduled")
	}
	m := newMainUI(a, Config{DBPath: db.Dir(), Name: db.Name(), DB: db, OnUpdate: w.update, Notify: (&notes{}).add,
		Scheduler: &backup.SchedulerOptions{Clock: clk, Backup: scheduled}})
	defer m.Close()
	onUI(m.Start)
	when := due.Format("Mon 2 Jan 15:04")
	waitFor(t, w, "the missed backup in the banner", func() bool { return strings.Contains(m.Banner(), "due "+when+" did not run") })
	if b := m.Banner(); !strings.Contains(b, "2018") || !strings.Contains(b, "Back up now") {
		t.Errorf("banner %q", b)
	}
	if texts := contentWords(m.Content); !strings.Contains(texts, "the one due "+when+" was missed") {
		t.Errorf("status bar: %s", texts)
	}
	saveCapture(t, m.Window, filepath.Join("testdata", "ui", "missed_backup.png"))
	onUI(func() {
		if !m.BannerAction() {
			t.Fatal("the banner has no button")
		}
	})
	waitFor(t, w, "the backup done and the banner gone", func() bool {
		bw := m.BackupWindow()
		return bw != nil && bw.Running() != nil && strings.HasPrefix(bw.Running().Result(), "Backup 2 done") && m.Banner() == ""
	})
	if texts := contentWords(m.Content); strings.Contains(texts, "missed") {
		t.Errorf("status bar after the backup: %s", texts)
	}
}
