package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"holdfast/journal"
)

func TestWriteReadReopen(t *testing.T) {
	db, dir := newDB(t, Options{})
	p := db.NewProcess("ann")
	want := map[int64]string{}
	for i := int64(1); i <= 50; i++ {
		add(t, p, i*3%50+1, "r")
		want[i*3%50+1] = "r"
	}
	tx := p.Auto()
	if _, err := tx.Add("T", row(7, "dup")); err == nil {
		t.Fatal("duplicate key accepted")
	} else {
		wantCode(t, err, CodeDuplicateKey)
	}
	tx = p.Auto()
	if _, err := tx.Modify("T", key(7), map[string]journal.Value{"name": journal.Text("seven")}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	want[7] = "seven"
	tx = p.Auto()
	if _, err := tx.Delete("T", key(8)); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	delete(want, 8)
	tx = p.Auto()
	if _, err := tx.Delete("T", key(8)); err == nil {
		t.Fatal("deleting a deleted record succeeded")
	} else {
		wantCode(t, err, CodeNoRecord)
	}
	same(t, names(t, db), want)
	p.Close()

	// From the cache, then from the data file after a clean close.
	db = reopen(t, db, dir, Options{})
	same(t, names(t, db), want)
	rec, ok, err := db.Get("T", key(7))
	if err != nil || !ok || rec.Values[2].I != 70 || rec.Num == 0 {
		t.Fatalf("Get(7) = %v %v %v", rec, ok, err)
	}
	db.Close()
}

func TestTransactionAllOrNothing(t *testing.T) {
	db, dir := newDB(t, Options{})
	p := db.NewProcess("")
	add(t, p, 100, "existing")
	op, err := p.Update(func(tx *Tx) error {
		for i := int64(1); i <= 5; i++ {
			if _, err := tx.Add("T", row(i, "tx")); err != nil {
				return err
			}
		}
		r, ok, err := tx.Get("T", key(3))
		if !ok || err != nil || r.Values[1].S != "tx" {
			t.Errorf("the transaction does not see its own write: %v %v", ok, err)
		}
		_, ok, err = db.Get("T", key(3))
		if err != nil {
			return err
		}
		if ok {
			t.Error("an uncommitted write is visible to others")
		}
		return nil
	})
	if err != nil || op == 0 {
		t.Fatal(op, err)
	}
	// A rolled-back transaction leaves nothing.
	tx := p.Begin()
	if _, err := tx.Add("T", row(6, "gone")); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Modify("T", key(100), map[string]journal.Value{"name": journal.Text("changed")}); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	// A transaction that conflicts at commit leaves nothing.
	tx = p.Begin()
	if _, err := tx.Add("T", row(7, "a")); err != nil {
		t.Fatal(err)
	}
	other := db.NewProcess("")
	add(t, other, 7, "b")
	if _, err := tx.Commit(); err == nil {
		t.Fatal("conflicting commit succeeded")
	}
	want := map[int64]string{1: "tx", 2: "tx", 3: "tx", 4: "tx", 5: "tx", 7: "b", 100: "existing"}
	same(t, names(t, db), want)
	db = reopen(t, db, dir, Options{})
	same(t, names(t, db), want)
	db.Close()
}

func TestModifyCannotChangeKey(t *testing.T) {
	db, _ := newDB(t, Options{})
	defer db.Close()
	p := db.NewProcess("")
	add(t, p, 1, "x")
	_, err := p.Auto().Modify("T", key(1), map[string]journal.Value{"id": journal.Int(2)})
	wantCode(t, err, CodeBadValue)
	_, err = p.Auto().Add("T", map[string]journal.Value{"id": journal.Text("one")})
	wantCode(t, err, CodeBadValue)
	_, err = p.Auto().Add("Nope", row(1, ""))
	wantCode(t, err, CodeNoTable)
}

func TestBlob(t *testing.T) {
	db, dir := newDB(t, Options{})
	p := db.NewProcess("")
	add(t, p, 1, "with picture")
	pic := []byte(strings.Repeat("\x89PNG", 5000))
	tx := p.Auto()
	if _, err := tx.SetBlob("T", key(1), "pic", pic); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	_, err := p.Auto().SetBlob("T", key(1), "name", pic)
	wantCode(t, err, CodeBadValue)
	db = reopen(t, db, dir, Options{})
	r, ok, err := db.Get("T", key(1))
	if !ok || err != nil || string(r.Values[3].B) != string(pic) {
		t.Fatalf("blob not kept: %v %v", ok, err)
	}
	db.Close()
}

// A table outside the log still keeps its acknowledged writes: they reach the data file before
// the answer.
func TestTableOutsideLog(t *testing.T) {
	db, dir := newDB(t, Options{})
	if err := db.CreateTable(Table{Name: "Scratch", PrimaryKey: []string{"k"}, Fields: []Field{{"k", journal.KindText}}}); err != nil {
		t.Fatal(err)
	}
	p := db.NewProcess("")
	tx := p.Auto()
	if _, err := tx.Add("Scratch", map[string]journal.Value{"k": journal.Text("a")}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	add(t, p, 1, "logged")
	_, recs, _, err := journal.ReadAll(journal.OSFS{}, db.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Table == "Scratch" {
			t.Fatal("an operation of a table outside the log was logged")
		}
	}
	db = reopen(t, db, dir, Options{})
	n, err := db.Count("Scratch")
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("Scratch has %d records", n)
	}
	db.Close()
}

func TestCreateRefusesNonEmptyFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Create(dir, Options{})
	wantCode(t, err, CodeExists)
	_, err = Open(t.TempDir(), Options{})
	wantCode(t, err, CodeNotDatabase)
}
