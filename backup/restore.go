package backup

import (
	"archive/zip"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"holdfast/engine"
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

	inner bool // a step of a repair or rollback, which records itself

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
}

// Restore items.
const (
	ItemData        = "data"
	ItemStructure   = "structure"
	ItemAttachments = "attachments"
)

// maxRatio is the highest ratio of an entry's size to its compressed size that deflate can
// produce (258-byte matches of 1 bit each are 1032:1, plus a margin for block headers); an entry
// declaring more is a forgery meant to exhaust the disk (a zip bomb).
const maxRatio = 1100

// Restore extracts an archive (its segments joined, the redundancy used to repair it, every
// entry checked against the manifest) into a new database folder, then makes that folder a
// database that opens: the data file marked as this backup, the chosen logs integrated, and a
// new empty log that continues the operation numbers. Nothing lands outside the destination: an
// entry that would, or that is a link, or that is larger than declared, fails the whole restore
// with 1432 before anything is extracted. The folder appears under its name only when complete.
func Restore(ctx context.Context, archive string, opts RestoreOptions) (*RestoreResult, error) {
	start := time.Now()
	archive, err := filepath.Abs(archive)
	if err != nil {
		return nil, &engine.Error{Code: engine.CodeUsage, Op: "restore", Path: archive, Err: err}
	}
	items, err := restoreItems(opts.Items)
	if err != nil {
		return nil, err
	}
	dest := opts.To
	if dest == "" {
		dest = DefaultRestoreFolder(archive)
	}
	if dest, err = filepath.Abs(dest); err != nil {
		return nil, &engine.Error{Code: engine.CodeUsage, Op: "restore", Path: dest, Err: err}
	}
	if _, err := os.Lstat(dest); err == nil {
		return nil, &engine.Error{Code: engine.CodeExists, Op: "restore", Path: dest, Err: errors.New("the destination exists; choose a new folder (--to)")}
	}
	parent := filepath.Dir(dest)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, &engine.Error{Code: engine.CodeDestination, Op: "restore", Path: parent, Err: err}
	}
	prefix := "." + filepath.Base(dest) + stagingInfix
	removeAbandoned(parent, prefix)
	work, doneStaging, err := newStaging(parent, prefix)
	if err != nil {
		return nil, &engine.Error{Code: engine.CodeDestination, Op: "restore", Path: parent, Err: err}
	}
	defer doneStaging() // what is left once renamed into place; otherwise a failed restore

	zr, closeArchive, rep, err := openArchive(archive, work)
	if err != nil {
		return nil, err
	}
	defer closeArchive()
	m, files, err := checkEntries(archive, zr)
	if err != nil {
		return nil, err
	}
	res := &RestoreResult{Dir: dest, Manifest: m, Repaired: rep}
	folder := filepath.Join(work, "db")
	if err := extract(ctx, archive, folder, m, files, items, opts.Progress); err != nil {
		return nil, err
	}
	if !items[ItemData] {
		// Structure or attachments only: files, not a database to open.
		return res, commitFolder(folder, dest)
	}
	if items[ItemData] && m.Name != filepath.Base(dest) {
		// The data file is named after the database folder.
		from := filepath.Join(folder, "Data", m.Name+".4DD")
		if err := os.Rename(from, filepath.Join(folder, "Data", filepath.Base(dest)+".4DD")); err != nil {
			return nil, &engine.Error{Code: engine.CodeArchiveVerify, Op: "restore", Path: archive, Err: fmt.Errorf("the archive holds no data file for %s", m.Name)}
		}
	}
	switch {
	case len(opts.Logs) > 0:
		res.Logs = opts.Logs
	case !opts.NoIntegrate:
		source := opts.CurrentLogOf
		if source == "" {
			source = m.Folder
		}
		if res.Logs, err = FindLogs(filepath.Dir(archive), m.Name, m.Backup, source, m.Database); err != nil {
			return nil, err
		}
	}
	if opts.StructureFrom != "" {
		for _, sub := range []string{"Project", filepath.Join("Data", "Settings")} {
			if err := copyTree(filepath.Join(folder, sub), filepath.Join(opts.StructureFrom, sub)); err != nil {
				return nil, &engine.Error{Code: engine.CodeDataIO, Op: "restore", Path: opts.StructureFrom, Err: err}
			}
		}
	}
	number, op := m.Backup, m.Operation
	if opts.Backup != 0 {
		number, op = opts.Backup, opts.BackupOp
	}
	// The folder is opened at its final name's place so that what the engine writes (its
	// journal, its log header) is what stays; it is renamed only when all went well.
	staged := filepath.Join(work, filepath.Base(dest))
	if err := os.Rename(folder, staged); err != nil {
		return nil, &engine.Error{Code: engine.CodeDestination, Op: "restore", Path: work, Err: err}
	}
	db, orep, err := engine.OpenRestored(staged, engine.Restored{Backup: number, Operation: op, Logs: res.Logs, Until: opts.Until, ContinueAfter: opts.ContinueAfter, Stop: ctx.Done()},
		engine.Options{Progress: integrationProgress(opts.Progress)})
	if err != nil {
		return nil, err
	}
	res.Integrated, res.Reached, res.Stopped = orep.Integrated, orep.Reached, orep.Stopped
	if err := db.Close(); err != nil {
		return nil, err
	}
	note(staged, true, false, "Restore of %s (backup %d, operation %d) into %s: %d operation(s) integrated from %d log file(s), data at operation %d.",
		archive, m.Backup, m.Operation, dest, res.Integrated, len(res.Logs), res.Reached)
	if err := ctx.Err(); err != nil {
		return nil, &engine.Error{Code: engine.CodeBackupInterrupted, Op: "restore", Path: dest, Err: errors.New("stopped before the restored folder was put in place; nothing is kept")}
	}
	if err := commitFolder(staged, dest); err != nil {
		return nil, err
	}
	if !opts.inner {
		recordRestore(archive, m, res, start)
	}
	return res, nil
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
		return &engine.Error{Code: engine.CodeDestination, Op: "restore", Path: to, Err: err}
	}
	if d, err := os.Open(filepath.Dir(to)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// openArchive opens an archive for reading: its segments joined, and, when it was written with
// redundancy, checked and repaired into a temporary copy in work.
func openArchive(archive, work string) (*zip.Reader, func(), RepairReport, error) {
	var rep RepairReport
	paths, err := archiveFiles(archive)
	if err != nil {
		return nil, nil, rep, &engine.Error{Code: engine.CodeArchiveMissing, Op: "restore", Path: archive, Err: err}
	}
	f, err := openMulti(paths)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, rep, &engine.Error{Code: engine.CodeArchiveMissing, Op: "restore", Path: archive}
		}
		return nil, nil, rep, &engine.Error{Code: engine.CodeArchiveVerify, Op: "restore", Path: archive, Err: err}
	}
	head := make([]byte, 8)
	f.ReadAt(head, 0)
	zr, zerr := zip.NewReader(f, f.Size())
	if zerr == nil && !IsProtected(head) {
		return zr, func() { f.Close() }, rep, nil
	}
	tmp, err := os.CreateTemp(work, ".unprotected-*.zip")
	if err != nil {
		f.Close()
		return nil, nil, rep, &engine.Error{Code: engine.CodeDestination, Op: "restore", Path: work, Err: err}
	}
	closeAll := func() { tmp.Close(); f.Close() }
	rep, err = Unprotect(f, f.Size(), tmp)
	if err != nil {
		closeAll()
		if errors.Is(err, ErrNotProtected) && zerr != nil {
			err = zerr
		}
		return nil, nil, rep, &engine.Error{Code: engine.CodeArchiveVerify, Op: "restore", Path: archive, Err: err}
	}
	info, err := tmp.Stat()
	if err == nil {
		zr, err = zip.NewReader(tmp, info.Size())
	}
	if err != nil {
		closeAll()
		return nil, nil, rep, &engine.Error{Code: engine.CodeArchiveVerify, Op: "restore", Path: archive, Err: err}
	}
	return zr, closeAll, rep, nil
}

