package engine

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"holdfast/journal"
)

// stallFS is the real filesystem with the writes of records to the new log that a backup's
// commit fills (the log's name with .new) held back: stalled is closed at the first one, and
// they wait until release is closed.
type stallFS struct {
	journal.OSFS
	stalled, release chan struct{}
	once             sync.Once
}

func (f *stallFS) OpenFile(name string, flag int, perm fs.FileMode) (journal.File, error) {
	file, err := f.OSFS.OpenFile(name, flag, perm)
	if err != nil || !strings.Contains(filepath.Base(name), ".new") {
		return file, err
	}
	return &stallFile{File: file, fs: f}, nil
}

type stallFile struct {
	journal.File
	fs     *stallFS
	writes int
}

func (f *stallFile) Write(p []byte) (int, error) {
	if f.writes++; f.writes > 1 { // the first write is the header
		f.fs.once.Do(func() { close(f.fs.stalled) })
		<-f.fs.release
	}
	return f.File.Write(p)
}

// within runs fn on a goroutine of its own and returns its error, or an error once a wait that
// no lock held briefly can explain has gone by (fn goes on; the caller releases what it waits for).
func within(fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		return fmt.Errorf("still waiting after 10 s")
	}
}

// A backup's commit copies what writers logged during the backup into the new log while they
// go on (S3.7: no write waits for a backup): with that copy held back, a write completes, and
// it is in the new log once the backup is committed.
func TestWriteGoesOnWhileBackupCopiesItsLog(t *testing.T) {
	sfs := &stallFS{stalled: make(chan struct{}), release: make(chan struct{})}
	db, dir := newDB(t, Options{FS: sfs})
	p := db.NewProcess("")
	add(t, p, 1, "before")
	snap, err := db.BeginBackup(1)
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 1000)
	for i := int64(2); i <= 1001; i++ {
		add(t, p, i, big) // about 1 MiB logged during the backup
	}
	committed := make(chan error, 1)
	go func() { _, err := snap.Commit(); committed <- err }()
	select {
	case <-sfs.stalled:
	case err := <-committed:
		t.Fatalf("the commit wrote no record to the new log: %v", err)
	}
	err = within(func() error {
		tx := db.NewProcess("").Auto()
		if _, err := tx.Add("T", row(5000, "during the copy")); err != nil {
			return err
		}
		_, err := tx.Commit()
		return err
	})
	close(sfs.release)
	if err != nil {
		t.Fatalf("a write while the backup's commit copies the log: %v", err)
	}
	if err := <-committed; err != nil {
		t.Fatal(err)
	}
	_, recs, _, err := journal.ReadAll(journal.OSFS{}, db.LogPath())
	if err != nil || len(recs) == 0 || recs[0].Op != snap.Op+1 {
		t.Fatalf("the new log does not start after the snapshot (%d): %d records, %v", snap.Op, len(recs), err)
	}
	keys := map[int64]bool{}
	for _, r := range recs {
		if r.Action == journal.Add {
			vals, _ := journal.DecodeValues(r.Values)
			keys[vals[0].I] = true
		}
	}
	if len(keys) != 1001 || !keys[2] || !keys[1001] || !keys[5000] {
		t.Errorf("the new log holds %d additions (2, 1001, 5000: %v %v %v)", len(keys), keys[2], keys[1001], keys[5000])
	}
	db = reopen(t, db, dir, Options{})
	defer db.Close()
	if got := names(t, db); len(got) != 1002 || got[5000] != "during the copy" {
		t.Errorf("after reopening: %d records, 5000 is %q", len(got), got[5000])
	}
}

// A structure change waiting for a backup gives -9976 at once when cancelled, whatever lock
// the backup (or an integration) holds meanwhile.
func TestStructureChangeCancelledWhileWriteLockHeld(t *testing.T) {
	db, _ := newDB(t, Options{})
	defer db.Close()
	snap, err := db.BeginBackup(1)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Abort()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	db.wmu.Lock() // as a backup's commit holds it
	err = within(func() error {
		return db.CreateTableContext(ctx, Table{Name: "Late", PrimaryKey: []string{"k"}, Fields: []Field{{"k", journal.KindInt}}})
	})
	db.wmu.Unlock()
	wantCode(t, err, CodeBackupInProgress)
}

