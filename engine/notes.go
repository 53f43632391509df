package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

var journalName = regexp.MustCompile(`^Backup Journal\[(\d{3})\]\.txt$`)

// JournalPointer names the file that holds the number of the backup journal in use; the
// backup's roll-over (S6.6) writes it.
const JournalPointer = ".current-journal"

// BackupJournalPath returns the backup journal file in use: the one JournalPointer names, else
// the most recently written Logs/Backup Journal[NNN].txt, else [001].
func BackupJournalPath(dir string) string {
	logs := filepath.Join(dir, "Logs")
	if b, err := os.ReadFile(filepath.Join(logs, JournalPointer)); err == nil {
		name := fmt.Sprintf("Backup Journal[%s].txt", strings.TrimSpace(string(b)))
		if journalName.MatchString(name) {
			return filepath.Join(logs, name)
		}
	}
	best, bestTime := "Backup Journal[001].txt", time.Time{}
	ents, _ := os.ReadDir(logs)
	for _, e := range ents {
		if !journalName.MatchString(e.Name()) {
			continue
		}
		if info, err := e.Info(); err == nil && info.ModTime().After(bestTime) {
			best, bestTime = e.Name(), info.ModTime()
		}
	}
	return filepath.Join(logs, best)
}

// AppendBackupJournal adds a dated entry to the backup journal (S6.6), a text file people read.
func AppendBackupJournal(dir, text string) error {
	path := BackupJournalPath(dir)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%s  %s\n", time.Now().Format("2006-01-02 15:04:05"), text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// journalNote writes an automatic step to the backup journal. Failing to note it must not stop
// the database from opening, so the error is kept in the report instead.
func (db *DB) journalNote(text string) {
	if err := AppendBackupJournal(db.dir, text); err != nil {
		db.infoMu.Lock()
		db.report.JournalErr = err
		db.infoMu.Unlock()
	}
}
