package backup

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// A backup done (log switched) but not in the history (its history could not be saved), then a
// rollback, then the next backup: the rollback finishes the interrupted backup first, so that
// it is not undone later (its archive deleted, the chain of the backup before it broken).
func TestRollbackFinishesAnInterruptedBackupFirst(t *testing.T) {
	db := newDB(t)
	dir := db.Dir()
	st := newStates()
	p := db.NewProcess("")
	for i := int64(1); i <= 5; i++ {
		st.add(t, p, i, "a")
	}
	if _, err := Run(context.Background(), db, Options{}); err != nil {
		t.Fatal(err)
	}
	for i := int64(6); i <= 10; i++ {
		st.add(t, p, i, "b")
	}
	dest := Destination(db)
	blocker := filepath.Join(dest, "."+HistoryFile+".tmp")
	if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if res, _ := Run(context.Background(), db, Options{}); res == nil || !res.Done() {
		t.Fatal("backup 2 did not switch the log")
	}
	if err := os.RemoveAll(blocker); err != nil {
		t.Fatal(err)
	}
	if InterruptedBackup(dir) != 2 {
		t.Fatalf("pending record: %d", InterruptedBackup(dir))
	}
	var to uint64
	for i := int64(11); i <= 15; i++ {
		op := st.add(t, p, i, "c")
		if i == 12 {
			to = op
		}
	}
	p.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Rollback(context.Background(), dir, to); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dest, ArchiveName("Shop", 2))); err != nil {
		t.Fatalf("the archive of backup 2 is gone: %v", err)
	}
	db2 := reopen(t, dir)
	p2 := db2.NewProcess("")
	add(t, p2, 100)
	if _, err := Run(context.Background(), db2, Options{}); err != nil {
		t.Fatalf("next backup: %v", err)
	}
	p2.Close()
	db2.Close()
	want := st.upTo(to)
	want[100] = "x"
	r, err := Restore(context.Background(), filepath.Join(dest, ArchiveName("Shop", 1)), RestoreOptions{To: filepath.Join(t.TempDir(), "R1")})
	if err != nil {
		t.Fatalf("restore of backup 1 with its logs after all this: %v", err)
	}
	sameContents(t, "backup 1 + logs", contents(t, openRestored(t, r.Dir)), want)
}
