package backup

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"holdfast/engine"
)

// The backups a destination keeps, as the Backup page lists them: what each one is, checking
// one again (Verify), deleting one (what the chain of the others needs stays, or is lost only
// when the user accepts it), and what the next backup will take.

// LastGood returns the most recent backup that was made (successful or partial), or nil.
func (h *History) LastGood() *HistoryEntry {
	for i := len(h.Operations) - 1; i >= 0; i-- {
		if e := &h.Operations[i]; madeBackup(e) {
			return e
		}
	}
	return nil
}

// madeBackup reports whether e is a backup that was made and not deleted since: DeleteBackup
// keeps a deleted backup's entry (its number stays given, and the log backups it wrote stay
// recorded for the retention to find) without its archive files.
func madeBackup(e *HistoryEntry) bool {
	return e.Kind == "backup" && e.Status != StatusFailed && e.Number != 0 && len(archiveFilesOf(e)) > 0
}

// BackupInfo is one backup of the list.
type BackupInfo struct {
	HistoryEntry
	Size     int64         // its archive (every segment)
	Present  bool          // its archive is still where the history says
	Verified *HistoryEntry // its last verification since it was made, or nil
}

// ListBackups lists the backups the history in dest records, newest first.
func ListBackups(dest string) ([]BackupInfo, error) {
	hist, err := LoadHistory(dest)
	if err != nil {
		return nil, &engine.Error{Code: engine.CodeDestination, Op: "read history", Path: dest, Err: err}
	}
	var out []BackupInfo
	for i := len(hist.Operations) - 1; i >= 0; i-- {
		e := hist.Operations[i]
		if !madeBackup(&e) {
			continue
		}
		b := BackupInfo{HistoryEntry: e, Present: archiveOf(&e) != ""}
		for _, f := range archiveFilesOf(&e) {
			b.Size += f.Size
		}
		for j := len(hist.Operations) - 1; j > i && b.Verified == nil; j-- {
			if v := &hist.Operations[j]; v.Kind == "verify" && v.Number == e.Number {
				b.Verified = v
			}
		}
		out = append(out, b)
	}
	return out, nil
}

// archiveFilesOf are the archive files (segments) a backup's entry records, not the log
// backups it wrote.
func archiveFilesOf(e *HistoryEntry) []FileInfo {
	var out []FileInfo
	for _, f := range e.Files {
		if filepath.Ext(f.Path) == ".4BK" {
			out = append(out, f)
		}
	}
	return out
}

// VerifyBackup reads backup n of db back and checks it (VerifyArchive), and records the result
// in the history and the backup journal. Off the Fyne thread: it reads the whole archive.
func VerifyBackup(db *engine.DB, n uint32) (*Manifest, error) {
	start := time.Now()
	dest := Destination(db)
	hist, err := LoadHistory(dest)
	if err != nil {
		return nil, &engine.Error{Code: engine.CodeDestination, Op: "read history", Path: dest, Err: err}
	}
	e := backupEntry(hist, n)
	if e == nil || archiveOf(e) == "" {
		return nil, &engine.Error{Code: engine.CodeArchiveMissing, Op: "verify", Path: filepath.Join(dest, ArchiveName(db.Name(), n)),
			Err: fmt.Errorf("the archive of backup %d is not there: put it back, or delete backup %d from the list", n, n)}
	}
	m, verr := VerifyArchive(archiveOf(e))
	entry := operationEntry("verify", n, start, e.Operation, archiveOf(e))
	if verr != nil {
		entry.Status = StatusFailed
		entry.setError(verr)
		note(db.Dir(), true, true, "Verification of backup %d failed: error %d: %v", n, engine.CodeOf(verr), verr)
	} else {
		note(db.Dir(), true, true, "Backup %d verified: %d file(s), as written.", n, len(m.Entries))
	}
	if err := recordOperation(dest, entry, historyKeep(db.Values())); err != nil && verr == nil {
		return m, coded(engine.CodeArchiveWrite, "write history", filepath.Join(dest, HistoryFile), err)
	}
	return m, verr
}

// backupEntry is the history's entry of backup n (made), or nil.
func backupEntry(h *History, n uint32) *HistoryEntry {
	for i := range h.Operations {
		if e := &h.Operations[i]; madeBackup(e) && e.Number == n {
			return e
		}
	}
	return nil
}