// unsafe is the 1432 error for one entry.
func unsafeEntry(archive, name, why string) error {
	return &engine.Error{Code: engine.CodeUnsafeEntry, Op: "restore", Path: archive, Err: fmt.Errorf("entry %q %s", name, why)}
}

// checkEntries reads the manifest and checks every entry before anything is extracted: each
// name is a plain relative path under Data/, Project/ or Attachments/ (no absolute path, no
// "..", no backslash, no duplicate, no link or device), each entry is in the manifest with the
// size the zip declares, and no entry claims a compression ratio deflate cannot reach.
func checkEntries(archive string, zr *zip.Reader) (*Manifest, map[string]*zip.File, error) {
	files := map[string]*zip.File{}
	var mf *zip.File
	for _, f := range zr.File {
		if f.Name == ManifestName {
			if mf != nil {
				return nil, nil, unsafeEntry(archive, f.Name, "appears twice")
			}
			mf = f
			continue
		}
		if err := safeName(f.Name); err != "" {
			return nil, nil, unsafeEntry(archive, f.Name, err)
		}
		if files[f.Name] != nil {
			return nil, nil, unsafeEntry(archive, f.Name, "appears twice")
		}
		if mode := f.Mode(); !mode.IsRegular() {
			return nil, nil, unsafeEntry(archive, f.Name, fmt.Sprintf("is not a plain file (%s)", mode.Type()))
		}
		if f.Method != zip.Store && f.Method != zip.Deflate {
			return nil, nil, unsafeEntry(archive, f.Name, fmt.Sprintf("uses compression method %d, which Holdfast never writes", f.Method))
		}
		if f.Method == zip.Store && f.CompressedSize64 != f.UncompressedSize64 {
			return nil, nil, unsafeEntry(archive, f.Name, "is stored but declares two different sizes")
		}
		if f.UncompressedSize64 > maxRatio*(f.CompressedSize64+1) {
			return nil, nil, unsafeEntry(archive, f.Name, fmt.Sprintf("declares %d bytes from %d compressed, more than deflate can produce", f.UncompressedSize64, f.CompressedSize64))
		}
		files[f.Name] = f
	}
	if mf == nil {
		return nil, nil, &engine.Error{Code: engine.CodeArchiveVerify, Op: "restore", Path: archive, Err: fmt.Errorf("%w: no %s", ErrBadManifest, ManifestName)}
	}
	mb, err := readEntry(mf, 1<<24)
	if err != nil {
		return nil, nil, &engine.Error{Code: engine.CodeArchiveVerify, Op: "restore", Path: archive, Err: err}
	}
	m, err := ParseManifest(mb)
	if err != nil {
		return nil, nil, &engine.Error{Code: engine.CodeArchiveVerify, Op: "restore", Path: archive, Err: err}
	}
	if m.Name == "" || m.Name == "." || m.Name == ".." || strings.ContainsAny(m.Name, "/\\\x00") {
		return nil, nil, unsafeEntry(archive, ManifestName, "names the database "+strconv.Quote(m.Name))
	}
	named := map[string]bool{}
	for _, e := range m.Entries {
		f := files[e.Path]
		if f == nil {
			return nil, nil, &engine.Error{Code: engine.CodeArchiveVerify, Op: "restore", Path: archive, Err: fmt.Errorf("%w: %s is in the manifest but not in the archive", ErrMismatch, e.Path)}
		}
		if int64(f.UncompressedSize64) != e.Size {
			return nil, nil, unsafeEntry(archive, e.Path, fmt.Sprintf("declares %d bytes where the manifest says %d", f.UncompressedSize64, e.Size))
		}
		named[e.Path] = true
	}
	for name := range files {
		if !named[name] {
			return nil, nil, unsafeEntry(archive, name, "is not in the manifest")
		}
	}
	return m, files, nil
}

