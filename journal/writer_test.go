package journal

import (
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestCreate(t *testing.T) {
	path := logPath(t)
	w, err := Create(OSFS{}, path, testHeader)
	if err != nil {
		t.Fatal(err)
	}
	none := testHeader.FirstOp - 1
	if w.Size() != HeaderSize || w.LastOp() != none || w.Durable() != none || w.Err() != nil {
		t.Fatalf("new writer: size %d last %d durable %d err %v", w.Size(), w.LastOp(), w.Durable(), w.Err())
	}
	if w.Header().DBID != testHeader.DBID {
		t.Fatal("header not kept")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Size() != HeaderSize {
		t.Fatalf("mode %v size %d", fi.Mode(), fi.Size())
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("Create left %d files beside the log", len(entries))
	}
	// Syncing nothing is immediate and harmless.
	if err := w.Sync(1 << 40); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	before := readFile(t, path)
	if _, err := Create(OSFS{}, path, Header{}); !errors.Is(err, ErrExists) {
		t.Fatalf("Create over an existing log: %v", err)
	}
	if string(readFile(t, path)) != string(before) {
		t.Fatal("Create changed an existing log")
	}
	if _, err := Create(OSFS{}, filepath.Join(t.TempDir(), "missing", "data.journal"), Header{}); err == nil {
		t.Fatal("Create in a missing folder succeeded")
	}
}

func TestAppendOrder(t *testing.T) {
	w, err := Create(OSFS{}, logPath(t), testHeader)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	rng := rand.New(rand.NewPCG(20, 21))
	below := randRecord(rng, testHeader.FirstOp-1)
	if err := w.Append(&below); !errors.Is(err, ErrOrder) {
		t.Fatalf("op below FirstOp: %v", err)
	}
	a, b, c := randRecord(rng, 100), randRecord(rng, 105), randRecord(rng, 103)
	if err := w.Append(&a, &b, &c); !errors.Is(err, ErrOrder) {
		t.Fatalf("batch out of order: %v", err)
	}
	if w.LastOp() != 99 {
		t.Fatalf("a refused batch moved LastOp to %d", w.LastOp())
	}
	if err := w.Append(&a, &b); err != nil {
		t.Fatal(err)
	}
	if err := w.Append(&c); !errors.Is(err, ErrOrder) {
		t.Fatalf("op 103 after 105: %v", err)
	}
	badAction := randRecord(rng, 106)
	badAction.Action = 0
	if err := w.Append(&badAction); !errors.Is(err, ErrBadRecord) {
		t.Fatalf("unknown action: %v", err)
	}
	huge := randRecord(rng, 106)
	huge.Values = make([]byte, MaxRecordSize+1)
	if err := w.Append(&huge); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("huge record: %v", err)
	}
	if w.Err() != nil {
		t.Fatalf("a refused record failed the writer: %v", w.Err())
	}
	// Appending does no I/O; Sync does.
	if w.Size() != HeaderSize || w.Durable() != 99 {
		t.Fatalf("after Append: size %d durable %d", w.Size(), w.Durable())
	}
	if err := w.Sync(100); err != nil {
		t.Fatal(err)
	}
	if w.Durable() != 105 || w.Size() <= HeaderSize {
		t.Fatalf("after Sync: durable %d size %d", w.Durable(), w.Size())
	}
}

// TestGroupCommit runs 8 writers, each committing 500 records one by one.
func TestGroupCommit(t *testing.T) {
	const writers, each = 8, 500
	fsys := newFaultFS()
	fsys.syncDelay = 100 * time.Microsecond // a disk, not a RAM disk: syncs overlap commits
	path := logPath(t)
	w, err := Create(fsys, path, Header{FirstOp: 1})
	if err != nil {
		t.Fatal(err)
	}
	startSyncs := fsys.syncs.Load()
	var (
		mu   sync.Mutex // hands out operation numbers in Append order, as the engine does
		next uint64     = 1
		want            = make([]Record, writers*each)
		wg   sync.WaitGroup
		errs = make(chan error, writers)
	)
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 22))
			for range each {
				mu.Lock()
				rec := randRecord(rng, next)
				rec.Process = uint32(g)
				want[next-1] = rec
				next++
				err := w.Append(&rec)
				mu.Unlock()
				if err == nil {
					err = w.Sync(rec.Op)
				}
				if err == nil && w.Durable() < rec.Op {
					err = errors.New("Sync returned before the record was durable")
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	syncs := fsys.syncs.Load() - startSyncs
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d commits, %d fsyncs", writers*each, syncs)
	if syncs >= writers*each {
		t.Fatalf("%d fsyncs for %d commits: concurrent writers do not share fsyncs", syncs, writers*each)
	}
	_, got, tail, err := ReadAll(OSFS{}, path)
	if err != nil || tail != nil {
		t.Fatal(err, tail)
	}
	checkRecords(t, got, want)
}

func TestPendingFlushedInOrder(t *testing.T) {
	path := logPath(t)
	w, err := Create(OSFS{}, path, Header{FirstOp: 1})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(23, 24))
	var want []Record
	for op := uint64(1); op <= 30000; op++ {
		rec := randRecord(rng, op)
		want = append(want, rec)
		if err := w.Append(&rec); err != nil {
			t.Fatal(err)
		}
	}
	if w.Size() <= HeaderSize {
		t.Fatal("megabytes pending and nothing written")
	}
	if w.Durable() != 0 {
		t.Fatalf("written without a sync, yet durable up to %d", w.Durable())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	more := randRecord(rng, 30001)
	if err := w.Append(&more); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
	_, got, tail, err := ReadAll(OSFS{}, path)
	if err != nil || tail != nil {
		t.Fatal(err, tail)
	}
	checkRecords(t, got, want)
}

// failedWriter checks that w is failed with an error matching cause, durable at op.
func failedWriter(t *testing.T, w *Writer, err error, cause error, durable uint64) {
	t.Helper()
	var ioe *IOError
	if !errors.As(err, &ioe) || !errors.Is(err, ErrUnavailable) || !errors.Is(err, cause) {
		t.Fatalf("got %v, want an unavailable log caused by %v", err, cause)
	}
	if w.Durable() != durable {
		t.Fatalf("durable %d after a failure, want %d", w.Durable(), durable)
	}
	rec := randRecord(rand.New(rand.NewPCG(0, 0)), w.LastOp()+1)
	if err := w.Append(&rec); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Append after the failure: %v", err)
	}
	if err := w.Sync(rec.Op); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Sync after the failure: %v", err)
	}
	if !errors.Is(w.Err(), cause) {
		t.Fatalf("Err() = %v", w.Err())
	}
	if err := w.Close(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Close of a failed writer: %v", err)
	}
}

