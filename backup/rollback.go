package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"holdfast/engine"
	"holdfast/journal"
	"holdfast/settings"
)

// RollbackResult says what a rollback did.
type RollbackResult struct {
	To      uint64   // the data holds every operation up to this one, and none after it
	Backup  uint32   // the backup whose data it started from (0: a blank data file)
	Logs    []string // the logs integrated up to To
	Undone  uint64   // the last operation undone (operation numbers go on after it)
	OldData string   // where the data file before the rollback was kept
	OldLog  string   // where the log before the rollback was kept (it holds the operations undone)
	InChain string   // the same log as a closed segment beside the log, archived by the next backup
}

// Rollback takes the database in dir back to operation to (S3.6): its data becomes that of the
// last backup taken before to (or a blank data file when there is none and the log goes back to
// the database's birth) with the logs integrated up to and including to. The operations after
// to are gone from the data; the data file and the log as they were are kept beside the new
// ones. Operation numbers go on after the last one used, and the new log cannot be chained to
// backups taken after to (their data holds what was undone).
func Rollback(ctx context.Context, dir string, to uint64) (*RollbackResult, error) {
	start := time.Now()
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, &engine.Error{Code: engine.CodeUsage, Op: "rollback", Path: dir, Err: err}
	}
	// Read before the open: a bad value where the log is, or in what the open may do on its
	// own, would open another log than the database's.
	if _, err := folderValues(dir, "rollback", append(slices.Clone(settings.OpenKeys), settings.FolderKeys...)...); err != nil {
		return nil, err
	}
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		return nil, err
	}
	v := db.Values()
	id, name, logPath, dest := db.ID(), db.Name(), v.Log.File(db.Dir()), v.DestinationFor(db.Dir())
	// A backup interrupted before it was recorded is finished or undone first: the rollback
	// rewrites the data file's last backup, by which that would be judged.
	if err := resumeBeforeRollback(db, v, dest); err != nil {
		db.Close()
		return nil, err
	}
	st := db.LogStatus()
	closeErr := db.Close()
	logEnd0 := lastOpOf(logPath) // the log as the rollback starts from it
	switch {
	case closeErr != nil:
		return nil, closeErr
	case !st.Use || !st.Open:
		return nil, &engine.Error{Code: engine.CodeNoLog, Op: "rollback", Path: dir}
	case to == 0 || to >= st.LastOp:
		return nil, &engine.Error{Code: engine.CodeBadInput, Op: "rollback", Path: dir,
			Err: fmt.Errorf("operation %d is not before the last operation of the log (%d): choose an operation from 1 to %d (%w)", to, st.LastOp, st.LastOp-1,
				engine.Advice{Command: fmt.Sprintf("holdfast analyze %s lists them", dir), Window: "Maintenance and Security... > Rollback lists them"})}
	}
	hist, err := LoadHistory(dest)
	if err != nil {
		return nil, &engine.Error{Code: engine.CodeDestination, Op: "read history", Path: dest, Err: err}
	}
	if r := undoneBy(hist, to); r != nil {
		return nil, &engine.Error{Code: engine.CodeBadInput, Op: "rollback", Path: dir,
			Err: fmt.Errorf("operation %d was undone by the rollback of %s %s (operations %d to %d): choose an operation up to %d, or after %d", to, r.Date, r.Time, r.Operation+1, r.Undone, r.Operation, r.Undone)}
	}
	res := &RollbackResult{To: to, Undone: st.LastOp}
	var latest uint32
	var latestOp uint64
	var from *HistoryEntry
	for i := range hist.Operations {
		e := &hist.Operations[i]
		if e.Kind != "backup" || e.Status == StatusFailed {
			continue
		}
		if e.Number > latest {
			latest, latestOp = e.Number, e.Operation
		}
		if e.Operation <= to && (from == nil || e.Operation > from.Operation) && archiveOf(e) != "" && !abandoned(hist, e) {
			from = e
		}
	}

	prefix := "." + name + ".rollback-"
	removeAbandoned(filepath.Dir(dir), prefix)
	work, doneStaging, err := newStaging(filepath.Dir(dir), prefix)
	if err != nil {
		return nil, &engine.Error{Code: engine.CodeDestination, Op: "rollback", Path: filepath.Dir(dir), Err: err}
	}
	defer doneStaging()
	built := filepath.Join(work, name)
	if from != nil {
		res.Backup = from.Number
		if res.Logs, err = FindLogs(filepath.Dir(archiveOf(from)), name, from.Number, dir, engine.FormatID(id)); err != nil {
			return nil, err
		}
		rr, err := Restore(ctx, archiveOf(from), RestoreOptions{To: built, Items: []string{ItemData}, Logs: res.Logs,
			Until: engine.Until{Op: to}, ContinueAfter: st.LastOp, StructureFrom: dir, Backup: latest, BackupOp: latestOp, inner: true})
		if err != nil {
			return nil, err
		}
		if !rr.Stopped && rr.Reached < to {
			return nil, &engine.Error{Code: engine.CodeLogBackupMissing, Op: "rollback", Path: dir,
				Err: fmt.Errorf("the logs after backup %d end at operation %d, before operation %d", from.Number, rr.Reached, to)}
		}
	} else {
		// Never backed up before to: from a blank data file and every log since the birth.
		if res.Logs, err = FindLogs(dest, name, 0, dir, engine.FormatID(id)); err != nil {
			return nil, err
		}
		var first uint64
		if len(res.Logs) > 0 {
			if h, err := logHeader(res.Logs[0]); err == nil {
				first = h.FirstOp
			}
		}
		if first != 1 {
			return nil, &engine.Error{Code: engine.CodeLogBackupMissing, Op: "rollback", Path: dir,
				Err: fmt.Errorf("no backup was taken before operation %d and the logs in %s do not go back to the database's first operation", to, dest)}
		}
		for _, sub := range []string{"Project", filepath.Join("Data", "Settings")} {
			if err := copyTree(filepath.Join(built, sub), filepath.Join(dir, sub)); err != nil {
				return nil, &engine.Error{Code: engine.CodeDataIO, Op: "rollback", Path: filepath.Join(dir, sub), Err: err}
			}
		}
		os.MkdirAll(filepath.Join(built, "Logs"), 0o700)
		if err := engine.CreateBlankData(built, id); err != nil {
			return nil, err
		}
		skip, _ := timeline(hist, 0)
		rdb, rep, err := engine.OpenRestored(built, engine.Restored{Backup: latest, Operation: latestOp, Logs: res.Logs, Until: engine.Until{Op: to}, ContinueAfter: st.LastOp, Skip: skip}, engine.Options{})
		if err != nil {
			return nil, err
		}
		if err := rdb.Close(); err != nil {
			return nil, err
		}
		if !rep.Stopped && rep.Reached < to {
			return nil, &engine.Error{Code: engine.CodeLogBackupMissing, Op: "rollback", Path: dir,
				Err: fmt.Errorf("the logs end at operation %d, before operation %d", rep.Reached, to)}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, &engine.Error{Code: engine.CodeBackupInterrupted, Op: "rollback", Path: dir, Err: errors.New("the rollback was stopped; the database is unchanged")}
	}

	stamp := start.Format("20060102-150405")
	data := filepath.Join(dir, "Data", name+".4DD")
	res.OldData, res.OldLog = data+".before-rollback-"+stamp, logPath+".before-rollback-"+stamp
	for i := 2; fileExists(res.OldData) || fileExists(res.OldLog); i++ {
		// Two rollbacks in one second: the first one's files keep their names.
		res.OldData, res.OldLog = fmt.Sprintf("%s.before-rollback-%s-%d", data, stamp, i), fmt.Sprintf("%s.before-rollback-%s-%d", logPath, stamp, i)
	}
	// What the rollback undoes is recorded before the swap: a restore that did not know of it
	// would bring the undone operations back.
	entry := operationEntry("rollback", res.Backup, start, to, res.OldData, res.OldLog)
	entry.Undone, entry.Status = st.LastOp, StatusPending
	if err := recordRollback(dest, v.Destination == "", entry, historyKeep(v)); err != nil {
		return nil, &engine.Error{Code: engine.CodeDestination, Op: "rollback", Path: filepath.Join(dest, HistoryFile),
			Err: fmt.Errorf("%w; the rollback was not made (what it undoes must be recorded in the backup destination, so that restores leave it out): make the destination usable and roll back again", err)}
	}
	// The log before the rollback stays in the chain (its operations up to to are needed by
	// every restore and repair until the next backup; those after, by a restore to a moment
	// before the rollback): it gets a closed segment's name in the swap.
	if res.InChain, err = chainSegmentName(logPath, dest, name); err != nil {
		return nil, &engine.Error{Code: engine.CodeLogIO, Op: "rollback", Path: logPath, Err: err}
	}
	if err := swapRolledBack(built, data, logPath, res.OldData, res.OldLog, res.InChain, logEnd0); err != nil {
		if merr := markRollback(dest, start, StatusFailed); merr != nil {
			note(dir, true, true, "Warning: the rollback that failed could not be marked so in %s (its files say it was not made): %v", filepath.Join(dest, HistoryFile), merr)
		}
		return nil, err
	}
	if err := markRollback(dest, start, StatusSuccess); err != nil {
		note(dir, true, true, "Warning: the rollback could not be marked as made in %s (its files say it was): %v", filepath.Join(dest, HistoryFile), err)
	}
	note(dir, v.Journal.Verbose, true, "Rollback to operation %d: from %s and %d log file(s); operations %d to %d undone; the data file and log before it are kept as %s and %s.",
		to, backupLabel(res.Backup), len(res.Logs), to+1, st.LastOp, res.OldData, res.OldLog)
	return res, nil
}

