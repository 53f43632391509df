package journal

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

const (
	// flushSize: once this much is pending and no sync is running, Append writes it out (without
	// a sync) so that memory stays bounded between syncs.
	flushSize = 4 << 20
	// keepBufSize: a pending buffer that grew past this is not kept for reuse.
	keepBufSize = 16 << 20
	fileMode    = 0o600
)

// Writer appends records to a log file with group commit: Append only encodes into memory,
// and Sync makes records durable, one write and one fdatasync serving every caller waiting at
// that moment. A Writer is safe for concurrent use.
//
// Any write or sync failure, or the log file vanishing from its path, makes the Writer failed:
// from then on Append and Sync return the same *IOError (matching ErrUnavailable) and Durable no
// longer moves.
type Writer struct {
	fsys FS
	path string
	f    File
	id   fs.FileInfo // identity of f, compared with what path names before each sync
	hdr  Header

	mu      sync.Mutex
	cond    sync.Cond // signalled when a sync ends
	pending []byte    // encoded records not yet written
	spare   []byte    // the other buffer, swapped with pending by a sync
	lastOp  uint64    // last appended
	hasLast bool
	durable uint64 // last op written and synced
	size    int64  // bytes of records written to the file, header included
	syncing bool   // a leader is writing and syncing outside mu
	group   uint64 // records the last sync covered
	err     error  // sticky failure
	closed  bool   // Close started: Append refuses
	done    bool   // file closed
	doneErr error  // what Close returned
}

// AppendInfo says what OpenAppend found in the log.
type AppendInfo struct {
	Header  Header
	LastOp  uint64         // the last record's operation number (FirstOp-1, or 0, when empty)
	Records int            // how many records the log holds
	Torn    *TornTailError // the torn tail that was cut off, nil if the log ended cleanly
}

// Create creates a new log file at path holding only the header h. The header is written to a
// temporary file beside path, synced, and renamed into place, and the folder is synced, so a
// crash leaves either no log or a complete empty one. It refuses to replace an existing file
// (ErrExists; checked before the rename, so two Creates of one path must not race). The file is
// private to the user (0600).
func Create(fsys FS, path string, h Header) (*Writer, error) {
	if _, err := fsys.Stat(path); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrExists, path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, &IOError{Op: "create", Path: path, Err: err}
	}
	dir := filepath.Dir(path)
	tmp := filepath.Join(dir, "."+filepath.Base(path)+".tmp")
	f, err := fsys.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, fileMode)
	if err != nil {
		return nil, &IOError{Op: "create", Path: path, Err: err}
	}
	fail := func(op string, err error) (*Writer, error) {
		f.Close()
		fsys.Remove(tmp)
		return nil, &IOError{Op: op, Path: path, Err: err}
	}
	if _, err := f.Write(appendHeader(nil, h)); err != nil {
		return fail("write header of", err)
	}
	if err := f.Sync(); err != nil {
		return fail("sync", err)
	}
	if err := fsys.Rename(tmp, path); err != nil {
		return fail("create", err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		f.Close()
		return nil, &IOError{Op: "sync folder of", Path: path, Err: err}
	}
	w, err := newWriter(fsys, path, f, h, HeaderSize)
	if err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// OpenAppend opens an existing log for appending. It reads and checks the whole log first: a
// torn tail is cut off (the file is truncated and synced) and reported in AppendInfo.Torn;
// corruption in the middle returns the *CorruptError and changes nothing.
func OpenAppend(fsys FS, path string) (*Writer, AppendInfo, error) {
	return OpenAppendChecked(fsys, path, nil)
}

// OpenAppendChecked is OpenAppend that asks check, once the whole log is read and before
// anything is cut or synced, whether this log may be opened (the right database, long enough):
// an error from check is returned as it is, and the file is left untouched. In the AppendInfo
// check gets, Torn is what would be cut and LastOp the last operation before it.
func OpenAppendChecked(fsys FS, path string, check func(AppendInfo) error) (*Writer, AppendInfo, error) {
	f, err := fsys.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, AppendInfo{}, &IOError{Op: "open", Path: path, Err: err}
	}
	w, info, err := openAppend(fsys, path, f, check)
	if err != nil {
		f.Close()
		return nil, AppendInfo{}, err
	}
	return w, info, nil
}

