package backup

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"holdfast/engine"
)

func reopen(t *testing.T, dir string) *engine.DB {
	t.Helper()
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A rollback to the operation before a deletion brings the record back and removes every later
// operation from the data; the files before it are kept; new operations take numbers after the
// last one ever used; a chain from a backup taken after the rollback point no longer leads into
// the new log.
func TestRollback(t *testing.T) {
	db, st, results, ops := shopWithThreeBackups(t)
	dir := db.Dir()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	to := ops["delete 12"] - 1
	res, err := Rollback(context.Background(), dir, to)
	if err != nil {
		t.Fatal(err)
	}
	if res.Backup != 2 {
		t.Errorf("rolled back from backup %d, want 2 (the last one before operation %d)", res.Backup, to)
	}
	rdb := reopen(t, dir)
	got := contents(t, rdb)
	sameContents(t, "after the rollback", got, st.upTo(to))
	if _, ok := got[12]; !ok {
		t.Error("the deleted record is not back")
	}
	if _, ok := got[42]; ok {
		t.Error("an operation after the rollback point is still there")
	}
	for _, f := range []string{res.OldData, res.OldLog} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("the file before the rollback is not kept: %v", err)
		}
	}
	hist, err := LoadHistory(Destination(rdb))
	if err != nil {
		t.Fatal(err)
	}
	if last := hist.Operations[len(hist.Operations)-1]; last.Kind != "rollback" || last.Operation != to {
		t.Errorf("history's last entry %+v, want the rollback to %d", last, to)
	}
	op := add(t, rdb.NewProcess(""), 900)
	if op <= res.Undone {
		t.Errorf("a new write got operation %d, not after the last one used (%d)", op, res.Undone)
	}
	rdb.Close()
	// Backup 3, taken after the rollback point, holds what was undone: its chain follows the
	// timeline the rollback left and stops where the rollback was made, never into the new log.
	r3, err := Restore(context.Background(), results[2].Archive, RestoreOptions{To: filepath.Join(t.TempDir(), "after")})
	if err != nil {
		t.Fatalf("backup 3 with its logs: %v", err)
	}
	got3 := contents(t, openRestored(t, r3.Dir))
	sameContents(t, "backup 3 with its logs (the timeline the rollback left)", got3, st.upTo(res.Undone))
	if _, ok := got3[900]; ok {
		t.Error("backup 3 chained into the log after the rollback")
	}
	// Backup 2 and its own log stay restorable as they were.
	r2, err := Restore(context.Background(), results[1].Archive, RestoreOptions{To: filepath.Join(t.TempDir(), "b2"), Logs: results[2].LogBackups})
	if err != nil {
		t.Fatal(err)
	}
	sameContents(t, "backup 2 with its log backup", contents(t, openRestored(t, r2.Dir)), st.upTo(results[2].Operation))
}

// Before the first backup, the rollback starts from a blank data file and the log backups since
// the database's birth; a database never backed up rolls back from its log alone.
func TestRollbackBeforeAnyBackup(t *testing.T) {
	db, st, _, _ := shopWithThreeBackups(t)
	dir := db.Dir()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	res, err := Rollback(context.Background(), dir, 10)
	if err != nil {
		t.Fatal(err)
	}
	if res.Backup != 0 || len(res.Logs) != 4 {
		t.Errorf("from backup %d with logs %v, want a blank data file and 4 logs", res.Backup, res.Logs)
	}
	sameContents(t, "rolled back to operation 10", contents(t, reopen(t, dir)), st.upTo(10))

	fresh := newDB(t)
	p := fresh.NewProcess("")
	st2 := newStates()
	for i := int64(1); i <= 5; i++ {
		st2.add(t, p, i, "x")
	}
	mid := st2.del(t, p, 2) - 1
	st2.add(t, p, 6, "y")
	p.Close()
	fdir := fresh.Dir()
	if err := fresh.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Rollback(context.Background(), fdir, mid); err != nil {
		t.Fatal(err)
	}
	sameContents(t, "never backed up, rolled back", contents(t, reopen(t, fdir)), st2.upTo(mid))
}

