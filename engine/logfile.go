package engine

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"holdfast/journal"
)

// logError turns a journal error into the user's error: 1408 for a damaged or unreadable log.
func logError(op, path string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeLogIO, Op: op, Path: path, Err: err}
}

// openLog is steps 2 and 3 of the self-check (S3.5) for the log: open the current log for
// appending (a torn tail is cut), check that it belongs to this data file, and integrate what the
// data file lacks.
func (db *DB) openLog() error {
	v := db.Values()
	if !v.Log.Use {
		return nil
	}
	path := v.Log.File(db.dir)
	if db.logPending() {
		// Asked for while the data had changed since the last backup: it starts after the next
		// backup. A file at its path is an older log, not this one.
		db.report.LogPending = true
		return nil
	}
	if _, err := db.fs.Stat(path); errors.Is(err, os.ErrNotExist) {
		return db.goOnWithoutLog(path, &Error{Code: CodeLogIO, Op: "open log", Path: path, Err: logMissing})
	}
	db.cleanSwitchLeftovers(path)
	// Every check runs before the log is touched: a log that is refused keeps its bytes (its
	// torn tail is cut only once it is accepted). A read-only open does not come here.
	w, info, err := journal.OpenAppendChecked(db.fs, path, func(info journal.AppendInfo) error {
		return db.checkLogFits(path, info)
	})
	if err != nil {
		return db.goOnWithoutLog(path, logError("open log", path, err))
	}
	fail := func(err error) error { w.Close(); return err }
	if err := db.recordSwitchedBackup(); err != nil {
		return fail(err)
	}
	if err := db.cutClosedLogs(info.Header.FirstOp); err != nil {
		return fail(err)
	}
	db.report.TornTail = info.Torn
	if info.Torn != nil {
		db.journalNote(fmt.Sprintf("Log file %s: torn tail of %d bytes at offset %d removed (an interrupted write).", path, info.Torn.Bytes, info.Torn.Offset))
	}
	failed, durable := db.logFailure()
	last := info.LastOp
	if failed && durable < last {
		last = durable // what came after was refused with 1274, never acknowledged
	}
	if last > db.ckptOp {
		if err := db.catchUp(path, last); err != nil {
			return fail(err)
		}
	}
	if db.nextOp <= info.LastOp {
		db.nextOp = info.LastOp + 1
	}
	if db.readOnly == nil {
		db.log = w
		if failed {
			db.logErr = errFailedBefore(path, durable)
		}
	} else {
		w.Close()
	}
	return nil
}

// checkLogFits refuses a log that is not this data file's: another database's (1416), one that
// starts after the data file's last operation (1416), or one that lost acknowledged operations
// (1408, checkLogEnd).
func (db *DB) checkLogFits(path string, info journal.AppendInfo) error {
	if info.Header.DBID != db.id {
		return &Error{Code: CodeForeignLog, Op: "open log", Path: path, Err: fmt.Errorf("its database identity %x is not this data file's %x", info.Header.DBID, db.id)}
	}
	if info.Header.FirstOp > db.ckptOp+1 {
		return &Error{Code: CodeForeignLog, Op: "open log", Path: path, Err: fmt.Errorf("it starts at operation %d but the data file stops at %d: operations in between are in no log", info.Header.FirstOp, db.ckptOp)}
	}
	return db.checkLogEnd(path, info)
}

// catchUp integrates the operations of the current log that the data file lacks, up to lastOp
// (S3.5 step 2), or leaves the database read-only when they are not to be integrated.
func (db *DB) catchUp(path string, lastOp uint64) error {
	r, err := journal.OpenReader(db.fs, path)
	if err != nil {
		return logError("read log", path, err)
	}
	n, from, to, err := countMissing(&untilSource{src: r, until: Until{Op: lastOp}}, db.ckptOp)
	r.Close()
	if err != nil {
		return logError("read log", path, err)
	}
	if n == 0 {
		// Only markers (open, close, contexts) or unfinished transactions: nothing to apply.
		return db.advanceApplied(lastOp)
	}
	inc := Incomplete{From: from, To: to, Operations: n}
	if !db.Values().Restore.AutoIntegrateLog && (db.opts.Integrate == nil || !db.opts.Integrate(inc)) {
		db.report.Incomplete = &inc
		db.readOnly = &Error{Code: CodeIncomplete, Op: "write", Err: fmt.Errorf("the log holds %d operation(s) (%d to %d) that the data file lacks", n, from, to)}
		return nil
	}
	if r, err = journal.OpenReader(db.fs, path); err != nil {
		return logError("read log", path, err)
	}
	defer r.Close()
	db.progress = filesProgress([]string{path}, db.opts.Progress)(0)
	defer func() { db.progress = nil }()
	pf := newPrefetch(r)
	defer pf.Close()
	applied, err := db.integrate(&untilSource{src: pf, until: Until{Op: lastOp}}, true)
	if err != nil {
		return err
	}
	db.report.Integrated = applied
	db.journalNote(fmt.Sprintf("Automatic integration of the log file %s: %d operation(s) up to operation %d.", path, applied, db.ckptOp))
	return nil
}

