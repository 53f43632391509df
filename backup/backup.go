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
}

// Destination is where a database's backups go: the destination setting, or "<Name> Backups"
// beside the database folder.
func Destination(db *engine.DB) string { return destinationFor(db.Dir(), db.Settings()) }

// destinationFor is Destination for a database folder and its settings.
func destinationFor(dir string, s *settings.Settings) string {
	if d := s.String("destination"); d != "" {
		return d
	}
	return filepath.Join(filepath.Dir(dir), filepath.Base(dir)+" Backups")
}

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
func Run(ctx context.Context, db *engine.DB, opts Options) (*Result, error) {
	start := time.Now()
	s := db.Settings()
	verbose := s.Bool("journal.verbose")
	dest := Destination(db)
	rotateJournal(db.Dir())
	note(db.Dir(), verbose, true, "Backup started (destination %s).", dest)

	var hist *History
	var res *Result
	err := startupHook(ctx, db, opts)
	if err == nil {
		hist, res, err = run(ctx, db, dest, opts, start)
	}
	status := StatusSuccess
	switch {
	case err != nil && res != nil && engine.CodeOf(err) == engine.CodeAttachmentMissing:
		status = StatusPartial
	case err != nil:
		status, res = StatusFailed, nil
	}
	entry := HistoryEntry{Kind: "backup", Start: start, Date: start.Format("2006-01-02"), Time: start.Format("15:04:05"),
		DurationMS: time.Since(start).Milliseconds(), Status: status, ErrorCode: int(engine.CodeOf(err))}
	if err != nil {
		entry.Error = err.Error()
		note(db.Dir(), verbose, true, "Backup %s: error %d: %v", status, engine.CodeOf(err), err)
	}
	if res != nil {
		entry.Number, entry.Operation = res.Number, res.Operation
		entry.Files = res.sums // hashed as they were written
		note(db.Dir(), verbose, false, "Backup %d finished in %s: %s (%d bytes), snapshot at operation %d.",
			res.Number, time.Since(start).Round(time.Millisecond), res.Archive, res.Size, res.Operation)
		for _, l := range res.LogBackups {
			note(db.Dir(), verbose, false, "Log backup written: %s.", l)
		}
	}
	if hist != nil {
		if herr := record(db, hist, entry, res, dest, verbose); herr != nil && err == nil {
			err = herr
		}
	}
	archive := ""
	if res != nil {
		res.Duration = time.Since(start)
		archive = res.Archive
	}
	shutdownHook(db, opts, int(engine.CodeOf(err)), archive)
	return res, err
}

