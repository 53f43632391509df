package backup

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"holdfast/engine"
	"holdfast/journal"
)

// An OperationList lists the operations a rollback of a database can go back to, newest first
// and a page at a time: every logged operation from the oldest backup kept (that a rollback can
// start from) to the last operation of the current log, across the log backups in the
// destination, the closed logs waiting beside the log and the current log, leaving out what
// rollbacks undid. Only the log files' headers are read when it is made; a log file is read
// through once when a page first reaches it (keeping where every markEvery-th operation starts),
// and a page then reads only the part of each file it shows. It is a snapshot: a current log
// written to since is listed to where it ended when a page first reached it.
//
// An OperationList is not safe for concurrent use.
type OperationList struct {
	logs []*listedLog // newest first
	min  uint64       // operations before it cannot be rolled back to
	skip []engine.OpRange
}

// ListedOp is one operation of an OperationList and the log file that holds it.
type ListedOp struct {
	journal.Row
	Log     string // the log file's path
	Current bool   // Log is the current log
}

// listedLog is one log file of an OperationList: its first operation (from its header) and,
// once read through, how many operations it lists and where every markEvery-th one starts.
type listedLog struct {
	path    string
	current bool
	first   uint64
	hdr     [journal.HeaderSize]byte
	read    bool
	count   int
	end     int64   // where the last record read ends
	marks   []int64 // marks[i]: offset of the listed operation i*markEvery
}

// markEvery is how many listed operations lie between two offsets kept: a page reads at most
// that many operations before its first one.
const markEvery = 512

// ListOperations lists the operations a rollback of db can go back to (see OperationList). A
// database that keeps no log has none to list (1403). Off the Fyne thread: it reads the history
// and the log files' headers.
func ListOperations(db *engine.DB) (*OperationList, error) {
	if st := db.LogStatus(); !st.Use || !st.Open {
		return nil, &engine.Error{Code: engine.CodeNoLog, Op: "list operations", Path: db.Dir(),
			Err: errors.New("this database keeps no log, so it cannot be rolled back; turn Use Log on in Database Settings (Configuration)")}
	}
	dest := Destination(db)
	hist, err := LoadHistory(dest)
	if err != nil {
		return nil, &engine.Error{Code: engine.CodeDestination, Op: "read history", Path: dest, Err: err}
	}
	logs, min, err := rollbackLogs(hist, dest, db.Name(), db.Dir(), engine.FormatID(db.ID()))
	if err != nil {
		return nil, err
	}
	return listLogs(logs, db.LogPath(), min, undoneRanges(hist))
}

// rollbackLogs finds the logs a rollback can go back through: those after the oldest backup
// kept whose chain of logs reaches the current log (min: its operation, the earliest a rollback
// can reach), or, with no such backup, every log since the database's first operation.
func rollbackLogs(hist *History, dest, name, folder, database string) ([]string, uint64, error) {
	var bases []*HistoryEntry
	for i := range hist.Operations {
		e := &hist.Operations[i]
		if e.Kind == "backup" && e.Status != StatusFailed && archiveOf(e) != "" && !abandoned(hist, e) {
			bases = append(bases, e)
		}
	}
	slices.SortFunc(bases, func(a, b *HistoryEntry) int { return int(a.Number) - int(b.Number) })
	var firstErr error
	for _, e := range bases {
		logs, err := FindLogs(filepath.Dir(archiveOf(e)), name, e.Number, folder, database)
		if err == nil {
			return logs, e.Operation, nil
		}
		firstErr = cmp.Or(firstErr, err) // a gap after this backup: a later one may still reach now
	}
	if firstErr != nil {
		return nil, 0, firstErr
	}
	logs, err := FindLogs(dest, name, 0, folder, database)
	if err != nil {
		return nil, 0, err
	}
	if len(logs) > 0 {
		if h, err := logHeader(logs[0]); err == nil && h.FirstOp != 1 {
			return nil, 0, &engine.Error{Code: engine.CodeLogBackupMissing, Op: "list operations", Path: logs[0],
				Err: fmt.Errorf("no backup is kept and the logs in %s do not go back to the database's first operation: nothing can be rolled back to; make a backup (Backup page) to roll back to what follows it", dest)}
		}
	}
	return logs, 1, nil
}

// listLogs makes the list of the operations of logs (oldest first; current is the current
// log's path) from min on, leaving out skip. Only the headers are read.
func listLogs(logs []string, current string, min uint64, skip []engine.OpRange) (*OperationList, error) {
	l := &OperationList{min: min, skip: skip}
	for i := len(logs) - 1; i >= 0; i-- {
		ll := &listedLog{path: logs[i], current: logs[i] == current}
		f, err := os.Open(ll.path)
		if err != nil {
			return nil, &engine.Error{Code: engine.CodeLogIO, Op: "list operations", Path: ll.path, Err: err}
		}
		_, err = io.ReadFull(f, ll.hdr[:])
		f.Close()
		if err == nil {
			var r *journal.Reader
			r, err = journal.NewReader(bytes.NewReader(ll.hdr[:]), journal.HeaderSize)
			if err == nil {
				ll.first = r.Header().FirstOp
			}
		}
		if err != nil {
			return nil, &engine.Error{Code: engine.CodeLogIO, Op: "list operations", Path: ll.path, Err: err}
		}
		l.logs = append(l.logs, ll)
	}
	return l, nil
}

