package backup

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"holdfast/engine"
	"holdfast/settings"
)

// spoilSetting replaces, in the settings file of the database folder dir, the element of a
// key as Marshal writes it (old, such as "<path>Data/data.journal</path>") with bad text.
func spoilSetting(t *testing.T, dir, old, bad string) {
	t.Helper()
	path := filepath.Join(dir, settings.FileName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("no %s in\n%s", old, b)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, bad, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// wantBadSetting checks err is a 2009 naming key and its line.
func wantBadSetting(t *testing.T, what string, err error, key string) {
	t.Helper()
	if engine.CodeOf(err) != engine.CodeBadSetting || !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "line") {
		t.Errorf("%s: %v; want 2009 naming %s and its line", what, err, key)
	}
}

// Restores, repairs and rollbacks read the settings of a database folder without opening it:
// where its log is and where its backups go. While one of those holds a value that is not
// valid, each refuses with 2009 naming the key, rather than look for the log or the backups by
// the default and integrate, repair or roll back from other files than the database's.
func TestFolderWorkRefusesBadLogSetting(t *testing.T) {
	db, st, results, ops := shopWithThreeBackups(t)
	dir := db.Dir()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	spoilSetting(t, dir, "<path>Data/data.journal</path>", "<path> </path>")

	// A restore that integrates the logs of the folder the archive came from.
	_, err := Restore(context.Background(), results[2].Archive, RestoreOptions{To: filepath.Join(t.TempDir(), "Auto")})
	wantBadSetting(t, "restore with the logs found", err, "log.path")
	for _, w := range []string{"--integrate none", "These log files"} {
		if err != nil && !strings.Contains(err.Error(), w) {
			t.Errorf("the restore's error %q does not say %s", err, w)
		}
	}
	// Without integrating the logs, it needs nothing of the folder.
	r, err := Restore(context.Background(), results[2].Archive, RestoreOptions{To: filepath.Join(t.TempDir(), "Plain"), NoIntegrate: true})
	if err != nil {
		t.Fatalf("a restore without the logs: %v", err)
	}
	openRestored(t, r.Dir).Close()

	_, err = PlanRepair(dir)
	wantBadSetting(t, "plan a repair", err, "log.path")
	_, err = Repair(context.Background(), dir)
	wantBadSetting(t, "repair", err, "log.path")
	before, err := os.ReadFile(filepath.Join(dir, "Data", "Shop.4DD"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Rollback(context.Background(), dir, ops["delete 12"]-1)
	wantBadSetting(t, "rollback", err, "log.path")
	after, err := os.ReadFile(filepath.Join(dir, "Data", "Shop.4DD"))
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(before) {
		t.Error("the refused rollback changed the data file")
	}

	// A damaged data file with the log's place unknown: the open says the repair waits for the
	// fix, and repairs nothing.
	if err := os.Remove(filepath.Join(dir, "Data", "Shop.4DD")); err != nil {
		t.Fatal(err)
	}
	odb, res, err := OpenOrRepair(context.Background(), dir, engine.Options{})
	if odb != nil {
		odb.Close()
	}
	if engine.CodeOf(err) != engine.CodeDamaged || res != nil || !strings.Contains(err.Error(), "log.path") {
		t.Errorf("open of a damaged database with a bad log.path: %v, %+v; want 1433 saying log.path keeps it from the repair", err, res)
	}

	// Fixed, everything goes on: the repair rebuilds the data from the backups and the log.
	spoilSetting(t, dir, "<path> </path>", "<path>Data/data.journal</path>")
	rdb, res, err := OpenOrRepair(context.Background(), dir, engine.Options{})
	if err != nil || res == nil {
		t.Fatalf("open after the fix: %v", err)
	}
	defer rdb.Close()
	sameContents(t, "repaired after the fix", contents(t, rdb), st.cur)
}

// A bad restore.autoRestoreIfDamaged is no leave to repair without asking: the open says what
// repairs the data file, as with the setting off.
func TestBadAutoRestoreDoesNotRepair(t *testing.T) {
	db, _, _, _ := shopWithThreeBackups(t)
	dir := db.Dir()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	spoilSetting(t, dir, "<autoRestoreIfDamaged>true</autoRestoreIfDamaged>", "<autoRestoreIfDamaged>yes</autoRestoreIfDamaged>")
	if err := os.Remove(filepath.Join(dir, "Data", "Shop.4DD")); err != nil {
		t.Fatal(err)
	}
	odb, res, err := OpenOrRepair(context.Background(), dir, engine.Options{})
	if odb != nil {
		odb.Close()
	}
	if engine.CodeOf(err) != engine.CodeDamaged || res != nil || !strings.Contains(err.Error(), "To repair it") {
		t.Errorf("open with a bad autoRestoreIfDamaged: %v, %+v; want 1433 with the steps, no repair", err, res)
	}
}

// New Log File reads where the log is archived once, and refuses while it holds a bad value.
func TestNewLogRefusesBadSetting(t *testing.T) {
	db := newDB(t)
	if _, err := Run(context.Background(), db, Options{}); err != nil {
		t.Fatal(err)
	}
	add(t, db.NewProcess(""), 1)
	dir := db.Dir()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	spoilSetting(t, dir, "<use>true</use>", "<use>on</use>")
	db, err := engine.Open(dir, engine.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = NewLog(context.Background(), db)
	wantBadSetting(t, "new log file", err, "log.use")
}