// safeName says what is wrong with an entry name ("" when it is safe to extract).
func safeName(name string) string {
	switch {
	case name == "":
		return "has no name"
	case strings.ContainsAny(name, "\\\x00"):
		return "holds a backslash or a NUL"
	case strings.HasPrefix(name, "/"), len(name) > 1 && name[1] == ':':
		return "is an absolute path"
	case path.Clean(name) != name:
		return "is not a clean path"
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." || part == "." {
			return "leaves its folder (..)"
		}
	}
	if !strings.HasPrefix(name, "Data/") && !strings.HasPrefix(name, "Project/") && !strings.HasPrefix(name, "Attachments/") {
		return "is outside Data/, Project/ and Attachments/"
	}
	return ""
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

// extract writes the chosen entries under folder, each checked against the manifest's size and
// SHA-256 as it is written (1411 when one differs), reporting progress and stopping with 1406
// when ctx is cancelled.
func extract(ctx context.Context, archive, folder string, m *Manifest, files map[string]*zip.File, items map[string]bool, progress func(Progress)) error {
	var total int64
	var chosen []Entry
	for _, e := range m.Entries {
		if items[itemOf(e.Path)] {
			chosen = append(chosen, e)
			total += e.Size
		}
	}
	if free, _, ok := DiskSpace(filepath.Dir(folder)); ok && uint64(total) > free {
		return &engine.Error{Code: engine.CodeArchiveWrite, Op: "restore", Path: folder, Err: fmt.Errorf("the restore needs %d bytes and the disk has %d free", total, free)}
	}
	for _, sub := range []string{"Data/Settings", "Project", "Logs"} {
		if err := os.MkdirAll(filepath.Join(folder, sub), 0o700); err != nil {
			return &engine.Error{Code: engine.CodeArchiveWrite, Op: "restore", Path: folder, Err: err}
		}
	}
	mt := &meter{ctx: ctx, report: progress, start: time.Now(), progress: Progress{Total: total}}
	for _, e := range chosen {
		mt.item(e.Path)
		if err := extractOne(archive, folder, e, files[e.Path], mt); err != nil {
			if errors.Is(err, ErrStopped) {
				return &engine.Error{Code: engine.CodeBackupInterrupted, Op: "restore", Path: archive, Err: errors.New("the restore was stopped; nothing was restored")}
			}
			return err
		}
	}
	return nil
}

