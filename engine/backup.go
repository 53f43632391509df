package engine

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"holdfast/journal"
)

// BackupSnapshot is the data file at one operation number, taken for a backup without stopping
// writers (S3.7): a bbolt read transaction on a data file checkpointed up to that operation.
// Writers go on meanwhile; the log is switched at the snapshot's operation when the backup
// commits, and not at all when it is aborted, so a failed or stopped backup changes nothing.
type BackupSnapshot struct {
	db     *DB
	Op     uint64 // the snapshot's operation number: the data file holds every operation up to it
	Number uint32 // the backup's number
	btx    *bolt.Tx
	logOff int64           // end of the log's records at Op, or -1 when the log is not being written
	log    *journal.Writer // the log logOff is in
	done   bool
	// Committed is set by Commit once the backup counts as done: the log follows it (or, with
	// no log, the data file records it). A Commit that fails after that point returns its
	// error with Committed set.
	Committed bool
	ended     chan struct{} // closed when the backup ends
}

// BeginBackup takes the snapshot of backup number for a backup (S6.2 step 3). Only one backup
// runs at a time (1415). It works in the 1274 state too: a backup is how a database gets a new
// log after its log failed.
func (db *DB) BeginBackup(number uint32) (*BackupSnapshot, error) {
	db.ckptMu.Lock()
	defer db.ckptMu.Unlock()
	db.wmu.Lock()
	defer db.wmu.Unlock()
	switch {
	case db.closed:
		return nil, &Error{Code: CodeClosed, Op: "backup"}
	case db.opts.ReadOnly:
		return nil, db.readOnly
	case db.backup != nil:
		return nil, &Error{Code: CodeBusy, Op: "backup", Err: fmt.Errorf("backup %d is running", db.backup.Number)}
	case db.Damaged() != nil:
		// A backup of a data file known damaged would restore to nothing (1411) and could push
		// good backups out of those kept.
		return nil, db.Damaged()
	}
	s := &BackupSnapshot{db: db, Number: number, logOff: -1, ended: make(chan struct{})}
	if db.log != nil && db.logErr == nil {
		if err := db.log.Sync(db.log.LastOp()); err != nil {
			db.failLogLocked(err)
		} else {
			s.logOff, s.log = db.log.Size(), db.log
		}
	}
	if err := db.checkpointLocked(); err != nil {
		return nil, err
	}
	s.Op = db.ckptOp
	btx, err := db.bolt.Begin(false)
	if err != nil {
		return nil, &Error{Code: CodeDataIO, Op: "backup", Path: dataPath(db.dir, db.name), Err: err}
	}
	s.btx = btx
	db.backup = s
	db.backupNow.Store(s)
	return s, nil
}

// WrittenWithin reports whether data changed in the last d: a backup uses it to leave a
// processor to the database's writers while they are busy.
func (db *DB) WrittenWithin(d time.Duration) bool {
	last := db.lastWrite.Load()
	return last != 0 && time.Since(time.Unix(0, last)) < d
}

// ChangedSinceBackup reports whether data changed since the last backup (S6.7's "backup only
// if the data file has been modified").
// A database never backed up counts as changed.
func (db *DB) ChangedSinceBackup() bool {
	var backupOp, backupNum uint64
	db.bolt.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		backupOp, backupNum = getU64(m, keyBackupOp), getU64(m, keyBackupNum)
		return nil
	})
	db.vmu.RLock()
	defer db.vmu.RUnlock()
	return backupNum == 0 || db.lastChange > backupOp
}

// Size is the size of the data file in the snapshot.
func (s *BackupSnapshot) Size() int64 { return s.btx.Size() }

// WriteTo writes the data file as of the snapshot: a complete bbolt file.
func (s *BackupSnapshot) WriteTo(w io.Writer) (int64, error) { return s.btx.WriteTo(w) }

// Abort ends a backup that failed or was stopped: nothing changes, the log goes on.
func (s *BackupSnapshot) Abort() {
	if s.done {
		return
	}
	s.done = true
	if s.btx != nil {
		s.btx.Rollback()
	}
	s.db.wmu.Lock()
	s.db.backup = nil
	s.db.backupNow.Store(nil)
	s.db.wmu.Unlock()
	close(s.ended)
}

