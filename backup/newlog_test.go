package backup

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"holdfast/engine"
	"holdfast/journal"
)

// segmentedShop is a database with two backups and New Log File run twice between them and
// once after the second, with writes everywhere in between. ops names operations to roll
// back to.
type segmentedShop struct {
	db      *engine.DB
	st      *states
	backups []*Result
	newLogs []*NewLogResult
	ops     map[string]uint64
}

func newSegmentedShop(t *testing.T) *segmentedShop {
	t.Helper()
	s := &segmentedShop{db: newDB(t), st: newStates(), ops: map[string]uint64{}}
	configure(t, s.db, "keep.enabled", "false")
	p := s.db.NewProcess("")
	t.Cleanup(p.Close)
	backupNow := func() {
		res, err := Run(context.Background(), s.db, Options{})
		if err != nil {
			t.Fatal(err)
		}
		s.backups = append(s.backups, res)
	}
	newLog := func() {
		res, err := NewLog(context.Background(), s.db)
		if err != nil {
			t.Fatal(err)
		}
		s.newLogs = append(s.newLogs, res)
	}
	for i := int64(1); i <= 10; i++ {
		s.st.add(t, p, i, fmt.Sprint("first ", i))
	}
	backupNow()
	s.st.add(t, p, 11, "in segment 1")
	s.ops["delete 4"] = s.st.del(t, p, 4)
	s.st.modify(t, p, 5, "five, in segment 1")
	newLog()
	s.st.add(t, p, 12, "in segment 2")
	s.ops["delete 6"] = s.st.del(t, p, 6)
	newLog()
	s.st.modify(t, p, 11, "eleven, in the log closed by backup 2")
	s.st.add(t, p, 13, "in the log closed by backup 2")
	backupNow()
	s.st.add(t, p, 14, "in segment 1 after backup 2")
	newLog()
	s.st.del(t, p, 1)
	s.st.add(t, p, 15, "in the current log")
	return s
}

// New Log File archives the closed log in the destination as the next segment after the last
// backup, and a restore integrates the segments, the log backup and the current log in order,
// ending with exactly the records the database holds.
func TestNewLogRestore(t *testing.T) {
	s := newSegmentedShop(t)
	dest := Destination(s.db)
	wantArchived := []string{"Shop[0001-0001].4BL", "Shop[0001-0002].4BL", "Shop[0002-0001].4BL"}
	for i, res := range s.newLogs {
		if len(res.Archived) != 1 || res.Archived[0] != filepath.Join(dest, wantArchived[i]) {
			t.Errorf("New Log File %d archived %v, want %s", i+1, res.Archived, wantArchived[i])
		}
		if _, err := os.Stat(res.Closed); err == nil {
			t.Errorf("the closed log %s is still beside the log after it was archived", res.Closed)
		}
	}
	if last := s.newLogs[2]; s.db.LogStatus().FirstOp != last.FirstOp {
		t.Errorf("the current log starts at %d, New Log File said %d", s.db.LogStatus().FirstOp, last.FirstOp)
	}
	sameContents(t, "the live database", contents(t, s.db), s.st.cur)

	out := t.TempDir()
	res, err := Restore(context.Background(), s.backups[0].Archive, RestoreOptions{To: filepath.Join(out, "from1")})
	if err != nil {
		t.Fatal(err)
	}
	wantLogs := []string{filepath.Join(dest, "Shop[0001-0001].4BL"), filepath.Join(dest, "Shop[0001-0002].4BL"),
		filepath.Join(dest, "Shop[0001].4BL"), filepath.Join(dest, "Shop[0002-0001].4BL"), s.db.LogPath()}
	if strings.Join(res.Logs, "\n") != strings.Join(wantLogs, "\n") {
		t.Errorf("integrated\n%s\nwant\n%s", strings.Join(res.Logs, "\n"), strings.Join(wantLogs, "\n"))
	}
	sameContents(t, "backup 1, integrate auto", contents(t, openRestored(t, res.Dir)), s.st.cur)

	res, err = Restore(context.Background(), s.backups[1].Archive, RestoreOptions{To: filepath.Join(out, "from2")})
	if err != nil {
		t.Fatal(err)
	}
	sameContents(t, "backup 2, integrate auto", contents(t, openRestored(t, res.Dir)), s.st.cur)

	// Up to a point inside the second segment.
	until := s.ops["delete 6"] - 1
	res, err = Restore(context.Background(), s.backups[0].Archive, RestoreOptions{To: filepath.Join(out, "pit"), Until: engine.Until{Op: until}})
	if err != nil {
		t.Fatal(err)
	}
	sameContents(t, "backup 1 up to the operation before deleting 6", contents(t, openRestored(t, res.Dir)), s.st.upTo(until))

	// The backup journal and the history say what New Log File did.
	text := journalText(t, s.db.Dir())
	if !strings.Contains(text, "New log file: the log was closed as") || !strings.Contains(text, "Shop[0001-0002].4BL") {
		t.Errorf("the backup journal does not record New Log File:\n%s", text)
	}
	hist, err := LoadHistory(dest)
	if err != nil {
		t.Fatal(err)
	}
	var recorded []string
	for _, e := range hist.Operations {
		if e.Kind == "newlog" {
			for _, f := range e.Files {
				if f.SHA256 == "" || f.Size == 0 {
					t.Errorf("history entry %+v lacks the size or checksum of %s", e, f.Path)
				}
				recorded = append(recorded, filepath.Base(f.Path))
			}
		}
	}
	if strings.Join(recorded, " ") != strings.Join(wantArchived, " ") {
		t.Errorf("the history records %v, want %v", recorded, wantArchived)
	}
}

