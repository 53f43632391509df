package backup

import (
	"context"
	"fmt"
	"os"
	"testing"
)

// A rollback of a database never backed up (its destination did not exist yet) is recorded
// all the same: a later rollback from a blank data file leaves out what the first one undid
// (it replayed it before).
func TestRollbackBeforeTheFirstBackupIsRecorded(t *testing.T) {
	db := newDB(t)
	dir := db.Dir()
	st := newStates()
	p := db.NewProcess("")
	var op5 uint64
	for i := int64(1); i <= 10; i++ {
		op := st.add(t, p, i, fmt.Sprint("v", i))
		if i == 5 {
			op5 = op
		}
	}
	p.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(Destination(db)); err == nil {
		t.Fatal("dest exists")
	}
	r1, err := Rollback(context.Background(), dir, op5)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rollback 1: %+v", r1)
	db2 := reopen(t, dir)
	p2 := db2.NewProcess("")
	x := add(t, p2, 100)
	add(t, p2, 102)
	if _, err := Run(context.Background(), db2, Options{}); err != nil {
		t.Fatal(err)
	}
	add(t, p2, 101)
	p2.Close()
	if err := db2.Close(); err != nil {
		t.Fatal(err)
	}
	hist, err := LoadHistory(Destination(db2))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range hist.Operations {
		t.Logf("history: %s %d op %d undone %d", e.Kind, e.Number, e.Operation, e.Undone)
	}
	r2, err := Rollback(context.Background(), dir, x)
	t.Logf("rollback 2 to %d: %+v", x, r2)
	if err != nil {
		t.Fatal(err)
	}
	db3 := reopen(t, dir)
	got := contents(t, db3)
	t.Logf("got %v", got)
	for i := int64(6); i <= 10; i++ {
		if _, ok := got[i]; ok {
			t.Errorf("record %d, undone by the first rollback, is back after the second", i)
		}
	}
	if _, ok := got[100]; !ok {
		t.Error("record 100 missing")
	}
}
