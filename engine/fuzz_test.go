package engine

import (
	"bytes"
	"encoding/binary"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"holdfast/journal"
)

// smallDataFolder makes a closed database without a log whose table T holds 40 records, its
// data file cut at its high-water mark; it returns the folder and the data file's bytes.
func smallDataFolder(tb testing.TB, dir string) []byte {
	db, err := Create(dir, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	err = db.CreateTable(Table{Name: "T", Journaled: true, PrimaryKey: []string{"id"}, Fields: []Field{
		{"id", journal.KindInt}, {"name", journal.KindText}, {"n", journal.KindInt}, {"pic", journal.KindBlob}}})
	if err == nil {
		err = db.StopLog()
	}
	for i := int64(1); err == nil && i <= 40; i++ {
		tx := db.NewProcess("").Auto()
		if _, err = tx.Add("T", row(i, "name of the record")); err == nil {
			_, err = tx.Commit()
		}
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(dataPath(dir, "Base"))
	if err != nil {
		tb.Fatal(err)
	}
	return b[:hwmOf(b)]
}

// FuzzOpenDataFile opens a database whose data file holds arbitrary bytes, seeded from a real
// small data file and damaged copies of it: opening and every read either work or say 1433,
// never panic nor fault, and what is read is in key order and the same by scan and by get.
func FuzzOpenDataFile(f *testing.F) {
	template := filepath.Join(f.TempDir(), "Base")
	orig := smallDataFolder(f, template)
	f.Add(orig)
	ps := int(binary.LittleEndian.Uint32(orig[16+8:]))
	for _, at := range []int{0, 20, ps + 60, 2*ps + 10, 3*ps + 8, len(orig) - 100} {
		bad := bytes.Clone(orig)
		bad[at] ^= 0x01
		f.Add(bad)
	}
	f.Add(orig[:len(orig)-ps])
	f.Add(orig[:2*ps])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := filepath.Join(t.TempDir(), "Base")
		copyExceptData(t, template, dir)
		if err := os.WriteFile(dataPath(dir, "Base"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		openAnything(t, dir)
	})
}

// copyExceptData copies a database folder without its data file.
func copyExceptData(t *testing.T, from, to string) {
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		switch {
		case d.IsDir():
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		case filepath.Ext(p) == ".4DD":
			return nil
		}
		data, err := os.ReadFile(p)
		if err == nil {
			err = os.WriteFile(filepath.Join(to, rel), data, 0o600)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// openAnything opens the database in dir and reads all of T, with memory faults turned into
// panics in this goroutine so that a fault fails the test instead of killing it.
func openAnything(t *testing.T, dir string) {
	defer func(fault bool) {
		debug.SetPanicOnFault(fault)
		if r := recover(); r != nil {
			t.Fatalf("panic: %v", r)
		}
	}(debug.SetPanicOnFault(true))
	db, err := Open(dir, Options{})
	if err != nil {
		if CodeOf(err) != CodeDamaged {
			t.Fatalf("open: %v, want 1433", err)
		}
		return
	}
	defer db.Close()
	recs, err := db.Scan("T", nil, 1000)
	if err != nil {
		if CodeOf(err) != CodeDamaged {
			t.Fatalf("scan: %v, want 1433", err)
		}
		return
	}
	for i, r := range recs {
		if i > 0 && r.Values[0].I <= recs[i-1].Values[0].I {
			t.Fatalf("scan out of order: %d after %d", r.Values[0].I, recs[i-1].Values[0].I)
		}
		got, found, err := db.Get("T", key(r.Values[0].I))
		if err != nil || !found || got.Values[1].S != r.Values[1].S {
			t.Fatalf("get %d: %v %v %v, scan gave %v", r.Values[0].I, got, found, err, r)
		}
	}
	if _, err := db.Count("T"); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(); err != nil && CodeOf(err) != CodeDamaged {
		t.Fatalf("check: %v, want 1433", err)
	}
}
