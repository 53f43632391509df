package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"

	"holdfast/journal"
)

// replayer groups log records into the units integration applies: a data operation outside a
// transaction on its own, or a transaction's operations once its Validation is read. Cancelled
// transactions, and transactions a log ends in the middle of, are never applied.
type replayer struct {
	open map[uint32][]journal.Record // per process: the operations of its open transaction
	inTx map[uint32]bool
}

func newReplayer() *replayer {
	return &replayer{open: map[uint32][]journal.Record{}, inTx: map[uint32]bool{}}
}

func isData(a journal.Action) bool {
	return a == journal.Add || a == journal.Modify || a == journal.Delete || a == journal.AddBlob
}

// feed takes the next record and returns the data operations that are now complete.
// The records returned are valid until the next call.
func (r *replayer) feed(rec journal.Record) []journal.Record {
	p := rec.Process
	switch {
	case rec.Action == journal.OpenData:
		// A new session: transactions a crash left unfinished can never be validated, and
		// process ids start again.
		clear(r.open)
		clear(r.inTx)
	case rec.Action == journal.StartTx:
		r.inTx[p], r.open[p] = true, r.open[p][:0]
	case rec.Action == journal.ValidateTx:
		// The unit is used before the next record is fed: its array is kept for the process's
		// next transaction (regrowing it for each one took a sixth of integration's time).
		unit := r.open[p]
		r.open[p] = unit[:0]
		delete(r.inTx, p)
		return unit
	case rec.Action == journal.CancelTx:
		delete(r.open, p)
		delete(r.inTx, p)
	case isData(rec.Action) && r.inTx[p]:
		r.open[p] = append(r.open[p], rec)
	case isData(rec.Action):
		return []journal.Record{rec}
	}
	return nil
}

// firstOpen returns the first operation of a transaction still open, or 0.
func (r *replayer) firstOpen() uint64 {
	var first uint64
	for _, recs := range r.open {
		if len(recs) > 0 && (first == 0 || recs[0].Op < first) {
			first = recs[0].Op
		}
	}
	return first
}

type recordSource interface {
	Next() (journal.Record, error)
}

// nextRecord reads a source; a torn tail is the end of what can be integrated.
func nextRecord(src recordSource) (journal.Record, bool, error) {
	rec, err := src.Next()
	if err == io.EOF || errors.Is(err, journal.ErrTornTail) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, err
	}
	return rec, true, nil
}

// countMissing counts the data operations a source holds beyond the operation after, as
// integration would apply them. It returns the first and last such operation numbers.
func countMissing(src recordSource, after uint64) (n int, from, to uint64, err error) {
	rp := newReplayer()
	for {
		rec, ok, err := nextRecord(src)
		if err != nil || !ok {
			return n, from, to, err
		}
		if rec.Op <= after {
			continue
		}
		for _, u := range rp.feed(rec) {
			if from == 0 {
				from = u.Op
			}
			to = u.Op
			n++
		}
	}
}

var integrateBatch = 50000 // a variable for tests