// advanceApplied records that the data file is complete up to op.
func (db *DB) advanceApplied(op uint64) error {
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		return putProgress(tx.Bucket(bucketMeta), op, db.lastChange)
	})
	if err != nil {
		return &Error{Code: CodeDataIO, Op: "write data file", Path: dataPath(db.dir, db.name), Err: err}
	}
	db.ckptOp, db.visibleOp = op, op
	return nil
}

// backupNum is the number of the last backup the data file records (0: none).
func (db *DB) backupNum() uint32 {
	var n uint64
	db.bolt.View(func(tx *bolt.Tx) error { n = getU64(tx.Bucket(bucketMeta), keyBackupNum); return nil })
	return uint32(n)
}

func (db *DB) logPending() bool {
	var pending bool
	db.bolt.View(func(tx *bolt.Tx) error {
		pending = getU64(tx.Bucket(bucketMeta), keyLogPending) == 1
		return nil
	})
	return pending
}

// createLog starts a new log that continues the operation numbers.
func (db *DB) createLog(path string) (*journal.Writer, error) {
	return createLogFile(db.fs, path, journal.Header{DBID: db.id, BackupNum: db.backupNum(), FirstOp: db.nextOp, Created: time.Now()})
}

func createLogFile(fsys journal.FS, path string, h journal.Header) (*journal.Writer, error) {
	if err := fsys.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, &Error{Code: CodeLogIO, Op: "create log", Path: path, Err: err}
	}
	w, err := journal.Create(fsys, path, h)
	if err != nil {
		return nil, &Error{Code: CodeLogIO, Op: "create log", Path: path, Err: err}
	}
	return w, nil
}

// LogStatus describes the log file.
type LogStatus struct {
	Use     bool   // log.use
	Path    string // where it is
	Open    bool   // being written
	Pending bool   // asked for, starts after the next backup
	Size    int64
	FirstOp uint64
	LastOp  uint64
	Durable uint64
	Failed  error // the 1274 error, if the log became unavailable
	// CheckpointErr is why the last checkpoint failed (data file disk full...), or nil: the
	// writes are safe in the log, but the cache grows until a checkpoint succeeds.
	CheckpointErr error
	Applied       uint64
	Incomplete    *Incomplete // operations of the log left out of the data file (read-only until integrated)
}

// LogStatus returns the state of the log file. It does not wait for wmu, which an integration
// holds to its end.
func (db *DB) LogStatus() LogStatus {
	db.infoMu.Lock()
	log, failed, inc := db.log, db.logErr, db.report.Incomplete
	db.infoMu.Unlock()
	v := db.Values()
	st := LogStatus{Use: v.Log.Use, Path: v.Log.File(db.dir), Failed: failed, Incomplete: inc}
	st.Pending = db.logPending()
	if log != nil {
		st.Open, st.Size, st.FirstOp = true, log.Size(), log.Header().FirstOp
		st.LastOp, st.Durable = log.LastOp(), log.Durable()
	}
	db.vmu.RLock()
	st.Applied, st.CheckpointErr = db.ckptOp, db.ckptErr
	db.vmu.RUnlock()
	return st
}

// StartLog turns the log on at path ("" = log.path). It starts at once when the data file is
// blank or unchanged since the last backup; otherwise the request is recorded, the log starts
// right after the next backup, and the error says so (2015).
func (db *DB) StartLog(path string) error {
	s := db.settings.Load().Clone()
	if path == "" {
		path = s.Values().Log.Path
	}
	s.SetLogUse(true)
	if err := s.SetLogPath(path); err != nil {
		return &Error{Code: CodeBadSetting, Op: "log create", Err: err}
	}
	if err := db.checkpoint(); err != nil {
		return err
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.log != nil {
		return &Error{Code: CodeExists, Op: "log create", Path: db.LogPath(), Err: errors.New("the log is already on; stop it first to start another one")}
	}
	if db.readOnly != nil {
		return db.writableLocked()
	}
	abs := path
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(db.dir, abs)
	}
	var backupOp uint64
	db.bolt.View(func(tx *bolt.Tx) error { backupOp = getU64(tx.Bucket(bucketMeta), keyBackupOp); return nil })
	if db.lastChange != 0 && db.lastChange > backupOp {
		if err := db.setLogPending(true); err != nil {
			return err
		}
		if err := db.saveSettings(s); err != nil {
			return err
		}
		return &Error{Code: CodeLogRequiresBkp, Op: "log create", Path: abs}
	}
	if _, err := db.fs.Stat(abs); err == nil {
		return &Error{Code: CodeExists, Op: "log create", Path: abs, Err: errors.New("a file is already there; choose another name, or move it away")}
	}
	w, err := db.createLog(abs)
	if err != nil {
		return err
	}
	if err := db.saveSettings(s); err != nil {
		w.Close()
		db.fs.Remove(abs)
		return err
	}
	if err := db.setLogPending(false); err != nil {
		w.Close()
		db.fs.Remove(abs)
		return err
	}
	db.infoMu.Lock()
	db.log, db.logErr = w, nil
	db.infoMu.Unlock()
	return nil
}

