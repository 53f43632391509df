package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"holdfast/engine"
	"holdfast/journal"
	"holdfast/settings"
)

// Options tune a backup. The zero value is a backup with the database's settings.
type Options struct {
	Overwrite bool           // replace an archive of the same number (after the history was lost)
	Progress  func(Progress) // called as the archive is written

	// OnStartup runs before anything is copied, after the startup command; an error cancels
	// the backup (1431). OnShutdown runs at the end with the status code (0 = success) and the
	// archive's path ("" when none was written).
	OnStartup  func() error
	OnShutdown func(status int, archive string)

	FS journal.FS // where archives are written; nil: the real filesystem (tests inject faults)
}

// Result describes a finished backup.
type Result struct {
	Number     uint32
	Archive    string   // path of the .4BK (its first segment when cut in segments)
	Files      []string // every file of the archive: the .4BK, or its segments in order
	LogBackups []string // paths of the .4BL written
	Size       int64    // bytes of the archive
	Operation  uint64   // the snapshot's operation number
	Duration   time.Duration
	Deleted    []string // old backups deleted to keep only the last X
	Missing    []string // attachments not found: the backup is partial (1430)
	sums       []FileInfo
	done       bool // the backup counts even if a later step failed (see pendingBackup)
}

// Done reports whether the backup counts (its archive is in place and the log follows it),
// even when Run returned an error for a later step.
func (r *Result) Done() bool { return r.done }

// Destination is where a database's backups go by its current settings: the destination
// setting, or "<Name> Backups" beside the database folder.
func Destination(db *engine.DB) string { return db.Values().DestinationFor(db.Dir()) }

// job is one backup: the database, the snapshot of its settings taken when the backup started,
// and where it goes. Every step reads the settings from the job, never from the database:
// settings saved while a backup runs are for the next one, so that an archive, the log switch,
// the retention and the history all follow the same settings.
type job struct {
	db    *engine.DB
	v     settings.Values
	dest  string
	opts  Options
	start time.Time
	m     *meter // the progress of the steps, from the writing of the archive on
}

// verbose is journal.verbose of the snapshot.
func (j *job) verbose() bool { return j.v.Journal.Verbose }

// ArchiveName is the file name of backup n of a database.
func ArchiveName(name string, n uint32) string { return fmt.Sprintf("%s[%04d].4BK", name, n) }

// LogBackupName is the file name of the log backup that follows backup n.
func LogBackupName(name string, n uint32) string { return fmt.Sprintf("%s[%04d].4BL", name, n) }

// LogSegmentName is the file name of the log backup New Log File closed as the seg-th since
// backup n (1, 2, ...): it comes before the log backup n that the next backup closes.
func LogSegmentName(name string, n, seg uint32) string {
	return fmt.Sprintf("%s[%04d-%04d].4BL", name, n, seg)
}

