package backup

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"holdfast/engine"
	"holdfast/journal"
	"holdfast/settings"
)

// RestoreOptions choose what a restore does (S9 restore). The zero value restores everything
// beside the archive and integrates the log backups and the current log it finds.
type RestoreOptions struct {
	To    string   // the database folder to create; "": beside the archive, named after it
	Items []string // "data", "structure", "attachments"; nil: all three

	// Logs are integrated exactly, in this order. Without them, NoIntegrate off (the default,
	// "auto") integrates the log backups that follow the archive and the database's current
	// log when they are found; NoIntegrate on integrates nothing.
	Logs        []string
	NoIntegrate bool
	Until       engine.Until // point in time; zero: as far as the logs go
	// CurrentLogOf is the database folder whose current log ends an automatic chain; "": the
	// folder the manifest names.
	CurrentLogOf string

	// For a rollback: StructureFrom is a database folder whose structure (Project/) and
	// settings (Data/Settings) replace the archive's (tables created since the backup are
	// needed to integrate the logs); ContinueAfter and Backup, BackupOp are passed to
	// engine.Restored (0: the archive's own backup number and operation).
	StructureFrom string
	ContinueAfter uint64
	Backup        uint32
	BackupOp      uint64

	// FS is where the restored folder is extracted; nil: the real filesystem (tests inject
	// faults).
	FS journal.FS

	inner bool             // a step of a repair or rollback, which records itself
	skip  []engine.OpRange // operations rollbacks undid, left out of the logs (onTimeline)

	Progress func(Progress)
}

// RestoreResult describes a finished restore.
type RestoreResult struct {
	Dir        string // the restored database folder
	Manifest   *Manifest
	Repaired   RepairReport // what the redundancy repaired on the way
	Logs       []string     // the log files integrated, in order
	Integrated int          // data operations applied from them
	Reached    uint64       // the restored data holds every operation up to this one
	Stopped    bool         // integration ended at the Until limit

	// DisabledHooks are the hook commands the archive's settings held. They were cleared: a
	// restored database runs no command that came with an archive rather than from the person
	// using it (the first backup would run it). HooksNotice says so.
	DisabledHooks []DisabledHook
}

// DisabledHook is a hook command of an archive's settings that its restore cleared.
type DisabledHook struct {
	Key     string // hooks.onStartup or hooks.onShutdown
	Command string // the command as the archive held it
}

// HooksNotice says which hooks the restore disabled and how to set them again; "" when none.
func (r *RestoreResult) HooksNotice() string {
	if len(r.DisabledHooks) == 0 {
		return ""
	}
	var was []string
	for _, h := range r.DisabledHooks {
		was = append(was, fmt.Sprintf("%s %q", h.Key, h.Command))
	}
	return fmt.Sprintf("hooks %s were disabled: they came with the archive, and a restored database runs no command it did not get from you; set them again with holdfast settings %q set KEY COMMAND if you trust them",
		strings.Join(was, " and "), r.Dir)
}

// Restore items.
const (
	ItemData        = "data"
	ItemStructure   = "structure"
	ItemAttachments = "attachments"
)

