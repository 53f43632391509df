package backup

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"holdfast/engine"
	"holdfast/journal"
	"holdfast/settings"
)

// pendingName is the record of a backup whose archive is, or is about to be, under its final
// name while backupHistory.json does not list it yet, in the database's Data folder (the
// backup destination may be gone when the record is read again).
const pendingName = ".backup-in-progress.json"

// pendingBackup is what the next backup needs to finish or undo a backup that was killed or
// failed between the rename of its archive and the record of it in the history:
//
//	written before the archive's rename   ->  the archive renamed, verified
//	->  the log switched (engine.BackupSnapshot.Commit: the point of no return)
//	->  the closed log archived, retention, the history saved  ->  the record removed
//
// A backup whose log was switched is finished (recorded in the history with its log backup);
// one that was not is undone (its files removed). Without the data in the backup, nothing is
// switched: an archive that is whole is finished, any other undone.
type pendingBackup struct {
	Number    uint32     `json:"number"`
	Dest      string     `json:"destination"`
	Start     time.Time  `json:"start"`
	Operation uint64     `json:"operation"`
	Data      bool       `json:"data"` // the data was in the backup: the log switches at its end
	Files     []FileInfo `json:"files"`
	Missing   []string   `json:"missing,omitempty"`
}

func pendingPath(dbDir string) string { return filepath.Join(dbDir, "Data", pendingName) }

func savePending(dbDir string, p *pendingBackup) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	return journal.WriteFileAtomic(journal.OSFS{}, pendingPath(dbDir), append(b, '\n'), 0o600)
}

// loadPending reads the record; nil when there is none. A record that does not parse was never
// renamed into place whole (it is written atomically): it is removed and nil returned.
func loadPending(dbDir string) *pendingBackup {
	b, err := os.ReadFile(pendingPath(dbDir))
	if err != nil {
		return nil
	}
	var p pendingBackup
	if err := json.Unmarshal(b, &p); err != nil || p.Number == 0 {
		os.Remove(pendingPath(dbDir))
		return nil
	}
	return &p
}

