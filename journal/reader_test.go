package journal

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// fiveRecords returns a log of five random records and their offsets.
func fiveRecords(t *testing.T) ([]byte, []int64, []Record) {
	rng := rand.New(rand.NewPCG(7, 8))
	recs := make([]Record, 5)
	for i := range recs {
		recs[i] = randRecord(rng, uint64(100+2*i))
	}
	data, offs := encodeLog(t, testHeader, recs)
	return data, offs, recs
}

func TestCleanEnd(t *testing.T) {
	data, _, recs := fiveRecords(t)
	r, err := NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if r.Offset() != HeaderSize {
		t.Fatalf("offset before the first record %d", r.Offset())
	}
	for i := range recs {
		rec, err := r.Next()
		if err != nil || !sameRecord(rec, recs[i]) {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	for range 2 {
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("at the end: %v, want io.EOF", err)
		}
	}
	if r.Offset() != int64(len(data)) {
		t.Fatalf("offset %d at the end of %d bytes", r.Offset(), len(data))
	}
	if r.Close() != nil || r.Close() != nil {
		t.Fatal("Close failed")
	}
	if _, err := r.Next(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close: %v", err)
	}
	// A log with no records.
	if recs, err := readBytes(t, data[:HeaderSize]); err != io.EOF || len(recs) != 0 {
		t.Fatalf("empty log: %d records, %v", len(recs), err)
	}
}

// TestTornAtEveryByte cuts the log at every byte inside its last record.
func TestTornAtEveryByte(t *testing.T) {
	data, offs, recs := fiveRecords(t)
	last := offs[len(offs)-1]
	for cut := last + 1; cut < int64(len(data)); cut++ {
		got, err := readBytes(t, data[:cut])
		wantTorn(t, err, last, cut-last)
		checkRecords(t, got, recs[:len(recs)-1])
	}
}

// TestOpenAppendTruncatesTorn reopens logs cut inside the last record, appends, and reads back.
func TestOpenAppendTruncatesTorn(t *testing.T) {
	data, offs, recs := fiveRecords(t)
	last := offs[len(offs)-1]
	rng := rand.New(rand.NewPCG(9, 10))
	for cut := last + 1; cut < int64(len(data)); cut += 1 + int64(rng.IntN(9)) {
		path := logPath(t)
		writeFile(t, path, data[:cut])
		w, info, err := OpenAppend(OSFS{}, path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Torn == nil || info.Torn.Offset != last || info.Torn.Bytes != cut-last ||
			info.Records != 4 || info.LastOp != recs[3].Op || info.Header.FirstOp != testHeader.FirstOp {
			t.Fatalf("cut %d: info %+v, torn %+v", cut, info, info.Torn)
		}
		if w.Size() != last || w.LastOp() != recs[3].Op || w.Durable() != recs[3].Op {
			t.Fatalf("size %d last %d durable %d", w.Size(), w.LastOp(), w.Durable())
		}
		more := randRecord(rng, recs[3].Op+1)
		if err := w.Append(&more); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		_, got, tail, err := ReadAll(OSFS{}, path)
		if err != nil || tail != nil {
			t.Fatalf("after append: %v, tail %v", err, tail)
		}
		checkRecords(t, got, append(recs[:4:4], more))
	}
}

// Zeros after the last record are space the writer reserved (or a write that never reached
// the disk): the clean end of the log, not damage.
func TestTrailingZeros(t *testing.T) {
	data, _, recs := fiveRecords(t)
	for _, n := range []int{1, 7, 8, 4096, 1 << 20} {
		log := append(bytes.Clone(data), make([]byte, n)...)
		got, err := readBytes(t, log)
		if err != io.EOF {
			t.Fatalf("%d zeros: %v, want the clean end", n, err)
		}
		checkRecords(t, got, recs)
	}

	path := logPath(t)
	writeFile(t, path, append(bytes.Clone(data), make([]byte, 4096)...))
	w, info, err := OpenAppend(OSFS{}, path)
	if err != nil || info.Torn != nil || info.Records != 5 {
		t.Fatalf("OpenAppend: %v, %+v", err, info)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	more := []Record{randRecord(rng, 200), randRecord(rng, 201)}
	if err := w.Append(&more[0], &more[1]); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(201); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, got, tail, err := ReadAll(OSFS{}, path)
	if err != nil || tail != nil {
		t.Fatal(err, tail)
	}
	checkRecords(t, got, append(recs, more...))
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != w.Size() {
		t.Errorf("a closed log is %d bytes, its records %d: the zeros stayed", fi.Size(), w.Size())
	}
}

// TestCorruptMiddle flips one byte of a middle record: in its length, its checksum, its body.
func TestCorruptMiddle(t *testing.T) {
	data, offs, recs := fiveRecords(t)
	mid := offs[2]
	for _, c := range []struct {
		name string
		at   int64
		mask byte
	}{
		{"length low byte", 0, 0x01}, {"length low byte up", 0, 0x40}, {"length second byte", 1, 0x01},
		{"length third byte", 2, 0x01}, {"length high byte", 3, 0x80}, {"checksum", 5, 0x20},
		{"body op", 8, 0x01}, {"body middle", (offs[3] - mid) / 2, 0x04}, {"body end", offs[3] - mid - 1, 0x01},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad := bytes.Clone(data)
			bad[mid+c.at] ^= c.mask
			got, err := readBytes(t, bad)
			wantCorrupt(t, err, mid)
			checkRecords(t, got, recs[:2])
			if !strings.Contains(err.Error(), "offset") {
				t.Fatalf("%q does not say where", err)
			}

			path := logPath(t)
			writeFile(t, path, bad)
			_, _, err = OpenAppend(OSFS{}, path)
			wantCorrupt(t, err, mid)
			if !bytes.Equal(readFile(t, path), bad) {
				t.Fatal("OpenAppend changed a corrupt log")
			}
			_, got, tail, err := ReadAll(OSFS{}, path)
			wantCorrupt(t, err, mid)
			if tail != nil || len(got) != 2 {
				t.Fatalf("ReadAll: %d records, tail %v", len(got), tail)
			}
		})
	}
}

// TestDamagedLast flips one byte of the last record: nothing follows, so it is a torn tail.
func TestDamagedLast(t *testing.T) {
	data, offs, recs := fiveRecords(t)
	last := offs[len(offs)-1]
	for at := last; at < int64(len(data)); at++ {
		bad := bytes.Clone(data)
		bad[at] ^= 0x08
		got, err := readBytes(t, bad)
		wantTorn(t, err, last, int64(len(data))-last)
		checkRecords(t, got, recs[:4])
	}
}

func TestZeroedMiddle(t *testing.T) {
	// A hole of zeros followed by valid records is damage, not an end.
	data, offs, recs := fiveRecords(t)
	bad := bytes.Clone(data)
	clear(bad[offs[1]:offs[3]])
	got, err := readBytes(t, bad)
	wantCorrupt(t, err, offs[1])
	checkRecords(t, got, recs[:1])
}

func TestOperationOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, ops := range [][]uint64{{100, 101, 101, 102}, {100, 103, 102, 104}, {99, 100}} {
		recs := make([]Record, len(ops))
		for i, op := range ops {
			recs[i] = randRecord(rng, op)
		}
		data, offs := encodeLog(t, testHeader, recs)
		bad := 2
		if ops[0] < testHeader.FirstOp {
			bad = 0
		}
		got, err := readBytes(t, data)
		wantCorrupt(t, err, offs[bad])
		checkRecords(t, got, recs[:bad])
	}
	// Out of order at the very end is still corruption: the record itself is intact.
	recs := []Record{randRecord(rng, 100), randRecord(rng, 100)}
	data, offs := encodeLog(t, testHeader, recs)
	_, err := readBytes(t, data)
	wantCorrupt(t, err, offs[1])
}

