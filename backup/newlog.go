package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"holdfast/engine"
	"holdfast/settings"
)

// archiveMu makes one caller at a time list and move the closed logs (archiveClosedLogs): a
// backup's end and New Log File may both find the same closed log.
var archiveMu sync.Mutex

// NewLogResult says what New Log File did.
type NewLogResult struct {
	Closed   string   // the closed log as the engine left it beside the log
	Archived []string // the log backups written to the destination, oldest first
	FirstOp  uint64   // the first operation of the new log; 0 when none could be started
	sums     []FileInfo
}

// NewLog is New Log File (S3.4, S9 log new): the current log is closed and a new one started
// (engine.DB.NewLog), then every closed log waiting beside the log is archived in the
// destination, the one just closed as "<Name>[NNNN-SSSS].4BL" (the SSSS-th since backup
// NNNN). A destination that cannot be used is found before anything changes (1407). When
// archiving fails after the switch, the new log is on and the closed logs stay beside it for
// the next backup or New Log File to archive; the error says so. The backup journal and
// backupHistory.json record it. The settings are read once, at the start; while where the log
// is or where it is archived holds a bad value (settings.FolderKeys), nothing is done: 2009
// names the key.
func NewLog(ctx context.Context, db *engine.DB) (*NewLogResult, error) {
	start := time.Now()
	v := db.Values()
	if err := v.Need(settings.FolderKeys...); err != nil {
		return nil, &engine.Error{Code: engine.CodeBadSetting, Op: "new log file", Path: filepath.Join(db.Dir(), settings.FileName), Err: err}
	}
	verbose := v.Journal.Verbose
	dest := v.DestinationFor(db.Dir())
	res, err := newLog(ctx, db, dest, v.Destination == "")
	if res != nil && res.FirstOp != 0 {
		note(db.Dir(), verbose, true, "New log file: the log was closed as %s; the new log starts at operation %d.", res.Closed, res.FirstOp)
		for _, l := range res.Archived {
			note(db.Dir(), verbose, false, "Log backup written: %s.", l)
		}
	}
	if err != nil {
		note(db.Dir(), verbose, true, "New log file: error %d: %v", engine.CodeOf(err), err)
	}
	if res != nil {
		if herr := recordNewLog(db, dest, res, start, err, historyKeep(v)); herr != nil {
			note(db.Dir(), true, true, "Warning: the new log file could not be recorded in %s: %v", filepath.Join(dest, HistoryFile), herr)
		}
	}
	return res, err
}

// recordNewLog adds New Log File to backupHistory.json with the log backups it wrote, so that
// holdfast verify DB checks them too. Its number is the backup the closed log follows.
func recordNewLog(db *engine.DB, dest string, res *NewLogResult, start time.Time, err error, keep int) error {
	var n uint32
	if m := closedLogPattern.FindStringSubmatch(res.Closed); m != nil {
		fmt.Sscan(m[1], &n)
	}
	var last uint64
	if res.FirstOp > 0 {
		last = res.FirstOp - 1
	}
	e := operationEntry("newlog", n, start, last)
	e.Files = append(e.Files, res.sums...)
	if err != nil {
		e.Status = StatusFailed
		e.setError(err)
	}
	return recordOperation(dest, e, keep)
}

// newLog does the work of NewLog, whose destination dest is the default one when isDefault. It
// returns a result whenever the log was switched.
func newLog(ctx context.Context, db *engine.DB, dest string, isDefault bool) (*NewLogResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, &engine.Error{Code: engine.CodeBackupInterrupted, Op: "new log file", Err: errors.New("stopped before it started; the log goes on unchanged")}
	}
	// Asked before the destination is checked (which creates the default one): a refusal
	// leaves no trace.
	if err := db.NewLogAllowed(); err != nil {
		return nil, err
	}
	// Checked next: with the backup disk gone, the log is left as it is rather than closed
	// into a file nobody archives.
	if err := checkDestination(dest, isDefault); err != nil {
		var e *engine.Error
		if errors.As(err, &e) && e.Err != nil {
			e.Op = "new log file"
			e.Err = fmt.Errorf("%w; nothing was changed, the log goes on", e.Err)
		}
		return nil, err
	}
	taken := func(n, seg uint32) bool {
		_, err := os.Stat(filepath.Join(dest, LogSegmentName(db.Name(), n, seg)))
		// A closed log waiting to be archived has its number too (a rollback's old log).
		_, werr := os.Lstat(fmt.Sprintf("%s.closed[%04d-%04d]", db.LogPath(), n, seg))
		return err == nil || werr == nil
	}
	closed, err := db.NewLogSkipping(taken)
	if closed == "" {
		return nil, err
	}
	res := &NewLogResult{Closed: closed}
	if err != nil {
		// The log failed after the switch (1274): no new log is on, and the closed log waits
		// for the backup that ends the 1274 state.
		return res, err
	}
	res.FirstOp = db.LogStatus().FirstOp
	res.Archived, res.sums, err = archiveClosedLogs(db, dest, nil)
	if err != nil {
		var e *engine.Error
		if errors.As(err, &e) {
			return res, &engine.Error{Code: e.Code, Op: e.Op, Path: e.Path,
				Err: fmt.Errorf("%w; the new log is started, and the closed logs not archived stay beside it until the next backup or new log file archives them", e.Err)}
		}
		return res, err
	}
	return res, nil
}
