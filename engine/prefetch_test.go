package engine

import (
	"io"
	"os"
	"testing"

	"holdfast/journal"
)

// The prefetching reader gives the reader's records in order, across chunks, then the error
// that ended the log (a torn tail here); closed early, it does not hang.
func TestPrefetch(t *testing.T) {
	dir, _ := fillLagging(t, 2500)
	db := reopen(t, nil, dir, Options{ReadOnly: true})
	path := db.LogPath()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data[:len(data)-3], 0o600); err != nil { // the last record torn
		t.Fatal(err)
	}
	read := func(src recordSource) (ops []uint64, end error) {
		for {
			rec, err := src.Next()
			if err != nil {
				return ops, err
			}
			ops = append(ops, rec.Op)
		}
	}
	r1, err := journal.OpenReader(journal.OSFS{}, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	want, wantEnd := read(r1)
	r2, err := journal.OpenReader(journal.OSFS{}, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	pf := newPrefetch(r2)
	got, gotEnd := read(pf)
	pf.Close()
	if len(want) < 2*prefetchChunk || wantEnd == io.EOF {
		t.Fatalf("the log read directly: %d records, then %v; want more than two chunks and a torn tail", len(want), wantEnd)
	}
	if len(got) != len(want) || gotEnd.Error() != wantEnd.Error() {
		t.Fatalf("prefetched %d records then %v, want %d then %v", len(got), gotEnd, len(want), wantEnd)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("record %d is operation %d, want %d", i, got[i], want[i])
		}
	}
	if pf.Offset() != r1.Offset() {
		t.Errorf("offset at the end %d, want %d", pf.Offset(), r1.Offset())
	}
	// Closed after one record: the goroutine ends although the log goes on.
	r3, err := journal.OpenReader(journal.OSFS{}, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r3.Close()
	pf = newPrefetch(r3)
	if _, err := pf.Next(); err != nil {
		t.Fatal(err)
	}
	pf.Close()
}
