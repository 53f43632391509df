package engine

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"holdfast/journal"
	"holdfast/settings"
)

// restoreSnapshot makes a database folder from a snapshot's data file and the structure, with
// the log off, as a restore would.
func restoreSnapshot(t *testing.T, src, data string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "Base")
	if err := os.MkdirAll(filepath.Join(dir, "Project"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "Data", "Settings"), 0o700); err != nil {
		t.Fatal(err)
	}
	cat, err := os.ReadFile(filepath.Join(src, CatalogFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, CatalogFile), cat, 0o600); err != nil {
		t.Fatal(err)
	}
	s := settings.New()
	if err := s.Set("log.use", "false"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, settings.FileName), s.Marshal(), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dataPath(dir, "Base"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeSnapshot(t *testing.T, s *BackupSnapshot) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "snapshot.4DD")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// A backup taken while writers run holds exactly the data at its operation number; the log is
// switched there: the closed log ends at it, the new log starts after it, and the snapshot plus
// the new log give back everything.
func TestBackupSnapshotAndLogSwitch(t *testing.T) {
	db, dir := newDB(t, Options{})
	p := db.NewProcess("")
	for i := int64(1); i <= 100; i++ {
		add(t, p, i, "before")
	}
	snap, err := db.BeginBackup(1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.BeginBackup(2); CodeOf(err) != CodeBusy {
		t.Fatalf("a second backup: %v", err)
	}
	atSnap := names(t, db)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // writes during the backup
		defer wg.Done()
		q := db.NewProcess("")
		for i := int64(101); i <= 200; i++ {
			add(t, q, i, "during")
		}
		if _, err := q.Update(func(tx *Tx) error {
			if _, err := tx.Modify("T", key(5), map[string]journal.Value{"name": journal.Text("changed during")}); err != nil {
				return err
			}
			_, err := tx.Delete("T", key(6))
			return err
		}); err != nil {
			t.Error(err)
		}
	}()
	data := writeSnapshot(t, snap)
	wg.Wait()
	closed, err := snap.Commit()
	if err != nil {
		t.Fatal(err)
	}
	final := names(t, db)

	// The snapshot holds the data at its operation, whatever was written meanwhile.
	rdir := restoreSnapshot(t, dir, data)
	rdb, err := Open(rdir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	same(t, names(t, rdb), atSnap)

	// The closed log ends at the snapshot; the new log follows backup 1 from the next operation.
	h, recs, _, err := journal.ReadAll(journal.OSFS{}, closed)
	if err != nil || h.BackupNum != 0 || recs[len(recs)-1].Op > snap.Op {
		t.Fatalf("closed log: %v, header %+v, last op %d, snapshot %d", err, h, recs[len(recs)-1].Op, snap.Op)
	}
	nh, nrecs, _, err := journal.ReadAll(journal.OSFS{}, db.LogPath())
	if err != nil || nh.BackupNum != 1 || nh.FirstOp != snap.Op+1 || len(nrecs) == 0 || nrecs[0].Op != snap.Op+1 {
		t.Fatalf("new log: %v, header %+v", err, nh)
	}
	if got := db.ClosedLogs(); len(got) != 1 || got[0] != closed {
		t.Fatalf("closed logs %v", got)
	}

	// Snapshot + new log = the data now.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := rdb.Integrate([]string{db.LogPath()}); err != nil {
		t.Fatal(err)
	}
	same(t, names(t, rdb), final)
	rdb.Close()

	// The database reopens on its new log with everything.
	db = reopen(t, nil, dir, Options{})
	same(t, names(t, db), final)
	add(t, db.NewProcess(""), 1000, "after")
	db.Close()
}

// A stopped backup changes nothing: same log, no closed log.
func TestBackupAbortChangesNothing(t *testing.T) {
	db, dir := newDB(t, Options{})
	p := db.NewProcess("")
	add(t, p, 1, "x")
	before, err := os.ReadFile(db.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	snap, err := db.BeginBackup(1)
	if err != nil {
		t.Fatal(err)
	}
	add(t, p, 2, "y")
	snap.Abort()
	if len(db.ClosedLogs()) != 0 {
		t.Error("an aborted backup left a closed log")
	}
	_, recs, _, err := journal.ReadAll(journal.OSFS{}, db.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	h, _, _, err := journal.ReadAll(journal.OSFS{}, db.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	if h.BackupNum != 0 || len(before) == 0 || len(recs) == 0 {
		t.Errorf("log changed: header %+v", h)
	}
	snap, err = db.BeginBackup(1)
	if err != nil {
		t.Fatalf("a backup after an aborted one: %v", err)
	}
	snap.Abort()
	db = reopen(t, db, dir, Options{})
	same(t, names(t, db), map[int64]string{1: "x", 2: "y"})
	db.Close()
}

// After the log failed (1274), a backup gives the database a new log and writes work again.
func TestBackupEndsLogFailure(t *testing.T) {
	ffs := &faultFS{}
	db, dir := newDB(t, Options{FS: ffs})
	p := db.NewProcess("")
	add(t, p, 1, "kept")
	ffs.failSync.Store(true)
	tx := p.Auto()
	if _, err := tx.Add("T", row(2, "lost")); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(); CodeOf(err) != CodeLogUnavailable {
		t.Fatalf("want 1274, got %v", err)
	}
	ffs.failSync.Store(false)
	snap, err := db.BeginBackup(1)
	if err != nil {
		t.Fatal(err)
	}
	writeSnapshot(t, snap)
	if _, err := snap.Commit(); err != nil {
		t.Fatal(err)
	}
	add(t, p, 3, "after the backup")
	db = reopen(t, db, dir, Options{})
	same(t, names(t, db), map[int64]string{1: "kept", 3: "after the backup"})
	db.Close()
}

// A structure change waits for a running backup to end; cancelled while waiting, it gives
// -9976 and changes nothing.
func TestStructureChangeWaitsForBackup(t *testing.T) {
	db, _ := newDB(t, Options{})
	defer db.Close()
	snap, err := db.BeginBackup(1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = db.CreateTableContext(ctx, Table{Name: "Late", PrimaryKey: []string{"k"}, Fields: []Field{{"k", journal.KindInt}}})
	wantCode(t, err, CodeBackupInProgress)
	if db.Catalog().Table("Late") != nil {
		t.Fatal("the cancelled change was made")
	}
	done := make(chan error)
	go func() {
		done <- db.CreateTable(Table{Name: "Later", PrimaryKey: []string{"k"}, Fields: []Field{{"k", journal.KindInt}}})
	}()
	select {
	case <-done:
		t.Fatal("the change did not wait for the backup")
	case <-time.After(50 * time.Millisecond):
	}
	snap.Abort()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
