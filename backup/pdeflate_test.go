package backup

import (
	"bytes"
	"compress/flate"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	kflate "github.com/klauspost/compress/flate"
)

// halfCompressible is data like a database's: words and random bytes.
func halfCompressible(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	words := []string{"invoice ", "customer ", "Lisbon ", "paid ", "2026-11-22 ", "amount ", "note "}
	var b bytes.Buffer
	for b.Len() < n {
		if rng.IntN(2) == 0 {
			b.WriteString(words[rng.IntN(len(words))])
		} else {
			for range 8 {
				b.WriteByte(byte(rng.Uint32()))
			}
		}
	}
	return b.Bytes()[:n]
}

// The parallel stream is one deflate stream any inflater reads back, in odd-sized writes too,
// and compresses about as well as a single-threaded one.
func TestPDeflateRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, pchunkSize - 1, pchunkSize, pchunkSize + 1, 5*pchunkSize + 12345} {
		for _, level := range []int{1, 9} {
			data := halfCompressible(n, uint64(n))
			var out bytes.Buffer
			w := newPDeflate(&out, level, nil)
			rest := data
			for step := 1; len(rest) > 0; step = step*3 + 1 {
				k := min(step, len(rest))
				if _, err := w.Write(rest[:k]); err != nil {
					t.Fatal(err)
				}
				rest = rest[k:]
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			back, err := io.ReadAll(flate.NewReader(bytes.NewReader(out.Bytes())))
			if err != nil || !bytes.Equal(back, data) {
				t.Fatalf("size %d level %d: round trip failed (%v)", n, level, err)
			}
			if n > pchunkSize {
				var single bytes.Buffer
				fw, _ := flate.NewWriter(&single, level)
				if _, err := fw.Write(data); err != nil {
					t.Fatal(err)
				}
				if err := fw.Close(); err != nil {
					t.Fatal(err)
				}
				if ratio := float64(out.Len()) / float64(single.Len()); ratio > 1.05 {
					t.Errorf("size %d level %d: %.3f times the size of one stream", n, level, ratio)
				}
			}
		}
	}
}

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after -= len(p); f.after < 0 {
		return 0, io.ErrShortWrite
	}
	return len(p), nil
}

func TestPDeflateWriteError(t *testing.T) {
	w := newPDeflate(&failWriter{after: 1000}, 1, nil)
	w.Write(halfCompressible(3*pchunkSize, 9))
	if err := w.Close(); err == nil {
		t.Fatal("a failing writer went unnoticed")
	}
}

func BenchmarkPDeflate(b *testing.B) {
	data := halfCompressible(64<<20, 3)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		w := newPDeflate(io.Discard, 1, nil)
		w.Write(data)
		w.Close()
	}
}

func BenchmarkSingleDeflate(b *testing.B) {
	data := halfCompressible(64<<20, 3)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		w, _ := kflate.NewWriter(io.Discard, 1)
		w.Write(data)
		w.Close()
	}
}

// While the database is being written to, one worker compresses and the others wait; the stream
// still ends (a waiting worker must not hold up Close) and reads back whole.
func TestPDeflateBusyDatabase(t *testing.T) {
	data := halfCompressible(6*pchunkSize+777, 7)
	var out bytes.Buffer
	w := newPDeflate(&out, 2, func() bool { return true })
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- w.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not return while the database stayed busy")
	}
	back, err := io.ReadAll(flate.NewReader(bytes.NewReader(out.Bytes())))
	if err != nil || !bytes.Equal(back, data) {
		t.Fatalf("round trip failed (%v)", err)
	}
}