// Run makes a backup of db with its current settings (S6.2). Cancelling ctx stops it at once
// with 1406: nothing is left under a final name, the database and its log are as before. A
// backup that could not save some attachments is partial: it returns its Result and error 1430.
//
// The settings are read once, when it starts: they are the backup's to its end, whatever is
// saved meanwhile. While one of the keys a backup needs (settings.BackupKeys) holds a value
// that is not valid in the settings file, it refuses to start with 2009 naming the key, its
// line and the fix: run by the default, a mistyped keep.count would delete the backups the
// user meant to keep.
func Run(ctx context.Context, db *engine.DB, opts Options) (*Result, error) {
	j := &job{db: db, v: db.Values(), opts: opts, start: time.Now()}
	j.dest = j.v.DestinationFor(db.Dir())
	verbose, start, dest := j.verbose(), j.start, j.dest
	rotateJournal(db.Dir())
	if err := j.badSettings(); err != nil {
		return nil, err
	}
	note(db.Dir(), verbose, true, "Backup started (destination %s).", dest)

	var hist *History
	var res *Result
	err := j.startupHook(ctx)
	if err == nil {
		hist, res, err = j.run(ctx)
	}
	status := StatusSuccess
	switch {
	case err != nil && res != nil && res.done && len(res.Missing) > 0:
		status = StatusPartial
	case err != nil && res != nil && res.done:
		// Done (the log follows it), but a later step failed: the backup stands, and its
		// error is recorded with it.
	case err != nil:
		status, res = StatusFailed, nil
	}
	entry := HistoryEntry{Kind: "backup", Start: start, Date: start.Format("2006-01-02"), Time: start.Format("15:04:05"),
		DurationMS: time.Since(start).Milliseconds(), Status: status, ErrorCode: int(engine.CodeOf(err))}
	if err != nil {
		entry.setError(err)
		note(db.Dir(), verbose, true, "Backup %s: error %d: %v", status, engine.CodeOf(err), err)
	}
	if res != nil {
		entry.Number, entry.Operation = res.Number, res.Operation
		entry.Files = res.sums // hashed as they were written
		// publish verified the archive when archive.verify is on, or the backup failed.
		entry.Checked = j.v.Archive.Verify
		note(db.Dir(), verbose, false, "Backup %d finished in %s: %s (%d bytes), snapshot at operation %d.",
			res.Number, time.Since(start).Round(time.Millisecond), res.Archive, res.Size, res.Operation)
		for _, l := range res.LogBackups {
			note(db.Dir(), verbose, false, "Log backup written: %s.", l)
		}
	}
	if hist != nil {
		herr := j.record(hist, entry, res)
		if herr != nil && err == nil {
			err = herr
		}
		if herr == nil && res != nil {
			if cerr := clearPending(db.Dir()); cerr != nil && err == nil {
				err = coded(engine.CodeArchiveWrite, "end backup", pendingPath(db.Dir()), cerr)
			}
		}
	}
	archive := ""
	if res != nil {
		res.Duration = time.Since(start)
		archive = res.Archive
	}
	j.shutdownHook(int(engine.CodeOf(err)), archive)
	return res, err
}

// badSettings refuses a backup whose settings hold a bad value it needs (2009): nothing is
// copied, deleted or run, and the backup journal says why.
func (j *job) badSettings() error {
	err := j.v.Need(settings.BackupKeys...)
	if err == nil {
		return nil
	}
	err = &engine.Error{Code: engine.CodeBadSetting, Op: "backup", Path: filepath.Join(j.db.Dir(), settings.FileName), Err: err}
	note(j.db.Dir(), true, true, "Backup refused: error %d: %v", engine.CodeOf(err), err)
	if j.opts.OnShutdown != nil {
		j.opts.OnShutdown(int(engine.CodeOf(err)), "")
	}
	return err
}

// record deletes the backups beyond the last X (after the backup) and writes the history.
func (j *job) record(hist *History, entry HistoryEntry, res *Result) error {
	db, dest, verbose := j.db, j.dest, j.verbose()
	keep := j.v.KeepCount()
	if res != nil && keep > 0 && j.v.Keep.DeleteOldest == settings.DeleteAfter {
		withNew := *hist
		withNew.Operations = append(append([]HistoryEntry(nil), hist.Operations...), entry)
		deleted, err := prune(&withNew, keep)
		res.Deleted = append(res.Deleted, deleted...)
		if err != nil {
			note(db.Dir(), verbose, true, "Warning: %v", err)
		}
	}
	if res != nil {
		for _, d := range res.Deleted {
			note(db.Dir(), verbose, false, "Old backup file deleted: %s.", d)
		}
	}
	hist.Database = engine.FormatID(db.ID())
	if keep == 0 {
		keep = 100 // keeping every backup: the history still stays a readable size
	}
	hist.add(entry, keep)
	if err := hist.save(dest); err != nil {
		return coded(engine.CodeArchiveWrite, "write history", filepath.Join(dest, HistoryFile), err)
	}
	return nil
}