func TestSyncFailure(t *testing.T) {
	fsys := newFaultFS()
	path := logPath(t)
	w, err := Create(fsys, path, Header{FirstOp: 1})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(25, 26))
	a, b := randRecord(rng, 1), randRecord(rng, 2)
	if err := w.Append(&a); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(1); err != nil {
		t.Fatal(err)
	}
	fsys.failSync.Store(true)
	if err := w.Append(&b); err != nil {
		t.Fatal(err)
	}
	err = w.Sync(2)
	failedWriter(t, w, err, syscall.EIO, 1)
}

func TestDiskFull(t *testing.T) {
	fsys := newFaultFS()
	path := logPath(t)
	w, err := Create(fsys, path, Header{FirstOp: 1})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(27, 28))
	recs := []Record{randRecord(rng, 1), randRecord(rng, 2), randRecord(rng, 3)}
	if err := w.Append(&recs[0]); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(1); err != nil {
		t.Fatal(err)
	}
	fsys.writeLeft.Store(20) // the next record is cut after 20 bytes
	if err := w.Append(&recs[1], &recs[2]); err != nil {
		t.Fatal(err)
	}
	err = w.Sync(3)
	failedWriter(t, w, err, syscall.ENOSPC, 1)

	// Space is back: the partial record is a torn tail, cut off at the next open.
	w, info, err := OpenAppend(OSFS{}, path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Torn == nil || info.Torn.Bytes < 20 || info.Records != 1 || info.LastOp != 1 {
		t.Fatalf("info %+v torn %+v", info, info.Torn)
	}
	if err := w.Append(&recs[1], &recs[2]); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, got, tail, err := ReadAll(OSFS{}, path)
	if err != nil || tail != nil {
		t.Fatal(err, tail)
	}
	checkRecords(t, got, recs)
}

