package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"holdfast/journal"
	"holdfast/settings"
)

func fillLagging(t *testing.T, n int64) (string, map[int64]string) {
	t.Helper()
	db, dir := newDB(t, lazy)
	p := db.NewProcess("")
	want := map[int64]string{}
	for i := int64(1); i <= n; i++ {
		add(t, p, i, "v")
		want[i] = "v"
	}
	if _, err := p.Update(func(tx *Tx) error {
		if _, err := tx.Modify("T", key(1), map[string]journal.Value{"name": journal.Text("one")}); err != nil {
			return err
		}
		if _, err := tx.Delete("T", key(2)); err != nil {
			return err
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want[1] = "one"
	delete(want, 2)
	abandon(db)
	return dir, want
}

func TestOpenIntegratesWhatTheDataFileLacks(t *testing.T) {
	dir, want := fillLagging(t, 40)
	db := reopen(t, nil, dir, Options{})
	if got := db.Report().Integrated; got != 42 {
		t.Errorf("integrated %d operations, want 42", got)
	}
	same(t, names(t, db), want)
	add(t, db.NewProcess(""), 1000, "after")
	want[1000] = "after"
	db = reopen(t, db, dir, Options{})
	if db.Report().Integrated != 0 {
		t.Error("a clean close left operations to integrate")
	}
	same(t, names(t, db), want)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(BackupJournalPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		t.Error("the automatic integration is not in the backup journal")
	}
}

func setSetting(t *testing.T, dir, key, val string) {
	t.Helper()
	path := filepath.Join(dir, settings.FileName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := settings.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set(key, val); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, s.Marshal(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestNotIntegratingKeepsTheDatabaseReadOnly(t *testing.T) {
	dir, want := fillLagging(t, 10)
	setSetting(t, dir, "restore.autoIntegrateLog", "false")
	asked := 0
	db := reopen(t, nil, dir, Options{Integrate: func(inc Incomplete) bool {
		asked++
		if inc.Operations != 12 {
			t.Errorf("asked about %d operations, want 12", inc.Operations)
		}
		return false
	}})
	if asked != 1 || db.Report().Incomplete == nil {
		t.Fatalf("asked %d times, report %+v", asked, db.Report())
	}
	_, err := db.NewProcess("").Auto().Add("T", row(99, "x"))
	wantCode(t, err, CodeIncomplete)
	if n, err := db.Integrate(nil); err != nil || n != 12 {
		t.Fatalf("Integrate = %d, %v", n, err)
	}
	add(t, db.NewProcess(""), 99, "x")
	want[99] = "x"
	same(t, names(t, db), want)
	db = reopen(t, db, dir, Options{})
	same(t, names(t, db), want)
	db.Close()

	// Answering Integrate integrates.
	dir, want = fillLagging(t, 5)
	setSetting(t, dir, "restore.autoIntegrateLog", "false")
	db = reopen(t, nil, dir, Options{Integrate: func(Incomplete) bool { return true }})
	same(t, names(t, db), want)
	db.Close()
}

func TestTornTailOpensCleanly(t *testing.T) {
	dir, want := fillLagging(t, 20)
	logPath := filepath.Join(dir, "Data", "data.journal")
	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte{200, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	db := reopen(t, nil, dir, Options{})
	if db.Report().TornTail == nil {
		t.Error("the torn tail was not reported")
	}
	same(t, names(t, db), want)
	add(t, db.NewProcess(""), 500, "new")
	want[500] = "new"
	db = reopen(t, db, dir, Options{})
	same(t, names(t, db), want)
	db.Close()
}

func TestDamagedLogRefused(t *testing.T) {
	dir, _ := fillLagging(t, 20)
	logPath := filepath.Join(dir, "Data", "data.journal")
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x40
	if err := os.WriteFile(logPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{})
	wantCode(t, err, CodeLogIO)
	after, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(b) {
		t.Error("opening changed a damaged log")
	}
}

func TestForeignLogRefused(t *testing.T) {
	dir, _ := fillLagging(t, 3)
	other, _ := newDB(t, Options{})
	otherLog := other.LogPath()
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(otherLog)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Data", "data.journal"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{})
	wantCode(t, err, CodeForeignLog)

	db, _ := newDB(t, Options{})
	defer db.Close()
	_, err = db.Integrate([]string{otherLog})
	wantCode(t, err, CodeForeignLog)
}

func TestMissingLog(t *testing.T) {
	dir, _ := fillLagging(t, 3)
	if err := os.Remove(filepath.Join(dir, "Data", "data.journal")); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir, Options{})
	wantCode(t, err, CodeLogIO)
	db, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open: %v", err)
	}
	_, err = db.NewProcess("").Auto().Add("T", row(9, ""))
	wantCode(t, err, CodeReadOnly)
	db.Close()
}

func TestLogStopAndStart(t *testing.T) {
	db, dir := newDB(t, Options{})
	p := db.NewProcess("")
	add(t, p, 1, "logged")
	if err := db.StopLog(); err != nil {
		t.Fatal(err)
	}
	add(t, p, 2, "unlogged")
	if db.LogStatus().Open {
		t.Error("log still open")
	}
	db = reopen(t, db, dir, Options{})
	same(t, names(t, db), map[int64]string{1: "logged", 2: "unlogged"})
	// The data changed and no backup exists: the request waits for the next backup.
	err := db.StartLog("")
	wantCode(t, err, CodeLogRequiresBkp)
	if st := db.LogStatus(); !st.Pending || st.Open {
		t.Errorf("status after the request: %+v", st)
	}
	db.Close()

	// On a blank database the log starts at once, where asked.
	db2, dir2 := newDB(t, Options{})
	if err := db2.StopLog(); err != nil {
		t.Fatal(err)
	}
	elsewhere := filepath.Join(t.TempDir(), "other.journal")
	if err := db2.StartLog(elsewhere); err != nil {
		t.Fatal(err)
	}
	add(t, db2.NewProcess(""), 1, "x")
	db2 = reopen(t, db2, dir2, Options{})
	if st := db2.LogStatus(); !st.Open || st.Path != elsewhere {
		t.Errorf("status: %+v", st)
	}
	db2.Close()
}

// Every action of S3.3 reaches the log, with its process and users.
func TestEveryActionLogged(t *testing.T) {
	db, dir := newDB(t, Options{SystemUser: "sys", User: "ann"})
	p := db.NewProcess("")
	add(t, p, 1, "a")
	if _, err := p.Update(func(tx *Tx) error {
		if _, err := tx.Modify("T", key(1), map[string]journal.Value{"name": journal.Text("b")}); err != nil {
			return err
		}
		if _, err := tx.SetBlob("T", key(1), "pic", []byte("img")); err != nil {
			return err
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	tx := p.Begin()
	if _, err := tx.Add("T", row(2, "x")); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	p.SetUser("bob")
	tx = p.Auto()
	if _, err := tx.Delete("T", key(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, recs, _, err := journal.ReadAll(journal.OSFS{}, dir+"/Data/data.journal")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[journal.Action]bool{}
	for _, r := range recs {
		seen[r.Action] = true
		if r.SystemUser != "sys" {
			t.Errorf("op %d: system user %q", r.Op, r.SystemUser)
		}
		if r.Action == journal.Delete && (r.User != "bob" || r.Process != p.ID()) {
			t.Errorf("deletion logged with user %q process %d", r.User, r.Process)
		}
	}
	for a := journal.OpenData; a <= journal.UpdateContext; a++ {
		if !seen[a] {
			t.Errorf("no %q in the log", a)
		}
	}
}

// A transaction a crash cut before its validation never captures the autocommit writes of a
// later session whose process reuses its id.
func TestUnfinishedTransactionDoesNotSwallowLaterWrites(t *testing.T) {
	db, dir := newDB(t, lazy)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	blank, err := os.ReadFile(dataPath(dir, "Base")) // as a restored old backup would be
	if err != nil {
		t.Fatal(err)
	}
	db = reopen(t, nil, dir, lazy)
	p := db.NewProcess("")
	add(t, p, 1, "kept")
	abandon(db)
	// What a crash can leave: a Start and an addition, without the Validation.
	w, _, err := journal.OpenAppend(journal.OSFS{}, filepath.Join(dir, "Data", "data.journal"))
	if err != nil {
		t.Fatal(err)
	}
	op := w.LastOp() + 1
	key99, _ := journal.AppendKey(nil, key(99))
	if err := w.Append(&journal.Record{Op: op, Action: journal.StartTx, Process: 1},
		&journal.Record{Op: op + 1, Action: journal.Add, Process: 1, Table: "T", Key: key99, RecordNum: 99,
			Values: journal.AppendValues(nil, []journal.Value{journal.Int(99), journal.Text("half"), journal.Int(0), {}})}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	db = reopen(t, nil, dir, lazy)
	q := db.NewProcess("") // process 1 again
	add(t, q, 2, "after")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Replayed from the start of the log into the old data file: both acknowledged writes.
	if err := os.WriteFile(dataPath(dir, "Base"), blank, 0o600); err != nil {
		t.Fatal(err)
	}
	db = reopen(t, nil, dir, Options{})
	same(t, names(t, db), map[int64]string{1: "kept", 2: "after"})
	db.Close()
}

// IntegrateProgress reports the bytes of the log read, up to the whole file.
func TestIntegrateProgress(t *testing.T) {
	dir, want := fillLagging(t, 10)
	setSetting(t, dir, "restore.autoIntegrateLog", "false")
	db := reopen(t, nil, dir, Options{})
	defer db.Close()
	fi, err := os.Stat(db.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	var last, total int64
	calls := 0
	n, err := db.IntegrateProgress(context.Background(), nil, func(done, all int64) {
		calls++
		if done < last {
			t.Errorf("progress went back from %d to %d", last, done)
		}
		last, total = done, all
	})
	if err != nil || n != 12 {
		t.Fatalf("IntegrateProgress = %d, %v", n, err)
	}
	if calls == 0 || total != fi.Size() || last != total {
		t.Errorf("%d calls, last %d of %d, log of %d bytes", calls, last, total, fi.Size())
	}
	same(t, names(t, db), want)
}

// laggingInBatches opens a database whose data file lacks the 22 operations of its log, left out
// at open, and integrated in batches of 5 while the test runs.
func laggingInBatches(t *testing.T) (string, map[int64]string, *DB) {
	t.Helper()
	b := integrateBatch
	t.Cleanup(func() { integrateBatch = b })
	integrateBatch = 5
	dir, want := fillLagging(t, 20)
	setSetting(t, dir, "restore.autoIntegrateLog", "false")
	return dir, want, reopen(t, nil, dir, Options{})
}

// A stopped integration ends after the batch under way with 2020: the data file keeps what was
// integrated, the database stays read-only, and a later integration does the rest.
func TestIntegrateStopped(t *testing.T) {
	dir, want, db := laggingInBatches(t)
	defer db.Close()
	before := db.Report().Incomplete
	if before == nil || before.Operations != 22 {
		t.Fatalf("before: %+v", before)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n, err := db.IntegrateProgress(ctx, nil, func(done, all int64) { cancel() })
	if CodeOf(err) != CodeIntegrationStopped || n != 5 {
		t.Fatalf("stopped integration = %d, %v", n, err)
	}
	if !strings.Contains(err.Error(), "read-only") {
		t.Errorf("the error does not say the database stays read-only: %v", err)
	}
	left := db.Report().Incomplete
	if left == nil || left.Operations != 17 || left.From <= before.From || left.To != before.To {
		t.Errorf("left to integrate: %+v (before %+v)", left, before)
	}
	if _, err := db.NewProcess("").Update(func(tx *Tx) error { return nil }); CodeOf(err) != CodeIncomplete {
		t.Errorf("a write after the stop: %v", err)
	}
	// Reopened, the data file holds the first batch and the log the rest.
	db = reopen(t, db, dir, Options{})
	if inc := db.Report().Incomplete; inc == nil || inc.Operations != 17 {
		t.Errorf("after reopening: %+v", inc)
	}
	n, err = db.Integrate(nil)
	if err != nil || n != 17 {
		t.Fatalf("the rest: %d, %v", n, err)
	}
	same(t, names(t, db), want)
	add(t, db.NewProcess(""), 1000, "after")
}

// The integration at open reports its progress through Options.Progress, up to the whole log.
func TestOpenIntegrationProgress(t *testing.T) {
	dir, want := fillLagging(t, 30)
	var last, total int64
	calls := 0
	db := reopen(t, nil, dir, Options{Progress: func(done, all int64) {
		calls++
		if done < last {
			t.Errorf("progress went back from %d to %d", last, done)
		}
		last, total = done, all
	}})
	defer db.Close()
	fi, err := os.Stat(db.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	if db.Report().Integrated != 32 {
		t.Fatalf("integrated %d", db.Report().Integrated)
	}
	// The log grew by the open's own marker after the integration read it.
	if calls == 0 || total == 0 || last != total || total > fi.Size() {
		t.Errorf("%d calls, last %d of %d, log now %d bytes", calls, last, total, fi.Size())
	}
	same(t, names(t, db), want)
}

// A stop asked during the last batch comes too late to stop anything: the integration ends
// whole, without an error, and writing is allowed.
func TestIntegrateStopTooLate(t *testing.T) {
	_, want, db := laggingInBatches(t)
	defer db.Close()
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	n, err := db.IntegrateProgress(ctx, nil, func(done, all int64) {
		if calls++; calls == 5 { // after the fifth and last batch of 22 operations
			cancel()
		}
	})
	if err != nil || n != 22 {
		t.Fatalf("a stop after the last batch: %d, %v", n, err)
	}
	same(t, names(t, db), want)
	add(t, db.NewProcess(""), 1000, "after")
}
