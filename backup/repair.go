package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"holdfast/engine"
	"holdfast/settings"
)

// RepairPlan is what repairs a damaged data file (S3.5 step 1): the data of the newest backup
// whose archive is there, then the log backups that follow it and the current log.
type RepairPlan struct {
	Backup  uint32
	Archive string
	Logs    []string
}

// Steps says the plan as a person would carry it out.
func (p *RepairPlan) Steps() string {
	var b strings.Builder
	fmt.Fprintf(&b, "restore the data of backup %d (%s)", p.Backup, p.Archive)
	if len(p.Logs) > 0 {
		fmt.Fprintf(&b, ", then integrate %s", strings.Join(p.Logs, ", "))
	}
	return b.String()
}

// RepairResult says what an automatic repair did.
type RepairResult struct {
	RepairPlan
	Integrated int    // operations integrated from the logs
	Reached    uint64 // the repaired data file holds every operation up to this one
	Damaged    string // where the damaged data file was set aside ("" when it was missing)
	Skipped    []string
}

// PlanRepair finds how to repair the data file of the database in dir from its backups. The
// candidates are the backups the histories of every destination known record (see
// repairplan.go), newest first; it returns every one whose archive is there, each with its
// chain of logs, the best first.
func PlanRepair(dir string) ([]RepairPlan, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, &engine.Error{Code: engine.CodeUsage, Op: "repair", Path: dir, Err: err}
	}
	v, id, err := valuesAndID(dir, "repair")
	if err != nil {
		return nil, err
	}
	return planRepair(dir, v, id)
}

// planRepair is PlanRepair for a folder whose settings and identity are read.
func planRepair(dir string, v settings.Values, id string) ([]RepairPlan, error) {
	dests := knownDestinations(dir, v)
	id = folderIdentity(id, dests[0])
	cands, histErr := repairCandidates(dests, filepath.Base(dir), id)
	pool := logPool(dests, dir, v.Log, id)
	var plans []RepairPlan
	for _, c := range cands {
		plans = append(plans, RepairPlan{Backup: c.Number, Archive: c.archive, Logs: chainAfter(pool, c.Operation)})
	}
	switch {
	case len(plans) == 0 && histErr != nil:
		return nil, &engine.Error{Code: engine.CodeDamaged, Op: "repair", Path: dests[0], Err: fmt.Errorf("the data file is damaged and the backup history cannot be read (%w)", histErr)}
	case len(plans) == 0:
		return nil, &engine.Error{Code: engine.CodeDamaged, Op: "repair", Path: dir,
			Err: fmt.Errorf("no backup of this database was found to repair it from (looked in %s)", strings.Join(dests, ", "))}
	}
	return plans, nil
}

// Repair rebuilds the damaged or missing data file of the database in dir (S3.5 step 1): the
// data of the newest backup that restores is extracted, the log backups after it and the
// current log are integrated, and the result replaces the data file, the damaged one being
// kept beside it as "<Name>.4DD.damaged-<time>". Each step goes to the backup journal and the
// repair to backupHistory.json. Backups whose archive turns out missing or damaged are
// skipped for the next older one.
func Repair(ctx context.Context, dir string) (*RepairResult, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, &engine.Error{Code: engine.CodeUsage, Op: "repair", Path: dir, Err: err}
	}
	v, id, err := valuesAndID(dir, "repair")
	if err != nil {
		return nil, err
	}
	return repair(ctx, dir, v, id, nil)
}

// repair is Repair for a folder whose settings and identity are read; progress, when set, is
// told how the restore and the integration of the logs go.
func repair(ctx context.Context, dir string, v settings.Values, id string, progress func(Progress)) (*RepairResult, error) {
	start := time.Now()
	plans, err := planRepair(dir, v, id)
	if err != nil {
		note(dir, true, true, "Automatic repair: the data file is damaged and cannot be repaired: %v", err)
		return nil, err
	}
	name := filepath.Base(dir)
	verbose := v.Journal.Verbose
	note(dir, verbose, true, "Automatic repair: the data file of %s is damaged or missing; repairing it from its backups.", dir)
	prefix := "." + name + ".repair-"
	removeAbandoned(filepath.Dir(dir), prefix)
	work, doneStaging, err := newStaging(filepath.Dir(dir), prefix)
	if err != nil {
		return nil, &engine.Error{Code: engine.CodeDestination, Op: "repair", Path: filepath.Dir(dir), Err: err}
	}
	defer doneStaging()
	res := &RepairResult{}
	var rres *RestoreResult
	for _, p := range plans {
		rres, err = Restore(ctx, p.Archive, RestoreOptions{To: filepath.Join(work, name), Items: []string{ItemData}, Logs: p.Logs, StructureFrom: dir, inner: true, Progress: progress})
		if err == nil {
			res.RepairPlan = p
			break
		}
		if c := engine.CodeOf(err); c != engine.CodeArchiveMissing && c != engine.CodeArchiveVerify && c != engine.CodeUnsafeEntry {
			note(dir, true, true, "Automatic repair failed: %v", err)
			return nil, err
		}
		note(dir, true, true, "Automatic repair: backup %d cannot be used (%v); trying an older one.", p.Backup, err)
		res.Skipped = append(res.Skipped, p.Archive)
	}
	if err != nil {
		note(dir, true, true, "Automatic repair failed: no backup could be restored (%v)", err)
		return nil, err
	}
	res.Integrated, res.Reached = rres.Integrated, rres.Reached
	if res.Damaged, err = swapData(dir, filepath.Join(rres.Dir, "Data", name+".4DD"), start); err != nil {
		return nil, err
	}
	note(dir, verbose, true, "Automatic repair done: the data of backup %d (%s) and %d log file(s) integrated (%d operation(s)), data at operation %d; the damaged data file is kept as %s.",
		res.Backup, res.Archive, len(res.Logs), res.Integrated, res.Reached, orNone(res.Damaged))
	recordRepair(dir, v, res, start)
	return res, nil
}

