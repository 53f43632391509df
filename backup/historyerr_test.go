package backup

import (
	"encoding/json"
	"strings"
	"testing"

	"holdfast/engine"
)

// A history entry keeps an error in both its wordings: what to type (Error) and what to click
// (ErrorWindow, only when it differs), and the window reads the second.
func TestHistoryKeepsBothWordings(t *testing.T) {
	var e HistoryEntry
	e.setError(&engine.Error{Code: engine.CodeNoLog, Op: "new log file",
		Err: engine.Advice{Command: "make a backup (holdfast backup DB) first", Window: "make a backup (File > Backup...) first"}})
	if !strings.Contains(e.Error, "holdfast backup DB") || !strings.Contains(e.WindowError(), "File > Backup...") || strings.Contains(e.WindowError(), "holdfast backup") {
		t.Fatalf("error %q, window %q", e.Error, e.WindowError())
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var back HistoryEntry
	if err := json.Unmarshal(b, &back); err != nil || back.WindowError() != e.WindowError() || back.ErrorCode != int(engine.CodeNoLog) {
		t.Fatalf("read back: %+v %v", back, err)
	}
	var plain HistoryEntry
	plain.setError(&engine.Error{Code: engine.CodeBackupInterrupted, Op: "backup"})
	if plain.ErrorWindow != "" || plain.WindowError() != plain.Error {
		t.Errorf("an error said the same way twice is kept once: %+v", plain)
	}
}
