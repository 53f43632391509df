package journal

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// benchRecords returns n records of about 250 encoded bytes and their encoded size.
func benchRecords(b *testing.B, n int) ([]Record, int) {
	rng := rand.New(rand.NewPCG(40, 41))
	recs := make([]Record, n)
	size := 0
	for i := range recs {
		recs[i] = randRecord(rng, uint64(i+1))
		enc, err := appendRecord(nil, &recs[i])
		if err != nil {
			b.Fatal(err)
		}
		size += len(enc)
	}
	return recs, size
}

// BenchmarkAppendSync1 commits one record at a time from a single writer. Compare it with
// BenchmarkRawFdatasyncAppend, the same bytes written with a bare write and fdatasync.
func BenchmarkAppendSync1(b *testing.B) {
	recs, size := benchRecords(b, b.N)
	w, err := Create(OSFS{}, filepath.Join(b.TempDir(), "data.journal"), Header{FirstOp: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(size / b.N))
	b.ResetTimer()
	for i := range recs {
		if err := w.Append(&recs[i]); err != nil {
			b.Fatal(err)
		}
		if err := w.Sync(recs[i].Op); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRawFdatasyncAppend is the floor for BenchmarkAppendSync1: append the encoded
// record to a plain file and fdatasync it, nothing else.
func BenchmarkRawFdatasyncAppend(b *testing.B) {
	recs, size := benchRecords(b, b.N)
	encoded := make([][]byte, len(recs))
	for i := range recs {
		var err error
		if encoded[i], err = appendRecord(nil, &recs[i]); err != nil {
			b.Fatal(err)
		}
	}
	f, err := os.OpenFile(filepath.Join(b.TempDir(), "raw"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	b.SetBytes(int64(size / b.N))
	b.ResetTimer()
	for _, e := range encoded {
		if _, err := f.Write(e); err != nil {
			b.Fatal(err)
		}
		if err := syscall.Fdatasync(fd); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendSync8 commits one record at a time from 8 writers; fsyncs/op shows how many
// commits share one fsync.
func BenchmarkAppendSync8(b *testing.B) {
	recs, size := benchRecords(b, b.N)
	fsys := newFaultFS()
	w, err := Create(fsys, filepath.Join(b.TempDir(), "data.journal"), Header{FirstOp: 1})
	if err != nil {
		b.Fatal(err)
	}
	start := fsys.syncs.Load()
	var (
		mu   sync.Mutex
		next atomic.Int64
		wg   sync.WaitGroup
	)
	b.SetBytes(int64(size / b.N))
	b.ResetTimer()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next.Add(1) - 1
				if i >= int64(len(recs)) {
					mu.Unlock()
					return
				}
				err := w.Append(&recs[i])
				mu.Unlock()
				if err == nil {
					err = w.Sync(recs[i].Op)
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(fsys.syncs.Load()-start)/float64(b.N), "fsyncs/op")
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReader decodes a log; one op is one record of about 250 bytes.
func BenchmarkReader(b *testing.B) {
	n := max(b.N, 1000)
	recs, _ := benchRecords(b, n)
	data, _ := encodeLog(b, Header{FirstOp: 1}, recs)
	b.SetBytes(int64((len(data) - HeaderSize) / n))
	b.ReportAllocs()
	b.ResetTimer()
	r, err := NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		if _, err := r.Next(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if b.N == n {
		if _, err := r.Next(); err != io.EOF {
			b.Fatal(err)
		}
	}
}