// DeletePlan says what deleting a backup removes and what is lost with it.
type DeletePlan struct {
	Number uint32
	Files  []FileInfo // the files removed: the archive, and the log backups only it can start
	// Lost says what no restore or rollback can reach any more once they are gone ("": only
	// the backup itself; the others and their logs still reach every operation they did).
	Lost string
	Only bool // it is the only backup kept: nothing is left to restore from
}

// PlanDelete says what deleting backup n of db removes (see DeletePlan). The archive goes;
// the log backups after it stay while an older backup kept needs them to reach the current
// log. When it is the oldest backup kept, the log backups that follow it (up to the next
// backup kept) go with it: no backup is left to integrate them into, so the operations they
// hold can no longer be restored or rolled back to.
func PlanDelete(db *engine.DB, n uint32) (*DeletePlan, error) {
	dest := Destination(db)
	hist, err := LoadHistory(dest)
	if err != nil {
		return nil, &engine.Error{Code: engine.CodeDestination, Op: "read history", Path: dest, Err: err}
	}
	return planDelete(hist, dest, db.Name(), n)
}

func planDelete(hist *History, dest, name string, n uint32) (*DeletePlan, error) {
	e := backupEntry(hist, n)
	if e == nil {
		return nil, &engine.Error{Code: engine.CodeArchiveMissing, Op: "delete backup", Path: filepath.Join(dest, HistoryFile),
			Err: fmt.Errorf("backup %d is not in the history any more: refresh the list of backups", n)}
	}
	p := &DeletePlan{Number: n, Files: archiveFilesOf(e)}
	var older, newer *HistoryEntry // the backups kept around it
	for i := range hist.Operations {
		k := &hist.Operations[i]
		if !madeBackup(k) || k.Number == n || archiveOf(k) == "" {
			continue
		}
		if k.Number < n && (older == nil || k.Number > older.Number) {
			older = k
		}
		if k.Number > n && (newer == nil || k.Number < newer.Number) {
			newer = k
		}
	}
	p.Only = older == nil && newer == nil
	if older != nil {
		return p, nil // its logs lead the older backups to now: they stay
	}
	// The oldest kept: the log backups that follow it, up to the next backup kept, can start
	// from nothing once it is gone. Those before it are left to the retention, as always.
	var logs []string
	for _, k := range hist.Operations {
		if (k.Kind != "backup" && k.Kind != "newlog") || k.Status == StatusFailed {
			continue
		}
		for _, f := range k.Files {
			num, kind, ok := fileNumber(f.Path)
			if ok && kind == "4BL" && num >= n && (newer == nil || num < newer.Number) && fileExists(f.Path) {
				p.Files = append(p.Files, f)
				logs = append(logs, filepath.Base(f.Path))
			}
		}
	}
	switch {
	case newer != nil && len(logs) > 0:
		p.Lost = fmt.Sprintf("the operations %d to %d (in %s): no backup is left before them, so no restore or rollback reaches them any more", e.Operation+1, newer.Operation, strings.Join(logs, ", "))
	case len(logs) > 0:
		p.Lost = fmt.Sprintf("every operation since backup %d (in %s) as a restore point: only the database itself is left, with no backup to restore or roll back from", n, strings.Join(logs, ", "))
	}
	return p, nil
}

