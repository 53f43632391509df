package backup

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// A partial backup (an attachment missing) whose log switch fails: its archive is removed, yet
// the history records it as a partial backup.
func TestPartialBackupWhoseSwitchFailed(t *testing.T) {
	db := newDB(t)
	add(t, db.NewProcess(""), 1)
	if _, err := Run(context.Background(), db, Options{}); err != nil {
		t.Fatal(err)
	}
	att := filepath.Join(t.TempDir(), "att.txt")
	if err := os.WriteFile(att, []byte("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	setAttachments(t, db, att)
	if err := os.Remove(att); err != nil {
		t.Fatal(err)
	}
	// Not a log of this database, under the closed log's name: left where it is, and the switch
	// refuses (2012).
	if err := os.WriteFile(db.LogPath()+".closed[0001]", []byte("not a log"), 0o600); err != nil {
		t.Fatal(err)
	}
	Run(context.Background(), db, Options{})
	h, err := LoadHistory(Destination(db))
	if err != nil {
		t.Fatal(err)
	}
	last := h.Operations[len(h.Operations)-1]
	t.Logf("history: number %d status %s code %d files %v", last.Number, last.Status, last.ErrorCode, last.Files)
	for _, f := range last.Files {
		if _, err := os.Stat(f.Path); err != nil && last.Status != StatusFailed {
			t.Errorf("the history records backup %d as %s with %s, which was removed", last.Number, last.Status, f.Path)
		}
	}
}