func (db *DB) setLogPending(on bool) error {
	v := uint64(0)
	if on {
		v = 1
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyLogPending, u64(v)) })
	if err != nil {
		return &Error{Code: CodeDataIO, Op: "write data file", Path: dataPath(db.dir, db.name), Err: err}
	}
	return nil
}

// StopLog closes the log at once and turns log.use off: from now on a write is acknowledged
// once the data file's own commit is on disk. Everything logged is checkpointed first.
func (db *DB) StopLog() error {
	db.ckptMu.Lock()
	defer db.ckptMu.Unlock()
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.log != nil && db.logErr == nil {
		if err := db.log.Sync(db.log.LastOp()); err != nil {
			return logError("stop log", db.LogPath(), err)
		}
	}
	if err := db.checkpointLocked(); err != nil {
		return err
	}
	if db.log != nil {
		db.log.Close()
	}
	db.batches = nil
	s := db.settings.Load().Clone()
	s.SetLogUse(false)
	db.infoMu.Lock()
	db.log, db.logErr = nil, nil
	db.infoMu.Unlock()
	db.setLogPending(false)
	return db.saveSettings(s)
}

// cleanSwitchLeftovers undoes a log switch a crash interrupted (see switchLog and
// switchLogAt): a new log that never replaced the log, and a closed log's name (a backup's or
// a segment's) that still names the log itself.
func (db *DB) cleanSwitchLeftovers(path string) {
	os.Remove(path + ".new")
	cur, err := os.Stat(path)
	if err != nil {
		return
	}
	for _, c := range db.ClosedLogs() {
		if fi, err := os.Stat(c); err == nil && os.SameFile(fi, cur) {
			os.Remove(c)
		}
	}
}

// logMissing says what to do about a missing log.
var logMissing = Advice{
	Command: "the log file is missing: put it back (or set log.path to where it is); or, to go on without the operations it held after the data file's last checkpoint, back up the data file as it is and start a new log (holdfast log DB new), or stop the log (holdfast log DB stop); or open the database read-only",
	Window:  "the log file is missing: put it back; or, to go on without the operations it held after the data file's last checkpoint, open the database without its log (Open Without the Log) and back up the data file as it is (File > Backup...), which starts a new log; or open the database read-only (Open Read-Only)",
}

// goOnWithoutLog is what an open does with a log it cannot use (cause): it fails, unless it is
// opened WithoutLog. Then the database opens without the log: what can be read of a log of
// this database, up to its damage, is integrated first, the file is left as it is, and writes
// are refused (1274) until a backup starts a new log (see replaceFailedLog) or the log is
// stopped. (A read-only open never looks at the log.)
func (db *DB) goOnWithoutLog(path string, cause error) error {
	if !db.opts.WithoutLog {
		return cause
	}
	db.report.LogMissing = cause
	n, err := db.integrateReadable(path)
	if err != nil {
		return err
	}
	db.report.Integrated = n
	db.logErr = &Error{Code: CodeLogUnavailable, Op: "write", Path: path,
		Err: fmt.Errorf("the database was opened without its log (%w); writes are refused until a backup starts a new log", cause)}
	db.journalNote(fmt.Sprintf("Opened without the log file %s (%v): %d operation(s) read from it integrated; writes wait for a backup, which starts a new log.", path, cause, n))
	return nil
}

// integrateReadable integrates the operations of the log at path that the data file lacks, up
// to the first damage, when it is a log of this data file; it returns how many were applied.
func (db *DB) integrateReadable(path string) (int, error) {
	r, err := journal.OpenReader(db.fs, path)
	if err != nil {
		return 0, nil // nothing readable
	}
	defer r.Close()
	if h := r.Header(); h.DBID != db.id || h.FirstOp > db.ckptOp+1 {
		return 0, nil
	}
	return db.integrate(&untilDamage{src: r}, true)
}

// untilDamage reads a log up to its first damage, which it takes for the end.
type untilDamage struct{ src *journal.Reader }

func (u *untilDamage) Next() (journal.Record, error) {
	rec, err := u.src.Next()
	if err != nil && err != io.EOF {
		return journal.Record{}, io.EOF
	}
	return rec, err
}

func (u *untilDamage) Offset() int64 { return u.src.Offset() }
