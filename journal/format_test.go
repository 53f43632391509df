package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"hash/crc32"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/journal")

const goldenDir = "../testdata/journal"

// goldenRecords holds every action, keys and values of every kind and a BLOB.
func goldenRecords(t testing.TB) []Record {
	at := func(s int) time.Time {
		return time.Date(2024, 3, 9, 8, 16, s, s*1000003, time.UTC)
	}
	key := mustKey(t, Int(-42), Text("A\x00B"))
	blob := make([]byte, 100)
	for i := range blob {
		blob[i] = byte(i * 7)
	}
	rec := func(op uint64, a Action) Record {
		return Record{Op: op, Time: at(int(op - 100)), Action: a, Process: 7, SystemUser: "ann", User: "Ann Lee"}
	}
	recs := []Record{
		{Op: 100, Time: at(0), Action: OpenData, SystemUser: "ann"},
		rec(101, CreateContext),
		rec(102, StartTx),
		rec(103, Add),
		rec(104, AddBlob),
		rec(105, Modify),
		rec(106, ValidateTx),
		rec(107, StartTx),
		rec(108, Delete),
		rec(109, CancelTx),
		rec(110, UpdateContext),
		rec(111, CloseContext),
		{Op: 115, Time: at(15), Action: CloseData, SystemUser: "ann"},
	}
	recs[3].Table, recs[3].Key, recs[3].RecordNum, recs[3].Size = "Invoices", key, 5, 120
	recs[3].Values = AppendValues(nil, []Value{{}, Text("tab\there\nnew line"), Int(-7), Real(-1.5),
		Bool(true), Date(19791), TimeOfDay(45296789), Blob([]byte{1, 2, 3})})
	recs[4].Table, recs[4].Key, recs[4].RecordNum, recs[4].Size = "Invoices", key, 5, 100
	recs[4].Values = AppendValues(nil, []Value{Text("photo"), Blob(blob)})
	recs[5].Table, recs[5].RecordNum, recs[5].Size = "Rates", 0, 40
	recs[5].Key = mustKey(t, Real(-2.25), Bool(false), Date(-1), TimeOfDay(0))
	recs[5].Values = AppendValues(nil, []Value{Text("é; ü"), Real(1e100), Int(math.MinInt64)})
	recs[8].Table, recs[8].Key, recs[8].RecordNum, recs[8].Size = "Invoices", mustKey(t, Int(9)), 2, 0
	recs[10].User = "Bob"
	return recs
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if *update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n got %q\nwant %q", name, got, want)
	}
}

func TestGoldenLog(t *testing.T) {
	recs := goldenRecords(t)
	data, _ := encodeLog(t, testHeader, recs)
	golden(t, "golden.journal", data)

	// The Writer produces exactly these bytes.
	path := logPath(t)
	w, err := Create(OSFS{}, path, testHeader)
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if err := w.Append(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); !bytes.Equal(got, data) {
		t.Fatalf("Writer output differs from the encoding:\n got %x\nwant %x", got, data)
	}

	// The checked-in file reads back as the records.
	h, got, tail, err := ReadAll(OSFS{}, filepath.Join(goldenDir, "golden.journal"))
	if err != nil || tail != nil {
		t.Fatalf("ReadAll: %v, tail %v", err, tail)
	}
	if h.DBID != testHeader.DBID || h.BackupNum != 3 || h.FirstOp != 100 ||
		!h.Created.Equal(testHeader.Created) {
		t.Fatalf("header %+v, want %+v", h, testHeader)
	}
	checkRecords(t, got, recs)
}

