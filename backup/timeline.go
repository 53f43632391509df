package backup

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"holdfast/engine"
)

// A rollback to operation N undoes operations N+1 to L (the last one then): the data goes on
// from N, and the operation numbers after L. The logs keep both: the log before the rollback
// (N+1 to L) stays in the chain of log backups, as a segment of the backup it follows, so that
// the chain has no gap, and backupHistory.json records the rollback with what it undid. A
// restore, a repair or a later rollback from a backup taken at or before N then leaves
// N+1 to L out; one from a backup taken between N+1 and L (whose data holds what was undone)
// follows the timeline the rollback left, and stops at L.

// timeline returns, for data taken from a snapshot at operation base, the ranges of operations
// its logs must leave out and the operation where its timeline ends (0: it goes on to now).
func timeline(h *History, base uint64) (skip []engine.OpRange, end uint64) {
	if h == nil {
		return nil, 0
	}
	for _, e := range h.Operations {
		if e.Kind != "rollback" || e.Status == StatusFailed || e.Undone <= e.Operation || (e.Status == StatusPending && !rollbackMade(&e)) {
			continue
		}
		switch {
		case base <= e.Operation:
			skip = append(skip, engine.OpRange{From: e.Operation + 1, To: e.Undone})
		case base <= e.Undone:
			return skip, e.Undone // taken in what this rollback undid
		}
	}
	return skip, 0
}

// abandoned reports whether a backup's data holds operations a later rollback undid: it cannot
// be the base of what the database holds now.
func abandoned(h *History, e *HistoryEntry) bool {
	_, end := timeline(h, e.Operation)
	return end != 0
}

// chainSegmentName is the name of a closed log segment beside the log at logPath that the log
// there now can take, so that the next backup or New Log File archives it as the next segment
// of the backup it follows and restores find it meanwhile (FindLogs): a rollback gives the log
// as it was before it that second name, in its swap.
func chainSegmentName(logPath, dest, name string) (string, error) {
	h, err := logHeader(logPath)
	if err != nil {
		return "", err
	}
	for seg := uint32(1); ; seg++ {
		closed := fmt.Sprintf("%s.closed[%04d-%04d]", logPath, h.BackupNum, seg)
		_, e1 := os.Lstat(closed)
		_, e2 := os.Lstat(filepath.Join(dest, LogSegmentName(name, h.BackupNum, seg)))
		if e1 != nil && e2 != nil {
			return closed, nil
		}
	}
}

// onTimeline sets what a restore of the archive leaves out of its logs, and where it stops,
// after the rollbacks the history beside the archive records (see timeline). A limit asked for
// that comes sooner stays.
func onTimeline(archive string, m *Manifest, opts RestoreOptions) RestoreOptions {
	h, err := LoadHistory(filepath.Dir(archive))
	if err != nil {
		return opts
	}
	skip, end := timeline(h, m.Operation)
	opts.skip = append(opts.skip, skip...)
	if end != 0 && (opts.Until.Op == 0 || opts.Until.Op > end) {
		opts.Until.Op = end
	}
	return opts
}

func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// rollbackMade reports whether the swap of a rollback recorded before it (interrupted since)
// was done: the data file before the rollback has its second name, and the data file in place
// is another one.
func rollbackMade(e *HistoryEntry) bool {
	if len(e.Files) == 0 {
		return false
	}
	old := e.Files[0].Path
	data, _, ok := strings.Cut(old, ".before-rollback-")
	return ok && fileExists(old) && !sameFile(data, old)
}

// undoneBy returns the rollback that undid operation op, or nil.
func undoneBy(h *History, op uint64) *HistoryEntry {
	for i := range h.Operations {
		if e := &h.Operations[i]; undid(e) && op > e.Operation && op <= e.Undone {
			return e
		}
	}
	return nil
}

// undoneRanges are the operations the rollbacks of the history undid.
func undoneRanges(h *History) []engine.OpRange {
	var out []engine.OpRange
	for i := range h.Operations {
		if e := &h.Operations[i]; undid(e) && e.Undone > e.Operation {
			out = append(out, engine.OpRange{From: e.Operation + 1, To: e.Undone})
		}
	}
	return out
}

// undid reports whether e is a rollback that was made (what it undid is gone from the data).
func undid(e *HistoryEntry) bool {
	return e.Kind == "rollback" && e.Status != StatusFailed && (e.Status != StatusPending || rollbackMade(e))
}