func TestDiskFullOnFlush(t *testing.T) {
	fsys := newFaultFS()
	w, err := Create(fsys, logPath(t), Header{FirstOp: 1})
	if err != nil {
		t.Fatal(err)
	}
	fsys.writeLeft.Store(1000)
	rng := rand.New(rand.NewPCG(29, 30))
	for op := uint64(1); ; op++ {
		rec := randRecord(rng, op)
		if err = w.Append(&rec); err != nil {
			break
		}
	}
	failedWriter(t, w, err, syscall.ENOSPC, 0)
}

func TestLogDeleted(t *testing.T) {
	path := logPath(t)
	w, err := Create(OSFS{}, path, Header{FirstOp: 1})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(31, 32))
	a, b := randRecord(rng, 1), randRecord(rng, 2)
	if err := w.Append(&a); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(1); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := w.Append(&b); err != nil {
		t.Fatal(err)
	}
	failedWriter(t, w, w.Sync(2), fs.ErrNotExist, 1)
}

func TestLogReplaced(t *testing.T) {
	path := logPath(t)
	w, err := Create(OSFS{}, path, Header{FirstOp: 1})
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(filepath.Dir(path), "other")
	writeFile(t, other, appendHeader(nil, Header{}))
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}
	rec := randRecord(rand.New(rand.NewPCG(33, 34)), 1)
	if err := w.Append(&rec); err != nil {
		t.Fatal(err)
	}
	err = w.Sync(1)
	if !errors.Is(err, ErrUnavailable) || w.Durable() != 0 {
		t.Fatalf("sync to a replaced log: %v, durable %d", err, w.Durable())
	}
	w.Close()
}

func TestOpenAppendMissing(t *testing.T) {
	_, _, err := OpenAppend(OSFS{}, logPath(t))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want a missing file", err)
	}
}

func TestOpenAppendEmptyLog(t *testing.T) {
	path := logPath(t)
	w, err := Create(OSFS{}, path, testHeader)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w, info, err := OpenAppend(OSFS{}, path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if info.Records != 0 || info.Torn != nil || info.LastOp != testHeader.FirstOp-1 || w.Size() != HeaderSize {
		t.Fatalf("info %+v size %d", info, w.Size())
	}
	rec := randRecord(rand.New(rand.NewPCG(35, 36)), testHeader.FirstOp)
	if err := w.Append(&rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(rec.Op); err != nil {
		t.Fatal(err)
	}
}

// A log moved with MoveTo takes the place of the file at its new path and is written on there:
// the Writer goes by the new path, so its syncs do not take the log for gone.
func TestMoveTo(t *testing.T) {
	path := logPath(t)
	writeFile(t, path, appendHeader(nil, Header{}))
	fresh := path + ".new"
	w, err := Create(OSFS{}, fresh, Header{FirstOp: 1})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(35, 36))
	a, b := randRecord(rng, 1), randRecord(rng, 2)
	w.Append(&a)
	if err := w.MoveTo(path); err != nil {
		t.Fatal(err)
	}
	w.Append(&b)
	if err := w.Sync(2); err != nil {
		t.Fatalf("sync after MoveTo: %v", err)
	}
	w.Close()
	if _, err := os.Stat(fresh); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the old name is still there: %v", err)
	}
	h, recs, _, err := ReadAll(OSFS{}, path)
	if err != nil || h.FirstOp != 1 || len(recs) != 2 {
		t.Fatalf("the moved log: first op %d, %d records, %v", h.FirstOp, len(recs), err)
	}
}

// OpenRange reads the records between two offsets of a log that a Writer goes on appending to,
// up to what the Writer wrote, and counts its Offset from the file's start.
func TestOpenRange(t *testing.T) {
	path := logPath(t)
	w, err := Create(OSFS{}, path, Header{FirstOp: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	rng := rand.New(rand.NewPCG(37, 38))
	var ends []int64
	for op := uint64(1); op <= 6; op++ {
		rec := randRecord(rng, op)
		w.Append(&rec)
		if err := w.Sync(op); err != nil {
			t.Fatal(err)
		}
		ends = append(ends, w.Size())
	}
	rec := randRecord(rng, 7)
	w.Append(&rec) // appended, not written: past the range
	r, err := OpenRange(OSFS{}, path, ends[1], ends[4])
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for op := uint64(3); op <= 5; op++ {
		rec, err := r.Next()
		if err != nil || rec.Op != op || r.Offset() != ends[op-1] {
			t.Fatalf("record %d: op %d, offset %d (want %d), %v", op, rec.Op, r.Offset(), ends[op-1], err)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the range: %v", err)
	}
}