// integrate applies the operations of src beyond the data file's applied operation straight
// into the data file, in bbolt transactions of integrateBatch operations, each recording the
// operation it reached. With final, the applied operation ends at the log's last operation even
// if a transaction was left open there (it can never be validated any more). The cache must be
// empty and writers held off (wmu held, or the database not yet open).
//
// Readers go on: a batch is applied and committed without vmu, which is taken only for a moment
// before the commit (no key of the data file may be above diskMax) and after it (the counters
// readers see).
func (db *DB) integrate(src recordSource, final bool) (int, error) {
	rp := newReplayer()
	db.vmu.RLock()
	st := &applyState{tails: map[string][]byte{}, counts: maps.Clone(db.counts), lastChange: db.lastChange}
	for t, k := range db.diskMax {
		st.tails[t] = []byte(k)
	}
	db.vmu.RUnlock()
	applied, total := 0, 0
	var lastRead uint64
	batch := integrateBatch
	if db.batchOps > 0 {
		batch = db.batchOps
	}
	done := false
	db.brokeOff = false
	for !done {
		if stopped(db.stopInteg) {
			db.brokeOff = true // the rest of this log is left for later
			break
		}
		seq := maps.Clone(db.seq)
		var reached uint64
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			for n := 0; n < batch; {
				rec, ok, err := nextRecord(src)
				if err != nil {
					return err
				}
				if !ok {
					done = true
					break
				}
				if rec.Op <= db.ckptOp || rec.Op <= lastRead {
					continue
				}
				lastRead = rec.Op
				for _, u := range rp.feed(rec) {
					if err := db.applyLogged(tx, &u, st); err != nil {
						return err
					}
					n++
					applied++
				}
			}
			reached = lastRead
			if first := rp.firstOpen(); first != 0 && !(done && final) {
				reached = first - 1
			}
			if reached < db.ckptOp {
				reached = db.ckptOp
			}
			if err := writeCounters(tx, reached, st.lastChange, db.seq, st.counts); err != nil {
				return err
			}
			db.raiseDiskMax(st.tails)
			return nil
		})
		if err != nil {
			// Rolled back: readers saw nothing of it (a diskMax raised is still above every key).
			db.seq = seq
			var je *journal.CorruptError
			if errors.As(err, &je) {
				return total, &Error{Code: CodeLogIO, Op: "integrate", Err: err}
			}
			var ee *Error
			if errors.As(err, &ee) {
				return total, ee
			}
			return total, &Error{Code: CodeDataIO, Op: "integrate", Path: dataPath(db.dir, db.name), Err: err}
		}
		total = applied
		db.vmu.Lock()
		db.counts, db.lastChange = maps.Clone(st.counts), st.lastChange
		db.ckptOp, db.visibleOp = reached, reached
		db.vmu.Unlock()
		if db.afterBatch != nil {
			db.afterBatch()
		}
		if db.progress != nil {
			if r, ok := src.(interface{ Offset() int64 }); ok {
				db.progress(r.Offset())
			}
		}
	}
	db.vmu.Lock()
	db.visibleOp = db.ckptOp
	db.bolt.View(func(tx *bolt.Tx) error { db.loadDiskMax(tx); return nil })
	db.vmu.Unlock()
	if db.nextOp <= lastRead {
		db.nextOp = lastRead + 1
	}
	if db.nextOp <= db.ckptOp {
		db.nextOp = db.ckptOp + 1
	}
	return total, nil
}

// applyState is what an integration keeps from one operation to the next.
type applyState struct {
	// tails holds each table's highest key so far: an addition above it (a log's usual case)
	// needs no lookup.
	tails map[string][]byte
	// counts and lastChange are the data file's counters as the batch under way leaves them;
	// readers see db.counts and db.lastChange, set from them once the batch is committed.
	counts     map[string]int64
	lastChange uint64
	// arena is where the records written are encoded, a chunk at a time rather than one
	// allocation each; bbolt keeps them until the commit, and a full chunk is never reused.
	arena []byte
	// The table buckets of the transaction under way, by table name.
	tx      *bolt.Tx
	buckets map[string]*bolt.Bucket
}

// bucket is the bucket of table t in tx, created if need be.
func (st *applyState) bucket(tx *bolt.Tx, t *Table) (*bolt.Bucket, error) {
	if st.tx != tx {
		st.tx, st.buckets = tx, map[string]*bolt.Bucket{}
	}
	if b := st.buckets[t.Name]; b != nil {
		return b, nil
	}
	b, err := tx.CreateBucketIfNotExists(tableBucket(t.Name))
	if err != nil {
		return nil, err
	}
	b.FillPercent = 0.9 // see writeEntries
	st.buckets[t.Name] = b
	return b, nil
}

// arenaChunk is the size of an applyState's arena chunks.
const arenaChunk = 1 << 20

// encode is encodeRecordRaw into the arena.
func (st *applyState) encode(num uint64, values []byte) []byte {
	n := 5 + binary.MaxVarintLen64 + len(values)
	if n > arenaChunk/4 {
		return encodeRecordRaw(num, values)
	}
	if cap(st.arena)-len(st.arena) < n {
		st.arena = make([]byte, 0, arenaChunk)
	}
	start := len(st.arena)
	b := appendRecordRaw(st.arena[start:start:start+n], num, values)
	st.arena = st.arena[:start+len(b)]
	return b[:len(b):len(b)]
}

