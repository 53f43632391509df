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

// Restored says how a database folder whose data file was just extracted from a backup
// becomes a database again (S3.5, S3.6, S9 restore).
type Restored struct {
	Backup    uint32   // the backup the data file comes from
	Operation uint64   // the operation number of that backup's snapshot
	Logs      []string // log files to integrate, oldest first (log backups, then a current log)
	Until     Until    // where integration stops; the zero value: at the end of the last log

	// ContinueAfter, when beyond what the logs reach, is the last operation number ever used
	// (a rollback): the data file is recorded as holding everything up to it (the operations
	// after Until undone, as a change at that operation), and the new log starts after it, so
	// that no number is used twice and no chain of older logs can lead into the new one.
	ContinueAfter uint64

	// Skip are ranges of operations the logs hold that are not applied: those a rollback
	// undid (see Timeline). Operation numbers go on through them.
	Skip []OpRange

	// Stop, when closed, stops the integration after the batch under way: OpenRestored then
	// fails with 1406, and the folder is to be thrown away.
	Stop <-chan struct{}
}

// Until is a point in time to integrate up to: an operation number, a moment, or both (the
// earlier one wins). Operations after it are not applied; a transaction validated after it is
// not either.
type Until struct {
	Op   uint64    // 0: no limit
	Time time.Time // zero: no limit
}

// IsSet reports whether u limits anything.
func (u Until) IsSet() bool { return u.Op != 0 || !u.Time.IsZero() }

func (u Until) String() string {
	switch {
	case u.Op != 0 && !u.Time.IsZero():
		return fmt.Sprintf("operation %d or %s", u.Op, u.Time.Format(time.RFC3339))
	case u.Op != 0:
		return fmt.Sprintf("operation %d", u.Op)
	}
	return u.Time.Format(time.RFC3339)
}

// RestoreReport says what OpenRestored did.
type RestoreReport struct {
	Integrated int    // data operations applied from the logs
	Reached    uint64 // the operation the data file holds everything up to
	Stopped    bool   // integration stopped at the Until limit (false: the logs ended first)
}

// restoreBatch is the size of the integration's batches in a restore (see OpenRestored).
const restoreBatch = 10000

// OpenRestored opens a database folder restored from a backup. The data file is recorded as
// backup r.Backup at r.Operation; the logs are integrated one after the other (validated
// transactions only, operations the data file holds skipped, a gap in the chain refused with
// 1412, a log of another database with 1416), up to r.Until. The log path is reset to its
// default place inside the folder (a restored copy never writes into the original's log), and
// when log.use is on a new empty log starts that continues the operation numbers.
func OpenRestored(dir string, r Restored, opts Options) (*DB, RestoreReport, error) {
	var rep RestoreReport
	opts.ReadOnly = false
	db, err := openRestoredData(dir, opts)
	if err != nil {
		return nil, rep, err
	}
	bdb := db.bolt
	fail := func(err error) (*DB, RestoreReport, error) {
		if db.log != nil {
			db.log.Close()
		}
		db.closeData()
		return nil, rep, err
	}
	if r.Backup > 0 {
		err := bdb.Update(func(tx *bolt.Tx) error {
			m := tx.Bucket(bucketMeta)
			if err := m.Put(keyBackupOp, u64(r.Operation)); err != nil {
				return err
			}
			if err := m.Put(keyLogPending, u64(0)); err != nil {
				return err
			}
			return m.Put(keyBackupNum, u64(uint64(r.Backup)))
		})
		if err != nil {
			return fail(&Error{Code: CodeDataIO, Op: "write data file", Path: dataPath(db.dir, db.name), Err: err})
		}
	}
	// The folder is new and nothing refers to it until the restore is done: the batches of
	// the integration need not each wait for the disk, nor each growth of the file (bbolt
	// syncs the file at every 16 MB it grows by). One sync at the end makes them durable.
	bdb.NoSync, bdb.NoGrowSync = true, true
	// The disk writes each batch while the next one is integrated, so that little is left
	// for the sync at the end; smaller batches start it sooner (on 200,000 additions,
	// 294k ops/s in batches of 10,000 against 247k in batches of 50,000).
	db.batchOps = restoreBatch
	if f, err := (journal.OSFS{}).OpenFile(dataPath(db.dir, db.name), os.O_RDONLY, 0); err == nil {
		if wb, ok := f.(interface{ StartWriteback(off, n int64) error }); ok {
			db.afterBatch = func() { wb.StartWriteback(0, 0) } // advice: errors surface at Sync
		}
		defer f.Close()
	}
	reportFile := filesProgress(r.Logs, opts.Progress)
	db.stopInteg = r.Stop
	defer func() { db.progress, db.stopInteg = nil, nil }()
	for i, p := range r.Logs {
		if stopped(r.Stop) {
			return fail(&Error{Code: CodeBackupInterrupted, Op: "restore", Path: dir, Err: errors.New("stopped while integrating the log files; nothing is kept")})
		}
		db.progress = reportFile(i)
		n, reached, err := db.integrateUntil(p, r.Until, r.Skip)
		rep.Integrated += n
		if err != nil {
			return fail(err)
		}
		if db.brokeOff {
			return fail(&Error{Code: CodeBackupInterrupted, Op: "restore", Path: dir, Err: errors.New("stopped while integrating the log files; nothing is kept")})
		}
		db.journalNote(fmt.Sprintf("Restore: integration of the log file %s: %d operation(s), data file now at operation %d.", p, n, db.ckptOp))
		if reached {
			rep.Stopped = true
			break
		}
	}
	bdb.NoSync, bdb.NoGrowSync, db.afterBatch, db.batchOps = false, false, nil, 0
	if err := bdb.Sync(); err != nil {
		return fail(&Error{Code: CodeDataIO, Op: "write data file", Path: dataPath(db.dir, db.name), Err: err})
	}
	rep.Reached = db.ckptOp
	if r.ContinueAfter > db.ckptOp {
		err := bdb.Update(func(tx *bolt.Tx) error {
			return putProgress(tx.Bucket(bucketMeta), r.ContinueAfter, r.ContinueAfter)
		})
		if err != nil {
			return fail(&Error{Code: CodeDataIO, Op: "write data file", Path: dataPath(db.dir, db.name), Err: err})
		}
		db.ckptOp, db.visibleOp, db.lastChange = r.ContinueAfter, r.ContinueAfter, r.ContinueAfter
	}
	if db.nextOp <= db.ckptOp {
		db.nextOp = db.ckptOp + 1
	}
	s := db.settings.Load().Clone()
	if err := s.SetLogPath(defaultLogPath); err != nil {
		return fail(&Error{Code: CodeBadSetting, Op: "restore", Err: err})
	}
	if err := db.saveSettings(s); err != nil {
		return fail(err)
	}
	if s.Values().Log.Use {
		path := db.LogPath()
		if _, err := db.fs.Stat(path); err == nil {
			return fail(&Error{Code: CodeExists, Op: "restore", Path: path, Err: errors.New("a log file is already there; restore into a new folder")})
		}
		// The new log follows what the data file holds: its first operation is the next one.
		w, err := createLogFile(db.fs, path, journal.Header{DBID: db.id, BackupNum: db.backupNum(), FirstOp: db.ckptOp + 1, Created: time.Now()})
		if err != nil {
			return fail(err)
		}
		db.log = w
	}
	db.run()
	return db, rep, nil
}

