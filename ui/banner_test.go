package ui

import (
	"io/fs"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

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
	db, err := engine.Create(filepath.Join(t.TempDir(), "Shop"), engine.Options{FS: ffs})
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