// applyLogged applies one logged data operation within a bbolt transaction.
func (db *DB) applyLogged(tx *bolt.Tx, rec *journal.Record, st *applyState) error {
	tails := st.tails
	t := db.cat.Table(rec.Table)
	if t == nil {
		return Errorf(CodeForeignLog, "integrate", "operation %d names table %q, which the structure does not have", rec.Op, rec.Table)
	}
	b, err := st.bucket(tx, t)
	if err != nil {
		return err
	}
	switch rec.Action {
	case journal.Add, journal.Modify:
		tail, seen := tails[t.Name]
		switch {
		case !seen || bytes.Compare(rec.Key, tail) > 0:
			if rec.Action == journal.Add {
				st.counts[t.Name]++ // above every key: new
			}
			tails[t.Name] = append(tail[:0], rec.Key...)
		case rec.Action == journal.Add && b.Get(rec.Key) == nil:
			st.counts[t.Name]++
		}
		err = b.Put(rec.Key, st.encode(rec.RecordNum, rec.Values))
	case journal.Delete:
		if b.Get(rec.Key) != nil {
			st.counts[t.Name]--
		}
		err = b.Delete(rec.Key)
	case journal.AddBlob:
		err = setBlobLogged(b, t, rec)
	}
	if err != nil {
		return err
	}
	if rec.RecordNum > db.seq[t.Name] {
		db.seq[t.Name] = rec.RecordNum
	}
	st.lastChange = rec.Op
	return nil
}

// raiseDiskMax raises each table's diskMax to the highest key an integration wrote in it, before
// its batch is committed: a reader that looks a key up in the data file then finds it in
// whichever version it reads, the one before the batch or the one after.
func (db *DB) raiseDiskMax(tails map[string][]byte) {
	db.vmu.Lock()
	defer db.vmu.Unlock()
	for t, k := range tails {
		if string(k) > db.diskMax[t] {
			db.diskMax[t] = string(k)
		}
	}
}

func setBlobLogged(b *bolt.Bucket, t *Table, rec *journal.Record) error {
	vals, err := journal.DecodeValues(rec.Values)
	if err != nil || len(vals) != 2 || vals[0].Kind != journal.KindText {
		return Errorf(CodeLogIO, "integrate", "operation %d: malformed BLOB operation", rec.Op)
	}
	fi := t.FieldIndex(vals[0].S)
	cur := b.Get(rec.Key)
	if fi < 0 || cur == nil {
		return Errorf(CodeForeignLog, "integrate", "operation %d stores a BLOB in %s.%s of a record the data file does not have", rec.Op, t.Name, vals[0].S)
	}
	r, err := decodeRecord(cur, len(t.Fields))
	if err != nil {
		return &Error{Code: CodeDamaged, Op: "integrate", Err: fmt.Errorf("table %s: %w", t.Name, err)}
	}
	r.Values[fi] = vals[1]
	return b.Put(rec.Key, encodeRecord(r.Num, r.Values))
}

// Integrate integrates log files into the data file, one after the other (S3.6), skipping the
// operations it already holds; with no path, it integrates what the current log holds beyond the
// data file (after an open that did not integrate it). Writers wait meanwhile; readers go on,
// and see the operations integrated batch after batch. It returns the number of operations
// applied.
func (db *DB) Integrate(paths []string) (int, error) {
	return db.IntegrateProgress(context.Background(), paths, nil)
}

// IntegrateProgress is Integrate that reports, after each batch, the bytes of the log files
// read so far and their total (for the progress of S8); progress may be nil. When ctx ends, the
// integration stops after the batch under way (2020): the data file keeps every operation
// integrated so far, and what is left stays in the log, to integrate later.
func (db *DB) IntegrateProgress(ctx context.Context, paths []string, progress func(done, total int64)) (n int, err error) {
	// The integration reads and writes the data file through bbolt: damage met there is
	// 1433, as at open.
	defer db.boltGuard("integrate", &err, debug.SetPanicOnFault(true))
	n, err = db.integrateProgress(ctx, paths, progress)
	if err != nil {
		err = db.asDamage("integrate", err)
	}
	return n, err
}