// record deletes the backups beyond the last X (after the backup) and writes the history.
func record(db *engine.DB, hist *History, entry HistoryEntry, res *Result, dest string, verbose bool) error {
	s := db.Settings()
	keep := keepCount(s)
	if res != nil && keep > 0 && s.String("keep.deleteOldest") == "after" {
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
// there even on failure (when the destination can be read at all).
func run(ctx context.Context, db *engine.DB, dest string, opts Options, start time.Time) (*History, *Result, error) {
	if err := checkDestination(db, dest); err != nil {
		return nil, nil, err
	}
	hist, err := LoadHistory(dest)
	if err != nil {
		return nil, nil, coded(engine.CodeDestination, "read history", dest, err)
	}
	// Temporary archives of a backup that was killed: never looked like backups, now gone.
	if stale, _ := filepath.Glob(filepath.Join(dest, "."+db.Name()+"[[]*.4BK.tmp")); len(stale) > 0 {
		for _, f := range stale {
			os.Remove(f)
		}
	}
	n := hist.NextNumber()
	res := &Result{Number: n}
	if keep := keepCount(db.Settings()); keep > 0 && db.Settings().String("keep.deleteOldest") == "before" {
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
	sums, size, missing, err := writeArchive(ctx, db, snap, dest, start, opts)
	if err != nil {
		snap.Abort()
		return hist, nil, err
	}
	files := make([]string, len(sums))
	for i, f := range sums {
		files[i] = f.Path
	}
	res.Archive, res.Files, res.Size, res.Missing, res.sums = files[0], files, size, missing, sums
	if db.Settings().Bool("archive.verify") {
		if _, err := VerifyArchive(res.Archive); err != nil {
			snap.Abort()
			for _, f := range files {
				os.Remove(f) // written just now and bad: it must not look like a backup
			}
			return hist, nil, err
		}
	}
	if !db.Settings().Bool("content.data") {
		// Without the data there is nothing to integrate a log into: the log goes on as is.
		snap.Abort()
		return hist, res, nil
	}
	if _, err := snap.Commit(); err != nil {
		for _, f := range files {
			os.Remove(f) // not a backup the log follows: it must not look like one
		}
		return hist, nil, err
	}
	var logSums []FileInfo
	res.LogBackups, logSums, err = archiveClosedLogs(db, dest)
	res.sums = append(res.sums, logSums...)
	if err == nil && len(res.Missing) > 0 {
		err = &engine.Error{Code: engine.CodeAttachmentMissing, Op: "backup", Path: strings.Join(res.Missing, ", ")}
	}
	return hist, res, err
}

// keepCount is how many backups to keep, 0 when keep.enabled is off (keep them all).
func keepCount(s *settings.Settings) int {
	if !s.Bool("keep.enabled") {
		return 0
	}
	keep := 3
	fmt.Sscan(s.String("keep.count"), &keep)
	return keep
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

// checkDestination makes sure the destination is a writable folder (1407); the default one is
// created when missing.
func checkDestination(db *engine.DB, dest string) error {
	info, err := os.Stat(dest)
	if errors.Is(err, os.ErrNotExist) && db.Settings().String("destination") == "" {
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

// writeArchive writes the archive (one file or segments) under temporary names, syncs it and
// renames it into place. It returns the final files and their total size.
func writeArchive(ctx context.Context, db *engine.DB, snap *engine.BackupSnapshot, dest string, start time.Time, opts Options) (files []FileInfo, size int64, missing []string, err error) {
	s := db.Settings()
	fsys := opts.FS
	if fsys == nil {
		fsys = journal.OSFS{}
	}
	var segMB int64
	fmt.Sscan(s.String("archive.segmentMB"), &segMB)
	out := &output{fsys: fsys, dir: dest, name: db.Name(), number: snap.Number, segSize: segMB << 20}
	path := filepath.Join(dest, ArchiveName(db.Name(), snap.Number))
	var aw *archiveWriter
	fail := func(err error) ([]FileInfo, int64, []string, error) {
		if aw != nil {
			aw.abort() // first: its goroutines write to out
		}
		out.abort()
		// bbolt does not wrap the writer's error: the context says whether it was a stop.
		if errors.Is(err, ErrStopped) || ctx.Err() != nil {
			return nil, 0, nil, &engine.Error{Code: engine.CodeBackupInterrupted, Op: "backup", Path: path}
		}
		return nil, 0, nil, coded(engine.CodeArchiveWrite, "write archive", path, err)
	}
	sources, total, missing, err := collect(db, dest)
	if err != nil {
		return fail(err)
	}
	if s.Bool("content.data") {
		total += snap.Size()
	}
	m := &meter{ctx: ctx, report: opts.Progress, start: time.Now(), progress: Progress{Total: total}}
	var sink io.Writer = out
	var protect io.WriteCloser
	red, rerr := ParseRedundancy(s.String("archive.redundancy"))
	il, ierr := ParseInterlacing(s.String("archive.interlacing"))
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
	aw, err = newArchiveWriter(sink, s.String("archive.compression"), m, busy)
	if err != nil {
		return fail(err)
	}
	if s.Bool("content.data") {
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
		Name: db.Name(), Folder: db.Dir(), Operation: snap.Op, Holdfast: Version, Compression: s.String("archive.compression")}
	if err := aw.finish(man); err != nil {
		return fail(err)
	}
	if protect != nil {
		if err := protect.Close(); err != nil {
			return fail(err)
		}
	}
	if _, err = out.commit(); err != nil {
		return fail(err)
	}
	return out.sums, out.size, missing, nil
}

// closedLogPattern reads the backup number, and the segment number of a log New Log File
// closed, in the name of a closed log waiting beside the log ("<log>.closed[NNNN]",
// "<log>.closed[NNNN-SSSS]").
var closedLogPattern = regexp.MustCompile(`\.closed\[(\d{4})(?:-(\d{4,}))?\]$`)

// archiveClosedLogs copies each closed log waiting beside the log to the destination as the
// log backup numbered after the backup it follows (and, for a segment New Log File closed,
// after its segment number), then removes it. A log backup already there is never replaced:
// the closed log then stays where it is and the error says so. Backups and New Log File may
// archive at the same moment: one of them at a time lists and moves the closed logs.
func archiveClosedLogs(db *engine.DB, dest string) ([]string, []FileInfo, error) {
	archiveMu.Lock()
	defer archiveMu.Unlock()
	var out []string
	var sums []FileInfo
	for _, closed := range db.ClosedLogs() {
		m := closedLogPattern.FindStringSubmatch(closed)
		if m == nil {
			continue
		}
		n, _ := strconv.ParseUint(m[1], 10, 32)
		target := filepath.Join(dest, LogBackupName(db.Name(), uint32(n)))
		if m[2] != "" {
			seg, err := strconv.ParseUint(m[2], 10, 32)
			if err != nil {
				continue
			}
			target = filepath.Join(dest, LogSegmentName(db.Name(), uint32(n), uint32(seg)))
		}
		if _, err := os.Stat(target); err == nil {
			return out, sums, &engine.Error{Code: engine.CodeExists, Op: "write log backup", Path: target,
				Err: fmt.Errorf("a log backup of this number is already there; the closed log stays at %s", closed)}
		}
		data, err := os.ReadFile(closed)
		if err != nil {
			return out, sums, coded(engine.CodeLogIO, "read closed log", closed, err)
		}
		if err := journal.WriteFileAtomic(journal.OSFS{}, target, data, 0o600); err != nil {
			return out, sums, coded(engine.CodeArchiveWrite, "write log backup", target, err)
		}
		if err := os.Remove(closed); err != nil {
			return out, sums, coded(engine.CodeLogIO, "remove closed log", closed, err)
		}
		out = append(out, target)
		h := sha256.Sum256(data)
		sums = append(sums, FileInfo{Path: target, Size: int64(len(data)), SHA256: hex.EncodeToString(h[:])})
	}
	return out, sums, nil
}