func extractOne(archive, folder string, e Entry, f *zip.File, mt *meter) error {
	target := filepath.Join(folder, filepath.FromSlash(e.Path))
	if rel, err := filepath.Rel(folder, target); err != nil || strings.HasPrefix(rel, "..") {
		return unsafeEntry(archive, e.Path, "leaves the destination")
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return &engine.Error{Code: engine.CodeArchiveWrite, Op: "restore", Path: target, Err: err}
	}
	raw, err := f.OpenRaw()
	if err != nil {
		return &engine.Error{Code: engine.CodeArchiveVerify, Op: "restore", Path: archive, Err: fmt.Errorf("%s: %w", e.Path, err)}
	}
	// Inflated here rather than by archive/zip, so that an entry that holds more than it
	// declares is told apart from a damaged one.
	var content io.Reader = raw
	if f.Method == zip.Deflate {
		fr := flate.NewReader(raw)
		defer fr.Close()
		content = fr
	}
	// O_EXCL: the folder is new, and a name already there (a second entry, a link) is refused.
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return unsafeEntry(archive, e.Path, "would replace a file already extracted")
		}
		return &engine.Error{Code: engine.CodeArchiveWrite, Op: "restore", Path: target, Err: err}
	}
	h := sha256.New()
	crc := crc32.NewIEEE()
	mw := &meteredWriter{w: io.MultiWriter(out, crc), h: h, m: mt}
	n, err := mw.ReadFrom(io.LimitReader(content, e.Size))
	intact := n == e.Size && crc.Sum32() == f.CRC32 && hex.EncodeToString(h.Sum(nil)) == e.SHA256
	if err == nil && n == e.Size {
		// Nothing may follow the declared size. When what came first is intact, the entry was
		// made to inflate beyond what it declares (a zip bomb); otherwise it is damage.
		var one [1]byte
		if k, _ := io.ReadFull(content, one[:]); k > 0 && intact {
			err = unsafeEntry(archive, e.Path, fmt.Sprintf("holds more than the %d bytes it declares", e.Size))
		}
	}
	if err == nil && !intact {
		err = &engine.Error{Code: engine.CodeArchiveVerify, Op: "restore", Path: archive, Err: fmt.Errorf("%w: %s: its content does not match its checksums", ErrMismatch, e.Path)}
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		var ee *engine.Error
		if errors.As(err, &ee) || errors.Is(err, ErrStopped) {
			return err
		}
		var ce flate.CorruptInputError
		if errors.As(err, &ce) || errors.Is(err, io.ErrUnexpectedEOF) {
			return &engine.Error{Code: engine.CodeArchiveVerify, Op: "restore", Path: archive, Err: fmt.Errorf("%s: %w", e.Path, err)}
		}
		return &engine.Error{Code: engine.CodeArchiveWrite, Op: "restore", Path: target, Err: err}
	}
	if !f.Modified.IsZero() {
		os.Chtimes(target, f.Modified, f.Modified)
	}
	return nil
}