// A segment missing from the chain stops the integration with 1412: the log after it starts
// beyond the data.
func TestNewLogMissingSegment(t *testing.T) {
	s := newSegmentedShop(t)
	dest := Destination(s.db)
	for _, seg := range []string{"Shop[0001-0001].4BL", "Shop[0001-0002].4BL"} {
		missing := filepath.Join(dest, seg)
		if err := os.Rename(missing, missing+".away"); err != nil {
			t.Fatal(err)
		}
		_, err := Restore(context.Background(), s.backups[0].Archive, RestoreOptions{To: filepath.Join(t.TempDir(), "gap")})
		if engine.CodeOf(err) != engine.CodeLogBackupMissing {
			t.Errorf("restore with %s missing: %v, want 1412", seg, err)
		}
		if err := os.Rename(missing+".away", missing); err != nil {
			t.Fatal(err)
		}
	}
}

// A rollback to an operation inside a segment starts from the backup before it and integrates
// the segments up to it. New Log File after it passes over the segment numbers archived before
// the rollback instead of colliding with them.
func TestNewLogRollback(t *testing.T) {
	s := newSegmentedShop(t)
	dir := s.db.Dir()
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	to := s.ops["delete 4"] - 1
	res, err := Rollback(context.Background(), dir, to)
	if err != nil {
		t.Fatal(err)
	}
	if res.Backup != 1 {
		t.Errorf("rolled back from backup %d, want 1", res.Backup)
	}
	db := reopen(t, dir)
	got := contents(t, db)
	sameContents(t, "rolled back into the first segment", got, s.st.upTo(to))
	if _, ok := got[4]; !ok {
		t.Error("the record deleted after the rollback point is not back")
	}
	add(t, db.NewProcess(""), 100)
	nl, err := NewLog(context.Background(), db)
	if err != nil {
		t.Fatalf("New Log File after the rollback: %v", err)
	}
	// The log before the rollback goes into the chain as the next segment, and the new
	// segment after it: neither collides with 0002-0001, archived before the rollback.
	dest := Destination(db)
	want := []string{filepath.Join(dest, "Shop[0002-0002].4BL"), filepath.Join(dest, "Shop[0002-0003].4BL")}
	if !slices.Equal(nl.Archived, want) {
		t.Errorf("New Log File after the rollback archived %v, want %v", nl.Archived, want)
	}
	if h, err := logHeader(want[0]); err != nil || h.FirstOp > res.Undone {
		t.Errorf("segment 0002-0002 is not the log before the rollback: %+v %v", h, err)
	}
}

