package backup

import (
	"fmt"
	"os"
	"path/filepath"

	"holdfast/engine"
	"holdfast/journal"
)

// journalLimit is the size past which the backup journal moves on to its next file (S6.6).
const journalLimit = 10 << 20

// rotateJournal runs before each backup: a journal file over 10 MB is closed and numbering
// moves to the next file; after [999] it starts again at [001], replacing the old file.
func rotateJournal(dbDir string) error {
	cur := engine.BackupJournalPath(dbDir)
	info, err := os.Stat(cur)
	if err != nil || info.Size() <= journalLimit {
		return nil
	}
	var n int
	if _, err := fmt.Sscanf(filepath.Base(cur), "Backup Journal[%03d].txt", &n); err != nil {
		n = 0
	}
	next := n%999 + 1
	path := filepath.Join(dbDir, "Logs", fmt.Sprintf("Backup Journal[%03d].txt", next))
	if err := os.WriteFile(path, nil, 0o600); err != nil { // new, or an old one replaced
		return err
	}
	return journal.WriteFileAtomic(journal.OSFS{}, filepath.Join(dbDir, "Logs", engine.JournalPointer), []byte(fmt.Sprintf("%03d\n", next)), 0o600)
}

// note writes a line to the backup journal; with verbose off only the essentials (starts and
// errors) are written.
func note(dbDir string, verbose, essential bool, format string, args ...any) {
	if verbose || essential {
		engine.AppendBackupJournal(dbDir, fmt.Sprintf(format, args...))
	}
}