func clearPending(dbDir string) error {
	err := os.Remove(pendingPath(dbDir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return journal.OSFS{}.SyncDir(filepath.Dir(pendingPath(dbDir)))
}

// running holds the databases a backup runs on in this process: a second backup is refused
// before it looks at what an interrupted one left (which would otherwise be the first one's).
var running sync.Map

func claimBackup(db *engine.DB) (release func(), err error) {
	if _, busy := running.LoadOrStore(db, true); busy {
		return nil, &engine.Error{Code: engine.CodeBusy, Op: "backup", Path: db.Dir(), Err: errors.New("a backup of this database is running")}
	}
	return func() { running.Delete(db) }, nil
}

// removeStaleTemps removes the temporary files of a backup that was killed in dest: archives and
// segments, log backups and the history being written. None ever looked like a backup.
func removeStaleTemps(dest, name string) {
	patterns := []string{"." + globEscape(name) + "[[]*.4BK.tmp", "." + globEscape(name) + "[[]*.4BL.tmp", "." + HistoryFile + ".tmp"}
	for _, pat := range patterns {
		stale, _ := filepath.Glob(filepath.Join(dest, pat))
		for _, f := range stale {
			os.Remove(f)
		}
	}
}

// resumeInterrupted finishes or undoes the backup a kill or a failure left half done (see
// pendingBackup), and archives the closed logs waiting beside the log. hist is the history of
// dest, the current destination; it is saved when the interrupted backup is recorded in it.
// v is the settings of the backup that resumes it.
func resumeInterrupted(db *engine.DB, v settings.Values, dest string, hist *History) error {
	verbose := v.Journal.Verbose
	p := loadPending(db.Dir())
	if p != nil {
		if err := resumePending(db, v, p, dest, hist); err != nil {
			return err
		}
	}
	if len(db.ClosedLogs()) == 0 {
		return nil
	}
	logs, sums, err := archiveClosedLogs(db, dest, nil)
	for _, l := range logs {
		note(db.Dir(), verbose, false, "Log backup written: %s (a closed log left by an earlier backup or new log file).", l)
	}
	if len(sums) > 0 {
		// Recorded so that retention and verify know them.
		e := operationEntry("newlog", 0, time.Now(), 0)
		e.Files = append(e.Files, sums...)
		hist.add(e, historyKeep(v))
		if serr := hist.save(dest); serr != nil && err == nil {
			err = coded(engine.CodeArchiveWrite, "write history", filepath.Join(dest, HistoryFile), serr)
		}
	}
	return err
}

// resumePending deals with one interrupted backup's record.
func resumePending(db *engine.DB, v settings.Values, p *pendingBackup, dest string, hist *History) error {
	verbose := v.Journal.Verbose
	phist := hist
	if p.Dest != dest {
		h, err := LoadHistory(p.Dest)
		if err != nil {
			note(db.Dir(), true, true, "Warning: backup %d was interrupted in %s, which cannot be read now (%v); what it left there stays as it is.", p.Number, p.Dest, err)
			return clearPending(db.Dir())
		}
		phist = h
	}
	if listed(phist, p.Number) {
		return clearPending(db.Dir()) // interrupted after its history was saved: it is done
	}
	committed, err := pendingCommitted(db, p)
	if err != nil {
		return err
	}
	if !committed {
		return undoPending(db, v, p, phist)
	}
	e := HistoryEntry{Kind: "backup", Number: p.Number, Start: p.Start, Date: p.Start.Format("2006-01-02"), Time: p.Start.Format("15:04:05"),
		Status: StatusSuccess, Operation: p.Operation, Files: append([]FileInfo(nil), p.Files...)}
	if len(p.Missing) > 0 {
		e.Status, e.ErrorCode = StatusPartial, int(engine.CodeAttachmentMissing)
		e.Error = "attachments not found: " + strings.Join(p.Missing, ", ")
	}
	if p.Data {
		logs, sums, err := archiveClosedLogs(db, dest, nil)
		for _, l := range logs {
			note(db.Dir(), verbose, false, "Log backup written: %s.", l)
		}
		e.Files = append(e.Files, sums...)
		if err != nil {
			note(db.Dir(), true, true, "Warning: the log backup of interrupted backup %d could not be written yet: %v", p.Number, err)
		}
	}
	phist.Database = engine.FormatID(db.ID())
	phist.add(e, historyKeep(v))
	if err := phist.save(p.Dest); err != nil {
		return coded(engine.CodeArchiveWrite, "write history", filepath.Join(p.Dest, HistoryFile), err)
	}
	note(db.Dir(), verbose, true, "Backup %d had been interrupted after its archive %s was complete and the log switched: it is now recorded as done.", p.Number, p.Files[0].Path)
	return clearPending(db.Dir())
}

// listed reports whether the history records backup n as made.
func listed(h *History, n uint32) bool {
	for _, e := range h.Operations {
		if e.Kind == "backup" && e.Number == n && e.Status != StatusFailed {
			return true
		}
	}
	return false
}

// pendingCommitted reports whether an interrupted backup counts as done: its log was switched
// (the data file records it), or, without the data, its archive is whole.
func pendingCommitted(db *engine.DB, p *pendingBackup) (bool, error) {
	if !p.Data {
		if len(p.Files) == 0 {
			return false, nil
		}
		_, err := VerifyArchive(p.Files[0].Path)
		return err == nil, nil
	}
	n, _, err := db.LastBackup()
	if err != nil {
		return false, err
	}
	return n >= p.Number, nil
}

// undoPending removes what an interrupted backup that did not count wrote, and records it as
// failed; the next backup takes its number again.
func undoPending(db *engine.DB, v settings.Values, p *pendingBackup, phist *History) error {
	if err := undoFiles(p); err != nil {
		return coded(engine.CodeArchiveWrite, "remove the archive of an interrupted backup", p.Dest, err)
	}
	e := HistoryEntry{Kind: "backup", Start: p.Start, Date: p.Start.Format("2006-01-02"), Time: p.Start.Format("15:04:05"),
		Status: StatusFailed, ErrorCode: int(engine.CodeBackupInterrupted),
		Error: fmt.Sprintf("backup %d was interrupted before it was complete (the program ended or a step failed); its files were removed", p.Number), Files: []FileInfo{}}
	phist.add(e, historyKeep(v))
	if err := phist.save(p.Dest); err != nil {
		return coded(engine.CodeArchiveWrite, "write history", filepath.Join(p.Dest, HistoryFile), err)
	}
	note(db.Dir(), v.Journal.Verbose, true, "Backup %d had been interrupted before it was complete: its files were removed, and the database and its log are as before it.", p.Number)
	return clearPending(db.Dir())
}

// InterruptedBackup returns the number of a backup of the database in dbDir that was
// interrupted after its archive got its final name (0: none); the next backup finishes or
// undoes it.
func InterruptedBackup(dbDir string) uint32 {
	// Read only (verify asks): a record that does not parse is left for the next backup.
	b, err := os.ReadFile(pendingPath(dbDir))
	if err != nil {
		return 0
	}
	var p pendingBackup
	if json.Unmarshal(b, &p) != nil {
		return 0
	}
	return p.Number
}