// A destination that cannot be used is refused before the log is touched (1407); a log backup
// that cannot be written after the switch leaves the closed log beside the log, and the error
// says so.
func TestNewLogErrors(t *testing.T) {
	db := newDB(t)
	fill(t, db, 3, "x")
	before := db.LogStatus()
	configure(t, db, "destination", filepath.Join(t.TempDir(), "unplugged"))
	_, err := NewLog(context.Background(), db)
	if engine.CodeOf(err) != engine.CodeDestination || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("a missing destination: %v, want 1407 saying nothing changed", err)
	}
	if st := db.LogStatus(); st.FirstOp != before.FirstOp || len(db.ClosedLogs()) != 0 {
		t.Fatalf("the log changed although the destination is missing: %+v, closed %v", st, db.ClosedLogs())
	}

	dest := t.TempDir()
	configure(t, db, "destination", dest)
	// Something that is not a log of this database beside the log is neither archived nor
	// removed, and does not stop New Log File.
	stale := db.LogPath() + ".closed[0005]"
	if err := os.WriteFile(stale, []byte("an old closed log"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dest, "Shop[0005].4BL"), []byte("already there"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := NewLog(context.Background(), db)
	if err != nil {
		t.Fatalf("New Log File beside a file that is not a closed log: %v", err)
	}
	if res == nil || len(res.Archived) != 1 || filepath.Base(res.Archived[0]) != "Shop[0000-0001].4BL" {
		t.Fatalf("result %+v, want the new segment archived", res)
	}
	if b, err := os.ReadFile(stale); err != nil || string(b) != "an old closed log" {
		t.Errorf("the file that is not a closed log was changed: %q %v", b, err)
	}
	b, err := os.ReadFile(filepath.Join(dest, "Shop[0005].4BL"))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "already there" {
		t.Errorf("a log backup already there was replaced: %q", b)
	}
	if !strings.Contains(journalText(t, db.Dir()), "not a closed log of this database") {
		t.Error("the backup journal does not say the file was left alone")
	}
	if st := db.LogStatus(); st.FirstOp != res.FirstOp || st.FirstOp <= before.LastOp {
		t.Errorf("the new log %+v, want it to start at %d, after %d", st, res.FirstOp, before.LastOp)
	}
}

// A log backup already in the destination under the name a closed log takes: with the same
// bytes (written by a run interrupted before it removed the closed log) the closed log is only
// removed; with other bytes (another chain, after the history was reset) it is kept under
// another name and the closed log archived. Neither stops the backups.
func TestArchiveClosedLogOverExisting(t *testing.T) {
	db := newDB(t)
	fill(t, db, 3, "x")
	dest := Destination(db)
	if err := os.MkdirAll(dest, 0o700); err != nil {
		t.Fatal(err)
	}
	closed, err := db.NewLog()
	if err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(closed)
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dest, "Shop[0000-0001].4BL")
	if err := os.WriteFile(target, content, 0o600); err != nil { // as if copied before a kill
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), db, Options{}); err != nil {
		t.Fatalf("backup with the closed log already archived: %v", err)
	}
	if _, err := os.Stat(closed); err == nil {
		t.Error("the closed log already archived is still beside the log")
	}
	b, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, content) {
		t.Error("the log backup changed")
	}

	fill2 := func(from int64) {
		p := db.NewProcess("")
		for i := from; i < from+3; i++ {
			add(t, p, i)
		}
	}
	fill2(100)
	closed, err = db.NewLog()
	if err != nil {
		t.Fatal(err)
	}
	target = filepath.Join(dest, "Shop[0001-0001].4BL")
	if err := os.WriteFile(target, []byte("another chain's log backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := NewLog(context.Background(), db) // archives the first, closes a second segment
	if err != nil {
		t.Fatalf("New Log File over another chain's log backup: %v", err)
	}
	if len(res.Archived) == 0 {
		t.Fatal("nothing archived")
	}
	aside, _ := filepath.Glob(globEscape(target) + ".other-*")
	if len(aside) != 1 {
		t.Fatalf("the other log backup was not kept aside: %v", names(dest))
	}
	b, err = os.ReadFile(aside[0])
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "another chain's log backup" {
		t.Errorf("the log backup kept aside holds %q", b)
	}
	if _, _, torn, err := journal.ReadAll(journal.OSFS{}, target); err != nil || torn != nil {
		t.Errorf("the archived closed log does not read: %v %v", err, torn)
	}
	if _, err := Run(context.Background(), db, Options{}); err != nil {
		t.Fatalf("the next backup: %v", err)
	}
}

// New Log File without a log is refused (1403) before anything is prepared: the default
// destination is not created for it.
func TestNewLogWithoutLog(t *testing.T) {
	db := newDB(t)
	fill(t, db, 3, "x")
	if err := db.StopLog(); err != nil {
		t.Fatal(err)
	}
	dest := Destination(db)
	if _, err := NewLog(context.Background(), db); engine.CodeOf(err) != engine.CodeNoLog {
		t.Fatalf("New Log File without a log: %v, want 1403", err)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Errorf("the refusal left the destination %s behind: %v", dest, err)
	}
}

// FindLogs orders each backup number's segments before its own log backup; a number without its
// own log backup is a gap unless it is the last one, which the current log follows.
func TestFindLogsOrder(t *testing.T) {
	tests := []struct {
		files  []string
		number uint32
		want   string // file names in order, or "1412 NNNN"
	}{
		{[]string{"S[0001].4BL", "S[0002].4BL"}, 1, "S[0001].4BL S[0002].4BL"},
		{[]string{"S[0001].4BL", "S[0001-0002].4BL", "S[0001-0001].4BL"}, 1, "S[0001-0001].4BL S[0001-0002].4BL S[0001].4BL"},
		{[]string{"S[0001-0010].4BL", "S[0001-0009].4BL", "S[0001].4BL", "S[0002-0001].4BL"}, 1, "S[0001-0009].4BL S[0001-0010].4BL S[0001].4BL S[0002-0001].4BL"},
		{[]string{"S[0000-0001].4BL", "S[0000].4BL", "S[0001-0001].4BL"}, 1, "S[0001-0001].4BL"},
		{[]string{"S[0000-0001].4BL", "S[0000].4BL", "S[0001-0001].4BL"}, 0, "S[0000-0001].4BL S[0000].4BL S[0001-0001].4BL"},
		{[]string{"S[0001-0001].4BL", "S[0002].4BL"}, 1, "1412 0001"},
		{[]string{"S[0001-0001].4BL", "S[0002-0001].4BL"}, 1, "1412 0001"},
		{[]string{"S[0001].4BL", "S[0003].4BL"}, 1, "1412 0002"},
		{[]string{"S[0002-0001].4BL"}, 1, "1412 0001"},
		{[]string{"Other[0001-0001].4BL", "S[0001-0001].4BL"}, 1, "S[0001-0001].4BL"},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		for _, f := range tt.files {
			if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		logs, err := FindLogs(dir, "S", tt.number, "", "")
		var got string
		if err != nil {
			got = fmt.Sprintf("%d %s", engine.CodeOf(err), strings.TrimSuffix(strings.TrimPrefix(filepath.Base(err.(*engine.Error).Path), "S["), "].4BL"))
		} else {
			var names []string
			for _, l := range logs {
				names = append(names, filepath.Base(l))
			}
			got = strings.Join(names, " ")
		}
		if got != tt.want {
			t.Errorf("FindLogs(%v, from %d) = %q, want %q", tt.files, tt.number, got, tt.want)
		}
	}
}

// A damaged data file is repaired across segments: with the newest archive gone, from backup 1
// and every segment, log backup and the current log after it.
func TestNewLogRepair(t *testing.T) {
	s := newSegmentedShop(t)
	dir := s.db.Dir()
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "Data", "Shop.4DD")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(s.backups[1].Archive, s.backups[1].Archive+".away"); err != nil {
		t.Fatal(err)
	}
	rdb, res, err := OpenOrRepair(context.Background(), dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if res == nil || res.Backup != 1 || len(res.Logs) != 5 {
		t.Fatalf("repair %+v, want backup 1, its two segments and log backup, the segment after backup 2 and the current log", res)
	}
	sameContents(t, "repaired across segments", contents(t, rdb), s.st.cur)
}

// Keeping the last backups deletes the segments that follow the backups deleted, as it does
// their log backups: nothing kept can integrate them any more.
func TestNewLogSegmentsPruned(t *testing.T) {
	s := newSegmentedShop(t)
	configure(t, s.db, "keep.enabled", "true")
	configure(t, s.db, "keep.count", "1")
	res, err := Run(context.Background(), s.db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dest := Destination(s.db)
	ents, err := os.ReadDir(dest)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".4BL") || strings.HasSuffix(e.Name(), ".4BK") {
			left = append(left, e.Name())
		}
	}
	for _, l := range left {
		n, _, _ := fileNumber(l)
		if n < res.Number {
			t.Errorf("%s is left, while backup %d is the only one kept; left: %q", l, res.Number, left)
		}
	}
	for _, nl := range s.newLogs {
		for _, p := range nl.Archived {
			if n, _, _ := fileNumber(p); n < res.Number {
				if _, err := os.Stat(p); err == nil {
					t.Errorf("segment %s kept", p)
				}
			}
		}
	}
}

// Keeping the last backups reads the number of a segment past 9999 too.
func TestSegmentNumberRead(t *testing.T) {
	for _, name := range []string{"Shop[0002-0001].4BL", "Shop[0002-10000].4BL", "Shop[0002].4BL"} {
		if n, kind, ok := fileNumber("/b/" + name); !ok || n != 2 || kind != "4BL" {
			t.Errorf("%s: %d %q %v", name, n, kind, ok)
		}
	}
}