// run does the backup proper; the history is returned so that the outcome can be recorded
// there even on failure (when the destination can be read at all). What an interrupted backup
// left is finished or undone first (see pendingBackup).
func (j *job) run(ctx context.Context) (*History, *Result, error) {
	db, dest, opts := j.db, j.dest, j.opts
	release, err := claimBackup(db)
	if err != nil {
		return nil, nil, err
	}
	defer release()
	if err := checkDestination(dest, j.v.Destination == ""); err != nil {
		return nil, nil, err
	}
	hist, err := LoadHistory(dest)
	if err != nil {
		return nil, nil, coded(engine.CodeDestination, "read history", dest, err)
	}
	removeStaleTemps(dest, db.Name())
	removeAbandonedAll(dest)
	removeAbandonedAll(filepath.Dir(db.Dir()))
	if err := resumeInterrupted(db, j.v, dest, hist); err != nil {
		return hist, nil, err
	}
	n := hist.NextNumber()
	res := &Result{Number: n}
	if keep := j.v.KeepCount(); keep > 0 && j.v.Keep.DeleteOldest == settings.DeleteBefore {
		// Room for the new one: keep one fewer now.
		res.Deleted, err = prune(hist, keep-1)
		if err != nil {
			return hist, nil, coded(engine.CodeArchiveWrite, "delete old backups", dest, err)
		}
	}
	if old := existingArchive(dest, db.Name(), n); old != "" && !opts.Overwrite {
		return hist, nil, &engine.Error{Code: engine.CodeExists, Op: "backup", Path: old,
			Err: fmt.Errorf("backup %d already exists although %s does not list it (it was deleted or moved, which resets the numbering); move the old archives away, or overwrite it on purpose", n, HistoryFile)}
	}
	snap, err := db.BeginBackup(n)
	if err != nil {
		return hist, nil, err
	}
	res.Operation = snap.Op
	if opts.Overwrite {
		removeArchive(dest, db.Name(), n)
	}
	out, missing, err := j.writeArchive(ctx, snap)
	if err != nil {
		snap.Abort()
		return hist, nil, err
	}
	res.Missing = missing
	if err := j.publish(snap, out, res); err != nil {
		snap.Abort()
		return hist, nil, err
	}
	return hist, res, j.commit(snap, res)
}

// publish records the backup as pending, renames the archive into place and verifies it. On
// failure what it renamed is removed, and the record with it; a kill leaves the record for the
// next backup to undo.
func (j *job) publish(snap *engine.BackupSnapshot, out *output, res *Result) error {
	db := j.db
	pend := &pendingBackup{Number: snap.Number, Dest: j.dest, Start: j.start, Operation: snap.Op, Data: j.v.Content.Data, Missing: res.Missing}
	for i, f := range out.sums {
		f.Path = out.finals[i]
		pend.Files = append(pend.Files, f)
	}
	if err := savePending(db.Dir(), pend); err != nil {
		out.abort()
		return coded(engine.CodeArchiveWrite, "write backup record", pendingPath(db.Dir()), err)
	}
	undo := func(err error) error {
		if uerr := undoFiles(pend); uerr == nil {
			clearPending(db.Dir())
		}
		return err
	}
	if err := out.publish(); err != nil {
		return undo(coded(engine.CodeArchiveWrite, "write archive", pend.Files[0].Path, err))
	}
	res.sums = append([]FileInfo(nil), pend.Files...)
	res.Files = make([]string, len(pend.Files))
	for i, f := range pend.Files {
		res.Files[i] = f.Path
		res.Size += f.Size
	}
	res.Archive = res.Files[0]
	if j.v.Archive.Verify {
		j.m.step(StepCheck)
		if _, _, err := verifyArchive(res.Archive, j.m); err != nil {
			if errors.Is(err, ErrStopped) || j.m.ctx.Err() != nil {
				err = &engine.Error{Code: engine.CodeBackupInterrupted, Op: "backup", Path: res.Archive}
			}
			return undo(err) // written just now and bad (or stopped): it must not look like a backup
		}
	}
	return nil
}

// undoFiles removes the files of a backup that does not count.
func undoFiles(p *pendingBackup) error {
	var first error
	for _, f := range p.Files {
		if err := os.Remove(f.Path); err != nil && !errors.Is(err, os.ErrNotExist) && first == nil {
			first = err
		}
		os.Remove(filepath.Join(filepath.Dir(f.Path), "."+filepath.Base(f.Path)+".tmp"))
	}
	if err := (journal.OSFS{}).SyncDir(p.Dest); err != nil && first == nil {
		first = err
	}
	return first
}

