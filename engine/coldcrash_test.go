package engine

import (
	"os/exec"
	"path/filepath"
	"testing"

	"holdfast/journal"
)

// The last write before a crash went to a table outside the log: the data file holds it (a cold
// commit checkpoints), the log does not. The next open must not call the log damaged.
func TestCrashAfterAWriteOutsideTheLog(t *testing.T) {
	db, dir := newDB(t, Options{})
	defer db.Close()
	if err := db.CreateTable(Table{Name: "U", Journaled: false, PrimaryKey: []string{"k"}, Fields: []Field{{"k", journal.KindText}, {"v", journal.KindInt}}}); err != nil {
		t.Fatal(err)
	}
	p := db.NewProcess("")
	add(t, p, 1, "one")
	tx := p.Auto()
	if _, err := tx.Add("U", map[string]journal.Value{"k": journal.Text("a"), "v": journal.Int(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// "kill -9": the files as they are now.
	crash := filepath.Join(t.TempDir(), "Base")
	if out, err := exec.Command("cp", "-a", dir, crash).CombinedOutput(); err != nil {
		t.Fatal(string(out))
	}
	db2, err := Open(crash, Options{})
	if err != nil {
		t.Fatalf("open after a crash that followed a write to a table outside the log: %v", err)
	}
	db2.Close()
}