func backupLabel(n uint32) string {
	if n == 0 {
		return "a blank data file"
	}
	return fmt.Sprintf("backup %d", n)
}

// archiveOf is the first archive file a history entry recorded, if it is still there.
func archiveOf(e *HistoryEntry) string {
	for _, f := range e.Files {
		if filepath.Ext(f.Path) == ".4BK" {
			if _, err := os.Stat(f.Path); err == nil {
				return f.Path
			}
			return ""
		}
	}
	return ""
}

// copyTree copies the files of folder from into folder to (made if missing).
func copyTree(to, from string) error {
	return filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		target := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return journal.WriteFileAtomic(journal.OSFS{}, target, b, 0o600)
	})
}

// swapRolledBack puts the data file and log built in folder built in the place of the
// database's, keeping the old ones as oldData and oldLog. Both data files are locked meanwhile,
// so no process opens the database half swapped (2007). The old files get their second name
// first (a link), and each new file replaces the old one in one rename: there is never a moment
// without a data file or a log. The log goes first: a kill between the two leaves the old data
// file with the new, empty log that continues its operation numbers, a database that opens as
// it was before the rollback (the old log kept as oldLog); the other order would leave the
// rolled-back data file with the old log, whose undone operations the next open would integrate
// again. Each folder is synced after each step, and a failure is undone, newest step first; an
// undo that fails too says exactly where each file is.
func swapRolledBack(built, data, logPath, oldData, oldLog, inChain string, logEnd uint64) error {
	newData, newLog := filepath.Join(built, "Data", filepath.Base(data)), filepath.Join(built, "Data", "data.journal")
	unlockOld, err := lockDataFile(data)
	if err != nil {
		return rollbackSwapError(data, err)
	}
	defer unlockOld()
	if logEnd != 0 && lastOpOf(logPath) != logEnd {
		// Written meanwhile by another process: what the rollback built and records as undone
		// no longer matches the log.
		return rollbackSwapError(data, errInUse)
	}
	unlockNew, err := lockDataFile(newData)
	if err != nil {
		return rollbackSwapError(newData, err)
	}
	defer unlockNew()
	// Never final names: what a killed rollback left.
	os.Remove(data + ".rollback")
	os.Remove(logPath + ".rollback")
	steps := []swapStep{
		{from: newData, to: data + ".rollback"},
		{from: newLog, to: logPath + ".rollback"},
		{from: logPath, to: oldLog, link: true},
		{from: logPath, to: inChain, link: true},
		{from: logPath + ".rollback", to: logPath, over: true},
		{from: data, to: oldData, link: true},
		{from: data + ".rollback", to: data, over: true},
	}
	for i, step := range steps {
		happened, err := step.do()
		if err == nil {
			continue
		}
		if !happened {
			i-- // nothing of this step to undo
		}
		var undo []error
		for j := i; j >= 0; j-- {
			if uerr := steps[j].undo(); uerr != nil {
				undo = append(undo, uerr)
			}
		}
		if len(undo) > 0 {
			return &engine.Error{Code: engine.CodeDataIO, Op: "rollback", Path: step.to,
				Err: fmt.Errorf("the rollback failed (%v) and could not be undone: %v; put each file back under its name before opening the database", err, errors.Join(undo...))}
		}
		return &engine.Error{Code: engine.CodeDataIO, Op: "rollback", Path: step.to, Err: fmt.Errorf("%w; the rollback was undone, the database is as before", err)}
	}
	return nil
}

