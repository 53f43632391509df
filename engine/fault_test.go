package engine

import (
	"io/fs"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"holdfast/journal"
)

// faultFS is the real filesystem with the log file's Sync or Write failing once armed.
type faultFS struct {
	journal.OSFS
	failSync  atomic.Bool
	fullAfter atomic.Int64 // > 0: writes to the log fail with ENOSPC once this many more bytes are written
}

func (f *faultFS) OpenFile(name string, flag int, perm fs.FileMode) (journal.File, error) {
	file, err := f.OSFS.OpenFile(name, flag, perm)
	if err != nil || !strings.HasSuffix(name, "data.journal") {
		return file, err
	}
	return &faultFile{File: file, fs: f}, nil
}

type faultFile struct {
	journal.File
	fs *faultFS
}

func (f *faultFile) Sync() error {
	if f.fs.failSync.Load() {
		return &fs.PathError{Op: "fdatasync", Path: f.Name(), Err: syscall.EIO}
	}
	return f.File.Sync()
}

func (f *faultFile) Write(p []byte) (int, error) {
	left := f.fs.fullAfter.Load()
	if left <= 0 {
		return f.File.Write(p)
	}
	if int64(len(p)) < left {
		f.fs.fullAfter.Add(-int64(len(p)))
		return f.File.Write(p)
	}
	n, _ := f.File.Write(p[:left-1])
	f.fs.fullAfter.Store(-1 << 62)
	return n, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
}

func faultRun(t *testing.T, arm func(*faultFS)) {
	ffs := &faultFS{}
	db, dir := newDB(t, Options{FS: ffs, CheckpointBytes: 1 << 40, CheckpointInterval: 1 << 40})
	p := db.NewProcess("")
	want := map[int64]string{}
	for i := int64(1); i <= 30; i++ {
		add(t, p, i, "ok")
		want[i] = "ok"
	}
	arm(ffs)
	tx := p.Auto()
	if _, err := tx.Add("T", row(31, "lost")); err != nil {
		t.Fatal(err)
	}
	_, err := tx.Commit()
	wantCode(t, err, CodeLogUnavailable)
	// Every later write is refused, reads go on and show only acknowledged writes.
	_, err = p.Auto().Add("T", row(32, "refused"))
	wantCode(t, err, CodeLogUnavailable)
	_, err = p.Update(func(tx *Tx) error { _, err := tx.Add("T", row(33, "x")); return err })
	wantCode(t, err, CodeLogUnavailable)
	same(t, names(t, db), want)
	if st := db.LogStatus(); st.Failed == nil {
		t.Error("the log status does not show the failure")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopened with a healthy disk: every acknowledged write is there.
	db2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The write refused with 1274 never shows up (its record may be in the log: its sync
	// failed), and writes stay refused until a backup starts a new log (S3.4), in this run too.
	same(t, names(t, db2), want)
	_, err = db2.NewProcess("").Auto().Add("T", row(34, "too early"))
	wantCode(t, err, CodeLogUnavailable)
	snap, err := db2.BeginBackup(1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snap.Commit(); err != nil {
		t.Fatal(err)
	}
	add(t, db2.NewProcess(""), 35, "after the backup")
	want[35] = "after the backup"
	db2 = reopen(t, db2, dir, Options{})
	same(t, names(t, db2), want)
	add(t, db2.NewProcess(""), 36, "next run")
	db2.Close()
}

func TestLogSyncFailure(t *testing.T) {
	faultRun(t, func(f *faultFS) { f.failSync.Store(true) })
}

func TestLogDiskFull(t *testing.T) {
	faultRun(t, func(f *faultFS) { f.fullAfter.Store(40) })
}

// Deleting the log file while working is noticed at the next commit.
func TestLogDeletedWhileWorking(t *testing.T) {
	db, _ := newDB(t, Options{})
	p := db.NewProcess("")
	add(t, p, 1, "a")
	if err := syscall.Unlink(db.LogPath()); err != nil {
		t.Fatal(err)
	}
	tx := p.Auto()
	if _, err := tx.Add("T", row(2, "b")); err != nil {
		t.Fatal(err)
	}
	_, err := tx.Commit()
	wantCode(t, err, CodeLogUnavailable)
	_, ok, err := db.Get("T", key(1))
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Error("reads stopped")
	}
	db.Close()
}