func TestGoldenAnalysis(t *testing.T) {
	var rows []Row
	for _, rec := range goldenRecords(t) {
		rows = append(rows, RowOf(rec))
	}
	for _, c := range []struct {
		name  string
		write func(*bytes.Buffer, []Row) error
	}{
		{"golden.txt", func(b *bytes.Buffer, r []Row) error { return WriteText(b, r) }},
		{"golden.csv", func(b *bytes.Buffer, r []Row) error { return WriteCSV(b, r) }},
		{"golden.jsonl", func(b *bytes.Buffer, r []Row) error { return WriteJSON(b, r) }},
	} {
		var b bytes.Buffer
		if err := c.write(&b, rows); err != nil {
			t.Fatal(err)
		}
		golden(t, c.name, b.Bytes())
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	for _, h := range []Header{testHeader, {}, {FirstOp: math.MaxUint64, BackupNum: math.MaxUint32}} {
		b := appendHeader(nil, h)
		if len(b) != HeaderSize {
			t.Fatalf("header is %d bytes", len(b))
		}
		got, reason := parseHeader(b)
		if reason != "" {
			t.Fatal(reason)
		}
		if got.DBID != h.DBID || got.BackupNum != h.BackupNum || got.FirstOp != h.FirstOp ||
			!got.Created.Equal(h.Created) {
			t.Fatalf("got %+v, want %+v", got, h)
		}
	}
}

func TestBadHeader(t *testing.T) {
	good := appendHeader(nil, testHeader)
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x10
		return b
	}
	version := bytes.Clone(good)
	version[8] = 2
	fixCRC(version)
	for _, c := range []struct {
		name, reason string
		data         []byte
	}{
		{"empty", "shorter", nil},
		{"short", "shorter", good[:HeaderSize-1]},
		{"magic", "magic", flip(0)},
		{"identity", "checksum", flip(20)},
		{"crc", "checksum", flip(62)},
		{"version", "version 2", version},
		{"text file", "magic", []byte(strings.Repeat("not a log at all, just some text\n", 4))},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(c.data), int64(len(c.data)))
			var ce *CorruptError
			if !errors.As(err, &ce) || !errors.Is(err, ErrNotLog) || !errors.Is(err, ErrCorrupt) || ce.Offset != 0 {
				t.Fatalf("got %v, want a not-a-log error at offset 0", err)
			}
			if !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("%q does not say %q", err, c.reason)
			}
			path := logPath(t)
			writeFile(t, path, c.data)
			if _, err := OpenReader(OSFS{}, path); !errors.Is(err, ErrNotLog) || !strings.Contains(err.Error(), path) {
				t.Fatalf("OpenReader: %v", err)
			}
			if _, _, err := OpenAppend(OSFS{}, path); !errors.Is(err, ErrNotLog) {
				t.Fatalf("OpenAppend: %v", err)
			}
			if got := readFile(t, path); !bytes.Equal(got, c.data) {
				t.Fatal("OpenAppend changed a file that is not a log")
			}
		})
	}
}

// fixCRC recomputes a header's checksum after a test changed it.
func fixCRC(b []byte) {
	binary.LittleEndian.PutUint32(b[60:], crc32.Checksum(b[:60], castagnoli))
}

func TestRecordRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	recs := make([]Record, 2000)
	op := uint64(100)
	for i := range recs {
		op += 1 + uint64(rng.IntN(3))
		recs[i] = randRecord(rng, op)
	}
	recs[0].Time = time.Time{}
	recs[1].Key, recs[1].Values, recs[1].User = nil, nil, ""
	recs[2].Process, recs[2].RecordNum, recs[2].Size = math.MaxUint32, math.MaxUint64, math.MaxUint64
	recs[3].Time = time.Unix(0, math.MinInt64+1)
	data, _ := encodeLog(t, testHeader, recs)
	got, err := readBytes(t, data)
	if err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	checkRecords(t, got, recs)

	path := logPath(t)
	w, err := Create(OSFS{}, path, testHeader)
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if err := w.Append(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, got, tail, err := ReadAll(OSFS{}, path)
	if err != nil || tail != nil {
		t.Fatal(err, tail)
	}
	checkRecords(t, got, recs)
}

func TestRecordsReturnedStayValid(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	recs := make([]Record, 6000)
	for i := range recs {
		recs[i] = randRecord(rng, uint64(100+i))
	}
	data, _ := encodeLog(t, testHeader, recs)
	got, err := readBytes(t, data)
	if err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	// Appending to one record's slices must not change another's.
	for i := range got {
		got[i].Key = append(got[i].Key, 0xEE)
	}
	for i := range got {
		got[i].Key = got[i].Key[:len(got[i].Key)-1]
	}
	checkRecords(t, got, recs)
}

func TestActionNames(t *testing.T) {
	want := []string{"Opening of Data File", "Closing of Data File", "Creation of a Context",
		"Closing of a Context", "Addition", "Adding a BLOB", "Deletion", "Modification",
		"Start of Transaction", "Validation of Transaction", "Cancellation of Transaction",
		"Update context"}
	for i, w := range want {
		if got := Action(i + 1).String(); got != w {
			t.Errorf("Action(%d) = %q, want %q", i+1, got, w)
		}
	}
	if Action(0).Valid() || Action(13).Valid() || Action(13).String() == "" {
		t.Error("actions 0 and 13 must be unknown")
	}
}

func TestBadRecordRefused(t *testing.T) {
	rec := Record{Op: 1, Action: 13}
	if _, err := appendRecord(nil, &rec); !errors.Is(err, ErrBadRecord) {
		t.Fatalf("unknown action: %v", err)
	}
	rec = Record{Op: 1, Action: Add, Values: make([]byte, MaxRecordSize+1)}
	if b, err := appendRecord([]byte("x"), &rec); !errors.Is(err, ErrTooLarge) || string(b) != "x" {
		t.Fatalf("too large: %v", err)
	}
}