// Restore extracts an archive (its segments joined, the redundancy used to repair it, every
// entry checked against the manifest) into a new database folder, then makes that folder a
// database that opens: the data file marked as this backup, the chosen logs integrated, and a
// new empty log that continues the operation numbers. Nothing lands outside the destination: an
// entry that would, or that is a link, or that is larger than declared, or whose bytes overlap
// another's, fails the whole restore with 1432 before anything is extracted; so does a chain of
// logs with a gap (1412) or of another database (1416). The hooks of the archive's settings are
// disabled (RestoreResult.DisabledHooks). The folder appears under its name only when complete.
func Restore(ctx context.Context, archive string, opts RestoreOptions) (*RestoreResult, error) {
	start := time.Now()
	archive, dest, items, err := restoreTarget(archive, opts)
	if err != nil {
		return nil, err
	}
	fsys := opts.FS
	if fsys == nil {
		fsys = journal.OSFS{}
	}
	parent := filepath.Dir(dest)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, restoreIO(parent, err)
	}
	prefix := "." + filepath.Base(dest) + stagingInfix
	removeAbandoned(parent, prefix)
	work, doneStaging, err := newStaging(parent, prefix)
	if err != nil {
		return nil, restoreIO(parent, err)
	}
	defer doneStaging() // what is left once renamed into place; otherwise a failed restore

	za, closeArchive, rep, err := openArchive(archive)
	if err != nil {
		return nil, err
	}
	defer closeArchive()
	m, files, err := checkEntries("restore", archive, za)
	if err != nil {
		return nil, err
	}
	res := &RestoreResult{Dir: dest, Manifest: m, Repaired: rep}
	if items[ItemData] && !opts.NoIntegrate && (len(opts.Logs) == 0 || opts.inner) {
		// What rollbacks undid stays undone, on the automatic chain and in repairs and
		// rollbacks; log files chosen by hand are integrated exactly.
		opts = onTimeline(archive, m, opts)
	}
	if items[ItemData] {
		// What the integration would refuse at the end is refused now, before any extraction.
		if res.Logs, err = restoreLogs(ctx, archive, m, opts); err != nil {
			return nil, err
		}
	}
	folder := filepath.Join(work, "db")
	if err := extract(ctx, fsys, archive, folder, m, files, items, opts.Progress); err != nil {
		return nil, err
	}
	if !items[ItemData] {
		// Structure or attachments only: files, not a database to open.
		return res, commitFolder(folder, dest)
	}
	if err := prepareFolder(fsys, folder, m, opts, res); err != nil {
		return nil, err
	}
	if err := openAndPlace(ctx, archive, work, folder, m, opts, res); err != nil {
		return nil, err
	}
	if !opts.inner {
		recordRestore(archive, m, res, start)
	}
	return res, nil
}

// restoreTarget resolves a restore's archive and destination folder (which must not exist)
// and the items it restores.
func restoreTarget(archive string, opts RestoreOptions) (string, string, map[string]bool, error) {
	archive, err := filepath.Abs(archive)
	if err != nil {
		return "", "", nil, &engine.Error{Code: engine.CodeUsage, Op: "restore", Path: archive, Err: err}
	}
	items, err := restoreItems(opts.Items)
	if err != nil {
		return "", "", nil, err
	}
	dest := opts.To
	if dest == "" {
		dest = DefaultRestoreFolder(archive)
	}
	if dest, err = filepath.Abs(dest); err != nil {
		return "", "", nil, &engine.Error{Code: engine.CodeUsage, Op: "restore", Path: dest, Err: err}
	}
	if _, err := os.Lstat(dest); err == nil {
		return "", "", nil, &engine.Error{Code: engine.CodeExists, Op: "restore", Path: dest, Err: fmt.Errorf("the destination exists; %w",
			engine.Advice{Command: "choose a new folder (--to)", Window: "choose a new folder (Into)"})}
	}
	return archive, dest, items, nil
}

// restoreIO is the error of a restore that could not write its folder (2019): the fault is the
// destination's (its disk, its permissions), not the archive's.
func restoreIO(path string, err error) error {
	return &engine.Error{Code: engine.CodeFileIO, Op: "restore", Path: path, Err: err}
}

// restoreLogs are the logs a restore of the data integrates: opts.Logs, or unless NoIntegrate
// those FindLogs finds. They are checked as a chain (checkChain), and the archive must hold
// the data file they are integrated into, before anything is extracted.
func restoreLogs(ctx context.Context, archive string, m *Manifest, opts RestoreOptions) ([]string, error) {
	data := "Data/" + m.Name + ".4DD"
	if !slices.ContainsFunc(m.Entries, func(e Entry) bool { return e.Path == data }) {
		return nil, &engine.Error{Code: engine.CodeArchiveVerify, Op: "restore", Path: archive,
			Err: fmt.Errorf("the archive holds no data file for %s (%s): %w", m.Name, data, engine.Advice{
				Command: "restore it with --items structure,attachments, or use another backup",
				Window:  "restore its Structure and Attachments only (untick Data), or use another backup"})}
	}
	var logs []string
	switch {
	case len(opts.Logs) > 0:
		logs = opts.Logs
	case !opts.NoIntegrate:
		source := opts.CurrentLogOf
		if source == "" {
			source = m.Folder
		}
		var err error
		if logs, err = FindLogs(filepath.Dir(archive), m.Name, m.Backup, source, m.Database); err != nil {
			return nil, err
		}
	}
	err := checkChain(ctx, chainCheck{logs: logs, database: m.Database, after: m.Operation, until: opts.Until}, opts.Progress)
	if err != nil {
		return nil, err
	}
	return logs, nil
}