// logBackupPattern reads a log backup's name: the database, the backup it follows, and the
// segment number when New Log File closed it ("Name[NNNN].4BL", "Name[NNNN-SSSS].4BL").
var logBackupPattern = regexp.MustCompile(`^(.*)\[(\d{4})(?:-(\d{4,}))?\]\.4BL$`)

// logsAfter are the log backups that follow one backup: the segments New Log File closed, by
// segment number, and the one the next backup closed ("" while that backup is not made).
type logsAfter struct {
	segments map[uint32]string
	final    string
}

// FindLogs lists the logs that follow backup number of database name, oldest first (S9
// --integrate auto): the log backups in dir numbered from the backup's own number on (log
// backup N holds what followed backup N), each number's segments first, in their order, then
// the number's own log backup; then the current log of the database in folder ("": none) when
// it is there and belongs to database (its identity). A number with no log backup while a
// later number has some is a gap (1412 names it); only the last number may lack its own, the
// current log following its segments. A missing segment is not seen in the names: the
// integration finds it, as the log after it starts beyond the data (1412).
func FindLogs(dir, name string, number uint32, folder, database string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) { // no folder: no log backup yet
		return nil, &engine.Error{Code: engine.CodeArchiveMissing, Op: "restore", Path: dir, Err: err}
	}
	byNum := map[uint32]*logsAfter{}
	var nums []uint32
	for _, e := range ents {
		sm := logBackupPattern.FindStringSubmatch(e.Name())
		if sm == nil || sm[1] != name {
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
	slices.Sort(nums)
	var logs []string
	for i, n := range nums {
		if want := number + uint32(i); n != want {
			return nil, &engine.Error{Code: engine.CodeLogBackupMissing, Op: "restore", Path: filepath.Join(dir, LogBackupName(name, want)),
				Err: fmt.Errorf("log backup %04d is missing while %04d is there: put it back, or restore with --integrate none or --log up to the gap", want, n)}
		}
		la := byNum[n]
		for _, seg := range slices.Sorted(maps.Keys(la.segments)) {
			logs = append(logs, la.segments[seg])
		}
		if la.final == "" && i < len(nums)-1 {
			return nil, &engine.Error{Code: engine.CodeLogBackupMissing, Op: "restore", Path: filepath.Join(dir, LogBackupName(name, n)),
				Err: fmt.Errorf("log backup %04d is missing while %04d is there: put it back, or restore with --integrate none or --log up to the gap", n, nums[i+1])}
		}
		if la.final != "" {
			logs = append(logs, la.final)
		}
	}
	if cur := currentLog(folder, database); cur != "" {
		logs = append(logs, cur)
	}
	return logs, nil
}
