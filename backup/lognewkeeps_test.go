package backup

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"holdfast/engine"
	"holdfast/journal"
)

// A log refused because it starts after the data file (1416: an older data file was put back):
// "holdfast log DB new" (open without the log, then a backup) must not delete the log, whose
// operations the data file lacks.
func TestLogNewKeepsALogThatStartsAfterTheData(t *testing.T) {
	db := newDB(t)
	dir := db.Dir()
	p := db.NewProcess("")
	add(t, p, 1)
	p.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "Data", "Shop.4DD")
	old, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	db = reopen(t, dir)
	p = db.NewProcess("")
	add(t, p, 2)
	if _, err := NewLog(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	add(t, p, 3)
	add(t, p, 4)
	p.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(data, old, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Open(dir, engine.Options{}); engine.CodeOf(err) != engine.CodeForeignLog {
		t.Fatalf("open: %v", err)
	}
	// holdfast log DB new
	db2, err := engine.Open(dir, engine.Options{WithoutLog: true})
	if err != nil {
		t.Fatal(err)
	}
	if db2.Report().LogMissing == nil {
		t.Fatal("not LogMissing")
	}
	res, err := Run(context.Background(), db2, Options{})
	_, _ = res, err
	if err := db2.Close(); err != nil {
		t.Fatal(err)
	}
	// Is there any file left that holds operations of records 3 and 4?
	found := false
	for _, d := range []string{filepath.Join(dir, "Data"), Destination(db2)} {
		ents, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if !strings.Contains(e.Name(), "journal") && !strings.HasSuffix(e.Name(), ".4BL") {
				continue
			}
			_, recs, _, err := journal.ReadAll(journal.OSFS{}, filepath.Join(d, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				if r.Action == journal.Add && strings.Contains(string(r.Key), "\x04") {
					found = true
				}
			}
			t.Logf("%s: %d records", e.Name(), len(recs))
		}
	}
	if !found {
		t.Error("the log holding records 3 and 4 (acknowledged, not in the data file) was deleted")
	}
}