// prepareFolder makes the extracted folder the restored database's: the data file named after
// the destination folder; for a rollback or repair, the structure and settings of the live
// database (the user's own, hooks included); otherwise the archive's settings with their
// hooks disabled.
func prepareFolder(fsys journal.FS, folder string, m *Manifest, opts RestoreOptions, res *RestoreResult) error {
	if name := filepath.Base(res.Dir); m.Name != name {
		// restoreLogs saw the data file in the manifest and extract wrote it: a failure here
		// is the destination's.
		from, to := filepath.Join(folder, "Data", m.Name+".4DD"), filepath.Join(folder, "Data", name+".4DD")
		if err := fsys.Rename(from, to); err != nil {
			return restoreIO(to, fmt.Errorf("the extracted data file could not be renamed after the folder: %w", err))
		}
	}
	if opts.StructureFrom != "" {
		for _, sub := range []string{"Project", filepath.Join("Data", "Settings")} {
			if err := copyTree(filepath.Join(folder, sub), filepath.Join(opts.StructureFrom, sub)); err != nil {
				return &engine.Error{Code: engine.CodeDataIO, Op: "restore", Path: opts.StructureFrom, Err: err}
			}
		}
		return nil
	}
	var err error
	res.DisabledHooks, err = disableHooks(fsys, folder)
	return err
}

// disableHooks clears the hook commands of the settings extracted into folder and returns what
// they were.
func disableHooks(fsys journal.FS, folder string) ([]DisabledHook, error) {
	s, err := folderSettings(folder)
	if err != nil {
		return nil, err
	}
	var off []DisabledHook
	for _, h := range s.ClearHooks() {
		off = append(off, DisabledHook{Key: h.Key, Command: h.Command})
	}
	if len(off) == 0 {
		return nil, nil
	}
	path := filepath.Join(folder, settings.FileName)
	if err := journal.WriteFileAtomic(fsys, path, s.Marshal(), 0o600); err != nil {
		return nil, restoreIO(path, err)
	}
	return off, nil
}

// openAndPlace opens the extracted folder as a database (integrating its logs) and puts it in
// place. The folder is opened at its final name's place so that what the engine writes (its
// journal, its log header) is what stays; it is renamed only when all went well.
func openAndPlace(ctx context.Context, archive, work, folder string, m *Manifest, opts RestoreOptions, res *RestoreResult) error {
	staged := filepath.Join(work, filepath.Base(res.Dir))
	if err := os.Rename(folder, staged); err != nil {
		return restoreIO(work, err)
	}
	number, op := m.Backup, m.Operation
	if opts.Backup != 0 {
		number, op = opts.Backup, opts.BackupOp
	}
	db, orep, err := engine.OpenRestored(staged, engine.Restored{Backup: number, Operation: op, Logs: res.Logs, Until: opts.Until, ContinueAfter: opts.ContinueAfter, Skip: opts.skip, Stop: ctx.Done()},
		engine.Options{Progress: integrationProgress(opts.Progress)})
	if err != nil {
		return err
	}
	res.Integrated, res.Reached, res.Stopped = orep.Integrated, orep.Reached, orep.Stopped
	if err := db.Close(); err != nil {
		return err
	}
	note(staged, true, false, "Restore of %s (backup %d, operation %d) into %s: %d operation(s) integrated from %d log file(s), data at operation %d.",
		archive, m.Backup, m.Operation, res.Dir, res.Integrated, len(res.Logs), res.Reached)
	if notice := res.HooksNotice(); notice != "" {
		note(staged, true, true, "Restore: %s.", notice)
	}
	if err := ctx.Err(); err != nil {
		return &engine.Error{Code: engine.CodeBackupInterrupted, Op: "restore", Path: res.Dir, Err: errors.New("stopped before the restored folder was put in place; nothing is kept")}
	}
	return commitFolder(staged, res.Dir)
}