// swapData puts the repaired data file from in place of the data file of dir, the damaged one
// (if any) kept beside it as "<Name>.4DD.damaged-<time>", whose path it returns, and removes
// the mark a read left beside it (engine.DamageMark).
func swapData(dir, from string, start time.Time) (string, error) {
	data := filepath.Join(dir, "Data", filepath.Base(dir)+".4DD")
	damaged := ""
	if _, err := os.Lstat(data); err == nil {
		damaged = data + ".damaged-" + start.Format("20060102-150405")
		if err := os.Rename(data, damaged); err != nil {
			return "", &engine.Error{Code: engine.CodeDataIO, Op: "repair", Path: data, Err: err}
		}
	}
	if err := os.Rename(from, data); err != nil {
		if damaged != "" {
			os.Rename(damaged, data)
		}
		return "", &engine.Error{Code: engine.CodeDataIO, Op: "repair", Path: data, Err: err}
	}
	if d, err := os.Open(filepath.Dir(data)); err == nil {
		d.Sync()
		d.Close()
	}
	if err := engine.ClearDamageMark(dir); err != nil {
		// The data file is repaired, but every open would still take it for damaged.
		return damaged, &engine.Error{Code: engine.CodeDataIO, Op: "repair", Path: engine.DamageMark(dir),
			Err: fmt.Errorf("the data file was repaired but its damage mark cannot be removed (%v): delete the mark by hand", err)}
	}
	return damaged, nil
}

func orNone(s string) string {
	if s == "" {
		return "(none: it was missing)"
	}
	return s
}

// recordRepair adds the repair to backupHistory.json; a history that cannot be written is noted
// in the journal (the repair itself is done).
func recordRepair(dir string, v settings.Values, res *RepairResult, start time.Time) {
	dest := v.DestinationFor(dir)
	if err := recordOperation(dest, operationEntry("repair", res.Backup, start, res.Reached, res.Archive), historyKeep(v)); err != nil {
		note(dir, true, true, "Warning: the repair could not be recorded in %s: %v", filepath.Join(dest, HistoryFile), err)
	}
}

// OpenOrRepair opens a database; when its data file is damaged or missing (1433) and
// restore.autoRestoreIfDamaged is on, it repairs it from the backups first and opens the
// result. With the setting off, or one of settings.OpenKeys holding a bad value, the error says
// exactly what would repair it; while where the log or the backups are holds a bad value, that
// nothing can be repaired until it is fixed. opts.Progress
// is also told how a repair goes (the archive's bytes restored, then the logs' integrated).
func OpenOrRepair(ctx context.Context, dir string, opts engine.Options) (*engine.DB, *RepairResult, error) {
	db, err := engine.Open(dir, opts)
	if engine.CodeOf(err) != engine.CodeDamaged {
		return db, nil, err
	}
	abs, aerr := filepath.Abs(dir)
	if aerr != nil {
		return nil, nil, err
	}
	v, id, serr := valuesAndID(abs, "repair")
	if serr != nil {
		why := serr
		var e *engine.Error
		if errors.As(serr, &e) && e.Err != nil {
			why = e.Err
		}
		return nil, nil, &engine.Error{Code: engine.CodeDamaged, Op: "open", Path: dir,
			Err: fmt.Errorf("%w; it cannot be repaired until its settings are fixed (%w)", detail(err), why)}
	}
	// A bad value of what the open may do on its own is no leave to repair without asking.
	auto := v.Restore.AutoRestoreIfDamaged && v.Need(settings.OpenKeys...) == nil
	if !auto || opts.ReadOnly {
		plans, perr := planRepair(abs, v, id)
		if perr != nil {
			return nil, nil, &engine.Error{Code: engine.CodeDamaged, Op: "open", Path: dir, Err: fmt.Errorf("%w; and %w", detail(err), detail(perr))}
		}
		return nil, nil, &engine.Error{Code: engine.CodeDamaged, Op: "open", Path: dir,
			Err: fmt.Errorf("%w. To repair it: %s; %w", detail(err), plans[0].Steps(), engine.Advice{
				Command: fmt.Sprintf("or turn on restore.autoRestoreIfDamaged (holdfast settings %s set restore.autoRestoreIfDamaged true) and open it again", dir),
				Window:  "Repair now takes these steps"})}
	}
	var progress func(Progress)
	if opts.Progress != nil {
		progress = func(p Progress) { opts.Progress(p.Done, p.Total) }
	}
	res, rerr := repair(ctx, abs, v, id, progress)
	if rerr != nil {
		return nil, nil, &engine.Error{Code: engine.CodeDamaged, Op: "open", Path: dir, Err: fmt.Errorf("%w; the automatic repair failed: %w", detail(err), detail(rerr))}
	}
	db, err = engine.Open(dir, opts)
	return db, res, err
}

// detail is what an error says without the sentence of its code: the error that wraps it
// ends with its own. It is said for the command line and for the window (engine.WindowText),
// and hides err from errors.Is and errors.As, as a text would.
func detail(err error) engine.Advice {
	var e *engine.Error
	if errors.As(err, &e) {
		return engine.Advice{Command: strings.TrimSuffix(e.Error(), ". "+e.Code.Info().Sentence),
			Window: strings.TrimSuffix(e.WindowText(), ". "+e.Code.Info().WindowSentence())}
	}
	return engine.Advice{Command: err.Error(), Window: engine.WindowText(err)}
}
