package engine

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"holdfast/journal"
)

// addedIDs reads a log and returns its operation numbers and the ids its additions added.
func addedIDs(t *testing.T, path string) (journal.Header, []uint64, []int64) {
	t.Helper()
	h, recs, torn, err := journal.ReadAll(journal.OSFS{}, path)
	if err != nil || torn != nil {
		t.Fatalf("read %s: %v %v", path, err, torn)
	}
	var ops []uint64
	var ids []int64
	for _, r := range recs {
		ops = append(ops, r.Op)
		if r.Action == journal.Add {
			vals, err := journal.DecodeKey(r.Key)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, vals[0].I)
		}
	}
	return h, ops, ids
}

func idRange(from, to int64) []int64 {
	var out []int64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func sameIDs(t *testing.T, what string, got, want []int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: ids %v, want %v", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: ids %v, want %v", what, got, want)
		}
	}
}

// New Log File closes the log as a segment holding exactly the operations logged so far and
// starts a new log that follows the same backup from the next operation; segments are numbered
// 1, 2, ... since the backup; the database reopens on the new log with every record.
func TestNewLog(t *testing.T) {
	db, dir := newDB(t, Options{})
	p := db.NewProcess("")
	want := map[int64]string{}
	for i := int64(1); i <= 20; i++ {
		add(t, p, i, "first")
		want[i] = "first"
	}
	lastBefore := db.LogStatus().LastOp
	closed1, err := db.NewLog()
	if err != nil {
		t.Fatal(err)
	}
	if wantName := db.LogPath() + ".closed[0000-0001]"; closed1 != wantName {
		t.Fatalf("closed log %s, want %s", closed1, wantName)
	}
	h1, ops1, ids1 := addedIDs(t, closed1)
	if h1.FirstOp != 1 || len(ops1) == 0 || ops1[len(ops1)-1] != lastBefore {
		t.Fatalf("the segment %+v holds operations %v, want 1 to %d", h1, ops1, lastBefore)
	}
	for i := range ops1 {
		if ops1[i] != uint64(i)+1 {
			t.Fatalf("the segment's operations are not 1 to %d in order: %v", lastBefore, ops1)
		}
	}
	sameIDs(t, "the first segment", ids1, idRange(1, 20))
	st := db.LogStatus()
	if !st.Open || st.FirstOp != lastBefore+1 {
		t.Fatalf("new log %+v, want one starting at %d", st, lastBefore+1)
	}

	for i := int64(21); i <= 30; i++ {
		add(t, p, i, "second")
		want[i] = "second"
	}
	lastBefore2 := db.LogStatus().LastOp
	closed2, err := db.NewLog()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(closed2, ".closed[0000-0002]") {
		t.Fatalf("second closed log %s, want segment 0002", closed2)
	}
	h2, ops2, ids2 := addedIDs(t, closed2)
	if h2.BackupNum != 0 || h2.FirstOp != lastBefore+1 || ops2[0] != lastBefore+1 || ops2[len(ops2)-1] != lastBefore2 {
		t.Fatalf("second segment %+v with operations %v, want %d to %d", h2, ops2, lastBefore+1, lastBefore2)
	}
	sameIDs(t, "the second segment", ids2, idRange(21, 30))
	if got := db.ClosedLogs(); len(got) != 2 {
		t.Fatalf("closed logs waiting: %v, want both segments", got)
	}

	for i := int64(31); i <= 35; i++ {
		add(t, p, i, "third")
		want[i] = "third"
	}
	db = reopen(t, db, dir, Options{})
	defer db.Close()
	same(t, names(t, db), want)
	h3, ops3, ids3 := addedIDs(t, db.LogPath())
	if h3.FirstOp != lastBefore2+1 || h3.BackupNum != 0 || ops3[0] != lastBefore2+1 {
		t.Fatalf("the current log %+v starts with operation %d, want %d", h3, ops3[0], lastBefore2+1)
	}
	sameIDs(t, "the current log", ids3, idRange(31, 35))
	if op := add(t, db.NewProcess(""), 36, "after"); op <= ops3[len(ops3)-1] {
		t.Errorf("a write after reopening got operation %d, not after %d", op, ops3[len(ops3)-1])
	}
}