// recordRestore adds the restore to the history of the archive's folder when it is a backup
// destination (it has a history); a restore never makes a history where there was none.
func recordRestore(archive string, m *Manifest, res *RestoreResult, start time.Time) {
	dir := filepath.Dir(archive)
	if _, err := os.Stat(filepath.Join(dir, HistoryFile)); err != nil {
		return
	}
	if err := recordOperation(dir, operationEntry("restore", m.Backup, start, res.Reached, archive), 100); err != nil {
		note(res.Dir, true, true, "Warning: the restore could not be recorded in %s: %v", filepath.Join(dir, HistoryFile), err)
	}
}

// integrationProgress reports the integration of a restore's log files, in bytes of them, as
// the progress of the restore (after the extraction's).
func integrationProgress(report func(Progress)) func(done, total int64) {
	if report == nil {
		return nil
	}
	start := time.Now()
	return func(done, total int64) {
		p := Progress{Done: done, Total: total, Item: "integrating the log files"}
		p.estimate(time.Since(start))
		report(p)
	}
}

// A restore builds its folder in a hidden staging folder beside the destination,
// ".<name>.restoring-<random>", with its lock file ".<name>.restoring-<random>.lock" beside it
// (see newStaging).
const (
	stagingInfix = ".restoring-"
	stagingLock  = ".lock"
)

// globEscape makes a name match only itself in filepath.Glob (archive names hold brackets).
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// DefaultRestoreFolder is where an archive is restored without --to: a folder beside it named
// after it (segments: after the backup), without the extension.
func DefaultRestoreFolder(archive string) string {
	base := filepath.Base(archive)
	if m := segmentPattern.FindStringSubmatch(base); m != nil {
		base = fmt.Sprintf("%s[%s]", m[1], m[2])
	} else {
		base = strings.TrimSuffix(base, filepath.Ext(base))
	}
	return filepath.Join(filepath.Dir(archive), base)
}

func restoreItems(list []string) (map[string]bool, error) {
	items := map[string]bool{}
	if len(list) == 0 {
		list = []string{ItemData, ItemStructure, ItemAttachments}
	}
	for _, it := range list {
		switch it {
		case ItemData, ItemStructure, ItemAttachments:
			items[it] = true
		default:
			return nil, &engine.Error{Code: engine.CodeUsage, Op: "restore", Err: fmt.Errorf("unknown item %q: choose among data, structure, attachments", it)}
		}
	}
	if items[ItemData] && !items[ItemStructure] {
		// The data cannot be read without the structure that describes it.
		items[ItemStructure] = true
	}
	return items, nil
}

// commitFolder renames the finished folder into place and syncs the parent.
func commitFolder(from, to string) error {
	if err := os.Rename(from, to); err != nil {
		return restoreIO(to, err)
	}
	if d, err := os.Open(filepath.Dir(to)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// openArchive opens an archive for reading: its segments joined, and, when it was written with
// redundancy, checked whole and repaired in memory where the parity allows, its zip then read
// in place from the container (readProtected). Nothing is written: the free-space check of
// extract comes before the first byte a restore writes.
func openArchive(archive string) (zipArchive, func(), RepairReport, error) {
	var rep RepairReport
	paths, err := archiveFiles(archive)
	if err != nil {
		return zipArchive{}, nil, rep, &engine.Error{Code: engine.CodeArchiveMissing, Op: "restore", Path: archive, Err: err}
	}
	f, err := openMulti(paths)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return zipArchive{}, nil, rep, &engine.Error{Code: engine.CodeArchiveMissing, Op: "restore", Path: archive}
		}
		return zipArchive{}, nil, rep, &engine.Error{Code: engine.CodeArchiveVerify, Op: "restore", Path: archive, Err: err}
	}
	head := make([]byte, len(protHeaderMagic))
	f.ReadAt(head, 0)
	zr, zerr := zip.NewReader(f, f.Size())
	if zerr == nil && !IsProtected(head) {
		return zipArchive{zr, f, f.Size()}, func() { f.Close() }, rep, nil
	}
	z, rep, err := readProtected(f, f.Size())
	if err == nil {
		zr, err = zip.NewReader(z, z.Size())
	} else if errors.Is(err, ErrNotProtected) && zerr != nil {
		err = zerr
	}
	if err != nil {
		f.Close()
		return zipArchive{}, nil, rep, &engine.Error{Code: engine.CodeArchiveVerify, Op: "restore", Path: archive, Err: err}
	}
	return zipArchive{zr, z, z.Size()}, func() { f.Close() }, rep, nil
}