// swapStep moves from to to (a rename), or gives from the second name to (a link), then
// syncs the folders. A rename over a file that the step before linked is undone by that
// step's undo: the old file's second name is renamed back over the new one, in one rename.
type swapStep struct {
	from, to   string
	link, over bool
}

// do carries the step out; happened says whether the file moved (a sync may fail after).
func (s swapStep) do() (happened bool, err error) {
	if s.link {
		err = os.Link(s.from, s.to)
	} else {
		err = os.Rename(s.from, s.to)
	}
	if err != nil {
		return false, err
	}
	fsys := journal.OSFS{}
	return true, errors.Join(fsys.SyncDir(filepath.Dir(s.from)), fsys.SyncDir(filepath.Dir(s.to)))
}

// undo takes a step that happened back.
func (s swapStep) undo() error {
	if s.over {
		return nil
	}
	if s.link && sameFile(s.from, s.to) {
		// The rename over from did not happen: from is still the old file.
		if err := os.Remove(s.to); err != nil {
			return fmt.Errorf("%s has a second name %s (%w)", s.from, s.to, err)
		}
		return nil
	}
	if err := os.Rename(s.to, s.from); err != nil {
		return fmt.Errorf("%s stays at %s (%w)", s.from, s.to, err)
	}
	journal.OSFS{}.SyncDir(filepath.Dir(s.from))
	return nil
}