// listed reports whether operation op is one a rollback can go back to.
func (l *OperationList) listed(op uint64) bool {
	return op >= l.min && !slices.ContainsFunc(l.skip, func(r engine.OpRange) bool { return r.Contains(op) })
}

// Page returns the operations of page n (0: the newest) of size operations each, newest
// first, and whether older ones follow. A page past the end is empty.
func (l *OperationList) Page(n, size int) ([]ListedOp, bool, error) {
	var ops []ListedOp
	from := n * size // newest first, across the logs
	for i, ll := range l.logs {
		if len(ops) == size {
			return ops, l.olderIn(i), nil
		}
		if err := ll.index(l); err != nil {
			return ops, false, err
		}
		if from >= ll.count {
			from -= ll.count
			continue
		}
		// Newest first from position from: the log's operations hi down to lo, in its order.
		hi := ll.count - 1 - from
		lo := max(0, hi-(size-len(ops))+1)
		got, err := ll.rows(l, lo, hi)
		if err != nil {
			return ops, false, err
		}
		slices.Reverse(got)
		ops = append(ops, got...)
		from = 0
		if lo > 0 {
			return ops, true, nil
		}
	}
	return ops, false, nil
}

// olderIn reports whether the logs from i on (older ones) may hold operations to list: read
// through already, or by the operation numbers their headers give.
func (l *OperationList) olderIn(i int) bool {
	for j := i; j < len(l.logs); j++ {
		ll := l.logs[j]
		if ll.read {
			if ll.count > 0 {
				return true
			}
			continue
		}
		last := uint64(1<<64 - 1)
		if j > 0 {
			last = l.logs[j-1].first - 1
		}
		for op := max(ll.first, l.min); op <= last; {
			r := slices.IndexFunc(l.skip, func(r engine.OpRange) bool { return r.Contains(op) })
			if r < 0 {
				return true
			}
			if l.skip[r].To >= last {
				break
			}
			op = l.skip[r].To + 1
		}
	}
	return false
}

// index reads the log through once: how many operations it lists, and where every
// markEvery-th one starts. It reads only each record's frame and operation number (S3.3: the
// body's length, its checksum, then the body, which starts with the operation number), not
// decoding the rest: the pages that show a record read and check it whole. A frame cut short
// is the end (a log being written may end in one).
func (ll *listedLog) index(l *OperationList) error {
	if ll.read {
		return nil
	}
	f, err := os.Open(ll.path)
	if err != nil {
		return &engine.Error{Code: engine.CodeLogIO, Op: "list operations", Path: ll.path, Err: err}
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	at := int64(journal.HeaderSize)
	if _, err := br.Discard(journal.HeaderSize); err != nil {
		return &engine.Error{Code: engine.CodeLogIO, Op: "list operations", Path: ll.path, Err: err}
	}
	var frame [8]byte
	for {
		if _, err := io.ReadFull(br, frame[:]); err != nil {
			break
		}
		n := int64(binary.LittleEndian.Uint32(frame[:4]))
		op, err := binary.ReadUvarint(br)
		if err != nil || n > journal.MaxRecordSize {
			break
		}
		if skip := int(n) - uvarintLen(op); skip < 0 {
			break
		} else if _, err := br.Discard(skip); err != nil {
			break
		}
		if l.listed(op) {
			if ll.count%markEvery == 0 {
				ll.marks = append(ll.marks, at)
			}
			ll.count++
		}
		at += int64(len(frame)) + n
	}
	ll.read, ll.end = true, at
	return nil
}

// uvarintLen is the length of v as a uvarint.
func uvarintLen(v uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], v)
}

// rows reads the listed operations lo to hi of the log (in its order), from the offset kept
// before lo.
func (ll *listedLog) rows(l *OperationList, lo, hi int) ([]ListedOp, error) {
	f, err := os.Open(ll.path)
	if err != nil {
		return nil, &engine.Error{Code: engine.CodeLogIO, Op: "list operations", Path: ll.path, Err: err}
	}
	defer f.Close()
	at := ll.marks[lo/markEvery]
	// The reader starts at a record: the header, then the log from that record on.
	src := io.MultiReader(bytes.NewReader(ll.hdr[:]), io.NewSectionReader(f, at, ll.end-at))
	r, err := journal.NewReader(src, journal.HeaderSize+ll.end-at)
	if err != nil {
		return nil, &engine.Error{Code: engine.CodeLogIO, Op: "list operations", Path: ll.path, Err: err}
	}
	out := make([]ListedOp, 0, hi-lo+1)
	for i := lo / markEvery * markEvery; i <= hi; {
		rec, err := r.Next()
		if err != nil {
			return out, &engine.Error{Code: engine.CodeLogIO, Op: "list operations", Path: ll.path, Err: fmt.Errorf("%w; check the log file (Activity analysis, Browse...), or put back a good copy of it", err)}
		}
		if !l.listed(rec.Op) {
			continue
		}
		if i >= lo {
			out = append(out, ListedOp{Row: journal.RowOf(rec), Log: ll.path, Current: ll.current})
		}
		i++
	}
	return out, nil
}
