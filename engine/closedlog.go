package engine

import (
	"fmt"
	"io"
	"os"

	"holdfast/journal"
)

// CutClosedLogs cuts every closed log waiting beside the log (see ClosedLogs) where the current
// log starts: a backup's closed log is cut at its snapshot once the new log holds what came
// after (switchLog), and a closed log that was not cut (the backup was interrupted or the cut
// failed) holds operations the current log holds too. A log backup written from it would
// overlap the next one. The caller archives the closed logs next.
func (db *DB) CutClosedLogs() error {
	db.wmu.Lock()
	first := uint64(0)
	if db.log != nil && db.logErr == nil {
		first = db.log.Header().FirstOp
	}
	db.wmu.Unlock()
	if first == 0 {
		return nil // no healthy log: nothing says where the closed ones end
	}
	return db.cutClosedLogs(first)
}

// cutClosedLogs cuts each closed log before its first record numbered first or more. A closed
// log that is the log itself (a switch under way or interrupted before its rename), belongs to
// another database, or cannot be read whole is left as it is: only a record that the current
// log also holds is ever removed.
func (db *DB) cutClosedLogs(first uint64) error {
	if db.opts.ReadOnly {
		return nil
	}
	for _, c := range db.ClosedLogs() {
		off, ok := db.closedLogEnd(c, first)
		if !ok {
			continue
		}
		if err := db.cutClosedLog(c, off, first); err != nil {
			return err
		}
	}
	return nil
}

// closedLogEnd finds where closed log c must end for the current log to start at first: the
// offset of its first record numbered first or more. ok is false when nothing is to be cut.
func (db *DB) closedLogEnd(c string, first uint64) (int64, bool) {
	r, err := journal.OpenReader(db.fs, c)
	if err != nil {
		return 0, false
	}
	defer r.Close()
	if r.Header().DBID != db.id {
		return 0, false
	}
	for {
		off := r.Offset()
		rec, err := r.Next()
		switch {
		case err == io.EOF:
			return 0, false
		case err != nil:
			return 0, false // damaged: not this code's to change
		case rec.Op >= first:
			return off, true
		}
	}
}

// cutClosedLog truncates closed log c at off, unless it has become the log itself meanwhile.
func (db *DB) cutClosedLog(c string, off int64, first uint64) error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	cur, err := os.Stat(db.LogPath())
	if err != nil {
		return nil
	}
	if fi, err := os.Stat(c); err != nil || os.SameFile(fi, cur) {
		return nil
	}
	if db.log != nil && db.log.Header().FirstOp != first {
		return nil // the log was switched meanwhile: the next cut will see the new one
	}
	if err := os.Truncate(c, off); err != nil {
		return logError("cut closed log", c, err)
	}
	if err := syncFile(c); err != nil {
		return logError("cut closed log", c, err)
	}
	db.journalNote(fmt.Sprintf("Closed log %s cut at operation %d, where the current log starts (a log switch had been interrupted).", c, first))
	return nil
}
