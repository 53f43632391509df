package backup

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
)

// protReadAll checks that reads of every size at random offsets of z give data, and that a
// read past the end says io.EOF.
func protReadAll(t *testing.T, z *protZip, data []byte, seed uint64) {
	t.Helper()
	if z.Size() != int64(len(data)) {
		t.Fatalf("Size = %d, want %d", z.Size(), len(data))
	}
	rng := rand.New(rand.NewPCG(seed, 3))
	for range 300 {
		off := rng.Int64N(int64(len(data)) + 1)
		n := 1 + rng.IntN(3*protSlot)
		if rng.IntN(10) == 0 {
			n = 1 + rng.IntN(1<<20)
		}
		buf := make([]byte, n)
		got, err := z.ReadAt(buf, off)
		want := min(n, len(data)-int(off))
		if got != want || !bytes.Equal(buf[:got], data[off:off+int64(got)]) {
			t.Fatalf("ReadAt(%d bytes at %d) = %d, %v; want %d of the original", n, off, got, err, want)
		}
		if (err == io.EOF) != (want < n) || (err != nil && err != io.EOF) {
			t.Fatalf("ReadAt(%d bytes at %d): err = %v", n, off, err)
		}
	}
	all, err := io.ReadAll(io.NewSectionReader(z, 0, z.Size()))
	if err != nil || !bytes.Equal(all, data) {
		t.Fatalf("reading it through: %v, equal %v", err, bytes.Equal(all, data))
	}
}

// The original read in place out of a container, intact, damaged within what the parity
// repairs, cut short or with junk appended, is the original byte for byte.
func TestProtectedReadInPlace(t *testing.T) {
	for _, r := range protLevels {
		for _, il := range []Interlacing{InterlacingNone, InterlacingMedium} {
			p := protLevelParams(t, r, il)
			data := protRandom(p.depth*p.k*p.shard()*5/2+999, 47)
			clean := protProtect(t, data, p, 12)
			lay, err := protLayout(p, int64(len(clean)))
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(uint64(r), uint64(il)))
			damaged := bytes.Clone(clean)
			for _, offs := range protGroupSlots(t, damaged, p) {
				for _, i := range rng.Perm(len(offs))[:p.m] {
					damaged[offs[i]+int64(rng.IntN(p.slot))] ^= 0x80
				}
			}
			most := int64(lay.last.groups*p.m+1) * int64(p.slot)
			states := []struct {
				name   string
				c      []byte
				shards int // damaged shards the check finds
			}{
				{"intact", clean, 0},
				{"damaged", damaged, int(lay.groups()) * p.m},
				{"cut short", clean[:int64(len(clean))-most], lay.last.groups * p.m},
				{"appended", append(bytes.Clone(clean), protRandom(10_000, 5)...), 0},
			}
			for _, st := range states {
				name, c := st.name, st.c
				t.Run(fmt.Sprintf("%v-%v-%s", r, il, name), func(t *testing.T) {
					z, rep, err := readProtected(bytes.NewReader(c), int64(len(c)))
					if err != nil {
						t.Fatal(err)
					}
					if rep.DamagedShards != st.shards || rep.RepairedShards != st.shards {
						t.Fatalf("report %+v; want %d shards damaged and repaired", rep, st.shards)
					}
					protReadAll(t, z, data, uint64(len(c)))
				})
			}
		}
	}
}

// Damage that appears after the check (the file changed under the reader) is repaired on the
// way or refused; it never reaches the reader as data. Reads from several goroutines agree.
func TestProtectedReadInPlaceLateDamage(t *testing.T) {
	p := protLevelParams(t, RedundancyMedium, InterlacingLow)
	data := protRandom(600_000, 53)
	c := protProtect(t, data, p, 13)
	z, _, err := readProtected(bytes.NewReader(c), int64(len(c)))
	if err != nil {
		t.Fatal(err)
	}
	c[p.slot+100] ^= 1 // the first data slot, within what its group repairs
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			buf := make([]byte, 7000)
			for off := int64(g * 1000); off < int64(len(data)); off += 7000 {
				n, err := z.ReadAt(buf, off)
				if (err != nil && err != io.EOF) || !bytes.Equal(buf[:n], data[off:off+int64(n)]) {
					t.Errorf("ReadAt at %d: %d, %v", off, n, err)
					return
				}
			}
		})
	}
	wg.Wait()
	// Beyond the parity: the whole first block's data wiped.
	clear(c[p.slot : p.slot*(1+p.depth*p.k)])
	z.win = nil
	if _, err := z.ReadAt(make([]byte, 10), 0); !errors.Is(err, ErrUnrepairable) {
		t.Fatalf("damage beyond the parity after the check: %v, want ErrUnrepairable", err)
	}
}

// BenchmarkReadInPlace reads the original out of an undamaged container (medium redundancy and
// interlacing, 64 MiB) 4 KiB at a time, as inflating an entry does.
func BenchmarkReadInPlace(b *testing.B) {
	data := protHalfCompressible(64 << 20)
	var c bytes.Buffer
	w, err := NewProtectedWriter(&c, RedundancyMedium, InterlacingMedium)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	z, _, err := readProtected(bytes.NewReader(c.Bytes()), int64(c.Len()))
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 4096)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for off := int64(0); off < z.Size(); off += int64(len(buf)) {
			if _, err := z.ReadAt(buf, off); err != nil && err != io.EOF {
				b.Fatal(err)
			}
		}
	}
}