// Reads go on while an integration runs, and so do the questions a window asks about the log
// and the backups: between two batches they see what was integrated so far.
func TestReadsGoOnDuringIntegration(t *testing.T) {
	_, want, db := laggingInBatches(t)
	defer db.Close()
	batches := 0
	n, err := db.IntegrateProgress(context.Background(), nil, func(done, all int64) {
		if batches++; batches > 1 {
			return
		}
		err := within(func() error {
			if n, err := db.Count("T"); err != nil || n != 5 {
				return fmt.Errorf("Count = %d, %v after a batch of 5 additions", n, err)
			}
			recs, err := db.Scan("T", nil, 100)
			if err != nil || len(recs) != 5 {
				return fmt.Errorf("Scan = %d records, %v", len(recs), err)
			}
			if _, found, err := db.Get("T", key(5)); !found || err != nil {
				return fmt.Errorf("Get of 5, integrated: %v, %v", found, err)
			}
			if _, found, err := db.Get("T", key(6)); found || err != nil {
				return fmt.Errorf("Get of 6, not integrated yet: %v, %v", found, err)
			}
			if db.Report().Incomplete == nil || db.LogStatus().Incomplete == nil {
				return fmt.Errorf("the operations left to integrate are not reported")
			}
			if _, _, err := db.LastBackup(); err != nil {
				return err
			}
			return nil
		})
		if err != nil {
			t.Errorf("reads during an integration: %v", err)
		}
	})
	if err != nil || n != 22 {
		t.Fatalf("Integrate = %d, %v", n, err)
	}
	same(t, names(t, db), want)
	if c, _ := db.Count("T"); c != int64(len(want)) {
		t.Errorf("Count = %d, want %d", c, len(want))
	}
}

// Writers that go on through a backup's commit, while the log they write is copied into the
// new log round after round, lose nothing: every acknowledged write is in the new log, the
// closed log ends at the snapshot, and the snapshot plus the new log give back everything.
func TestWritesThroughBackupCommit(t *testing.T) {
	db, dir := newDB(t, Options{})
	big := strings.Repeat("w", 2000)
	snap, err := db.BeginBackup(1)
	if err != nil {
		t.Fatal(err)
	}
	data := writeSnapshot(t, snap)
	stop := make(chan struct{})
	acked := make(chan map[int64]bool, 2)
	var begun sync.WaitGroup // each writer logged about 1 MiB since the snapshot, or stopped
	begun.Add(2)
	for w := int64(0); w < 2; w++ {
		go func() {
			p, mine := db.NewProcess(""), map[int64]bool{}
			var once sync.Once
			defer func() { once.Do(begun.Done); acked <- mine }()
			for i := w; ; i += 2 {
				select {
				case <-stop:
					return
				default:
				}
				tx := p.Auto()
				if _, err := tx.Add("T", row(i, big)); err != nil {
					t.Error(err)
					return
				}
				if _, err := tx.Commit(); err != nil {
					t.Error(err)
					return
				}
				if mine[i] = true; i >= 1000 {
					once.Do(begun.Done)
				}
			}
		}()
	}
	begun.Wait()
	closed, err := snap.Commit()
	close(stop)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]bool{}
	for range 2 {
		for k := range <-acked {
			want[k] = true
		}
	}
	_, recs, _, err := journal.ReadAll(journal.OSFS{}, closed)
	if err != nil || len(recs) > 0 && recs[len(recs)-1].Op > snap.Op {
		t.Fatalf("closed log: %v, %d records, snapshot at %d", err, len(recs), snap.Op)
	}
	db.Close()
	rdb, err := Open(restoreSnapshot(t, dir, data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if _, err := rdb.Integrate([]string{db.LogPath()}); err != nil {
		t.Fatal(err)
	}
	got := names(t, rdb)
	for k := range want {
		if got[k] != big {
			t.Fatalf("acknowledged write %d is not in the snapshot and the new log (%d of %d there)", k, len(got), len(want))
		}
	}
	db = reopen(t, nil, dir, Options{})
	defer db.Close()
	if n, _ := db.Count("T"); n < int64(len(want)) {
		t.Errorf("reopened: %d records, %d acknowledged", n, len(want))
	}
}
