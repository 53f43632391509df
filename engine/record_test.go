package engine

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"holdfast/journal"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with a golden file (rewritten with -update).
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s changed:\n%s\nwant:\n%s", path, got, want)
	}
}

// goldenRecords covers every kind of value, nulls, a short record and a large record number.
func goldenRecords() []struct {
	name string
	rec  Record
} {
	return []struct {
		name string
		rec  Record
	}{
		{"empty", Record{Num: 1}},
		{"customer", Record{Num: 42, Values: []journal.Value{journal.Int(1001), journal.Text("Ana Silva"), journal.Text("ana@example.com"),
			journal.Date(20000), journal.Bool(true), journal.Blob([]byte{0x89, 'P', 'N', 'G'})}}},
		{"negatives", Record{Num: 1 << 40, Values: []journal.Value{journal.Int(-7), journal.Real(-0.5), journal.Real(math.Inf(1)), journal.TimeOfDay(45296000)}}},
		{"nulls", Record{Num: 3, Values: []journal.Value{journal.Int(1), {}, {}, journal.Text("")}}},
		{"unicode", Record{Num: 4, Values: []journal.Value{journal.Text("Chloé, Montréal, 東京"), journal.Bool(false)}}},
	}
}

func TestRecordGolden(t *testing.T) {
	var b strings.Builder
	for _, g := range goldenRecords() {
		enc := encodeRecord(g.rec.Num, g.rec.Values)
		fmt.Fprintf(&b, "%s %s\n", g.name, hex.EncodeToString(enc))
		dec, err := decodeRecord(enc, len(g.rec.Values))
		if err != nil {
			t.Fatalf("%s: %v", g.name, err)
		}
		if dec.Num != g.rec.Num || len(dec.Values) != len(g.rec.Values) {
			t.Fatalf("%s: decoded %+v", g.name, dec)
		}
		for i := range dec.Values {
			if !dec.Values[i].Equal(g.rec.Values[i]) {
				t.Fatalf("%s: value %d: %v != %v", g.name, i, dec.Values[i], g.rec.Values[i])
			}
		}
	}
	// A change here means data files already written would no longer read.
	golden(t, "../testdata/engine/records.golden", []byte(b.String()))
}

func TestRecordChecksum(t *testing.T) {
	enc := encodeRecord(9, []journal.Value{journal.Text("balance"), journal.Real(1234.5)})
	for i := range enc {
		bad := append([]byte(nil), enc...)
		bad[i] ^= 0x01
		if _, err := decodeRecord(bad, 2); !errors.Is(err, ErrChecksum) {
			t.Fatalf("a flipped bit at byte %d was not detected: %v", i, err)
		}
	}
	if _, err := decodeRecord(enc[:5], 2); !errors.Is(err, ErrChecksum) {
		t.Fatal("a truncated record was not detected")
	}
	// A short record (written before a field was added) reads with nulls.
	r, err := decodeRecord(enc, 4)
	if err != nil || len(r.Values) != 4 || !r.Values[3].IsNull() {
		t.Fatalf("padding: %+v %v", r, err)
	}
}

// A damaged record in the data file is an error with code 1433, never wrong data.
func TestDamagedRecordRead(t *testing.T) {
	db, dir := newDB(t, Options{})
	add(t, db.NewProcess(""), 1, "precious")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	path := dataPath(dir, "Base")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(b), "precious")
	if i < 0 {
		t.Fatal("record not found in the data file")
	}
	b[i] = 'P'
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, _, err = db.Get("T", key(1))
	wantCode(t, err, CodeDamaged)
	_, err = db.Scan("T", nil, 10)
	wantCode(t, err, CodeDamaged)
	wantCode(t, db.Check(), CodeDamaged)
}

// A data file whose first pages are overwritten, or that is missing, is reported as damaged.
func TestDamagedDataFileAtOpen(t *testing.T) {
	db, dir := newDB(t, Options{})
	add(t, db.NewProcess(""), 1, "x")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	path := dataPath(dir, "Base")
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(make([]byte, 8192), 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{})
	wantCode(t, err, CodeDamaged)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{})
	wantCode(t, err, CodeDamaged)
}
