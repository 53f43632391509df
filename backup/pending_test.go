package backup

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"holdfast/engine"
)

// A backup whose log backup cannot be written after the log was switched still counts: the
// history lists it (so the next one takes the next number, where it failed with 2012 before),
// the error says what is left, the closed log waits beside the log, and the next backup archives
// it; every archive then restores to every record.
func TestBackupFailingAfterTheSwitch(t *testing.T) {
	db := newDB(t)
	p := db.NewProcess("")
	for i := int64(1); i <= 5; i++ {
		add(t, p, i)
	}
	if _, err := Run(context.Background(), db, Options{}); err != nil {
		t.Fatal(err)
	}
	for i := int64(6); i <= 10; i++ {
		add(t, p, i)
	}
	dest := Destination(db)
	// The log backup's name is taken by a folder: its rename into place fails.
	blocker := filepath.Join(dest, LogBackupName("Shop", 1))
	if err := os.Mkdir(blocker, 0o700); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), db, Options{})
	if engine.CodeOf(err) != engine.CodeArchiveWrite || !strings.Contains(err.Error(), "backup 2 is done") || !strings.Contains(err.Error(), "next backup") {
		t.Fatalf("want 1409 saying backup 2 is done and the next backup archives its log, got %v", err)
	}
	if res == nil || res.Number != 2 {
		t.Fatalf("result %+v, want backup 2", res)
	}
	h, err := LoadHistory(dest)
	if err != nil {
		t.Fatal(err)
	}
	if !listed(h, 2) || h.Last().ErrorCode != int(engine.CodeArchiveWrite) {
		t.Fatalf("the history does not list backup 2 with its error: %+v", h.Last())
	}
	if len(db.ClosedLogs()) != 1 {
		t.Fatalf("closed logs %v, want the one not archived", db.ClosedLogs())
	}
	// Until then, a restore of backup 1 finds its log in the closed log beside the log (1412
	// before: it was in no log backup).
	rr, err := Restore(context.Background(), filepath.Join(dest, ArchiveName("Shop", 1)), RestoreOptions{To: filepath.Join(t.TempDir(), "R")})
	if err != nil {
		t.Fatalf("restore of backup 1 while its log backup waits beside the log: %v", err)
	}
	rdb := openRestored(t, rr.Dir)
	c, err := rdb.Count("T")
	if err != nil {
		t.Fatal(err)
	}
	if c != 10 {
		t.Errorf("backup 1 restored with the waiting log holds %d records, want 10", c)
	}
	rdb.Close()
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	for i := int64(11); i <= 15; i++ {
		add(t, p, i)
	}
	res, err = Run(context.Background(), db, Options{})
	if err != nil || res.Number != 3 {
		t.Fatalf("the next backup: %+v %v", res, err)
	}
	if len(db.ClosedLogs()) != 0 {
		t.Fatalf("closed logs %v left after the next backup", db.ClosedLogs())
	}
	for n := uint32(1); n <= 3; n++ {
		rr, err := Restore(context.Background(), filepath.Join(dest, ArchiveName("Shop", n)), RestoreOptions{To: filepath.Join(t.TempDir(), "R")})
		if err != nil {
			t.Fatalf("restore of backup %d: %v", n, err)
		}
		rdb := openRestored(t, rr.Dir)
		c, err := rdb.Count("T")
		if err != nil {
			t.Fatal(err)
		}
		if c != 15 {
			t.Errorf("backup %d restored with its logs holds %d records, want 15", n, c)
		}
		rdb.Close()
	}
}

// A backup interrupted after its archive was renamed into place but before its log was
// switched is undone by the next backup: its archive is removed, the history and the backup
// journal say so, and the next backup takes its number.
func TestInterruptedBackupUndone(t *testing.T) {
	db := newDB(t)
	add(t, db.NewProcess(""), 1)
	res, err := Run(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dest := Destination(db)
	// What a kill between the rename and the switch leaves: the archive of backup 2 under its
	// final name, and the record of it.
	second := filepath.Join(dest, ArchiveName("Shop", 2))
	b, err := os.ReadFile(res.Archive)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(second, b, 0o600); err != nil {
		t.Fatal(err)
	}
	sum, err := fileSum(second)
	if err != nil {
		t.Fatal(err)
	}
	if err := savePending(db.Dir(), &pendingBackup{Number: 2, Dest: dest, Operation: res.Operation, Data: true, Files: []FileInfo{sum}}); err != nil {
		t.Fatal(err)
	}
	add(t, db.NewProcess(""), 2)
	res, err = Run(context.Background(), db, Options{})
	if err != nil || res.Number != 2 {
		t.Fatalf("the backup after the interrupted one: %+v %v (2012 before)", res, err)
	}
	if m, err := VerifyArchive(second); err != nil || m.Operation != res.Operation {
		t.Fatalf("backup 2 is not the new one: %+v %v", m, err)
	}
	if !strings.Contains(journalText(t, db.Dir()), "Backup 2 had been interrupted before it was complete") {
		t.Error("the backup journal does not say the interrupted backup was undone")
	}
	h, err := LoadHistory(dest)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, e := range h.Operations {
		if e.Status == StatusFailed && e.ErrorCode == int(engine.CodeBackupInterrupted) {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("the history does not record the interrupted backup once: %+v", h.Operations)
	}
	if _, err := os.Stat(pendingPath(db.Dir())); err == nil {
		t.Error("the record of the interrupted backup stays")
	}
}

// Two backups asked at once in one process: the second is refused (1415) before it looks at
// what the first one is writing.
func TestSecondBackupRefused(t *testing.T) {
	db := newDB(t)
	release, err := claimBackup(db)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), db, Options{})
	release()
	if engine.CodeOf(err) != engine.CodeBusy {
		t.Fatalf("a second backup: %v, want 1415", err)
	}
	if _, err := Run(context.Background(), db, Options{}); err != nil {
		t.Fatal(err)
	}
}

// What killed restores, repairs and rollbacks leave (a hidden staging folder and its lock file,
// held by no process) is removed by the next backup, in the destination and beside the
// database; one whose lock is held, and a hidden folder of someone else, stay.
func TestBackupRemovesAbandonedStaging(t *testing.T) {
	db := newDB(t)
	dest := Destination(db)
	if err := os.MkdirAll(dest, 0o700); err != nil {
		t.Fatal(err)
	}
	parent := filepath.Dir(db.Dir())
	abandoned := []string{
		filepath.Join(dest, ".Shop[0001]"+stagingInfix+"123"),
		filepath.Join(parent, ".Shop.repair-456"),
		filepath.Join(parent, ".Shop.rollback-789"),
	}
	for _, d := range abandoned {
		if err := os.MkdirAll(filepath.Join(d, "db", "Data"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(d+stagingLock, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	running, done, err := newStaging(dest, ".Other"+stagingInfix)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	mine := filepath.Join(parent, ".mine")
	if err := os.Mkdir(mine, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mine+stagingLock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), db, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, d := range abandoned {
		for _, p := range []string{d, d + stagingLock} {
			if _, err := os.Lstat(p); err == nil {
				t.Errorf("%s stays after the next backup", p)
			}
		}
	}
	for _, p := range []string{running, mine} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
}
