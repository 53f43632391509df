package backup

import (
	"context"
	"os"
	"strings"
	"testing"

	"holdfast/engine"
)

// A backup names its steps in order (writing, checking, archiving the log) and counts them all
// in its totals: the bar never goes back, and it reaches its end only when the last step ends.
// The first backup of a large database sat at 99 %, "about 0s left", while it was checked and
// its log archived, which the totals did not count.
func TestBackupProgressCountsEverySteps(t *testing.T) {
	db := newDB(t)
	fillHalfCompressible(t, db, 300, 16<<10) // about 5 MB
	var reports []Progress
	res, err := Run(context.Background(), db, Options{Progress: func(p Progress) { reports = append(reports, p) }})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	var last Progress
	for i, p := range reports {
		if p.Steps != 3 {
			t.Fatalf("report %d plans %d steps, want 3 (write, check, log): %+v", i, p.Steps, p)
		}
		if p.Done < last.Done {
			t.Fatalf("report %d goes back: %d after %d bytes", i, p.Done, last.Done)
		}
		if p.Done > p.Total || p.StepDone > p.StepTotal {
			t.Fatalf("report %d is past its total: %+v", i, p)
		}
		if len(order) == 0 || order[len(order)-1] != p.Step {
			order = append(order, p.Step)
		}
		last = p
	}
	if got, want := strings.Join(order, ", "), strings.Join([]string{StepWrite, StepCheck, StepLog}, ", "); got != want {
		t.Fatalf("steps reported: %s; want %s", got, want)
	}
	// When the archive was written in full, most of the backup was still to come: checking
	// it reads the content again. Time left counts it.
	for _, p := range reports {
		if p.Step == StepCheck && p.StepDone == 0 {
			if p.Done*10 > p.Total*6 {
				t.Errorf("at the start of the check the bar is at %d of %d: the check is not counted", p.Done, p.Total)
			}
			break
		}
	}
	if res.Archive == "" {
		t.Fatal("no archive")
	}
}

// Stop while the archive is checked stops the backup there (1406): nothing is left, the log is
// not switched, and the next backup takes the same number.
func TestBackupStoppedWhileChecked(t *testing.T) {
	db := newDB(t)
	fillHalfCompressible(t, db, 300, 16<<10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Run(ctx, db, Options{Progress: func(p Progress) {
		if p.Step == StepCheck && p.StepDone > 0 {
			cancel()
		}
	}})
	if engine.CodeOf(err) != engine.CodeBackupInterrupted {
		t.Fatalf("stopped while checked: want 1406, got %v", err)
	}
	ents, _ := os.ReadDir(Destination(db))
	for _, e := range ents {
		if e.Name() != HistoryFile && !strings.HasPrefix(e.Name(), "Logs") {
			t.Errorf("a backup stopped while checked left %s", e.Name())
		}
	}
	if len(db.ClosedLogs()) != 0 {
		t.Error("a backup stopped while checked switched the log")
	}
	res, err := Run(context.Background(), db, Options{})
	if err != nil || res.Number != 1 {
		t.Fatalf("after the stop: %+v %v", res, err)
	}
}
