package backup

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"holdfast/engine"
	"holdfast/journal"
)

// HistoryFile is the machine-readable history in the backup destination (S6.6).
const HistoryFile = "backupHistory.json"

// History is backupHistory.json: the recent operations, newest last.
type History struct {
	Format     int            `json:"format"`
	Database   string         `json:"database"`
	LastNumber uint32         `json:"lastNumber"` // the highest backup number given, kept when entries are trimmed
	Operations []HistoryEntry `json:"operations"`
}

// HistoryEntry is one backup (or, later, restore or integration).
type HistoryEntry struct {
	Number     uint32    `json:"number"`
	Kind       string    `json:"kind"` // "backup"
	Date       string    `json:"date"` // local, 2006-01-02
	Time       string    `json:"time"` // local, 15:04:05
	Start      time.Time `json:"start"`
	DurationMS int64     `json:"durationMs"`
	Status     string    `json:"status"` // "success", "partial", "failed"
	ErrorCode  int       `json:"errorCode"`
	Error      string    `json:"error,omitempty"`
	// ErrorWindow is the error as the window says it (what to click), when that differs
	// from Error, which says what to type (engine.WindowText).
	ErrorWindow string     `json:"errorWindow,omitempty"`
	Operation   uint64     `json:"operation,omitempty"` // the snapshot's operation number (a rollback's: the last one kept)
	Undone      uint64     `json:"undone,omitempty"`    // a rollback's last operation undone (it undid Operation+1 to Undone)
	Files       []FileInfo `json:"files"`
	// Checked says a backup's archive was read back and checked against its manifest when it
	// was made (archive.verify on).
	Checked bool `json:"checked,omitempty"`
}

// setError records err in the entry, in both its wordings.
func (e *HistoryEntry) setError(err error) {
	e.ErrorCode, e.Error, e.ErrorWindow = int(engine.CodeOf(err)), err.Error(), ""
	if w := engine.WindowText(err); w != e.Error {
		e.ErrorWindow = w
	}
}

// WindowError is the error recorded, as the window says it.
func (e *HistoryEntry) WindowError() string {
	if e.ErrorWindow != "" {
		return e.ErrorWindow
	}
	return e.Error
}

// FileInfo is a file a backup wrote.
type FileInfo struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Status values.
const (
	StatusSuccess = "success"
	StatusPartial = "partial"
	StatusFailed  = "failed"
	// StatusPending is a rollback recorded before its swap: made if its files say so (see
	// rollbackMade), until it is marked made or failed.
	StatusPending = "pending"
)

// LoadHistory reads the destination's history; a missing file is an empty history.
func LoadHistory(dest string) (*History, error) {
	b, err := os.ReadFile(filepath.Join(dest, HistoryFile))
	if errors.Is(err, os.ErrNotExist) {
		return &History{Format: 1}, nil
	}
	if err != nil {
		return nil, err
	}
	var h History
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("%s is damaged (%w); put back a good copy of it, or move it aside together with the archives and log backups beside it (they stay usable with %w): the next backup then starts a new history",
			filepath.Join(dest, HistoryFile), err, engine.Advice{Command: "holdfast restore", Window: "File > Restore..."})
	}
	return &h, nil
}

// NextNumber is the number the next backup takes.
func (h *History) NextNumber() uint32 {
	n := h.LastNumber
	for _, e := range h.Operations {
		if e.Kind == "backup" && e.Status != StatusFailed && e.Number > n {
			n = e.Number
		}
	}
	return n + 1
}

// Last returns the most recent backup entry, or nil.
func (h *History) Last() *HistoryEntry {
	for i := len(h.Operations) - 1; i >= 0; i-- {
		if h.Operations[i].Kind == "backup" {
			return &h.Operations[i]
		}
	}
	return nil
}

// add records an operation and keeps the keep most recent successful backups (and whatever
// came after the oldest of them), so failures never push the good backups out.
func (h *History) add(e HistoryEntry, keep int) {
	h.Operations = append(h.Operations, e)
	if e.Kind == "backup" && e.Status != StatusFailed && e.Number > h.LastNumber {
		h.LastNumber = e.Number
	}
	good := 0
	for i := len(h.Operations) - 1; i >= 0; i-- {
		if h.Operations[i].Kind == "backup" && h.Operations[i].Status != StatusFailed {
			good++
			if good == keep {
				h.Operations = h.Operations[i:]
				return
			}
		}
	}
}

// save writes the history atomically.
func (h *History) save(dest string) error {
	b, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return err
	}
	return journal.WriteFileAtomic(journal.OSFS{}, filepath.Join(dest, HistoryFile), append(b, '\n'), 0o600)
}

// recordOperation adds an entry other than a backup (a restore, a rollback, a repair) to the
// history in dest, keeping the keep most recent backups.
func recordOperation(dest string, e HistoryEntry, keep int) error {
	if _, err := os.Stat(dest); errors.Is(err, os.ErrNotExist) {
		return nil // never backed up: no history to add to
	}
	hist, err := LoadHistory(dest)
	if err != nil {
		return err
	}
	hist.add(e, keep)
	return hist.save(dest)
}

// operationEntry is a history entry of kind for an operation that started at start.
func operationEntry(kind string, number uint32, start time.Time, op uint64, files ...string) HistoryEntry {
	e := HistoryEntry{Number: number, Kind: kind, Start: start, Date: start.Format("2006-01-02"), Time: start.Format("15:04:05"),
		DurationMS: time.Since(start).Milliseconds(), Status: StatusSuccess, Operation: op, Files: []FileInfo{}}
	for _, f := range files {
		e.Files = append(e.Files, FileInfo{Path: f})
	}
	return e
}