func openAppend(fsys FS, path string, f File, check func(AppendInfo) error) (*Writer, AppendInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, AppendInfo{}, &IOError{Op: "stat", Path: path, Err: err}
	}
	r, err := newReader(f, fi.Size(), path)
	if err != nil {
		return nil, AppendInfo{}, err
	}
	info := AppendInfo{Header: r.hdr}
	for {
		_, err := r.Next()
		if err == nil {
			info.Records++
			continue
		}
		if err == io.EOF {
			break
		}
		if !errors.As(err, &info.Torn) {
			return nil, AppendInfo{}, err
		}
		break
	}
	info.LastOp = r.hdr.FirstOp - 1
	if r.hasLast || r.hdr.FirstOp == 0 {
		info.LastOp = r.lastOp
	}
	if check != nil {
		if err := check(info); err != nil {
			return nil, AppendInfo{}, err
		}
	}
	if info.Torn != nil {
		if err := f.Truncate(info.Torn.Offset); err != nil {
			return nil, AppendInfo{}, &IOError{Op: "truncate", Path: path, Err: err}
		}
	}
	if info.Torn == nil && fi.Size() > r.off {
		// Zeros after the last record (a write that never reached the disk): appends go on
		// from the last record.
		if err := f.Truncate(r.off); err != nil {
			return nil, AppendInfo{}, &IOError{Op: "truncate", Path: path, Err: err}
		}
	}
	// One sync at open: what an earlier process wrote without syncing, and the truncation,
	// become durable before anything new is acknowledged.
	if err := f.Sync(); err != nil {
		return nil, AppendInfo{}, &IOError{Op: "sync", Path: path, Err: err}
	}
	if _, err := f.Seek(r.off, io.SeekStart); err != nil {
		return nil, AppendInfo{}, &IOError{Op: "seek", Path: path, Err: err}
	}
	w, err := newWriter(fsys, path, f, r.hdr, r.off)
	if err != nil {
		return nil, AppendInfo{}, err
	}
	if r.hasLast {
		w.lastOp, w.hasLast = r.lastOp, true
		w.durable = r.lastOp
	}
	info.LastOp = w.LastOp()
	return w, info, nil
}

func newWriter(fsys FS, path string, f File, h Header, size int64) (*Writer, error) {
	id, err := f.Stat()
	if err != nil {
		return nil, &IOError{Op: "stat", Path: path, Err: err}
	}
	w := &Writer{fsys: fsys, path: path, f: f, id: id, hdr: h, size: size}
	w.cond.L = &w.mu
	w.durable = w.LastOp()
	return w, nil
}

// Header returns the log's header.
func (w *Writer) Header() Header { return w.hdr }

// LastOp returns the operation number of the last appended record; before any, FirstOp-1 (0
// when FirstOp is 0).
func (w *Writer) LastOp() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastOpLocked()
}

func (w *Writer) lastOpLocked() uint64 {
	if w.hasLast || w.hdr.FirstOp == 0 {
		return w.lastOp
	}
	return w.hdr.FirstOp - 1
}

// Durable returns the operation number up to which every record is on stable storage.
func (w *Writer) Durable() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.durable
}

// Size returns the bytes written to the file, header included (records still pending in memory
// are not counted).
func (w *Writer) Size() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.size
}

// Err returns the failure that stopped the Writer, nil while it is healthy.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Append encodes records into memory, in order; they reach the file at the next Sync (or
// earlier, unsynced, when much is pending). Operation numbers must be greater than every one
// appended before (ErrOrder), and not below the header's FirstOp. Either every record is
// appended or, on error, none. A failed Writer returns its failure.
func (w *Writer) Append(recs ...*Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return ErrClosed
	}
	mark, last, has := len(w.pending), w.lastOp, w.hasLast
	for _, rec := range recs {
		if err := w.check(rec.Op, last, has); err != nil {
			w.pending = w.pending[:mark]
			return err
		}
		var err error
		if w.pending, err = appendRecord(w.pending, rec); err != nil {
			w.pending = w.pending[:mark]
			return err
		}
		last, has = rec.Op, true
	}
	w.lastOp, w.hasLast = last, has
	if len(w.pending) >= flushSize && !w.syncing {
		// Written under mu, so no sync leader can write in between: bytes stay in op order.
		n, err := w.write(w.pending)
		w.size += int64(n)
		if err != nil {
			return w.fail("write", err)
		}
		w.pending = w.pending[:0]
	}
	return nil
}