// The data file may lag behind the log; New Log File checkpoints it first, so a crash right
// after it reopens on the new log alone and loses nothing.
func TestNewLogThenCrash(t *testing.T) {
	db, dir := newDB(t, lazy)
	p := db.NewProcess("")
	want := map[int64]string{}
	for i := int64(1); i <= 20; i++ {
		add(t, p, i, "before")
		want[i] = "before"
	}
	if _, err := db.NewLog(); err != nil {
		t.Fatal(err)
	}
	for i := int64(21); i <= 25; i++ {
		add(t, p, i, "after")
		want[i] = "after"
	}
	abandon(db)
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("the database does not reopen on its new log after a crash: %v", err)
	}
	defer db.Close()
	same(t, names(t, db), want)
	if n := db.Report().Integrated; n != 5 {
		t.Errorf("integrated %d operations at open, want the 5 of the new log", n)
	}
}

// The segment count goes on once a segment is archived (moved away), starts again after each
// backup, and passes over a number a closed log or the caller holds already.
func TestNewLogNumbering(t *testing.T) {
	db, dir := newDB(t, Options{})
	p := db.NewProcess("")
	add(t, p, 1, "x")
	closed, err := db.NewLog()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(closed); err != nil { // archived
		t.Fatal(err)
	}
	db = reopen(t, db, dir, Options{})
	defer db.Close()
	p = db.NewProcess("")
	closed, err = db.NewLog()
	if err != nil || !strings.HasSuffix(closed, ".closed[0000-0002]") {
		t.Fatalf("after segment 1 was archived and the database reopened: %s %v, want segment 0000-0002", closed, err)
	}
	snap, err := db.BeginBackup(1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snap.Commit(); err != nil {
		t.Fatal(err)
	}
	add(t, p, 2, "x")
	closed, err = db.NewLog()
	if err != nil || !strings.HasSuffix(closed, ".closed[0001-0001]") {
		t.Fatalf("after backup 1: %s %v, want segment 0001-0001", closed, err)
	}
	// Segment 2 is taken (archived elsewhere), 3 waits beside the log: the next one is 4.
	if err := os.WriteFile(db.LogPath()+".closed[0001-0003]", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	closed, err = db.NewLogSkipping(func(n, seg uint32) bool { return n == 1 && seg == 2 })
	if err != nil || !strings.HasSuffix(closed, ".closed[0001-0004]") {
		t.Fatalf("with 2 taken and 3 beside the log: %s %v, want segment 0001-0004", closed, err)
	}
}

// New Log File needs a log that is on and healthy, and no backup running.
func TestNewLogRefused(t *testing.T) {
	db, _ := newDB(t, Options{})
	defer db.Close()
	p := db.NewProcess("")
	add(t, p, 1, "x")

	snap, err := db.BeginBackup(1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.NewLog()
	wantCode(t, err, CodeBusy)
	if !strings.Contains(err.Error(), "try again when it ends") {
		t.Errorf("the 1415 error does not say what to do: %v", err)
	}
	snap.Abort()
	if len(db.ClosedLogs()) != 0 {
		t.Fatal("a refused New Log File left a closed log")
	}

	if err := db.StopLog(); err != nil {
		t.Fatal(err)
	}
	_, err = db.NewLog()
	wantCode(t, err, CodeNoLog)

	// Asked for again after a change: it waits for the next backup, and so does New Log File.
	add(t, p, 2, "y")
	wantCode(t, db.StartLog(""), CodeLogRequiresBkp)
	_, err = db.NewLog()
	wantCode(t, err, CodeNoLog)
	if !strings.Contains(err.Error(), "backup") {
		t.Errorf("the error does not say a backup is needed first: %v", err)
	}
}

func TestNewLogAfterLogFailed(t *testing.T) {
	ffs := &faultFS{}
	db, _ := newDB(t, Options{FS: ffs})
	defer db.Close()
	p := db.NewProcess("")
	add(t, p, 1, "x")
	ffs.failSync.Store(true)
	tx := p.Auto()
	if _, err := tx.Add("T", row(2, "lost")); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(); CodeOf(err) != CodeLogUnavailable {
		t.Fatalf("commit on a failing log: %v", err)
	}
	_, err := db.NewLog()
	wantCode(t, err, CodeLogUnavailable)
}

// renameFailFS fails the rename that would put the new log in place of the log.
type renameFailFS struct{ journal.OSFS }

func (renameFailFS) Rename(from, to string) error {
	if strings.HasSuffix(from, ".new") {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: errors.New("injected failure")}
	}
	return os.Rename(from, to)
}

// A switch that fails halfway changes nothing: the log goes on, no closed log or new file is
// left, and the database reopens with everything.
func TestNewLogFailedSwitch(t *testing.T) {
	db, dir := newDB(t, Options{FS: renameFailFS{}})
	p := db.NewProcess("")
	add(t, p, 1, "x")
	before := db.LogStatus()
	_, err := db.NewLog()
	wantCode(t, err, CodeLogIO)
	if len(db.ClosedLogs()) != 0 || fileExists(db.LogPath()+".new") {
		t.Fatalf("a failed switch left %v", db.ClosedLogs())
	}
	if st := db.LogStatus(); st.Failed != nil || st.FirstOp != before.FirstOp {
		t.Fatalf("the log after a failed switch: %+v", st)
	}
	add(t, p, 2, "y")
	db = reopen(t, db, dir, Options{})
	defer db.Close()
	same(t, names(t, db), map[int64]string{1: "x", 2: "y"})
}

// A crash between the steps of the switch leaves a log that opens: a new log that never took
// the log's name and a segment's name that still names the log are removed at open.
func TestNewLogCrashLeftovers(t *testing.T) {
	db, dir := newDB(t, Options{})
	p := db.NewProcess("")
	add(t, p, 1, "x")
	path := db.LogPath()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	segment := path + ".closed[0000-0001]"
	if err := os.Link(path, segment); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".new", []byte("half a header"), 0o600); err != nil {
		t.Fatal(err)
	}
	db = reopen(t, nil, dir, Options{})
	defer db.Close()
	if fileExists(segment) || fileExists(path+".new") {
		t.Fatalf("leftovers after reopening: %v", db.ClosedLogs())
	}
	same(t, names(t, db), map[int64]string{1: "x"})
	if _, err := db.NewLog(); err != nil {
		t.Fatalf("New Log File after the leftovers were cleaned: %v", err)
	}
	if got := db.ClosedLogs(); len(got) != 1 || filepath.Base(got[0]) != filepath.Base(segment) {
		t.Errorf("closed logs %v", got)
	}
}

// New Log File while writers commit: no acknowledged write is lost or logged twice, the
// segments and the current log chain without a gap or an overlap, and together with the data
// file they give back every record after a crash.
func TestNewLogWithWriters(t *testing.T) {
	db, dir := newDB(t, lazy)
	const writers, each = 4, 100
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			p := db.NewProcess("")
			defer p.Close()
			for i := 0; i < each; i++ {
				id := int64(w*each + i)
				tx := p.Auto()
				if _, err := tx.Add("T", row(id, "w")); err != nil {
					t.Error(err)
					return
				}
				if _, err := tx.Commit(); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var segments []string
	for i := range 5 {
		// Each switch waits for the writers to be under way, so that writes come before,
		// during and after it.
		for mark := uint64(i+1) * writers * each / 6; db.LogStatus().LastOp < mark; {
			select {
			case <-done:
				t.Fatal("the writers ended before the switches")
			default:
				runtime.Gosched()
			}
		}
		closed, err := db.NewLog()
		if err != nil {
			t.Fatal(err)
		}
		segments = append(segments, closed)
	}
	<-done
	want := map[int64]string{}
	for id := int64(0); id < writers*each; id++ {
		want[id] = "w"
	}
	same(t, names(t, db), want)
	path := db.LogPath()
	abandon(db)

	seen := map[int64]bool{}
	var next uint64 = 1
	for _, log := range append(segments, path) {
		h, ops, added := addedIDs(t, log)
		if h.FirstOp != next {
			t.Fatalf("%s starts at %d, want %d (the operation after the previous log)", filepath.Base(log), h.FirstOp, next)
		}
		for _, op := range ops {
			if op < next {
				t.Fatalf("%s: operation %d after %d", filepath.Base(log), op, next-1)
			}
			next = op + 1
		}
		for _, id := range added {
			if seen[id] {
				t.Fatalf("record %d is logged twice", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != writers*each {
		t.Errorf("the logs hold %d additions, want %d", len(seen), writers*each)
	}
	db = reopen(t, nil, dir, Options{})
	defer db.Close()
	same(t, names(t, db), want)
}