// Commit ends a backup whose archive is written and verified. The log is switched at the
// snapshot: a new log following this backup takes the operations after the snapshot, and the
// closed log, cut at the snapshot, is left beside it for the caller to archive as a log backup
// (see ClosedLogs). A log asked for while the data had changed (S3.4) starts now. Then the data
// file records the backup as its last one. It returns the closed log's path ("" if none).
//
// The log's rename is the point of no return: once a log that follows this backup is in place,
// the backup counts as done (Committed), even when a later step fails; an open that finds the
// data file not yet recording it records it then (see openLog).
func (s *BackupSnapshot) Commit() (string, error) {
	if s.done {
		return "", &Error{Code: CodeTxState, Op: "backup", Err: errors.New("the backup already ended")}
	}
	db := s.db
	// The snapshot is written: end its read transaction before writing the data file (a write
	// that grows the file remaps it, and a remap waits for every reader).
	s.btx.Rollback()
	s.btx = nil
	defer s.Abort()
	// What writers logged during the backup goes into the new log before wmu is taken: writers
	// wait only for the copy of what they logged during the last round (S3.7).
	tail := db.copyTailAhead(s)
	defer tail.discard()
	closed, cut, err := s.commitLocked(tail)
	if cut {
		// The closed log is cut once writers go on: a crash before the cut leaves it whole,
		// and the next open, or the next backup's archiving, cuts it where the log starts.
		if cerr := cutClosedAt(closed, s.logOff); err == nil {
			err = cerr
		}
	}
	return closed, err
}

// commitLocked is Commit's part under wmu: the log's switch and the record of the backup in
// the data file. cut is whether the closed log it returns is still to be cut at the snapshot.
func (s *BackupSnapshot) commitLocked(tail *tailCopy) (closed string, cut bool, err error) {
	db := s.db
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.closed {
		return "", false, &Error{Code: CodeClosed, Op: "backup"}
	}
	if s.logOff >= 0 && db.logErr != nil {
		// The log failed after the snapshot: writes acknowledged since are only in the failed
		// log. This backup cannot be the base of a new log; the next one, taken in the 1274
		// state, can.
		return "", false, &Error{Code: CodeLogUnavailable, Op: "backup", Err: errors.New("the log failed during the backup; back up again to start a new log")}
	}
	switch {
	case db.log != nil && db.logErr == nil && s.logOff >= 0:
		same := db.log == s.log
		closed, err = db.switchLog(s, tail)
		// A log started since the snapshot (stopped and started again) is not cut at logOff:
		// the next open, or archiving, cuts it where the new log starts.
		cut = closed != "" && same
	case db.log != nil || db.logErr != nil:
		// A log that failed, or none (opened without it): a new one follows this backup.
		closed, err = db.replaceFailedLog(s)
	case db.logPending():
		_, err = db.startPendingLog(s)
	}
	if err != nil && !db.logFileFollows(s.Number) {
		return closed, false, err // the log is as it was: the backup did not happen
	}
	s.Committed = true
	if rerr := db.recordBackup(s.Number, s.Op); err == nil {
		err = rerr
	}
	return closed, cut, err
}

// recordBackup writes in the data file that backup number, taken at operation op, is the last.
func (db *DB) recordBackup(number uint32, op uint64) error {
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if err := m.Put(keyBackupOp, u64(op)); err != nil {
			return err
		}
		if err := clearLogFailure(tx); err != nil {
			return err
		}
		return m.Put(keyBackupNum, u64(uint64(number)))
	})
	if err != nil {
		return &Error{Code: CodeDataIO, Op: "backup", Path: dataPath(db.dir, db.name), Err: err}
	}
	return nil
}

