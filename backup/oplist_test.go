package backup

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"holdfast/engine"
	"holdfast/journal"
)

// pages reads every page of l, size operations each, and checks the order: newest first.
func pages(t *testing.T, l *OperationList, size int) []ListedOp {
	t.Helper()
	var all []ListedOp
	for n := 0; ; n++ {
		ops, more, err := l.Page(n, size)
		if err != nil {
			t.Fatal(err)
		}
		if len(ops) > size || (more && len(ops) != size) {
			t.Fatalf("page %d: %d operations (more after it: %v) for pages of %d", n, len(ops), more, size)
		}
		all = append(all, ops...)
		if !more {
			break
		}
	}
	for i := 1; i < len(all); i++ {
		if all[i].Operation >= all[i-1].Operation {
			t.Fatalf("operation %d listed after %d: not newest first", all[i].Operation, all[i-1].Operation)
		}
	}
	return all
}

// The operations listed are every one logged since the oldest backup kept, across the log
// backups New Log File and the backups closed and the current log, newest first in pages that
// cross from one log file to the next; each names its log file. An operation listed from a log
// backup is one a rollback goes back to; after it, what it undid is no longer listed.
func TestListOperations(t *testing.T) {
	s := newSegmentedShop(t)
	dest := Destination(s.db)
	l, err := ListOperations(s.db)
	if err != nil {
		t.Fatal(err)
	}
	all := pages(t, l, 3)
	logs, err := FindLogs(dest, "Shop", 1, s.db.Dir(), engine.FormatID(s.db.ID()))
	if err != nil {
		t.Fatal(err)
	}
	var want []uint64
	from := map[uint64]string{}
	for _, p := range logs {
		_, recs, _, err := journal.ReadAll(journal.OSFS{}, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			want = append(want, r.Op)
			from[r.Op] = p
		}
	}
	slices.Reverse(want)
	var got []uint64
	for _, op := range all {
		got = append(got, op.Operation)
		if from[op.Operation] != op.Log || op.Current != (op.Log == s.db.LogPath()) {
			t.Errorf("operation %d listed from %s (current %v), it is in %s", op.Operation, op.Log, op.Current, from[op.Operation])
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	if len(logs) < 5 || want[len(want)-1] != s.backups[0].Operation+1 {
		t.Fatalf("the logs since backup 1 are %v, from operation %d", logs, want[len(want)-1])
	}

	to := s.ops["delete 6"] - 1
	if filepath.Base(from[to]) != "Shop[0001-0002].4BL" {
		t.Fatalf("operation %d is in %s, not in the second segment", to, from[to])
	}
	dir := s.db.Dir()
	s.db.Close()
	res, err := Rollback(context.Background(), dir, to)
	if err != nil {
		t.Fatalf("rollback to operation %d listed from a log backup: %v", to, err)
	}
	db := reopen(t, dir)
	sameContents(t, "rolled back to an operation of a log backup", contents(t, db), s.st.upTo(to))
	after := add(t, db.NewProcess(""), 100)
	if l, err = ListOperations(db); err != nil {
		t.Fatal(err)
	}
	all = pages(t, l, 4)
	if all[0].Operation != after || !all[0].Current {
		t.Errorf("the newest operation listed is %+v, want %d of the current log", all[0], after)
	}
	for _, op := range all {
		if op.Operation > to && op.Operation <= res.Undone {
			t.Errorf("operation %d, undone by the rollback, is listed", op.Operation)
		}
	}
	if i := slices.IndexFunc(all, func(op ListedOp) bool { return op.Operation == to }); i < 0 {
		t.Errorf("operation %d, the one rolled back to, is not listed", to)
	}
}

// BenchmarkOperationsFirstPage lists the first page (50 operations) of a million, most of them
// in the current log: what the Rollback page reads before it shows anything. Its peer reads the
// same logs once, every byte (as cat would), which any listing that reads every record must.
func BenchmarkOperationsFirstPage(b *testing.B) {
	dir := b.TempDir()
	var logs []string
	op := uint64(1)
	for i, n := range []uint64{100_000, 100_000, 800_000} {
		p := filepath.Join(dir, fmt.Sprintf("log%d", i))
		writeLog(b, p, op, op+n-1)
		op += n
		logs = append(logs, p)
	}
	b.Run("holdfast", func(b *testing.B) {
		for range b.N {
			l, err := listLogs(logs, logs[2], 1, nil)
			if err != nil {
				b.Fatal(err)
			}
			ops, more, err := l.Page(0, 50)
			if err != nil || len(ops) != 50 || ops[0].Operation != op-1 || !more {
				b.Fatalf("first page: %d operations from %d, more %v: %v", len(ops), ops[0].Operation, more, err)
			}
		}
	})
	b.Run("peer=read every byte", func(b *testing.B) {
		for range b.N {
			var n int64
			for _, p := range logs {
				f, err := os.Open(p)
				if err != nil {
					b.Fatal(err)
				}
				k, err := io.Copy(io.Discard, f)
				f.Close()
				if err != nil {
					b.Fatal(err)
				}
				n += k
			}
			b.SetBytes(n)
		}
	})
}

// writeLog writes a log of the operations from first to last.
func writeLog(t testing.TB, path string, first, last uint64) {
	t.Helper()
	w, err := journal.Create(journal.OSFS{}, path, journal.Header{FirstOp: first})
	if err != nil {
		t.Fatal(err)
	}
	for op := first; op <= last; op++ {
		rec := journal.Record{Op: op, Time: time.Now(), Action: journal.Modify, SystemUser: "ann", Table: "Customers",
			Key: []byte{1, byte(op), byte(op >> 8)}, Size: 120, Values: bytes.Repeat([]byte{'v'}, 120)}
		if err := w.Append(&rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Sync(last); err != nil {
		t.Fatal(err)
	}
	w.Close()
}

// Pages cross the offsets kept in a log and the logs' borders without losing or repeating an
// operation; what rollbacks undid and what came before the oldest backup are left out; a record
// cut short at the end of the current log (being written) is its end.
func TestOperationPages(t *testing.T) {
	dir := t.TempDir()
	logs := []string{filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")}
	writeLog(t, logs[0], 1, 1500)
	writeLog(t, logs[1], 1501, 2600)
	writeLog(t, logs[2], 2601, 4000)
	f, err := os.OpenFile(logs[2], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{200, 0, 0, 0, 1, 2, 3, 4, 0xa1, 0x1f}) // a record of 200 bytes, cut short
	f.Close()
	skip := []engine.OpRange{{From: 1200, To: 1700}, {From: 3000, To: 3000}}
	l, err := listLogs(logs, logs[2], 100, skip)
	if err != nil {
		t.Fatal(err)
	}
	all := pages(t, l, 300)
	var want []uint64
	for op := uint64(4000); op >= 100; op-- {
		if !slices.ContainsFunc(skip, func(r engine.OpRange) bool { return r.Contains(op) }) {
			want = append(want, op)
		}
	}
	var got []uint64
	for _, op := range all {
		got = append(got, op.Operation)
		if op.Current != (op.Log == logs[2]) {
			t.Errorf("operation %d of %s said current %v", op.Operation, op.Log, op.Current)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("listed %d operations (%v...), want %d", len(got), got[:min(len(got), 5)], len(want))
	}
}
