package backup

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"holdfast/engine"
	"holdfast/journal"
)

func backupNumbers(t *testing.T, dest string) []uint32 {
	t.Helper()
	list, err := ListBackups(dest)
	if err != nil {
		t.Fatal(err)
	}
	var out []uint32
	for _, b := range list {
		out = append(out, b.Number)
	}
	return out
}

// Deleting a backup the others do not need removes its archive only; deleting the oldest one
// also removes the log backups only it could start, and is refused (1412, deleting nothing)
// until what it loses is accepted; the only backup kept goes only once that is accepted too
// (1410). Each deletion is in the history and the backup journal, and numbers are never given
// twice.
func TestDeleteBackup(t *testing.T) {
	db, st, results, _ := shopWithThreeBackups(t)
	dest := Destination(db)
	if got := backupNumbers(t, dest); !slices.Equal(got, []uint32{3, 2, 1}) {
		t.Fatalf("listed %v, want 3 2 1", got)
	}
	p, err := DeleteBackup(db, 2, nil)
	if err != nil || p.Lost != "" || p.Only {
		t.Fatalf("deleting backup 2, between two others: %+v %v", p, err)
	}
	for _, f := range results[1].Files {
		if fileExists(f) {
			t.Errorf("%s is still there", f)
		}
	}
	for _, f := range append(results[1].LogBackups, results[2].LogBackups...) {
		if !fileExists(f) {
			t.Errorf("log backup %s, which backup 1 needs to reach now, was deleted", f)
		}
	}
	if got := backupNumbers(t, dest); !slices.Equal(got, []uint32{3, 1}) {
		t.Fatalf("listed %v after deleting 2", got)
	}
	r1, err := Restore(context.Background(), results[0].Archive, RestoreOptions{To: filepath.Join(t.TempDir(), "r1")})
	if err != nil {
		t.Fatalf("backup 1 with its logs, backup 2 deleted: %v", err)
	}
	sameContents(t, "backup 1 through the logs", contents(t, openRestored(t, r1.Dir)), st.upTo(db.LogStatus().LastOp))

	if p, err = DeleteBackup(db, 1, nil); engine.CodeOf(err) != engine.CodeLogBackupMissing || !strings.Contains(err.Error(), "operations") {
		t.Fatalf("deleting the oldest backup, unasked: %v, want 1412 saying what is lost", err)
	}
	if !fileExists(results[0].Archive) || !fileExists(results[1].LogBackups[0]) {
		t.Fatal("a refused deletion deleted files")
	}
	if _, err := DeleteBackup(db, 1, p); err != nil {
		t.Fatalf("deleting the oldest backup, loss accepted: %v", err)
	}
	if fileExists(results[0].Archive) || fileExists(results[1].LogBackups[0]) {
		t.Error("backup 1 or the log backup only it could start is still there")
	}
	if _, err = DeleteBackup(db, 3, nil); engine.CodeOf(err) != engine.CodeArchiveMissing {
		t.Fatalf("deleting the only backup, unasked: %v, want 1410", err)
	}
	p, _ = PlanDelete(db, 3)
	if _, err := DeleteBackup(db, 3, p); err != nil {
		t.Fatalf("deleting the only backup, accepted: %v", err)
	}
	if got := backupNumbers(t, dest); len(got) != 0 {
		t.Errorf("listed %v after deleting every backup", got)
	}
	b, _ := os.ReadFile(engine.BackupJournalPath(db.Dir()))
	for _, n := range []string{"Backup 1 deleted", "Backup 2 deleted", "Backup 3 deleted"} {
		if !strings.Contains(string(b), n) {
			t.Errorf("the backup journal does not say %q", n)
		}
	}
	res, err := Run(context.Background(), db, Options{})
	if err != nil || res.Number != 4 {
		t.Fatalf("the next backup is number %v (%v), want 4", res, err)
	}
}

// Verify on a backup of the list reads it back; the list says whether and when it was checked,
// and a damaged one fails (1411) and is listed so.
func TestVerifyBackup(t *testing.T) {
	db, _, results, _ := shopWithThreeBackups(t)
	if _, err := VerifyBackup(db, 2); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(results[0].Archive)
	b[len(b)/3] ^= 0x20
	os.WriteFile(results[0].Archive, b, 0o600)
	if _, err := VerifyBackup(db, 1); engine.CodeOf(err) != engine.CodeArchiveVerify {
		t.Fatalf("a damaged backup verified: %v, want 1411", err)
	}
	list, err := ListBackups(Destination(db))
	if err != nil {
		t.Fatal(err)
	}
	got := map[uint32]string{}
	for _, b := range list {
		if b.Verified != nil {
			got[b.Number] = b.Verified.Status
		}
		if b.Size == 0 {
			t.Errorf("backup %d listed with no size", b.Number)
		}
	}
	if got[1] != StatusFailed || got[2] != StatusSuccess || got[3] != "" {
		t.Errorf("verifications listed %v, want 1 failed, 2 success, 3 none", got)
	}
}

// The estimate of the next backup follows the last ones: about the size of the last archive
// when the data has not changed, and larger when it grew.
func TestEstimateNext(t *testing.T) {
	db := newDB(t)
	if est, err := EstimateNext(db); err != nil || est.From != 0 {
		t.Fatalf("before any backup: %+v %v", est, err)
	}
	fill(t, db, 2000, strings.Repeat("some text ", 20))
	res, err := Run(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	est, err := EstimateNext(db)
	if err != nil || est.From != 1 || est.Duration <= 0 || est.Size < res.Size/2 || est.Size > res.Size*2 {
		t.Fatalf("after one backup of %d bytes: %+v %v", res.Size, est, err)
	}
	_, err = db.NewProcess("").Update(func(tx *engine.Tx) error {
		for i := int64(10_001); i <= 30_000; i++ {
			if _, err := tx.Add("T", map[string]journal.Value{"id": journal.Int(i), "v": journal.Text(strings.Repeat("more text ", 20))}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	grown, err := EstimateNext(db)
	if err != nil || grown.Log <= est.Log || grown.Size <= est.Size*2 || grown.Duration <= est.Duration {
		t.Fatalf("after the log grew from %d to %d bytes: %+v, before %+v (%v)", est.Log, grown.Log, grown, est, err)
	}
}

// A backup cut into segments and written with redundancy goes whole: every segment (the
// redundancy is inside them), and the list's size counts them all.
func TestDeleteSegmentedBackup(t *testing.T) {
	db := newDB(t)
	configure(t, db, "archive.segmentMB", "1", "archive.compression", "none", "keep.enabled", "false", "archive.redundancy", "medium")
	fill(t, db, 20000, strings.Repeat("segment ", 20))
	first, err := Run(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), db, Options{}); err != nil {
		t.Fatal(err)
	}
	list, err := ListBackups(Destination(db))
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Files) < 3 || list[1].Number != 1 || list[1].Size != first.Size {
		t.Fatalf("backup 1 in %d file(s) of %d bytes, listed as %+v", len(first.Files), first.Size, list[1])
	}
	p, _ := PlanDelete(db, 1)
	if _, err := DeleteBackup(db, 1, p); err != nil {
		t.Fatal(err)
	}
	for _, f := range first.Files {
		if fileExists(f) {
			t.Errorf("segment %s kept", f)
		}
	}
}