// commit switches the log at the snapshot and archives the closed log. Once the log is
// switched the backup counts (res.done), even when archiving the closed log fails: that closed
// log stays beside the log for the next backup to archive, and the error says so.
func (j *job) commit(snap *engine.BackupSnapshot, res *Result) error {
	db, dest := j.db, j.dest
	if !j.v.Content.Data {
		// Without the data there is nothing to integrate a log into: the log goes on as is.
		snap.Abort()
		res.done = true
		return missingErr(res)
	}
	_, err := snap.Commit()
	if !snap.Committed {
		p := &pendingBackup{Dest: dest}
		for _, f := range res.Files {
			p.Files = append(p.Files, FileInfo{Path: f})
		}
		if uerr := undoFiles(p); uerr == nil {
			clearPending(db.Dir()) // not a backup the log follows: it must not look like one
		}
		return err
	}
	res.done = true
	j.m.step(StepLog) // past the point of no return: this step is not stopped
	logs, logSums, lerr := archiveClosedLogs(db, dest, j.m)
	res.LogBackups = logs
	res.sums = append(res.sums, logSums...)
	if err == nil && lerr != nil {
		err = &engine.Error{Code: engine.CodeOf(lerr), Op: "write log backup", Err: fmt.Errorf("backup %d is done, but its log backup is not: %w; the closed log stays beside the log and the next backup archives it", res.Number, lerr)}
	}
	if err != nil {
		return err
	}
	return missingErr(res)
}

// missingErr is the 1430 of a partial backup, or nil.
func missingErr(res *Result) error {
	if len(res.Missing) == 0 {
		return nil
	}
	return &engine.Error{Code: engine.CodeAttachmentMissing, Op: "backup", Path: strings.Join(res.Missing, ", ")}
}

// historyKeep is how many operations backupHistory.json keeps: as many as there are backups
// kept, or 100 when every backup is kept (the history stays a readable size).
func historyKeep(v settings.Values) int {
	if k := v.KeepCount(); k > 0 {
		return k
	}
	return 100
}