// openRestoredData opens the data file of a restored folder after checking its whole tree: a
// backup copies the data file's pages as they are, so a data file damaged where no read had
// looked yet is damaged in its backups too. Such a backup cannot be restored (1411): a repair
// then goes on to the one before it.
func openRestoredData(dir string, opts Options) (*DB, error) {
	db, err := openData(dir, opts, checkTree)
	var e *Error
	if errors.As(err, &e) && e.Code == CodeDamaged {
		return nil, &Error{Code: CodeArchiveVerify, Op: "restore", Path: e.Path, Err: fmt.Errorf("the data file of this backup is damaged (%w)", e.Err)}
	}
	return db, err
}

// defaultLogPath is log.path's default, relative to the database folder.
const defaultLogPath = "Data/data.journal"

// integrateUntil integrates one log file of a restore chain up to u, leaving out the ranges of
// skip. It reports whether the limit was met in this file (the later ones are then not read).
func (db *DB) integrateUntil(path string, u Until, skip []OpRange) (int, bool, error) {
	r, err := db.openChained(path)
	if err != nil {
		return 0, false, err
	}
	defer r.Close()
	pf := newPrefetch(r)
	defer pf.Close()
	src := &untilSource{src: skipping(pf, skip), until: u}
	// Every log of a chain is final: a transaction a log ends in the middle of was cut by a
	// crash (transactions are logged whole at their commit) and can never be validated.
	n, err := db.integrate(src, true)
	return n, src.stopped, err
}

// untilSource ends a log at the first record beyond a limit.
type untilSource struct {
	src     recordSource
	until   Until
	stopped bool
}

// Offset is how far the log has been read (for the progress).
func (u *untilSource) Offset() int64 {
	if o, ok := u.src.(interface{ Offset() int64 }); ok {
		return o.Offset()
	}
	return 0
}

func (u *untilSource) Next() (journal.Record, error) {
	if u.stopped {
		return journal.Record{}, io.EOF
	}
	rec, err := u.src.Next()
	if err != nil {
		return rec, err
	}
	beyondOp := u.until.Op != 0 && rec.Op > u.until.Op
	beyondTime := !u.until.Time.IsZero() && !rec.Time.IsZero() && rec.Time.After(u.until.Time)
	if beyondOp || beyondTime {
		u.stopped = true
		return journal.Record{}, io.EOF
	}
	return rec, nil
}

// CreateBlankData writes the blank data file of database id into the folder dir, which must
// hold the structure and settings already (a rollback to before the first backup rebuilds the
// data from the log that starts at the database's birth).
func CreateBlankData(dir string, id [16]byte) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return &Error{Code: CodeUsage, Op: "create data file", Path: dir, Err: err}
	}
	path := dataPath(dir, filepath.Base(dir))
	if _, err := os.Lstat(path); err == nil {
		return &Error{Code: CodeExists, Op: "create data file", Path: path}
	}
	return writeBlankData(path, id)
}

// writeBlankData writes a data file holding only the identity and format of database id.
func writeBlankData(path string, id [16]byte) error {
	bdb, err := openBolt(path, false)
	if err != nil {
		return &Error{Code: CodeDataIO, Op: "create data file", Path: path, Err: err}
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		m, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		if err := m.Put(keyFormat, u64(dataFormat)); err != nil {
			return err
		}
		return m.Put(keyID, id[:])
	})
	if cerr := bdb.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return &Error{Code: CodeDataIO, Op: "create data file", Path: path, Err: err}
	}
	return nil
}
