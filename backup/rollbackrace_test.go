package backup

import (
	"context"
	"sync"
	"testing"

	"holdfast/engine"
	"holdfast/journal"
)

// injectCtx runs f the first time the work asks whether it was stopped.
type injectCtx struct {
	context.Context
	once sync.Once
	f    func()
}

func (c *injectCtx) Err() error { c.once.Do(c.f); return c.Context.Err() }

// Another process writes to the database while the rollback restores its backup: the rollback
// is refused (2007) at its swap, and nothing is lost or undone behind its back (the undone
// writes came back in later restores, and the kept old log was cut).
func TestWriteDuringRollbackPreparationRefused(t *testing.T) {
	db, _, _, ops := shopWithThreeBackups(t)
	dir := db.Dir()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	to := ops["delete 3"] - 1
	ctx := &injectCtx{Context: context.Background(), f: func() {
		d, err := engine.Open(dir, engine.Options{})
		if err != nil {
			t.Errorf("open during the rollback: %v", err)
			return
		}
		p := d.NewProcess("")
		add(t, p, 500)
		p.Close()
		d.Close()
	}}
	_, err := Rollback(ctx, dir, to)
	if engine.CodeOf(err) != engine.CodeInUse {
		t.Fatalf("rollback with a write during its preparation: %v, want 2007", err)
	}
	rdb := reopen(t, dir)
	if _, found, err := rdb.Get("T", []journal.Value{journal.Int(500)}); err != nil || !found {
		t.Fatalf("the write made during the refused rollback: %v %v", found, err)
	}
}

// A rollback to an operation an earlier rollback undid is refused (2001, naming the range):
// it reported that operation while the data went back further.
func TestRollbackIntoAnUndoneRangeRefused(t *testing.T) {
	db, _, _, ops := shopWithThreeBackups(t)
	dir := db.Dir()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Rollback(context.Background(), dir, ops["delete 3"]-1); err != nil {
		t.Fatal(err)
	}
	rdb := reopen(t, dir)
	add(t, rdb.NewProcess(""), 900)
	if err := rdb.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := Rollback(context.Background(), dir, ops["last"])
	if engine.CodeOf(err) != engine.CodeBadInput {
		t.Fatalf("rollback to an undone operation: %v, want 2001", err)
	}
}