func TestRollbackErrors(t *testing.T) {
	db := newDB(t)
	p := db.NewProcess("")
	last := add(t, p, 1)
	p.Close()
	dir := db.Dir()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Rollback(context.Background(), dir, 0); engine.CodeOf(err) != engine.CodeBadInput {
		t.Errorf("a rollback to operation 0: %v, want 2001", err)
	}
	if _, err := Rollback(context.Background(), dir, last+100); engine.CodeOf(err) != engine.CodeBadInput {
		t.Errorf("a rollback beyond the log: %v, want 2001", err)
	}
	db = reopen(t, dir)
	if err := db.StopLog(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Rollback(context.Background(), dir, 1); engine.CodeOf(err) != engine.CodeNoLog {
		t.Errorf("a rollback without a log: %v, want 1403", err)
	}
}

// A swap that fails half way is undone: the data file and the log are the old ones again,
// under their names, and nothing of the rollback stays beside them. A data file held open by
// another process is never swapped (2007).
func TestRollbackSwapUndone(t *testing.T) {
	dir := t.TempDir()
	built := filepath.Join(dir, "built")
	if err := os.MkdirAll(filepath.Join(built, "Data"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "Data"), 0o700); err != nil {
		t.Fatal(err)
	}
	data, logPath := filepath.Join(dir, "Data", "Shop.4DD"), filepath.Join(dir, "Data", "data.journal")
	if err := os.WriteFile(data, []byte("old data"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logPath, []byte("old log"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(built, "Data", "Shop.4DD"), []byte("new data"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(built, "Data", "data.journal"), []byte("new log"), 0o600); err != nil {
		t.Fatal(err)
	}
	oldData, oldLog := data+".before", logPath+".before"
	if err := os.Mkdir(oldData, 0o700); err != nil { // the data file's second name is taken: that step fails
		t.Fatal(err)
	}
	err := swapRolledBack(built, data, logPath, oldData, oldLog, logPath+".closed[0001-0001]", 0)
	if engine.CodeOf(err) != engine.CodeDataIO || !strings.Contains(err.Error(), "undone") {
		t.Fatalf("want 2010 saying the rollback was undone, got %v", err)
	}
	for path, want := range map[string]string{data: "old data", logPath: "old log"} {
		if b, err := os.ReadFile(path); err != nil || string(b) != want {
			t.Errorf("%s holds %q (%v), want %q", path, b, err, want)
		}
	}
	for _, left := range []string{oldLog, data + ".rollback", logPath + ".rollback"} {
		if _, err := os.Lstat(left); err == nil {
			t.Errorf("%s stays after the undo", left)
		}
	}
	if err := os.Remove(oldData); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(data, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if err := swapRolledBack(built, data, logPath, oldData, oldLog, logPath+".closed[0001-0001]", 0); engine.CodeOf(err) != engine.CodeInUse {
		t.Fatalf("a data file held open elsewhere: %v, want 2007", err)
	}
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "old data" {
		t.Errorf("the data file held open was swapped: %q", b)
	}
}

// After a rollback, and with no backup since, every restore from a backup taken before the
// rollback point, the repair of a damaged data file, a point in time and a second rollback
// give the rolled-back data with what came after: the log before the rollback stays in the
// chain (1412 before), and what the rollback undid stays undone (an undone deletion never
// comes back).
func TestRestoreAndRepairAfterRollback(t *testing.T) {
	db, st, results, ops := shopWithThreeBackups(t)
	dir := db.Dir()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	to := ops["delete 3"] - 1 // after backup 3: the deletion of 3 and what follows are undone
	if _, err := Rollback(context.Background(), dir, to); err != nil {
		t.Fatal(err)
	}
	want := st.upTo(to)
	rdb := reopen(t, dir)
	p := rdb.NewProcess("")
	add(t, p, 900)
	want[900] = "x"
	point := add(t, p, 901)
	want[901] = "x"
	add(t, p, 902)
	if err := rdb.Close(); err != nil {
		t.Fatal(err)
	}
	atPoint := maps.Clone(want)
	want[902] = "x"
	for i, r := range results {
		rr, err := Restore(context.Background(), r.Archive, RestoreOptions{To: filepath.Join(t.TempDir(), fmt.Sprint("b", i))})
		if err != nil {
			t.Fatalf("restore of backup %d after the rollback: %v", i+1, err)
		}
		sameContents(t, fmt.Sprintf("backup %d with its logs after the rollback", i+1), contents(t, openRestored(t, rr.Dir)), want)
	}
	rr, err := Restore(context.Background(), results[0].Archive, RestoreOptions{To: filepath.Join(t.TempDir(), "pit"), Until: engine.Until{Op: point}})
	if err != nil {
		t.Fatal(err)
	}
	sameContents(t, "backup 1 up to a point after the rollback", contents(t, openRestored(t, rr.Dir)), atPoint)
	// The data file damaged: the repair rebuilds what the database held.
	data := filepath.Join(dir, "Data", "Shop.4DD")
	f, err := os.OpenFile(data, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(make([]byte, 16<<10), 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := Repair(context.Background(), dir)
	if err != nil {
		t.Fatalf("repair after the rollback: %v", err)
	}
	rdb = reopen(t, dir)
	sameContents(t, fmt.Sprintf("repaired from backup %d after the rollback", rep.Backup), contents(t, rdb), want)
	if err := rdb.Close(); err != nil {
		t.Fatal(err)
	}
	// A second rollback, to the point: from backup 3 and the chain through the first one.
	if _, err := Rollback(context.Background(), dir, point); err != nil {
		t.Fatalf("second rollback: %v", err)
	}
	rdb = reopen(t, dir)
	sameContents(t, "after a second rollback", contents(t, rdb), atPoint)
	// The next backup archives the logs before both rollbacks, and the chains still hold.
	if _, err := Run(context.Background(), rdb, Options{}); err != nil {
		t.Fatal(err)
	}
	rdb.Close()
	rr, err = Restore(context.Background(), results[0].Archive, RestoreOptions{To: filepath.Join(t.TempDir(), "later")})
	if err != nil {
		t.Fatal(err)
	}
	sameContents(t, "backup 1 after both rollbacks and a backup", contents(t, openRestored(t, rr.Dir)), atPoint)
}

// A rollback to before the last backup: that backup holds what was undone, so the repair of a
// damaged data file does not start from it but from the one before the rollback point, and
// gives the rolled-back data with what came after.
func TestRepairAfterRollbackBeforeTheLastBackup(t *testing.T) {
	db, st, _, ops := shopWithThreeBackups(t)
	dir := db.Dir()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	to := ops["delete 12"] - 1 // between backups 2 and 3: backup 3 holds the undone deletion
	res, err := Rollback(context.Background(), dir, to)
	if err != nil {
		t.Fatal(err)
	}
	want := st.upTo(to)
	rdb := reopen(t, dir)
	add(t, rdb.NewProcess(""), 900)
	want[900] = "x"
	if err := rdb.Close(); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "Data", "Shop.4DD")
	f, err := os.OpenFile(data, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(make([]byte, 16<<10), 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := Repair(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Backup != res.Backup {
		t.Errorf("repaired from backup %d, want %d (backup 3 holds what the rollback undid)", rep.Backup, res.Backup)
	}
	rdb = reopen(t, dir)
	got := contents(t, rdb)
	sameContents(t, "repaired after a rollback before the last backup", got, want)
	if _, ok := got[12]; !ok {
		t.Error("the deletion the rollback undid came back with the repair")
	}
}