func (w *Writer) check(op, last uint64, has bool) error {
	if has && op <= last {
		return fmt.Errorf("%w: operation %d after operation %d", ErrOrder, op, last)
	}
	if !has && op < w.hdr.FirstOp {
		return fmt.Errorf("%w: operation %d is below the log's first operation %d", ErrOrder, op, w.hdr.FirstOp)
	}
	return nil
}

// Sync blocks until every appended record with Op <= op is written and synced, and returns
// at once if they already are. Concurrent callers share the work: while one sync runs the
// others wait for it; then either they are covered, or one of them becomes the leader that
// writes and syncs everything pending for all of them.
func (w *Writer) Sync(op uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		// Records a sync made durable stay durable, whatever failed after it.
		if target := min(op, w.lastOpLocked()); w.durable >= target {
			return nil
		}
		if w.err != nil {
			return w.err
		}
		if w.done {
			return ErrClosed
		}
		if !w.syncing {
			return w.lead()
		}
		w.cond.Wait()
	}
}

// lead writes and syncs everything appended so far, with mu released during the I/O. It is
// called with mu held and returns with mu held.
func (w *Writer) lead() error {
	w.syncing = true
	if w.group > 1 {
		// Others were committing a moment ago: those the last sync just released are about to
		// append again. Let them, so that one sync serves them too, instead of syncing a
		// group of one now and the rest right after.
		w.mu.Unlock()
		for range 3 {
			runtime.Gosched()
		}
		w.mu.Lock()
	}
	buf, target := w.pending, w.lastOp
	w.group = target - w.durable
	w.pending, w.spare = w.spare[:0], nil
	w.mu.Unlock()

	n, err := w.write(buf)
	op := "write"
	if err == nil {
		op, err = "check", w.checkPath()
	}
	if err == nil {
		op, err = "sync", w.f.Sync()
	}

	w.mu.Lock()
	w.size += int64(n)
	w.syncing = false
	w.cond.Broadcast()
	if cap(buf) <= keepBufSize {
		w.spare = buf[:0]
	}
	if err != nil {
		return w.fail(op, err)
	}
	w.durable = target
	return nil
}

// write writes buf after the last record and returns how many bytes it wrote. Only one
// goroutine writes at a time: a sync leader, or Append under mu while no sync runs.
func (w *Writer) write(buf []byte) (int, error) {
	if len(buf) == 0 {
		return 0, nil
	}
	n, err := w.f.Write(buf)
	if err == nil && n < len(buf) {
		err = io.ErrShortWrite
	}
	return n, err
}

// checkPath verifies that path still names the open file.
func (w *Writer) checkPath() error {
	fi, err := w.fsys.Stat(w.path)
	if err != nil {
		return fmt.Errorf("log file gone: %w", err)
	}
	if !os.SameFile(fi, w.id) {
		return errors.New("log file replaced by another file")
	}
	return nil
}

// fail makes the Writer failed with err, unless it already is; mu is held.
func (w *Writer) fail(op string, err error) error {
	if w.err == nil {
		w.err = &IOError{Op: op, Path: w.path, Err: err}
		w.cond.Broadcast()
	}
	return w.err
}

// MoveTo renames the log file to path, replacing the file there, and goes by that path from
// then on: a sync checks that path still names the file. A log filled under a temporary name
// takes the log's place this way without being read again. Appends wait meanwhile.
func (w *Writer) MoveTo(path string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.syncing {
		w.cond.Wait()
	}
	if w.err != nil {
		return w.err
	}
	if err := w.fsys.Rename(w.path, path); err != nil {
		return err
	}
	w.path = path
	return nil
}

// Close syncs every appended record and closes the file. It returns the Writer's failure, if
// any; calling it again returns the same result.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.done {
		w.mu.Unlock()
		return w.doneErr
	}
	w.closed = true
	last := w.lastOp
	w.mu.Unlock()

	err := w.Sync(last)

	w.mu.Lock()
	defer w.mu.Unlock()
	for w.syncing {
		w.cond.Wait()
	}
	if w.done {
		return w.doneErr
	}
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = &IOError{Op: "close", Path: w.path, Err: cerr}
	}
	w.done, w.doneErr = true, err
	w.cond.Broadcast()
	return err
}