// recordSwitchedBackup records in the data file the backup that the log file on disk follows,
// when the data file does not record it yet: a backup whose log was switched and that ended
// (killed, or a write of the data file failing) before the data file recorded it. A log's
// header names the backup it follows, and it starts just after that backup's snapshot. wmu is
// held, or the database is being opened.
func (db *DB) recordSwitchedBackup() error {
	h, ok := db.switchUnrecorded()
	if !ok {
		return nil
	}
	if err := db.recordBackup(h.BackupNum, h.FirstOp-1); err != nil {
		return err
	}
	db.journalNote(fmt.Sprintf("Backup %d had switched the log when it was interrupted: the data file now records it as its last backup (snapshot at operation %d).", h.BackupNum, h.FirstOp-1))
	return nil
}

// switchUnrecorded returns the header of the log file on disk when it follows a backup that the
// data file does not record yet (see recordSwitchedBackup).
func (db *DB) switchUnrecorded() (journal.Header, bool) {
	if db.opts.ReadOnly {
		return journal.Header{}, false
	}
	r, err := journal.OpenReader(db.fs, db.LogPath())
	if err != nil {
		return journal.Header{}, false // no log to go by
	}
	h := r.Header()
	r.Close()
	return h, h.DBID == db.id && h.BackupNum > db.backupNum() && h.FirstOp != 0
}

// logFileFollows reports whether the log file on disk follows backup number (its header says so).
func (db *DB) logFileFollows(number uint32) bool {
	r, err := journal.OpenReader(db.fs, db.LogPath())
	if err != nil {
		return false
	}
	defer r.Close()
	return r.Header().BackupNum == number
}

// LastBackup returns the number and snapshot operation of the last backup the data file
// records (0, 0: none). A backup whose log switch was done but not yet recorded in the data
// file (a failure between the two) is recorded now, as an open would. Only then does it wait
// for wmu, which an integration holds to its end.
func (db *DB) LastBackup() (number uint32, op uint64, err error) {
	if _, unrecorded := db.switchUnrecorded(); unrecorded {
		db.wmu.Lock()
		err := db.recordSwitchedBackup()
		db.wmu.Unlock()
		if err != nil {
			return 0, 0, err
		}
	}
	db.bolt.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		number, op = uint32(getU64(m, keyBackupNum)), getU64(m, keyBackupOp)
		return nil
	})
	return number, op, nil
}

// closedLogPath names the closed log that follows backup n, beside the log file.
func (db *DB) closedLogPath(n uint32) string {
	return fmt.Sprintf("%s.closed[%04d]", db.LogPath(), n)
}

// BackupRunning reports whether a backup holds its snapshot now.
func (db *DB) BackupRunning() bool {
	return db.backupNow.Load() != nil // no lock: a window asks, and an integration may hold wmu long
}

// ClosedLogs lists closed logs waiting to be archived as log backups: "<log>.closed[NNNN]",
// closed by a backup, and "<log>.closed[NNNN-SSSS]", closed by New Log File (see NewLog). One
// whose archiving failed stays for the next backup or New Log File to archive.
func (db *DB) ClosedLogs() []string {
	dir, base := filepath.Split(db.LogPath())
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, base+".closed[") && strings.HasSuffix(n, "]") && e.Type().IsRegular() {
			out = append(out, filepath.Join(dir, n))
		}
	}
	return out
}

// Rounds of copyTailAhead: they end once what is left to copy is below switchRemainder, or
// after switchRounds of them (writers logging faster than a round copies).
const (
	switchRemainder = 256 << 10
	switchRounds    = 8
)

// tailCopy is the new log that a backup's commit fills with what writers logged during the
// backup, under a temporary name beside the log (its path with .new).
type tailCopy struct {
	db    *DB
	old   *journal.Writer // the log it copies from
	w     *journal.Writer // the new log, nil once it became the log or was discarded
	fresh string          // its temporary name
	off   int64           // offset in the old log up to which its records are copied
	op    uint64          // the snapshot's operation: records after it are copied
}

