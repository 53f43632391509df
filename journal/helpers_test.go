package journal

import (
	"bytes"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	// Analysis output shows local times; the golden files are written in UTC.
	time.Local = time.UTC
	os.Exit(m.Run())
}

var testHeader = Header{
	DBID: [16]byte{0x6f, 0x1c, 0x2a, 0x90, 0x11, 0x42, 0x4b, 0x7e,
		0x9a, 0x01, 0xde, 0xad, 0xbe, 0xef, 0x55, 0x07},
	BackupNum: 3,
	FirstOp:   100,
	Created:   time.Date(2024, 3, 9, 8, 15, 30, 123456789, time.UTC),
}

func mustKey(t testing.TB, vals ...Value) []byte {
	t.Helper()
	k, err := AppendKey(nil, vals)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// randRecord returns a record with op and random content of about 250 bytes.
func randRecord(rng *rand.Rand, op uint64) Record {
	text := func(n int) string {
		b := make([]byte, rng.IntN(n))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return string(b)
	}
	key, _ := AppendKey(nil, []Value{Int(rng.Int64() - rng.Int64()), Text(text(12))})
	vals := []Value{Text(text(60)), Int(rng.Int64()), Real(rng.NormFloat64() * 1e6), Bool(rng.IntN(2) == 1),
		Date(rng.Int64N(40000)), TimeOfDay(rng.Int64N(86400000)), {}, Blob([]byte(text(80)))}
	return Record{
		Op:         op,
		Time:       time.Unix(0, rng.Int64N(1<<62)),
		Action:     Action(1 + rng.IntN(12)),
		Process:    rng.Uint32(),
		SystemUser: "ann",
		User:       text(10),
		Table:      "Invoices",
		Key:        key,
		RecordNum:  rng.Uint64(),
		Size:       uint64(rng.IntN(1 << 20)),
		Values:     AppendValues(nil, vals),
	}
}

// encodeLog returns a log holding recs and the offset of each record.
func encodeLog(t testing.TB, h Header, recs []Record) ([]byte, []int64) {
	t.Helper()
	b := appendHeader(nil, h)
	offs := make([]int64, len(recs))
	for i := range recs {
		offs[i] = int64(len(b))
		var err error
		if b, err = appendRecord(b, &recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return b, offs
}

// readBytes reads a log from memory: the records before the end and what ended it.
func readBytes(t testing.TB, data []byte) ([]Record, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	var recs []Record
	for {
		rec, err := r.Next()
		if err != nil {
			return recs, err
		}
		recs = append(recs, rec)
	}
}

func sameRecord(a, b Record) bool {
	return a.Op == b.Op && a.Time.Equal(b.Time) && a.Action == b.Action && a.Process == b.Process &&
		a.SystemUser == b.SystemUser && a.User == b.User && a.Table == b.Table &&
		bytes.Equal(a.Key, b.Key) && a.RecordNum == b.RecordNum && a.Size == b.Size &&
		bytes.Equal(a.Values, b.Values)
}

func checkRecords(t testing.TB, got, want []Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !sameRecord(got[i], want[i]) {
			t.Fatalf("record %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func wantTorn(t testing.TB, err error, off, n int64) {
	t.Helper()
	var torn *TornTailError
	if !errors.As(err, &torn) || !errors.Is(err, ErrTornTail) {
		t.Fatalf("got %v, want a torn tail at %d", err, off)
	}
	if torn.Offset != off || torn.Bytes != n {
		t.Fatalf("torn tail at %d of %d bytes, want at %d of %d bytes", torn.Offset, torn.Bytes, off, n)
	}
}

func wantCorrupt(t testing.TB, err error, off int64) {
	t.Helper()
	var c *CorruptError
	if !errors.As(err, &c) || !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrTornTail) {
		t.Fatalf("got %v, want corruption at %d", err, off)
	}
	if c.Offset != off {
		t.Fatalf("corruption reported at %d, want %d: %v", c.Offset, off, err)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func logPath(t testing.TB) string { return filepath.Join(t.TempDir(), "data.journal") }

// faultFS is the real filesystem with hooks on the files it opens.
type faultFS struct {
	OSFS
	syncs     atomic.Int64 // Sync calls on files
	failSync  atomic.Bool  // Sync fails with EIO while set
	writeLeft atomic.Int64 // when >= 0, bytes Write may still write before ENOSPC
	syncDelay time.Duration
}

func newFaultFS() *faultFS {
	f := &faultFS{}
	f.writeLeft.Store(-1)
	return f
}

func (fsys *faultFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := fsys.OSFS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: f, fsys: fsys}, nil
}

type faultFile struct {
	File
	fsys *faultFS
	mu   sync.Mutex
}

func (f *faultFile) Sync() error {
	f.fsys.syncs.Add(1)
	time.Sleep(f.fsys.syncDelay)
	if f.fsys.failSync.Load() {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: syscall.EIO}
	}
	return f.File.Sync()
}

func (f *faultFile) Write(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	left := f.fsys.writeLeft.Load()
	if left < 0 || int64(len(b)) <= left {
		if left >= 0 {
			f.fsys.writeLeft.Add(-int64(len(b)))
		}
		return f.File.Write(b)
	}
	n, err := f.File.Write(b[:left])
	f.fsys.writeLeft.Add(-int64(n))
	if err == nil {
		err = &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return n, err
}