// TestLargeRecord reads a record bigger than the read buffer, whole and cut short.
func TestLargeRecord(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	recs := []Record{randRecord(rng, 100), randRecord(rng, 101), randRecord(rng, 102)}
	big := make([]byte, 3*readBufSize)
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	recs[1].Values = AppendValues(nil, []Value{Text("photo"), Blob(big)})
	data, offs := encodeLog(t, testHeader, recs)
	got, err := readBytes(t, data)
	if err != io.EOF {
		t.Fatal(err)
	}
	checkRecords(t, got, recs)

	for _, cut := range []int64{offs[2] - 1, offs[1] + 8 + readBufSize + 3} {
		got, err = readBytes(t, data[:cut])
		wantTorn(t, err, offs[1], cut-offs[1])
		checkRecords(t, got, recs[:1])
	}
	bad := bytes.Clone(data)
	bad[offs[1]+2*readBufSize] ^= 1
	got, err = readBytes(t, bad)
	wantCorrupt(t, err, offs[1])
	checkRecords(t, got, recs[:1])
}

// errReader fails after its data.
type errReader struct {
	data []byte
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReadErrorIsNotAnEnd(t *testing.T) {
	data, offs, _ := fiveRecords(t)
	cause := errors.New("disk on fire")
	r, err := NewReader(&errReader{data: data[:offs[2]+5], err: cause}, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for {
		_, err = r.Next()
		if err != nil {
			break
		}
	}
	var ioe *IOError
	if !errors.As(err, &ioe) || !errors.Is(err, cause) || errors.Is(err, ErrTornTail) || err == io.EOF {
		t.Fatalf("got %v, want the read error", err)
	}
}

func TestUnknownSize(t *testing.T) {
	data, offs, recs := fiveRecords(t)
	r, err := NewReader(bytes.NewReader(data[:offs[4]+10]), -1)
	if err != nil {
		t.Fatal(err)
	}
	var got []Record
	for {
		rec, err := r.Next()
		if err != nil {
			wantTorn(t, err, offs[4], 10)
			break
		}
		got = append(got, rec)
	}
	checkRecords(t, got, recs[:4])
}