// existingArchive returns an archive (or a segment) of backup n already in dest, or "".
func existingArchive(dest, name string, n uint32) string {
	for _, p := range []string{filepath.Join(dest, ArchiveName(name, n)), filepath.Join(dest, SegmentName(name, n, 1))} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// removeArchive deletes backup n's archive and segments (overwriting on purpose).
func removeArchive(dest, name string, n uint32) {
	os.Remove(filepath.Join(dest, ArchiveName(name, n)))
	if segs, err := archiveFiles(filepath.Join(dest, SegmentName(name, n, 1))); err == nil {
		for _, s := range segs {
			os.Remove(s)
		}
	}
}

// checkDestination makes sure the destination is a writable folder (1407); the default one
// (isDefault: the destination setting is empty) is created when missing.
func checkDestination(dest string, isDefault bool) error {
	info, err := os.Stat(dest)
	if errors.Is(err, os.ErrNotExist) && isDefault {
		if err = os.MkdirAll(dest, 0o700); err == nil {
			info, err = os.Stat(dest)
		}
	}
	if err != nil {
		return &engine.Error{Code: engine.CodeDestination, Op: "backup", Path: dest, Err: err}
	}
	if !info.IsDir() {
		return &engine.Error{Code: engine.CodeDestination, Op: "backup", Path: dest, Err: errors.New("not a folder")}
	}
	probe, err := os.CreateTemp(dest, ".holdfast-probe-*")
	if err != nil {
		return &engine.Error{Code: engine.CodeDestination, Op: "backup", Path: dest, Err: err}
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// writeArchive writes the archive (one file or segments) under temporary names and syncs it;
// the caller renames it into place (output.publish).
func (j *job) writeArchive(ctx context.Context, snap *engine.BackupSnapshot) (out *output, missing []string, err error) {
	db, dest, start, a := j.db, j.dest, j.start, j.v.Archive
	fsys := j.opts.FS
	if fsys == nil {
		fsys = journal.OSFS{}
	}
	out = &output{fsys: fsys, dir: dest, name: db.Name(), number: snap.Number, segSize: int64(a.SegmentMB) << 20}
	path := filepath.Join(dest, ArchiveName(db.Name(), snap.Number))
	var aw *archiveWriter
	fail := func(err error) (*output, []string, error) {
		if aw != nil {
			aw.abort() // first: its goroutines write to out
		}
		out.abort()
		// bbolt does not wrap the writer's error: the context says whether it was a stop.
		if errors.Is(err, ErrStopped) || ctx.Err() != nil {
			return nil, nil, &engine.Error{Code: engine.CodeBackupInterrupted, Op: "backup", Path: path}
		}
		return nil, nil, coded(engine.CodeArchiveWrite, "write archive", path, err)
	}
	sources, total, missing, err := collect(db, j.v.Content, dest)
	if err != nil {
		return fail(err)
	}
	if j.v.Content.Data {
		total += snap.Size()
	}
	m := j.newMeter(ctx, total)
	m.step(StepWrite)
	var sink io.Writer = out
	var protect io.WriteCloser
	red, rerr := ParseRedundancy(a.Redundancy)
	il, ierr := ParseInterlacing(a.Interlacing)
	if err := errors.Join(rerr, ierr); err != nil {
		return fail(err)
	}
	if red != RedundancyNone {
		if protect, err = NewProtectedWriter(out, red, il); err != nil {
			return fail(err)
		}
		sink = protect
	}
	busy := func() bool { return db.WrittenWithin(pyield) }
	aw, err = newArchiveWriter(sink, a.Compression, m, busy)
	if err != nil {
		return fail(err)
	}
	if j.v.Content.Data {
		dataName := "Data/" + db.Name() + ".4DD"
		err = aw.add(dataName, start, func(w io.Writer) error { _, err := snap.WriteTo(w); return err })
	}
	for _, fl := range sources {
		if err != nil {
			break
		}
		src, oerr := os.Open(fl.path)
		if oerr != nil {
			if fl.attachment && errors.Is(oerr, os.ErrNotExist) {
				missing = append(missing, fl.path) // vanished since it was listed
				continue
			}
			err = oerr
			break
		}
		err = aw.add(fl.name, fl.modified, func(w io.Writer) error { _, err := io.Copy(w, src); return err })
		src.Close()
	}
	if err != nil {
		return fail(err)
	}
	man := &Manifest{Format: manifestFormat, Backup: snap.Number, Time: start.UTC().Truncate(time.Second), Database: engine.FormatID(db.ID()),
		Name: db.Name(), Folder: db.Dir(), Operation: snap.Op, Holdfast: Version, Compression: a.Compression}
	if err := aw.finish(man); err != nil {
		return fail(err)
	}
	if protect != nil {
		if err := protect.Close(); err != nil {
			return fail(err)
		}
	}
	m.item("saving to disk")
	if err = out.finish(); err != nil {
		return fail(err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	return out, missing, nil
}

// newMeter plans the steps of the backup and their bytes: the archive's content written, read
// back again when it is verified, and the log archived once the log is switched (its size now,
// with the closed logs waiting beside it).
func (j *job) newMeter(ctx context.Context, content int64) *meter {
	steps, bytes := []string{StepWrite}, []int64{content}
	if j.v.Archive.Verify {
		steps, bytes = append(steps, StepCheck), append(bytes, content)
	}
	if j.v.Content.Data {
		var logs int64
		for _, p := range append(j.db.ClosedLogs(), j.db.LogPath()) {
			if fi, err := os.Stat(p); err == nil {
				logs += fi.Size()
			}
		}
		steps, bytes = append(steps, StepLog), append(bytes, logs)
	}
	j.m = newStepMeter(ctx, j.opts.Progress, steps, bytes)
	return j.m
}

// closedLogPattern reads the backup number, and the segment number of a log New Log File
// closed, in the name of a closed log waiting beside the log ("<log>.closed[NNNN]",
// "<log>.closed[NNNN-SSSS]").
var closedLogPattern = regexp.MustCompile(`\.closed\[(\d{4,})(?:-(\d{4,}))?\]$`)

// archiveClosedLogs copies each closed log waiting beside the log to the destination as the
// log backup numbered after the backup it follows (and, for a segment New Log File closed,
// after its segment number), then removes it. Closed logs are first cut where the current log
// starts (engine.DB.CutClosedLogs). A log backup already there with the same bytes is one an
// interrupted run wrote: the closed log is then only removed. One with other bytes is from
// another chain (the history was reset): it is kept under another name, never replaced, and the
// backup journal says so. Backups and New Log File may archive at the same moment: one of them
// at a time lists and moves the closed logs.
func archiveClosedLogs(db *engine.DB, dest string, m *meter) ([]string, []FileInfo, error) {
	archiveMu.Lock()
	defer archiveMu.Unlock()
	if err := db.CutClosedLogs(); err != nil {
		return nil, nil, err
	}
	var out []string
	var sums []FileInfo
	for _, closed := range db.ClosedLogs() {
		target, ok := logBackupTarget(db.Name(), dest, closed)
		if !ok {
			continue
		}
		if err := ownLog(db, closed); err != nil {
			note(db.Dir(), true, true, "Warning: %s is not a closed log of this database (%v): it is left where it is, not archived.", closed, err)
			continue
		}
		sum, err := archiveClosedLog(db, closed, target, m)
		if err != nil {
			return out, sums, err
		}
		out = append(out, target)
		sums = append(sums, sum)
	}
	return out, sums, nil
}

// ownLog checks that a closed log is a log of this database.
func ownLog(db *engine.DB, path string) error {
	h, err := logHeader(path)
	if err != nil {
		return err
	}
	if h.DBID != db.ID() {
		return errors.New("it belongs to another database")
	}
	return nil
}

// logBackupTarget is the log backup a closed log becomes in dest.
func logBackupTarget(name, dest, closed string) (string, bool) {
	m := closedLogPattern.FindStringSubmatch(closed)
	if m == nil {
		return "", false
	}
	n, _ := strconv.ParseUint(m[1], 10, 32)
	if m[2] == "" {
		return filepath.Join(dest, LogBackupName(name, uint32(n))), true
	}
	seg, err := strconv.ParseUint(m[2], 10, 32)
	if err != nil {
		return "", false
	}
	return filepath.Join(dest, LogSegmentName(name, uint32(n), uint32(seg))), true
}

// archiveClosedLog copies one closed log to target (streamed, under a temporary name, synced,
// renamed) and removes it.
func archiveClosedLog(db *engine.DB, closed, target string, m *meter) (FileInfo, error) {
	sum, err := fileSum(closed)
	if err != nil {
		return FileInfo{}, coded(engine.CodeLogIO, "read closed log", closed, err)
	}
	sum.Path = target
	if old, err := fileSum(target); err == nil {
		if old.SHA256 == sum.SHA256 && old.Size == sum.Size {
			// Written by a run that ended before it removed the closed log.
			if err := os.Remove(closed); err != nil {
				return FileInfo{}, coded(engine.CodeLogIO, "remove closed log", closed, err)
			}
			return sum, nil
		}
		aside := fmt.Sprintf("%s.other-%s", target, time.Now().Format("20060102-150405"))
		if err := os.Rename(target, aside); err != nil {
			return FileInfo{}, coded(engine.CodeArchiveWrite, "keep an older log backup aside", target, err)
		}
		note(db.Dir(), true, true, "Warning: %s held another log than the one this backup archives under that name (a history reset?); it is kept as %s.", target, aside)
	}
	if err := copyFileAtomic(closed, target, m); err != nil {
		return FileInfo{}, coded(engine.CodeArchiveWrite, "write log backup", target, err)
	}
	if err := os.Remove(closed); err != nil {
		return FileInfo{}, coded(engine.CodeLogIO, "remove closed log", closed, err)
	}
	return sum, nil
}

// countingWriter counts what it writes in a meter (nil: none); it is never stopped.
type countingWriter struct {
	w io.Writer
	m *meter
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.m.count(int64(n))
	return n, err
}

// fileSum returns the size and SHA-256 of a file, read as a stream.
func fileSum(path string) (FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileInfo{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return FileInfo{}, err
	}
	return FileInfo{Path: path, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// copyFileAtomic copies src to dst as a stream: a temporary file beside dst, synced, renamed,
// and the folder synced.
func copyFileAtomic(src, dst string, m *meter) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp")
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(countingWriter{out, m}, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return journal.OSFS{}.SyncDir(filepath.Dir(dst))
}