// newTailCopy starts the new log that follows backup s, at path.new; nothing is copied yet.
func (db *DB) newTailCopy(s *BackupSnapshot, old *journal.Writer) (*tailCopy, error) {
	fresh := db.LogPath() + ".new"
	os.Remove(fresh)
	w, err := createLogFile(db.fs, fresh, journal.Header{DBID: db.id, BackupNum: s.Number, FirstOp: s.Op + 1, Created: time.Now()})
	if err != nil {
		return nil, err
	}
	t := &tailCopy{db: db, old: old, w: w, fresh: fresh, off: s.logOff, op: s.Op}
	if old != s.log {
		t.off = journal.HeaderSize // a log started since the snapshot: all of it comes after
	}
	return t, nil
}

// copyTailAhead copies, without wmu, what writers logged during backup s into a new log, in
// rounds while they go on: each round copies and syncs what was written to the log until it
// began, so that the switch under wmu has only what came during the last round left to copy
// and sync. It returns nil when the log is not to be switched, or when something failed: the
// switch then does it all (and reports the failure).
func (db *DB) copyTailAhead(s *BackupSnapshot) *tailCopy {
	db.wmu.Lock()
	old := db.log
	ok := old != nil && old == s.log && db.logErr == nil && !db.closed
	db.wmu.Unlock()
	if !ok || fileExists(db.closedLogPath(old.Header().BackupNum)) {
		return nil
	}
	t, err := db.newTailCopy(s, old)
	if err != nil {
		return nil
	}
	for range switchRounds {
		end := old.Size()
		if end-t.off < switchRemainder {
			break
		}
		if err := t.copyTo(end); err == nil {
			err = t.w.Sync(t.w.LastOp())
		}
		if err != nil {
			t.discard()
			return nil
		}
	}
	return t
}

// copyTo appends to the new log the records of the old log up to offset end (a size the old
// log's Writer reported: records end there) whose operation is after the snapshot's.
func (t *tailCopy) copyTo(end int64) error {
	r, err := journal.OpenRange(journal.OSFS{}, t.db.LogPath(), t.off, end)
	if err != nil {
		return err
	}
	defer r.Close()
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if rec.Op > t.op {
			if err := t.w.Append(&rec); err != nil {
				return err
			}
		}
	}
	t.off = end
	return nil
}

// discard closes and removes a new log that did not become the log; nil does nothing.
func (t *tailCopy) discard() {
	if t == nil || t.w == nil {
		return
	}
	t.w.Close()
	os.Remove(t.fresh)
	t.w = nil
}

// switchLog moves the operations logged after the snapshot into a new log that follows this
// backup (tail, which holds what copyTailAhead copied of them, or a fresh one), and leaves the
// old log under the closed log's name, to be cut at the snapshot. wmu is held: writers wait
// for the copy of what tail lacks. Every step leaves a log that opens: the new log replaces the
// old one in one rename, and the old one keeps a second name until it is cut. It returns the
// closed log's path once the new log is the log and the closed log is to be cut.
func (db *DB) switchLog(s *BackupSnapshot, tail *tailCopy) (string, error) {
	path := db.LogPath()
	old := db.log
	if err := old.Sync(old.LastOp()); err != nil {
		return "", db.failLogLocked(err)
	}
	closed := db.closedLogPath(old.Header().BackupNum)
	if _, err := os.Stat(closed); err == nil {
		return "", &Error{Code: CodeExists, Op: "switch log", Path: closed, Err: errors.New("a closed log of the same number waits to be archived; archive or move it first")}
	}
	if tail == nil || tail.old != old {
		tail.discard()
		var err error
		if tail, err = db.newTailCopy(s, old); err != nil {
			return "", err
		}
	}
	defer tail.discard()
	if err := tail.copyTo(old.Size()); err != nil {
		return "", logError("switch log", path, err)
	}
	w := tail.w
	if err := w.Sync(w.LastOp()); err != nil {
		return "", logError("switch log", tail.fresh, err)
	}
	if err := os.Link(path, closed); err != nil {
		return "", logError("switch log", closed, err)
	}
	// The closed log's name must be on disk before the rename replaces the log: a crash that
	// kept the rename but not the link would lose the old log.
	if err := db.fs.SyncDir(filepath.Dir(path)); err != nil {
		os.Remove(closed)
		return "", logError("switch log", closed, err)
	}
	if err := w.MoveTo(path); err != nil {
		os.Remove(closed)
		return "", logError("switch log", path, err)
	}
	// From here the new log is the log, and its Writer, which filled it, writes it on.
	tail.w = nil
	db.infoMu.Lock()
	db.log = w
	db.infoMu.Unlock()
	old.Close()
	if err := db.fs.SyncDir(filepath.Dir(path)); err != nil {
		return "", db.failLogLocked(err)
	}
	return closed, nil
}