// integrateProgress is IntegrateProgress without the guard.
func (db *DB) integrateProgress(ctx context.Context, paths []string, progress func(done, total int64)) (int, error) {
	db.ckptMu.Lock()
	defer db.ckptMu.Unlock()
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.closed {
		return 0, &Error{Code: CodeClosed, Op: "integrate"}
	}
	if db.opts.ReadOnly {
		return 0, db.readOnly
	}
	if db.log != nil && db.logErr == nil {
		// What commits in flight appended must be durable before the log is read.
		if err := db.log.Sync(db.log.LastOp()); err != nil {
			return 0, db.failLogLocked(err)
		}
	}
	if err := db.checkpointLocked(); err != nil {
		return 0, err
	}
	current := db.LogPath()
	if len(paths) == 0 {
		paths = []string{current}
	}
	db.epoch++
	reportFile := filesProgress(paths, progress)
	db.stopInteg = ctx.Done()
	defer func() { db.progress, db.stopInteg = nil, nil }()
	total := 0
	for i, p := range paths {
		if stopped(db.stopInteg) {
			return total, db.integrationStopped(total)
		}
		db.progress = reportFile(i)
		n, err := db.integrateFile(p, p == current)
		total += n
		if err != nil {
			return total, err
		}
		if db.brokeOff {
			db.journalNote(fmt.Sprintf("Integration of the log file %s stopped by the user: %d operation(s), data file now at operation %d.", p, n, db.ckptOp))
			return total, db.integrationStopped(total)
		}
		db.journalNote(fmt.Sprintf("Integration of the log file %s: %d operation(s), data file now at operation %d.", p, n, db.ckptOp))
	}
	if db.readOnly != nil && db.readOnly.Code == CodeIncomplete {
		w, _, err := journal.OpenAppend(db.fs, current)
		if err != nil {
			return total, logError("open log", current, err)
		}
		db.infoMu.Lock()
		db.log, db.readOnly, db.report.Incomplete = w, nil, nil
		db.infoMu.Unlock()
	}
	return total, nil
}

// filesProgress reports the reading of files one after the other as bytes of them all:
// reportFile(i) is what db.progress is while file i is read (nil when report is nil).
func filesProgress(paths []string, report func(done, total int64)) (reportFile func(i int) func(off int64)) {
	if report == nil {
		return func(int) func(int64) { return nil }
	}
	starts := make([]int64, len(paths)+1) // starts[i]: the bytes of the files before file i
	for i, p := range paths {
		starts[i+1] = starts[i]
		if fi, err := os.Stat(p); err == nil {
			starts[i+1] += fi.Size()
		}
	}
	total := starts[len(paths)]
	return func(i int) func(off int64) {
		return func(off int64) { report(min(starts[i]+off, total), total) }
	}
}

func stopped(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// integrationStopped is the error of an integration stopped by the user after n operations.
// A database left read-only by the operations it lacks stays so, with what is left to do.
func (db *DB) integrationStopped(n int) error {
	what := ""
	if inc := db.report.Incomplete; inc != nil && db.readOnly != nil && db.readOnly.Code == CodeIncomplete {
		left := max(inc.Operations-n, 0)
		db.infoMu.Lock()
		db.report.Incomplete = &Incomplete{From: max(inc.From, db.ckptOp+1), To: inc.To, Operations: left}
		db.infoMu.Unlock()
		db.readOnly = &Error{Code: CodeIncomplete, Op: "write", Err: fmt.Errorf("the log holds %d operation(s) (%d to %d) that the data file lacks", left, db.report.Incomplete.From, inc.To)}
		what = "; the database stays read-only until the rest is integrated"
	}
	return &Error{Code: CodeIntegrationStopped, Op: "integrate", Err: fmt.Errorf("the data file holds every operation up to %d (%d integrated)%s", db.ckptOp, n, what)}
}

func (db *DB) integrateFile(path string, final bool) (int, error) {
	r, err := db.openChained(path)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	pf := newPrefetch(r)
	defer pf.Close()
	return db.integrate(pf, final)
}

// openChained opens a log file to integrate: it must be there (1412), belong to this
// database (1416) and start no later than the operation after the data file's (1412).
func (db *DB) openChained(path string) (*journal.Reader, error) {
	r, err := journal.OpenReader(db.fs, path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &Error{Code: CodeLogBackupMissing, Op: "integrate", Path: path, Err: err}
		}
		return nil, logError("read log", path, err)
	}
	h := r.Header()
	if h.DBID != db.id {
		r.Close()
		return nil, &Error{Code: CodeForeignLog, Op: "integrate", Path: path, Err: fmt.Errorf("it belongs to database %s, not %s", FormatID(h.DBID), FormatID(db.id))}
	}
	if h.FirstOp > db.ckptOp+1 {
		r.Close()
		return nil, &Error{Code: CodeLogBackupMissing, Op: "integrate", Path: path, Err: fmt.Errorf("it starts at operation %d but the data file stops at %d: the log holding operations %d to %d is missing", h.FirstOp, db.ckptOp, db.ckptOp+1, h.FirstOp-1)}
	}
	return r, nil
}
