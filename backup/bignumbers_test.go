package backup

import (
	"context"
	"os"
	"testing"
)

func TestBackupNumbersPast9999(t *testing.T) {
	db := newDB(t)
	p := db.NewProcess("")
	add(t, p, 1)
	if _, err := Run(context.Background(), db, Options{}); err != nil {
		t.Fatal(err)
	}
	dest := Destination(db)
	h, err := LoadHistory(dest)
	if err != nil {
		t.Fatal(err)
	}
	h.LastNumber = 9998
	if err := h.save(dest); err != nil {
		t.Fatal(err)
	}
	var last *Result
	for i := int64(2); i <= 7; i++ {
		add(t, p, i)
		res, err := Run(context.Background(), db, Options{})
		if err != nil {
			t.Fatalf("backup: %v", err)
		}
		last = res
		t.Logf("backup %d: logs %v, deleted %v, closed logs waiting %v", res.Number, res.LogBackups, res.Deleted, db.ClosedLogs())
	}
	_ = last
	ents, err := os.ReadDir(dest)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Logf("dest: %s", e.Name())
	}
	if n := len(db.ClosedLogs()); n != 0 {
		t.Errorf("%d closed logs never archived", n)
	}
}