// cutClosedAt cuts a backup's closed log at the snapshot: the new log holds what came after.
func cutClosedAt(closed string, off int64) error {
	if err := os.Truncate(closed, off); err != nil {
		return logError("cut closed log", closed, err)
	}
	if err := syncFile(closed); err != nil {
		return logError("cut closed log", closed, err)
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// replaceFailedLog ends the 1274 state (S3.4): the backup holds everything that was
// acknowledged, so a new log following it starts after the snapshot and writes are accepted
// again. The failed log is kept as a closed log, cut at the snapshot, when it can still be read
// and is this database's; otherwise it is set aside under another name (a missing one stays
// missing).
func (db *DB) replaceFailedLog(s *BackupSnapshot) (string, error) {
	path := db.LogPath()
	if db.log != nil {
		db.log.Close()
		db.infoMu.Lock()
		db.log = nil
		db.infoMu.Unlock()
	}
	closed, whole := "", false
	if h, recs, _, err := journal.ReadAll(db.fs, path); err == nil && h.DBID == db.id {
		closed = db.closedLogPath(h.BackupNum)
		if err := keepClosedCopy(db.fs, closed, h, recs, s.Op); err != nil {
			closed = ""
		}
		whole = len(recs) == 0 || recs[len(recs)-1].Op <= s.Op
	}
	switch {
	case !fileExists(path):
	case closed != "" && whole:
		os.Remove(path) // every record of it is in the closed copy
	default:
		// Unreadable, another database's, or holding records after the snapshot (refused
		// writes, or a log that did not follow this data file): kept aside, never deleted.
		os.Rename(path, fmt.Sprintf("%s.failed-%d", path, time.Now().Unix()))
	}
	db.nextOp = s.Op + 1 // operations numbered after the failure were never acknowledged
	return closed, db.startLog(s)
}

// startLog starts a new log following backup s and makes it the log; wmu is held.
func (db *DB) startLog(s *BackupSnapshot) error {
	w, err := createLogFile(db.fs, db.LogPath(), journal.Header{DBID: db.id, BackupNum: s.Number, FirstOp: s.Op + 1, Created: time.Now()})
	if err != nil {
		return err
	}
	db.infoMu.Lock()
	db.log, db.logErr = w, nil
	db.infoMu.Unlock()
	db.epoch++
	return db.setLogPending(false)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// keepClosedCopy writes the records up to op of a failed log as a closed log.
func keepClosedCopy(fsys journal.FS, path string, h journal.Header, recs []journal.Record, op uint64) error {
	w, err := journal.Create(fsys, path, h)
	if err != nil {
		return err
	}
	for i := range recs {
		if recs[i].Op > op {
			break
		}
		if err := w.Append(&recs[i]); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}

// startPendingLog starts the log asked for while the data had changed (S3.4): it follows this
// backup. With the log off, what was written during the backup went only to the data file, so
// the log can follow the backup only if nothing was; otherwise the request waits for the next
// backup. A file already at the log's path (an older log) is kept under another name.
func (db *DB) startPendingLog(s *BackupSnapshot) (bool, error) {
	if db.nextOp-1 != s.Op {
		return false, nil
	}
	path := db.LogPath()
	if fileExists(path) {
		if err := os.Rename(path, fmt.Sprintf("%s.old-%d", path, time.Now().Unix())); err != nil {
			return false, logError("start log", path, err)
		}
	}
	return true, db.startLog(s)
}
