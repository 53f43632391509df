package backup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"holdfast/engine"
	"holdfast/journal"
	"holdfast/settings"
)

func journalText(t *testing.T, dir string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "Logs", "Backup Journal*.txt"))
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}

// A deleted data file, and one whose first pages were overwritten, are rebuilt at open from the
// last backup and the logs after it, ending with the same records as before the damage; the
// journal and the history say so, and the damaged file is kept.
func TestRepairAtOpen(t *testing.T) {
	for _, damage := range []string{"deleted", "first pages overwritten"} {
		t.Run(damage, func(t *testing.T) {
			db, st, _, _ := shopWithThreeBackups(t)
			dir := db.Dir()
			dest := Destination(db)
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			data := filepath.Join(dir, "Data", "Shop.4DD")
			if damage == "deleted" {
				if err := os.Remove(data); err != nil {
					t.Fatal(err)
				}
			} else {
				f, err := os.OpenFile(data, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.WriteAt([]byte(strings.Repeat("\xde\xad", 8<<10)), 0); err != nil {
					t.Fatal(err)
				}
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := engine.Open(dir, engine.Options{}); engine.CodeOf(err) != engine.CodeDamaged {
				t.Fatalf("the damaged database opens with %v, want 1433", err)
			}
			rdb, res, err := OpenOrRepair(context.Background(), dir, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer rdb.Close()
			if res == nil || res.Backup != 3 || len(res.Logs) != 1 {
				t.Fatalf("repair %+v, want backup 3 and the current log", res)
			}
			sameContents(t, "repaired", contents(t, rdb), st.cur)
			if (damage == "deleted") != (res.Damaged == "") {
				t.Errorf("damaged file kept as %q", res.Damaged)
			}
			if !strings.Contains(journalText(t, dir), "Automatic repair done") {
				t.Errorf("the journal does not tell of the repair:\n%s", journalText(t, dir))
			}
			hist, err := LoadHistory(dest)
			if err != nil {
				t.Fatal(err)
			}
			if last := hist.Operations[len(hist.Operations)-1]; last.Kind != "repair" || last.Number != 3 {
				t.Errorf("history's last entry %+v, want the repair from backup 3", last)
			}
			// Writes go on, into the same log, after the repaired data.
			before := rdb.LogStatus().LastOp
			if op := add(t, rdb.NewProcess(""), 500); op <= before {
				t.Errorf("a write after the repair got operation %d, the log was at %d", op, before)
			}
		})
	}
}

// With restore.autoRestoreIfDamaged off, the open fails with 1433 naming what would repair the
// data file, and changes nothing; a damaged newest archive makes the repair use the one before.
func TestRepairPolicy(t *testing.T) {
	db, st, results, _ := shopWithThreeBackups(t)
	dir := db.Dir()
	configure(t, db, "restore.autoRestoreIfDamaged", "false")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "Data", "Shop.4DD")
	if err := os.Remove(data); err != nil {
		t.Fatal(err)
	}
	_, _, err := OpenOrRepair(context.Background(), dir, engine.Options{})
	if engine.CodeOf(err) != engine.CodeDamaged || !strings.Contains(err.Error(), results[2].Archive) || !strings.Contains(err.Error(), "data.journal") {
		t.Fatalf("with the repair off: %v, want 1433 naming the archive and the logs", err)
	}
	if _, err := os.Stat(data); err == nil {
		t.Fatal("the data file was rebuilt although the repair is off")
	}

	// Turn it on again (the settings file is readable without the data) and damage backup 3.
	sp := filepath.Join(dir, "Data", "Settings", "Backup.4DSettings")
	b, err := os.ReadFile(sp)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sp, []byte(strings.Replace(string(b), "<autoRestoreIfDamaged>false</autoRestoreIfDamaged>", "<autoRestoreIfDamaged>true</autoRestoreIfDamaged>", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	ab, err := os.ReadFile(results[2].Archive)
	if err != nil {
		t.Fatal(err)
	}
	ab[len(ab)/2] ^= 0x55
	if err := os.WriteFile(results[2].Archive, ab, 0o600); err != nil {
		t.Fatal(err)
	}
	rdb, res, err := OpenOrRepair(context.Background(), dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if res.Backup != 2 || len(res.Skipped) != 1 {
		t.Fatalf("repair %+v, want backup 2 after skipping the damaged backup 3", res)
	}
	sameContents(t, "repaired from backup 2", contents(t, rdb), st.cur)
}

// damageRecord changes one byte inside the stored record holding text in the data file of the
// closed database in dir.
func damageRecord(t *testing.T, dir, text string) {
	t.Helper()
	data := filepath.Join(dir, "Data", filepath.Base(dir)+".4DD")
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(b), text)
	if i < 0 {
		t.Fatalf("%q is not in the data file", text)
	}
	b[i] ^= 0x04
	if err := os.WriteFile(data, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Damage inside a record, which no open sees, found by a read (1433), is repaired at the next
// open from the last backup and the logs after it, ending with the records as they were; with
// restore.autoRestoreIfDamaged off, that open says exactly what to do.
func TestRepairAfterDamageFoundByRead(t *testing.T) {
	db, st, results, _ := shopWithThreeBackups(t)
	dir := db.Dir()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	var victim int64
	for id := range st.cur {
		victim = max(victim, id)
	}
	damageRecord(t, dir, st.cur[victim])

	db, _, err := OpenOrRepair(context.Background(), dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Get("T", []journal.Value{journal.Int(victim)}); engine.CodeOf(err) != engine.CodeDamaged {
		t.Fatalf("read of the damaged record: %v, want 1433", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	setFolderSetting(t, dir, "restore.autoRestoreIfDamaged", "false")
	_, _, err = OpenOrRepair(context.Background(), dir, engine.Options{})
	if engine.CodeOf(err) != engine.CodeDamaged || !strings.Contains(err.Error(), results[2].Archive) || !strings.Contains(err.Error(), "restore.autoRestoreIfDamaged") {
		t.Fatalf("with the repair off: %v, want 1433 naming the archive and the setting", err)
	}
	setFolderSetting(t, dir, "restore.autoRestoreIfDamaged", "true")

	rdb, res, err := OpenOrRepair(context.Background(), dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if res == nil || res.Backup != 3 {
		t.Fatalf("repair %+v, want one from backup 3", res)
	}
	sameContents(t, "repaired", contents(t, rdb), st.cur)
	if err := rdb.Check(); err != nil {
		t.Fatal(err)
	}
}

// setFolderSetting changes a setting of a closed database folder (its data file need not open).
func setFolderSetting(t *testing.T, dir string, kv ...string) {
	t.Helper()
	s, err := folderSettings(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(kv); i += 2 {
		if err := s.Set(kv[i], kv[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := journal.WriteFileAtomic(journal.OSFS{}, filepath.Join(dir, settings.FileName), s.Marshal(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// After the destination setting changes, the automatic repair still finds the backups where
// the history and the backup journal say they are: in the earlier destination, and across
// both, the log backups that follow a backup of one written into the other.
func TestRepairFindsEarlierDestination(t *testing.T) {
	for _, tc := range []string{"no backup since", "a backup since", "a damaged backup since"} {
		t.Run(tc, func(t *testing.T) {
			db, st, results, _ := shopWithThreeBackups(t)
			dir := db.Dir()
			moved := filepath.Join(t.TempDir(), "Elsewhere")
			if err := os.MkdirAll(moved, 0o700); err != nil {
				t.Fatal(err)
			}
			configure(t, db, "destination", moved)
			var since *Result
			if tc != "no backup since" {
				var err error
				if since, err = Run(context.Background(), db, Options{}); err != nil {
					t.Fatal(err)
				}
				p := db.NewProcess("")
				for i := int64(700); i < 705; i++ {
					st.add(t, p, i, fmt.Sprint("after the move ", i))
				}
				p.Close()
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if tc == "a damaged backup since" {
				ab, err := os.ReadFile(since.Archive)
				if err != nil {
					t.Fatal(err)
				}
				ab[len(ab)/2] ^= 0x55
				if err := os.WriteFile(since.Archive, ab, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Remove(filepath.Join(dir, "Data", "Shop.4DD")); err != nil {
				t.Fatal(err)
			}

			rdb, res, err := OpenOrRepair(context.Background(), dir, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer rdb.Close()
			want := results[2].Archive
			if tc == "a backup since" {
				want = since.Archive
			}
			if res.Archive != want {
				t.Errorf("repaired from %s, want %s", res.Archive, want)
			}
			sameContents(t, "repaired", contents(t, rdb), st.cur)
		})
	}
}
