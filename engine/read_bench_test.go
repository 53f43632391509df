package engine

import (
	"fmt"
	"math/rand"
	"path/filepath"
	"testing"
)

func readBenchDB(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "Base")
	db, err := Create(dir, Options{})
	if err == nil {
		err = db.CreateTable(Table{Name: "T", Journaled: true, PrimaryKey: []string{"id"}, Fields: []Field{{"id", 2}, {"name", 1}, {"n", 2}, {"pic", 6}}})
	}
	for r := int64(0); err == nil && r < 20; r++ {
		_, err = db.NewProcess("").Update(func(tx *Tx) error {
			for i := int64(0); i < 10000; i++ {
				if _, err := tx.Add("T", row(r*10000+i, fmt.Sprintf("name %d and some text", r*10000+i))); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if db != nil {
		db.Close()
	}
	if err != nil {
		b.Fatal(err)
	}
	return dir
}

// The reads go through checked pages (pages.go); these measure what that costs on 200,000
// records: a get by key, a page of the browser (100 records from a key), an open.
func BenchmarkGet(b *testing.B) {
	db, err := Open(readBenchDB(b), Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rng := rand.New(rand.NewSource(1))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, found, err := db.Get("T", key(rng.Int63n(200000))); err != nil || !found {
			b.Fatal(found, err)
		}
	}
}

func BenchmarkScan100(b *testing.B) {
	db, err := Open(readBenchDB(b), Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rng := rand.New(rand.NewSource(1))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if recs, err := db.Scan("T", key(rng.Int63n(190000)), 100); err != nil || len(recs) != 100 {
			b.Fatal(len(recs), err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	dir := readBenchDB(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		db, err := Open(dir, Options{ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}