// DeleteBackup deletes backup n of db as PlanDelete says, and what it removed is recorded in
// the history (written atomically) and the backup journal. What is lost with it (a Lost plan,
// or the only backup kept) is deleted only when accepted is the plan the user was shown and
// the deletion would lose no more than it says: otherwise it refuses (1412 when operations
// would be lost, 1410 for the only backup), deleting nothing. Only files the history recorded,
// still as it recorded them, are removed. It waits for no backup: while one runs, 1415.
func DeleteBackup(db *engine.DB, n uint32, accepted *DeletePlan) (*DeletePlan, error) {
	release, err := claimBackup(db)
	if err != nil {
		return nil, err
	}
	defer release()
	dest := Destination(db)
	hist, err := LoadHistory(dest)
	if err != nil {
		return nil, &engine.Error{Code: engine.CodeDestination, Op: "read history", Path: dest, Err: err}
	}
	p, err := planDelete(hist, dest, db.Name(), n)
	if err != nil {
		return nil, err
	}
	ok := accepted != nil && accepted.Number == n && accepted.Lost == p.Lost && accepted.Only == p.Only
	switch {
	case p.Only && !ok:
		return p, &engine.Error{Code: engine.CodeArchiveMissing, Op: "delete backup", Path: dest,
			Err: fmt.Errorf("backup %d is the only backup kept: once it is deleted nothing is left to restore from; make another backup first, or confirm that it goes (Delete, after reading what is lost)", n)}
	case p.Lost != "" && !ok:
		return p, &engine.Error{Code: engine.CodeLogBackupMissing, Op: "delete backup", Path: dest,
			Err: fmt.Errorf("deleting backup %d also deletes its log backups, and loses %s; delete it only after confirming that (Delete, after reading what is lost)", n, p.Lost)}
	}
	var removed, dropped []string // deleted; no longer to be recorded (deleted, or gone already)
	var errs []error
	for _, f := range p.Files {
		info, err := os.Lstat(f.Path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			dropped = append(dropped, f.Path)
			continue
		case err == nil && (!info.Mode().IsRegular() || info.Size() != f.Size):
			errs = append(errs, fmt.Errorf("%s is not the file the history recorded (it changed since), so it was left", f.Path))
			continue
		case err == nil:
			err = os.Remove(f.Path)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		removed, dropped = append(removed, f.Path), append(dropped, f.Path)
	}
	for i := range hist.Operations {
		// The entry of n stays (its number is never given again), without what was deleted.
		e := &hist.Operations[i]
		e.Files = slices.DeleteFunc(e.Files, func(f FileInfo) bool { return slices.Contains(dropped, f.Path) })
	}
	entry := operationEntry("delete", n, time.Now(), 0, removed...)
	if len(errs) > 0 {
		entry.Status, entry.ErrorCode, entry.Error = StatusFailed, int(engine.CodeArchiveWrite), errors.Join(errs...).Error()
	}
	hist.add(entry, historyKeep(db.Values()))
	if err := hist.save(dest); err != nil {
		return p, coded(engine.CodeArchiveWrite, "write history", filepath.Join(dest, HistoryFile), err)
	}
	note(db.Dir(), true, true, "Backup %d deleted: %d file(s) removed (%s).", n, len(removed), strings.Join(removed, ", "))
	if len(errs) > 0 {
		return p, &engine.Error{Code: engine.CodeArchiveWrite, Op: "delete backup", Path: dest,
			Err: fmt.Errorf("%w; the files listed stay: remove them by hand, or check the folder's permissions and delete again", errors.Join(errs...))}
	}
	return p, nil
}

// Estimate is what the next backup is expected to write and take, from the last backups made.
type Estimate struct {
	Size     int64         // bytes of archive
	Duration time.Duration // how long it takes
	From     int           // how many backups it was worked out from (0: none made yet)
	Log      int64         // the current log's size: what was written since the last backup
}

// EstimateNext works out the next backup of db from the last (up to three) backups made: as
// large as the last one, plus the log written since as compressed as their archives were (read
// from their manifests), written as fast as they were. An archive with redundancy is not read
// for it (its manifest is only read through its whole container): the log then counts
// uncompressed. Off the Fyne thread.
func EstimateNext(db *engine.DB) (Estimate, error) {
	var est Estimate
	if fi, err := os.Stat(db.LogPath()); err == nil {
		est.Log = fi.Size()
	}
	list, err := ListBackups(Destination(db))
	if err != nil {
		return est, err
	}
	var written, took, held, heldWritten float64 // of the backups used; held: by the plain ones
	var last int64
	for _, b := range list {
		if !b.Present || b.DurationMS <= 0 || est.From == 3 {
			continue
		}
		if est.From == 0 {
			last = b.Size
		}
		est.From++
		written, took = written+float64(b.Size), took+float64(b.DurationMS)*float64(time.Millisecond)
		if h, ok := heldBy(archiveOf(&b.HistoryEntry)); ok {
			held, heldWritten = held+float64(h), heldWritten+float64(b.Size)
		}
	}
	if est.From == 0 || written == 0 {
		return est, nil
	}
	ratio := 1.0
	if held > 0 {
		ratio = heldWritten / held
	}
	est.Size = last + int64(float64(est.Log)*ratio)
	est.Duration = time.Duration(float64(est.Size) / written * took)
	return est, nil
}

// heldBy is how many bytes a plain archive holds, from its manifest; false for an archive with
// redundancy, or one that cannot be read.
func heldBy(archive string) (int64, bool) {
	f, err := os.Open(archive)
	if err != nil {
		return 0, false
	}
	head := make([]byte, len(protHeaderMagic))
	_, err = io.ReadFull(f, head)
	f.Close()
	if err != nil || IsProtected(head) {
		return 0, false
	}
	m, err := ReadManifest(archive)
	if err != nil {
		return 0, false
	}
	var n int64
	for _, e := range m.Entries {
		n += e.Size
	}
	return n, true
}
