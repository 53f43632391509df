package backup

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"holdfast/engine"
	"holdfast/journal"
)

// fillHalfCompressible adds n records of size bytes each, half compressible, in one transaction.
func fillHalfCompressible(t *testing.T, db *engine.DB, n, size int) {
	t.Helper()
	_, err := db.NewProcess("").Update(func(tx *engine.Tx) error {
		for i := range n {
			v := string(halfCompressible(size, uint64(i+1)))
			if _, err := tx.Add("T", map[string]journal.Value{"id": journal.Int(int64(i + 1)), "v": journal.Text(v)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A stop at any moment of a compressed, segmented backup ends it cleanly with 1406: no crash,
// no temporary file left, the history says how it ended, and the next backup works. The
// compressing workers write the archive on goroutines of their own: a stop that removed the
// files under them crashed the app (a nil hash at the next write).
func TestBackupStopAtAnyMoment(t *testing.T) {
	db := newDB(t)
	fillHalfCompressible(t, db, 600, 16<<10) // about 10 MB: many compressed chunks
	s := db.Settings()
	if err := s.Set("archive.segmentMB", "1"); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateSettings(s); err != nil {
		t.Fatal(err)
	}
	dest := Destination(db)
	for round := range 12 {
		ctx, cancel := context.WithCancel(context.Background())
		delay := time.Duration(round) * 15 * time.Millisecond
		timer := time.AfterFunc(delay, cancel)
		res, err := Run(ctx, db, Options{})
		timer.Stop()
		cancel()
		if err == nil {
			// Finished before the stop: a whole backup, fine.
			if _, verr := VerifyArchive(res.Archive); verr != nil {
				t.Fatalf("round %d: a backup that said done does not verify: %v", round, verr)
			}
			continue
		}
		if engine.CodeOf(err) != engine.CodeBackupInterrupted {
			t.Fatalf("round %d (stop after %s): want 1406, got %v", round, delay, err)
		}
		ents, err := os.ReadDir(dest)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".tmp") {
				t.Fatalf("round %d: a stopped backup left %s", round, e.Name())
			}
		}
		h, err := LoadHistory(dest)
		if err != nil {
			t.Fatal(err)
		}
		if last := h.Last(); last == nil || last.Status != StatusFailed || last.ErrorCode != int(engine.CodeBackupInterrupted) {
			t.Fatalf("round %d: the history does not say the backup was stopped: %+v", round, h.Last())
		}
		text, err := os.ReadFile(filepath.Join(db.Dir(), "Logs", "Backup Journal[001].txt"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(text), "1406") {
			t.Fatalf("round %d: the backup journal does not say the backup was stopped:\n%s", round, text)
		}
	}
	res, err := Run(context.Background(), db, Options{})
	if err != nil {
		t.Fatalf("the backup after the stops: %v", err)
	}
	if _, err := VerifyArchive(res.Archive); err != nil {
		t.Fatal(err)
	}
}
