package engine

import (
	"errors"
	"fmt"
	"testing"

	"holdfast/journal"
)

// newDB creates a database with a table T (id integer key, name text, n integer, pic blob).
func newDB(t *testing.T, opts Options) (*DB, string) {
	t.Helper()
	dir := t.TempDir() + "/Base"
	db, err := Create(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	err = db.CreateTable(Table{Name: "T", Journaled: true, PrimaryKey: []string{"id"}, Fields: []Field{
		{"id", journal.KindInt}, {"name", journal.KindText}, {"n", journal.KindInt}, {"pic", journal.KindBlob}}})
	if err != nil {
		t.Fatal(err)
	}
	return db, dir
}

func reopen(t *testing.T, db *DB, dir string, opts Options) *DB {
	t.Helper()
	if db != nil {
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	db, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func row(id int64, name string) map[string]journal.Value {
	return map[string]journal.Value{"id": journal.Int(id), "name": journal.Text(name), "n": journal.Int(id * 10)}
}

func key(id int64) []journal.Value { return []journal.Value{journal.Int(id)} }

func add(t *testing.T, p *Process, id int64, name string) uint64 {
	t.Helper()
	tx := p.Auto()
	if _, err := tx.Add("T", row(id, name)); err != nil {
		t.Fatal(err)
	}
	op, err := tx.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return op
}

// names returns id -> name of every record, by scanning in pages of 7.
func names(t *testing.T, db *DB) map[int64]string {
	t.Helper()
	out := map[int64]string{}
	var after []journal.Value
	last := int64(-1 << 62)
	for {
		recs, err := db.Scan("T", after, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Values[0].I <= last {
				t.Fatalf("scan out of order: %d after %d", r.Values[0].I, last)
			}
			last = r.Values[0].I
			out[r.Values[0].I] = r.Values[1].S
		}
		if len(recs) < 7 {
			break
		}
		after = key(recs[len(recs)-1].Values[0].I)
	}
	n, err := db.Count("T")
	if err != nil {
		t.Fatal(err)
	}
	if int(n) != len(out) {
		t.Fatalf("Count says %d, scan finds %d", n, len(out))
	}
	return out
}

func wantCode(t *testing.T, err error, code Code) {
	t.Helper()
	if CodeOf(err) != code {
		t.Fatalf("error %v: code %d, want %d", err, CodeOf(err), code)
	}
	var e *Error
	if errors.As(err, &e) && e.Code.Info().Name == "unknown" {
		t.Fatalf("code %d is not in the table", code)
	}
}

func same(t *testing.T, got, want map[int64]string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("records differ:\n got %v\nwant %v", got, want)
	}
}

// abandon drops the database as a crash would after the last acknowledged write: no checkpoint,
// no Closing of Data File; the data file lags behind the log.
func abandon(db *DB) {
	db.wmu.Lock()
	db.closed = true
	db.wmu.Unlock()
	close(db.stop)
	db.wg.Wait()
	if db.log != nil {
		db.log.Close()
	}
	db.bolt.Close()
}

// lazy options keep everything in the cache until Close.
var lazy = Options{CheckpointBytes: 1 << 40, CheckpointInterval: 1 << 40}
