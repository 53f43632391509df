package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"holdfast/engine"
	"holdfast/journal"
)

// chainCheck is what checkChain needs to know of a restore: the logs in the order they are to
// be integrated, the database they must belong to (FormatID; "": not checked here), the
// operation the restored data file holds everything up to, and where integration stops.
type chainCheck struct {
	logs     []string
	database string
	after    uint64
	until    engine.Until
}

// logGap says what to do about a log missing from the chain a restore integrates.
var logGap = engine.Advice{
	Command: "put it back, or restore with --integrate none or --log up to the gap",
	Window:  "put it back, or restore with Integrate set to None, or to These log files with the logs up to the gap",
}

// checkChain refuses, before a restore extracts anything, a chain of logs that its integration
// would refuse at the end: a log that is missing (1412) or unreadable (1408), a log of another
// database (1416), or a log that starts beyond the operations before it (a gap: 1412). The
// integration checks each log again as it opens it (engine.OpenRestored); this check only
// moves the refusal before the extraction, so that a restore that cannot succeed fails at
// once rather than at 99 %. Each log but the last is read through to find where it ends (its
// successor must start no later than the operation after that); the check ends at the log
// where integration would stop, at the until limit.
func checkChain(ctx context.Context, c chainCheck, progress func(Progress)) error {
	reached := c.after
	report := chainProgress(c.logs, progress)
	for i, p := range c.logs {
		r, err := journal.OpenReader(journal.OSFS{}, p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return &engine.Error{Code: engine.CodeLogBackupMissing, Op: "restore", Path: p, Err: fmt.Errorf("the log file is not there: %w", logGap)}
			}
			return &engine.Error{Code: engine.CodeLogIO, Op: "restore", Path: p, Err: err}
		}
		h := r.Header()
		if c.database != "" && engine.FormatID(h.DBID) != c.database {
			r.Close()
			return &engine.Error{Code: engine.CodeForeignLog, Op: "restore", Path: p, Err: fmt.Errorf("it belongs to database %s, not %s", engine.FormatID(h.DBID), c.database)}
		}
		if h.FirstOp > reached+1 {
			r.Close()
			before := "the logs before it stop"
			if i == 0 {
				before = "the backup's data stops"
			}
			return &engine.Error{Code: engine.CodeLogBackupMissing, Op: "restore", Path: p,
				Err: fmt.Errorf("it starts at operation %d but %s at %d: the log holding operations %d to %d is missing; %w", h.FirstOp, before, reached, reached+1, h.FirstOp-1, logGap)}
		}
		if i == len(c.logs)-1 {
			r.Close()
			return nil
		}
		last, beyond, err := logEnd(ctx, r, c.until, report(i))
		r.Close()
		if err != nil {
			return err
		}
		if beyond {
			return nil // integration stops in this log: the ones after it are not read
		}
		reached = max(reached, last)
	}
	return nil
}

// logEnd reads a log through and returns its last operation number, or reports that it holds
// an operation beyond until (where integration stops), as integration reads it: a torn tail
// is the end, a damaged record in the middle is an error (1408).
func logEnd(ctx context.Context, r *journal.Reader, until engine.Until, progress func(off int64)) (uint64, bool, error) {
	var last uint64
	for n := 0; ; n++ {
		if n%(1<<14) == 0 {
			if ctx.Err() != nil {
				return 0, false, &engine.Error{Code: engine.CodeBackupInterrupted, Op: "restore", Err: errors.New("the restore was stopped while checking its log files; nothing was restored")}
			}
			progress(r.Offset())
		}
		rec, err := r.Next()
		if err == io.EOF || errors.Is(err, journal.ErrTornTail) {
			progress(r.Offset())
			return last, false, nil
		}
		if err != nil {
			return 0, false, &engine.Error{Code: engine.CodeLogIO, Op: "restore", Err: err}
		}
		if (until.Op != 0 && rec.Op > until.Op) || (!until.Time.IsZero() && !rec.Time.IsZero() && rec.Time.After(until.Time)) {
			return last, true, nil
		}
		last = max(last, rec.Op)
	}
}

// chainProgress reports the reading of the logs by checkChain, in bytes of all of them:
// report(i) is called with the offset reached in log i.
func chainProgress(logs []string, report func(Progress)) func(i int) func(off int64) {
	starts := make([]int64, len(logs)+1)
	for i, p := range logs {
		starts[i+1] = starts[i]
		if fi, err := os.Stat(p); err == nil {
			starts[i+1] += fi.Size()
		}
	}
	start := time.Now()
	return func(i int) func(off int64) {
		return func(off int64) {
			if report != nil {
				p := Progress{Done: min(starts[i]+off, starts[len(logs)]), Total: starts[len(logs)], Item: "checking the log files"}
				p.estimate(time.Since(start))
				report(p)
			}
		}
	}
}