// itemOf is the restore item an entry belongs to.
func itemOf(name string) string {
	switch {
	case strings.HasPrefix(name, "Project/"):
		return ItemStructure
	case strings.HasPrefix(name, "Attachments/"):
		return ItemAttachments
	}
	return ItemData
}

// freeSpace is DiskSpace; tests stand in a disk with little room.
var freeSpace = DiskSpace

// extract writes the chosen entries under folder, each checked against the manifest's size and
// SHA-256 as it is written (1411 when one differs), reporting progress and stopping with 1406
// when ctx is cancelled. What cannot be written there (a full disk, a folder that cannot be
// made) is the destination's fault (2019), not the archive's.
func extract(ctx context.Context, fsys journal.FS, archive, folder string, m *Manifest, files map[string]*zip.File, items map[string]bool, progress func(Progress)) error {
	var total int64
	var chosen []Entry
	for _, e := range m.Entries {
		if items[itemOf(e.Path)] {
			chosen = append(chosen, e)
			total += e.Size
		}
	}
	if free, _, ok := freeSpace(filepath.Dir(folder)); ok && uint64(total) > free {
		return restoreIO(filepath.Dir(folder), fmt.Errorf("the restore needs %d bytes and the disk has %d free", total, free))
	}
	for _, sub := range []string{"Data/Settings", "Project", "Logs"} {
		if err := fsys.MkdirAll(filepath.Join(folder, sub), 0o700); err != nil {
			return restoreIO(filepath.Join(folder, sub), fmt.Errorf("the folder could not be made: %w", err))
		}
	}
	mt := &meter{ctx: ctx, report: progress, start: time.Now(), progress: Progress{Total: total}}
	for _, e := range chosen {
		mt.item(e.Path)
		if err := extractOne(fsys, archive, folder, e, files[e.Path], mt); err != nil {
			if errors.Is(err, ErrStopped) {
				return &engine.Error{Code: engine.CodeBackupInterrupted, Op: "restore", Path: archive, Err: errors.New("the restore was stopped; nothing was restored")}
			}
			return err
		}
	}
	return nil
}

func extractOne(fsys journal.FS, archive, folder string, e Entry, f *zip.File, mt *meter) error {
	target := filepath.Join(folder, filepath.FromSlash(e.Path))
	if rel, err := filepath.Rel(folder, target); err != nil || strings.HasPrefix(rel, "..") {
		return unsafeEntry("restore", archive, e.Path, "leaves the destination")
	}
	if err := fsys.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return restoreIO(filepath.Dir(target), fmt.Errorf("the folder could not be made: %w", err))
	}
	// O_EXCL: the folder is new, and a name already there (a second entry, a link) is refused.
	out, err := fsys.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return unsafeEntry("restore", archive, e.Path, "would replace a file already extracted")
		}
		return restoreIO(target, err)
	}
	err = copyEntry("restore", archive, e, f, out, mt)
	if err == nil {
		if err = out.Sync(); err != nil {
			err = &writeFailure{err}
		}
	}
	if cerr := out.Close(); err == nil && cerr != nil {
		err = &writeFailure{cerr}
	}
	var wf *writeFailure
	if errors.As(err, &wf) {
		return restoreIO(target, wf.err)
	}
	if err != nil {
		return err
	}
	if !f.Modified.IsZero() {
		os.Chtimes(target, f.Modified, f.Modified)
	}
	return nil
}

// logBackupPattern reads a log backup's name: the database, the backup it follows, and the
// segment number when New Log File closed it ("Name[NNNN].4BL", "Name[NNNN-SSSS].4BL").
var logBackupPattern = regexp.MustCompile(`^(.*)\[(\d{4,})(?:-(\d{4,}))?\]\.4BL$`)

// logsAfter are the log backups that follow one backup: the segments New Log File closed, by
// segment number, and the one the next backup closed ("" while that backup is not made).
type logsAfter struct {
	segments map[uint32]string
	final    string
}

