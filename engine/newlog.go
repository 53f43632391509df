package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"holdfast/journal"
)

// keyLogSegment is the last segment number New Log File gave since a backup: the backup number
// in the high 32 bits, the segment in the low ones. Keyed by the backup rather than reset when
// a backup commits, because a data file restored from an archive carries the value of its
// snapshot, taken before that backup's own commit: the key then names an older backup, and
// the count starts again at 1 for the one the restored log follows.
var keyLogSegment = []byte("logSegment")

// NewLog is New Log File (S3.4): the current log is closed and left beside the log as a closed
// log segment, "<log>.closed[NNNN-SSSS]" (NNNN the backup it follows, SSSS = 1, 2, ... since
// that backup), for the caller to archive (see ClosedLogs), and a new log that continues the
// operation numbers and follows the same backup takes its place. It returns the closed log's
// path. It needs a log that is on and healthy (1403, 1274) and refuses while a backup runs
// (1415): the backup switches the log itself.
func (db *DB) NewLog() (string, error) { return db.NewLogSkipping(nil) }

// NewLogSkipping is NewLog that never gives the closed log a segment number for which taken
// reports true (nil: none is): the caller knows which log backups its destination already
// holds. After a rollback the data file's count of segments goes back to that of the archive,
// while segments archived before the rollback keep their names.
func (db *DB) NewLogSkipping(taken func(backup, segment uint32) bool) (string, error) {
	// The checkpoint below must not race another: same locks and order as BeginBackup.
	db.ckptMu.Lock()
	defer db.ckptMu.Unlock()
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if err := db.newLogAllowed(); err != nil {
		return "", err
	}
	old := db.log
	if err := old.Sync(old.LastOp()); err != nil {
		return "", db.failLogLocked(err)
	}
	// The new log starts after the old one's last operation, and a log that starts after the
	// data file's applied operation does not open (S3.5): the data file must hold everything
	// the old log holds before the new log can stand alone.
	if err := db.checkpointLocked(); err != nil {
		return "", err
	}
	num := old.Header().BackupNum
	seg, err := db.nextSegment(num, taken)
	if err != nil {
		return "", err
	}
	closed := db.segmentLogPath(num, seg)
	err = db.switchLogAt(closed, journal.Header{DBID: db.id, BackupNum: num, FirstOp: old.LastOp() + 1, Created: time.Now()})
	if err != nil && !fileExists(closed) {
		return "", err
	}
	// A failure after the switch (1274) still leaves the closed log to archive.
	return closed, err
}

// NewLogAllowed says why New Log File cannot run now (no log 1403, a backup running 1415...),
// or nil: asked before anything is prepared for it.
func (db *DB) NewLogAllowed() error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	return db.newLogAllowed()
}

// newLogAllowed says why New Log File cannot run now, or nil; wmu is held.
func (db *DB) newLogAllowed() error {
	switch {
	case db.closed:
		return &Error{Code: CodeClosed, Op: "new log file"}
	case db.readOnly != nil:
		return db.readOnly
	case db.log == nil && db.logPending():
		return &Error{Code: CodeNoLog, Op: "new log file", Path: db.LogPath(), Err: fmt.Errorf("the log was asked for and starts after the next backup; %w",
			Advice{Command: "make a backup (holdfast backup DB) first", Window: "make a backup (File > Backup...) first"})}
	case db.log == nil:
		return &Error{Code: CodeNoLog, Op: "new log file", Path: db.LogPath()}
	case db.logErr != nil:
		return db.logErr
	case db.backup != nil:
		return &Error{Code: CodeBusy, Op: "new log file", Err: fmt.Errorf("backup %d is running and switches the log itself; try again when it ends", db.backup.Number)}
	}
	return nil
}

// nextSegment takes the next segment number after backup num and records it in the data file
// before any file is made: a crash in between leaves a number unused, never one used twice.
// A closed log already beside the log, or a number taken reports, is passed over.
func (db *DB) nextSegment(num uint32, taken func(backup, segment uint32) bool) (uint32, error) {
	var seg uint32
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if v := getU64(m, keyLogSegment); uint32(v>>32) == num {
			seg = uint32(v)
		}
		for {
			if seg == 1<<32-1 {
				return errors.New("no segment number is left since the last backup; make a backup to start the count again")
			}
			seg++
			if !fileExists(db.segmentLogPath(num, seg)) && (taken == nil || !taken(num, seg)) {
				break
			}
		}
		return m.Put(keyLogSegment, u64(uint64(num)<<32|uint64(seg)))
	})
	if err != nil {
		return 0, &Error{Code: CodeDataIO, Op: "new log file", Path: dataPath(db.dir, db.name), Err: err}
	}
	return seg, nil
}

// segmentLogPath names segment seg of the closed logs that follow backup n, beside the log.
func (db *DB) segmentLogPath(n, seg uint32) string {
	return fmt.Sprintf("%s.closed[%04d-%04d]", db.LogPath(), n, seg)
}

// switchLogAt closes the log under the name closed and puts a new empty log with header h in
// its place; wmu is held and the old log is synced. As in switchLog, every step leaves a log
// that opens: a new log that never took the log's name is removed at the next open, and so is
// a closed name that still names the log itself (cleanSwitchLeftovers).
func (db *DB) switchLogAt(closed string, h journal.Header) error {
	path := db.LogPath()
	old := db.log
	fresh := path + ".new"
	os.Remove(fresh)
	w, err := createLogFile(db.fs, fresh, h)
	if err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		os.Remove(fresh)
		return logError("new log file", fresh, err)
	}
	if err := os.Link(path, closed); err != nil {
		os.Remove(fresh)
		return logError("new log file", closed, err)
	}
	// The closed name is on disk before the log's name moves to the new file: a crash that
	// kept the rename but not the link would lose the old log.
	if err := db.fs.SyncDir(filepath.Dir(path)); err != nil {
		os.Remove(closed)
		os.Remove(fresh)
		return logError("new log file", filepath.Dir(path), err)
	}
	if err := db.fs.Rename(fresh, path); err != nil {
		os.Remove(closed)
		os.Remove(fresh)
		return logError("new log file", path, err)
	}
	if err := db.fs.SyncDir(filepath.Dir(path)); err != nil {
		return db.failLogLocked(err)
	}
	// From here the new log is the log. Commits still waiting on the old writer find their
	// records durable already (synced above) and do not touch it again.
	old.Close()
	nw, _, err := journal.OpenAppend(db.fs, path)
	if err != nil {
		return db.failLogLocked(err)
	}
	db.infoMu.Lock()
	db.log = nw
	db.infoMu.Unlock()
	return nil
}