func rollbackSwapError(path string, err error) error {
	if errors.Is(err, errInUse) {
		return &engine.Error{Code: engine.CodeInUse, Op: "rollback", Path: path, Err: errors.New("the database was opened while the rollback was prepared; close it there and roll back again")}
	}
	return &engine.Error{Code: engine.CodeDataIO, Op: "rollback", Path: path, Err: err}
}

func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}

// resumeBeforeRollback finishes or undoes an interrupted backup of db (see resumeInterrupted).
func resumeBeforeRollback(db *engine.DB, v settings.Values, dest string) error {
	if InterruptedBackup(db.Dir()) == 0 && len(db.ClosedLogs()) == 0 {
		return nil
	}
	release, err := claimBackup(db)
	if err != nil {
		return err
	}
	defer release()
	if err := checkDestination(dest, v.Destination == ""); err != nil {
		return err
	}
	hist, err := LoadHistory(dest)
	if err != nil {
		return &engine.Error{Code: engine.CodeDestination, Op: "read history", Path: dest, Err: err}
	}
	return resumeInterrupted(db, v, dest, hist)
}

// recordRollback adds a rollback to the history in dest, made first when it is the default
// destination and missing (a database never backed up has none yet).
func recordRollback(dest string, isDefault bool, e HistoryEntry, keep int) error {
	if isDefault {
		if err := os.MkdirAll(dest, 0o700); err != nil {
			return err
		}
	}
	hist, err := LoadHistory(dest)
	if err != nil {
		return err
	}
	hist.add(e, keep)
	return hist.save(dest)
}

// markRollback sets the status of the rollback started at start in the history: made once its
// swap is done, failed when the swap was undone (what it would have undone stays).
func markRollback(dest string, start time.Time, status string) error {
	hist, err := LoadHistory(dest)
	if err != nil {
		return err
	}
	for i := range hist.Operations {
		if e := &hist.Operations[i]; e.Kind == "rollback" && e.Start.Equal(start) {
			e.Status = status
		}
	}
	return hist.save(dest)
}

// lastOpOf is the last operation of the log at path as a reader reads it (0 when it cannot be
// read).
func lastOpOf(path string) uint64 {
	r, err := journal.OpenReader(journal.OSFS{}, path)
	if err != nil {
		return 0
	}
	defer r.Close()
	last := r.Header().FirstOp - 1
	for {
		rec, err := r.Next()
		if err != nil {
			return last
		}
		last = rec.Op
	}
}