// FindLogs lists the logs that follow backup number of database name, oldest first (S9
// --integrate auto): the log backups in dir numbered from the backup's own number on (log
// backup N holds what followed backup N), each number's segments first, in their order, then
// the number's own log backup, a closed log waiting beside the current log taking the place of
// a log backup not archived yet; then the current log of the database in folder ("": none) when
// it is there and belongs to database (its identity). A number with no log backup while a
// later number has some is a gap (1412 names it); only the last number may lack its own, the
// current log following its segments. A missing segment is not seen in the names: the
// integration finds it, as the log after it starts beyond the data (1412). While where the log
// of folder is holds a bad value in its settings, it refuses with 2009 naming the key rather
// than look for the log by the default.
func FindLogs(dir, name string, number uint32, folder, database string) ([]string, error) {
	log, err := folderLog(folder)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) { // no folder: no log backup yet
		return nil, &engine.Error{Code: engine.CodeArchiveMissing, Op: "restore", Path: dir, Err: err}
	}
	byNum := map[uint32]*logsAfter{}
	var nums []uint32
	for _, e := range ents {
		sm := logBackupPattern.FindStringSubmatch(e.Name())
		if sm == nil || sm[1] != name || !e.Type().IsRegular() {
			continue
		}
		n, _ := strconv.Atoi(sm[2])
		if uint32(n) < number {
			continue
		}
		la := byNum[uint32(n)]
		if la == nil {
			la = &logsAfter{segments: map[uint32]string{}}
			byNum[uint32(n)] = la
			nums = append(nums, uint32(n))
		}
		p := filepath.Join(dir, e.Name())
		if sm[3] == "" {
			la.final = p
		} else if seg, err := strconv.ParseUint(sm[3], 10, 32); err == nil {
			la.segments[uint32(seg)] = p
		}
	}
	// Closed logs still waiting beside the current log (the backup or New Log File that closed
	// them could not archive them yet) stand for the log backups they will become.
	for _, c := range waitingLogs(folder, log, database) {
		if c.number < number {
			continue
		}
		la := byNum[c.number]
		if la == nil {
			la = &logsAfter{segments: map[uint32]string{}}
			byNum[c.number] = la
			nums = append(nums, c.number)
		}
		switch {
		case c.segment == 0 && la.final == "":
			la.final = c.path
		case c.segment != 0 && la.segments[c.segment] == "":
			la.segments[c.segment] = c.path
		}
	}
	slices.Sort(nums)
	var logs []string
	for i, n := range nums {
		if want := number + uint32(i); n != want {
			return nil, &engine.Error{Code: engine.CodeLogBackupMissing, Op: "restore", Path: filepath.Join(dir, LogBackupName(name, want)),
				Err: fmt.Errorf("log backup %04d is missing while %04d is there: %w", want, n, logGap)}
		}
		la := byNum[n]
		for _, seg := range slices.Sorted(maps.Keys(la.segments)) {
			logs = append(logs, la.segments[seg])
		}
		if la.final == "" && i < len(nums)-1 {
			return nil, &engine.Error{Code: engine.CodeLogBackupMissing, Op: "restore", Path: filepath.Join(dir, LogBackupName(name, n)),
				Err: fmt.Errorf("log backup %04d is missing while %04d is there: %w", n, nums[i+1], logGap)}
		}
		if la.final != "" {
			logs = append(logs, la.final)
		}
	}
	if cur := currentLog(folder, log, database); cur != "" {
		logs = append(logs, cur)
	}
	return logs, nil
}

// folderLog is where the log of the database in folder is, for FindLogs ("" folder: none).
func folderLog(folder string) (settings.LogValues, error) {
	if folder == "" {
		return settings.LogValues{}, nil
	}
	v, err := folderValues(folder, "restore", settings.LogKeys...)
	var e *engine.Error
	if errors.As(err, &e) {
		return v.Log, &engine.Error{Code: e.Code, Op: e.Op, Path: e.Path, Err: fmt.Errorf("the logs of %s cannot be found: %w; %w", folder, e.Err, engine.Advice{
			Command: "or restore with no log integrated, or with the log files chosen (holdfast restore --integrate none or --log FILE; in the Restore window, None or These log files)",
			Window:  "or restore with no log integrated, or with the log files chosen (Integrate: None, or These log files)"})}
	}
	return v.Log, err
}
