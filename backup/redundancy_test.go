package backup

import (
	"archive/zip"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

var protUpdate = flag.Bool("update-redundancy", false, "rewrite the protected container golden files")

const protGoldenDir = "../testdata/backup/redundancy"

var protLevels = []Redundancy{RedundancyLow, RedundancyMedium, RedundancyHigh}
var protInterlacings = []Interlacing{InterlacingNone, InterlacingLow, InterlacingMedium, InterlacingHigh}

// protRandom returns n bytes of seeded noise.
func protRandom(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// protProtect wraps data in a container, writing it in uneven pieces.
func protProtect(t testing.TB, data []byte, p protParams, seed uint64) []byte {
	t.Helper()
	var out bytes.Buffer
	pw, err := newProtWriter(&out, p)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	for rest := data; len(rest) > 0; {
		n := min(len(rest), 1+rng.IntN(3*p.slot))
		if m, err := pw.Write(rest[:n]); err != nil || m != n {
			t.Fatalf("Write = %d, %v; want %d", m, err, n)
		}
		rest = rest[n:]
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func protLevelParams(t testing.TB, r Redundancy, il Interlacing) protParams {
	t.Helper()
	p, err := protParamsFor(r, il)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// protExpectShape computes, from the documented layout alone, the container size and group
// count for an original of length n.
func protExpectShape(p protParams, n int64) (size, groups int64) {
	shards := (n + int64(p.shard()) - 1) / int64(p.shard())
	slots := int64(3)
	perBlock := int64(p.depth * p.k)
	for shards > 0 {
		inBlock := min(shards, perBlock)
		g := min(int64(p.depth), (inBlock+int64(p.k)-1)/int64(p.k))
		slots += inBlock + g*int64(p.m)
		groups += g
		shards -= inBlock
	}
	return slots * int64(p.slot), groups
}

func protUnprotect(t testing.TB, c []byte) ([]byte, RepairReport, error) {
	t.Helper()
	var out bytes.Buffer
	rep, err := Unprotect(bytes.NewReader(c), int64(len(c)), &out)
	return out.Bytes(), rep, err
}

func TestRedundancyParse(t *testing.T) {
	for i, name := range []string{"none", "low", "medium", "high"} {
		r, err := ParseRedundancy(name)
		if err != nil || r != Redundancy(i) || r.String() != name {
			t.Errorf("ParseRedundancy(%q) = %v, %v", name, r, err)
		}
		il, err := ParseInterlacing(" " + strings.ToUpper(name))
		if err != nil || il != Interlacing(i) || il.String() != name {
			t.Errorf("ParseInterlacing(%q) = %v, %v", name, il, err)
		}
	}
	for _, bad := range []string{"", "max", "5", "lowest"} {
		if _, err := ParseRedundancy(bad); err == nil {
			t.Errorf("ParseRedundancy(%q) accepted", bad)
		}
		if _, err := ParseInterlacing(bad); err == nil {
			t.Errorf("ParseInterlacing(%q) accepted", bad)
		}
	}
}

// The overhead and burst figures the doc table gives, checked against the code and against
// real containers.
func TestRedundancyDocumentedLevels(t *testing.T) {
	overhead := map[Redundancy]float64{RedundancyNone: 0, RedundancyLow: 0.051, RedundancyMedium: 0.201, RedundancyHigh: 0.501}
	for r, want := range overhead {
		if got := r.Overhead(); got < want-0.001 || got > want+0.001 {
			t.Errorf("%v.Overhead() = %.4f, doc says %.3f", r, got, want)
		}
	}
	const kib = 1024
	aligned := map[Redundancy][4]int64{ // KiB, per interlacing none..high
		RedundancyLow:    {4, 16, 64, 256},
		RedundancyMedium: {8, 32, 128, 512},
		RedundancyHigh:   {16, 64, 256, 1024},
	}
	for r, row := range aligned {
		for il, a := range row {
			want := (a-4)*kib + 1
			if got := SurvivableBurst(r, Interlacing(il)); got != want {
				t.Errorf("SurvivableBurst(%v, %v) = %d, doc says %d", r, Interlacing(il), got, want)
			}
		}
	}
	if SurvivableBurst(RedundancyNone, InterlacingHigh) != 0 {
		t.Error("SurvivableBurst with no redundancy is not 0")
	}
	data := protRandom(5<<20, 7)
	for _, r := range protLevels {
		c := protProtect(t, data, protLevelParams(t, r, InterlacingMedium), 1)
		got := float64(len(c))/float64(len(data)) - 1
		if d := got - r.Overhead(); d < 0 || d > 0.01 {
			t.Errorf("%v: a 5 MB archive grows by %.4f, Overhead says %.4f", r, got, r.Overhead())
		}
	}
}

func TestRedundancyRoundTrip(t *testing.T) {
	big := protRandom(6<<20, 3) // one block of low-high + 1 is 5.2 MB
	for _, r := range protLevels {
		for _, il := range protInterlacings {
			p := protLevelParams(t, r, il)
			s := p.shard()
			sizes := []int{0, 1, s - 1, s, s + 1, p.k * s, p.depth*p.k*s + 1, 5_000_000}
			for _, n := range sizes {
				t.Run(fmt.Sprintf("%v-%v-%d", r, il, n), func(t *testing.T) {
					data := big[:n]
					c := protProtect(t, data, p, uint64(n))
					wantSize, wantGroups := protExpectShape(p, int64(n))
					if int64(len(c)) != wantSize {
						t.Fatalf("container is %d bytes, layout says %d", len(c), wantSize)
					}
					if !IsProtected(c) {
						t.Fatal("IsProtected = false for a container")
					}
					got, rep, err := protUnprotect(t, c)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, data) {
						t.Fatalf("round trip changed the bytes (%d in, %d out)", n, len(got))
					}
					if rep.Groups != int(wantGroups) || rep.DamagedShards != 0 || rep.DamagedCopies != 0 || len(rep.DamagedRanges) != 0 {
						t.Fatalf("report %+v; want %d groups and no damage", rep, wantGroups)
					}
				})
			}
		}
	}
}

// protGroupSlots returns, for every group of the container, the offsets of its stored slots.
func protGroupSlots(t *testing.T, c []byte, p protParams) [][]int64 {
	t.Helper()
	lay, err := protLayout(p, int64(len(c)))
	if err != nil {
		t.Fatal(err)
	}
	var groups [][]int64
	for b := range lay.blocks {
		blk, dataOff, parityOff := lay.blockAt(b)
		for g := range blk.groups {
			var offs []int64
			for i := range p.k {
				if j := blk.dataSlot(g, i); j >= 0 {
					offs = append(offs, dataOff+int64(j*p.slot))
				}
			}
			for i := range p.m {
				offs = append(offs, parityOff+int64(blk.paritySlot(g, i)*p.slot))
			}
			groups = append(groups, offs)
		}
	}
	return groups
}

func TestRedundancyRepairsOneFlipPerGroup(t *testing.T) {
	for _, r := range protLevels {
		for _, il := range protInterlacings {
			t.Run(fmt.Sprintf("%v-%v", r, il), func(t *testing.T) {
				p := protLevelParams(t, r, il)
				data := protRandom(p.depth*p.k*p.shard()*2+12345, 11)
				c := protProtect(t, data, p, 2)
				rng := rand.New(rand.NewPCG(uint64(r), uint64(il)))
				groups := protGroupSlots(t, c, p)
				for _, offs := range groups {
					off := offs[rng.IntN(len(offs))] + int64(rng.IntN(p.slot))
					c[off] ^= byte(1 + rng.IntN(255))
				}
				got, rep, err := protUnprotect(t, c)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, data) {
					t.Fatal("repaired output differs from the original")
				}
				if rep.Groups != len(groups) || rep.DamagedShards != len(groups) || rep.RepairedShards != len(groups) {
					t.Fatalf("report %d groups, %d damaged, %d repaired; want %d of each",
						rep.Groups, rep.DamagedShards, rep.RepairedShards, len(groups))
				}
				var covered int64
				for _, dr := range rep.DamagedRanges {
					covered += dr[1] - dr[0]
				}
				if covered != int64(len(groups)*p.slot) {
					t.Fatalf("damaged ranges cover %d bytes, want %d", covered, len(groups)*p.slot)
				}
			})
		}
	}
}

// protBurst overwrites n bytes at off with noise that differs from every byte it replaces.
func protBurst(c []byte, off, n int64, rng *rand.Rand) {
	for i := off; i < off+n && i < int64(len(c)); i++ {
		c[i] ^= byte(1 + rng.IntN(255))
	}
}

func TestRedundancyBurst(t *testing.T) {
	for _, r := range protLevels {
		for _, il := range protInterlacings {
			t.Run(fmt.Sprintf("%v-%v", r, il), func(t *testing.T) {
				p := protLevelParams(t, r, il)
				data := protRandom(p.depth*p.k*p.shard()*5/2, 13)
				clean := protProtect(t, data, p, 3)
				lay, err := protLayout(p, int64(len(clean)))
				if err != nil {
					t.Fatal(err)
				}
				limit := SurvivableBurst(r, il)
				slot := int64(p.slot)
				_, block1, _ := lay.blockAt(1)
				_, lastBlock, _ := lay.blockAt(lay.blocks - 1)
				rng := rand.New(rand.NewPCG(uint64(r), uint64(il)+100))
				starts := []int64{
					block1 - 1,                              // worst alignment, across the first block boundary
					slot*(1+int64(p.depth*p.k)) - 1,         // across block 0's data and parity
					slot * (1 + int64(p.depth*p.m)),         // on slot boundaries
					0,                                       // the header and the first slots
					slot + rng.Int64N(lastBlock-limit-slot), // anywhere in the full blocks
					slot + rng.Int64N(lastBlock-limit-slot),
				}
				for _, start := range starts {
					c := bytes.Clone(clean)
					protBurst(c, start, limit, rng)
					got, rep, err := protUnprotect(t, c)
					if err != nil {
						t.Fatalf("burst of %d bytes at %d: %v", limit, start, err)
					}
					if !bytes.Equal(got, data) {
						t.Fatalf("burst of %d bytes at %d: output differs", limit, start)
					}
					if rep.DamagedShards+rep.DamagedCopies == 0 || rep.RepairedShards != rep.DamagedShards {
						t.Fatalf("burst at %d: report %+v", start, rep)
					}
				}
				// An aligned run of D*m whole slots is survivable too.
				c := bytes.Clone(clean)
				protBurst(c, block1, int64(p.depth*p.m)*slot, rng)
				if got, _, err := protUnprotect(t, c); err != nil || !bytes.Equal(got, data) {
					t.Fatalf("aligned burst of D*m slots: %v", err)
				}

				// Well over the limit: D*m+1 whole slots or twice the limit inside block 1.
				over := max(2*limit, int64(p.depth*p.m+1)*slot)
				c = bytes.Clone(clean)
				protBurst(c, block1, over, rng)
				got, _, err := protUnprotect(t, c)
				if !errors.Is(err, ErrUnrepairable) {
					t.Fatalf("burst of %d bytes: err = %v, want ErrUnrepairable", over, err)
				}
				if !strings.Contains(err.Error(), "group ") {
					t.Errorf("error %q does not name the group", err)
				}
				if !bytes.HasPrefix(data, got) {
					t.Fatal("bytes written before the error are not the original's")
				}
			})
		}
	}
}

// The last block is short: its groups take up its data where it stops, then its parity, so a
// burst across its data, trailer A and its parity is spread over all of them too. The worst
// case is a last data row of one slot, whose group would come round again at once.
func TestRedundancyBurstLastBlock(t *testing.T) {
	for _, il := range []Interlacing{InterlacingLow, InterlacingMedium} {
		for _, r := range protLevels {
			p := protLevelParams(t, r, il)
			n := p.depth*p.k - 1
			for blk := p.block(n); blk.groups < 2 || n%blk.groups != 1; blk = p.block(n) {
				n--
			}
			data := protRandom((n-1)*p.shard()+100, 37)
			clean := protProtect(t, data, p, 8)
			lay, err := protLayout(p, int64(len(clean)))
			if err != nil {
				t.Fatal(err)
			}
			if lay.blocks != 1 || lay.last.n != n {
				t.Fatalf("%v-%v: layout %+v, want one block of %d data slots", r, il, lay, n)
			}
			slot := int64(p.slot)
			limit := int64(lay.last.groups*p.m-1)*slot + 1
			rng := rand.New(rand.NewPCG(5, uint64(r)))
			for start := lay.trailerA - int64(lay.last.groups*p.m)*slot - 1; start < lay.trailerA+slot; start += slot {
				c := bytes.Clone(clean)
				protBurst(c, start, limit, rng)
				if got, _, err := protUnprotect(t, c); err != nil || !bytes.Equal(got, data) {
					t.Fatalf("%v-%v: burst of %d bytes at %d: %v", r, il, limit, start, err)
				}
			}
		}
	}
}

// Losing the last block's parity and trailer B together leaves trailer A and the data.
func TestRedundancyTailLoss(t *testing.T) {
	p := protLevelParams(t, RedundancyMedium, InterlacingLow)
	data := protRandom(300_000, 17)
	c := protProtect(t, data, p, 4)
	lay, err := protLayout(p, int64(len(c)))
	if err != nil {
		t.Fatal(err)
	}
	for i := lay.trailerA + int64(p.slot); i < int64(len(c)); i++ {
		c[i] = 0
	}
	got, rep, err := protUnprotect(t, c)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("err = %v, output equal = %v", err, bytes.Equal(got, data))
	}
	if rep.DamagedCopies != 1 || rep.DamagedShards != lay.last.groups*p.m {
		t.Fatalf("report %+v", rep)
	}
}

func TestRedundancyHeaderAndTrailerCopies(t *testing.T) {
	p := protLevelParams(t, RedundancyMedium, InterlacingLow)
	data := protRandom(1_000_000, 19)
	clean := protProtect(t, data, p, 5)
	lay, err := protLayout(p, int64(len(clean)))
	if err != nil {
		t.Fatal(err)
	}
	size := int64(len(clean))
	header := int64(10)
	trailerA := lay.trailerA + int64(p.slot) - 20
	trailerB := size - 20
	cases := []struct {
		name   string
		damage []int64
		ok     bool
		copies int
	}{
		{"header", []int64{header}, true, 1},
		{"trailer A", []int64{trailerA}, true, 1},
		{"trailer B", []int64{trailerB}, true, 1},
		{"header and trailer A", []int64{header, trailerA}, true, 2},
		{"both trailers", []int64{trailerA, trailerB}, false, 0},
		{"header and trailer B", []int64{header, trailerB}, true, 2}, // trailer A is searched for
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := bytes.Clone(clean)
			for _, off := range tc.damage {
				c[off] ^= 0x40
			}
			got, rep, err := protUnprotect(t, c)
			if !tc.ok {
				if !errors.Is(err, ErrUnrepairable) || len(got) != 0 {
					t.Fatalf("err = %v, %d bytes written; want ErrUnrepairable and nothing", err, len(got))
				}
				return
			}
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("err = %v, output equal = %v", err, bytes.Equal(got, data))
			}
			if rep.DamagedCopies != tc.copies || len(rep.DamagedRanges) != tc.copies {
				t.Fatalf("report %+v; want %d damaged copies", rep, tc.copies)
			}
		})
	}
	// A wiped header hides the container from IsProtected, not from Unprotect.
	c := bytes.Clone(clean)
	clear(c[:p.slot])
	if IsProtected(c) {
		t.Error("IsProtected = true with a wiped header")
	}
	if got, _, err := protUnprotect(t, c); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("wiped header: %v", err)
	}
}

// A container cut short is repaired while trailer A is left to give its length, up to the last
// block's parity and trailer B; cut further it is refused, never with bytes that are not the
// original's. A slot appended is ignored.
func TestRedundancyTruncated(t *testing.T) {
	p := protLevelParams(t, RedundancyHigh, InterlacingMedium)
	data := protRandom(700_000, 23)
	c := protProtect(t, data, p, 6)
	lay, err := protLayout(p, int64(len(c)))
	if err != nil {
		t.Fatal(err)
	}
	most := (lay.last.groups*p.m + 1) * p.slot
	for _, cut := range []int{1, protTrailerSize, p.slot, p.slot + 1, 2 * p.slot, most} {
		got, _, err := protUnprotect(t, c[:len(c)-cut])
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("cut by %d: %v, output equal %v", cut, err, bytes.Equal(got, data))
		}
	}
	for _, cut := range []int{most + 1, len(c) / 2, len(c) - 10} {
		got, _, err := protUnprotect(t, c[:len(c)-cut])
		if !errors.Is(err, ErrUnrepairable) {
			t.Errorf("cut by %d: %v, want ErrUnrepairable", cut, err)
		}
		if !bytes.HasPrefix(data, got) {
			t.Errorf("cut by %d: wrote bytes that are not the original's", cut)
		}
	}
	// A size larger than what the reader holds is a read error, not success.
	var out bytes.Buffer
	if _, err := Unprotect(bytes.NewReader(c), int64(len(c)+p.slot), &out); err == nil {
		t.Error("size beyond the reader: no error")
	}
	got, rep, err := protUnprotect(t, append(bytes.Clone(c), make([]byte, p.slot)...))
	if err != nil || !bytes.Equal(got, data) || rep.Extra != int64(p.slot) {
		t.Errorf("a slot appended: %v, report %+v", err, rep)
	}
}

func TestRedundancyNotProtected(t *testing.T) {
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	f, err := zw.Create("manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(`{"backup":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"zip": zbuf.Bytes(), "empty": nil, "zeros": make([]byte, 3*protSlot)} {
		if IsProtected(b) {
			t.Errorf("%s: IsProtected = true", name)
		}
		if _, _, err := protUnprotect(t, b); !errors.Is(err, ErrNotProtected) {
			t.Errorf("%s: err = %v, want ErrNotProtected", name, err)
		}
	}
}

// Headers that check out but describe shapes no reader should size memory from.
func TestRedundancyHostileShape(t *testing.T) {
	shapes := []protParams{
		{k: 0, m: 1, depth: 1, slot: 4096},
		{k: 200, m: 100, depth: 1, slot: 4096},
		{k: 10, m: 2, depth: 65535, slot: 4096},
		{k: 10, m: 2, depth: 4, slot: 3},
		{k: 10, m: 2, depth: 4, slot: 1 << 30},
		{k: 250, m: 6, depth: 1024, slot: 1 << 20},
	}
	for _, p := range shapes {
		c := make([]byte, 3*protSlot)
		p.encodeHeader(c[:protSlot])
		protTrailer{p: p, length: 1 << 40, groups: 1 << 40}.encode(c[2*protSlot:])
		got, _, err := protUnprotect(t, c)
		if !errors.Is(err, ErrUnsupportedProtection) || len(got) != 0 {
			t.Errorf("shape %+v: err = %v, %d bytes out", p, err, len(got))
		}
	}
	// A valid shape whose trailer lies about the length.
	p := protLevelParams(t, RedundancyLow, InterlacingNone)
	c := protProtect(t, protRandom(10_000, 1), p, 1)
	lay, err := protLayout(p, int64(len(c)))
	if err != nil {
		t.Fatal(err)
	}
	lie := protTrailer{p: p, length: 1 << 50, groups: 1}
	lie.encode(c[len(c)-p.slot:])
	lie.encode(c[lay.trailerA : lay.trailerA+int64(p.slot)])
	if got, _, err := protUnprotect(t, c); !errors.Is(err, ErrUnrepairable) || len(got) != 0 {
		t.Errorf("lying trailer: err = %v, %d bytes out", err, len(got))
	}
}

type protCloseSpy struct {
	bytes.Buffer
	closed bool
}

func (s *protCloseSpy) Close() error { s.closed = true; return nil }

type protFailWriter struct{ after int }

func (f *protFailWriter) Write(b []byte) (int, error) {
	if f.after < len(b) {
		return 0, errors.New("disk full")
	}
	f.after -= len(b)
	return len(b), nil
}

func TestRedundancyWriter(t *testing.T) {
	if _, err := NewProtectedWriter(io.Discard, RedundancyNone, InterlacingNone); err == nil {
		t.Error("redundancy none accepted")
	}
	if _, err := NewProtectedWriter(io.Discard, RedundancyLow, Interlacing(7)); err == nil {
		t.Error("interlacing 7 accepted")
	}
	spy := &protCloseSpy{}
	w, err := NewProtectedWriter(spy, RedundancyLow, InterlacingLow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if spy.closed {
		t.Error("Close closed the underlying writer")
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, ErrProtectedWriterClosed) {
		t.Errorf("Write after Close: %v", err)
	}
	got, _, err := protUnprotect(t, spy.Bytes())
	if err != nil || string(got) != "hello" {
		t.Fatalf("got %q, %v", got, err)
	}

	// A failing destination fails the write or the close, and keeps failing.
	fw := &protFailWriter{after: 3 * protSlot}
	if w, err = NewProtectedWriter(fw, RedundancyMedium, InterlacingNone); err != nil {
		t.Fatal(err)
	}
	_, werr := w.Write(protRandom(200_000, 2))
	cerr := w.Close()
	if werr == nil && cerr == nil {
		t.Fatal("no error from a failing destination")
	}
	if cerr == nil {
		t.Error("Close after a failed Write returned nil")
	}
}

// Memory stays within one interlace block whatever the archive's size.
func TestRedundancyMemoryBounded(t *testing.T) {
	p := protLevelParams(t, RedundancyLow, InterlacingHigh) // the widest block: 5.25 MiB
	block := uint64(p.blockSlots()) * uint64(p.slot)
	const size = 48 << 20
	chunk := protRandom(1<<20, 29)
	var ms0, ms1 runtime.MemStats
	var c bytes.Buffer
	c.Grow(size + size/10)
	runtime.ReadMemStats(&ms0)
	w, err := NewProtectedWriter(&c, RedundancyLow, InterlacingHigh)
	if err != nil {
		t.Fatal(err)
	}
	for range size / len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&ms1)
	t.Logf("protect: %d bytes allocated, block %d", ms1.TotalAlloc-ms0.TotalAlloc, block)
	if got := ms1.TotalAlloc - ms0.TotalAlloc; got > block+2<<20 {
		t.Errorf("protecting %d MiB allocated %d bytes; one block is %d", size>>20, got, block)
	}
	runtime.ReadMemStats(&ms0)
	_, err = Unprotect(bytes.NewReader(c.Bytes()), int64(c.Len()), io.Discard)
	runtime.ReadMemStats(&ms1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("unprotect: %d bytes allocated", ms1.TotalAlloc-ms0.TotalAlloc)
	if got := ms1.TotalAlloc - ms0.TotalAlloc; got > block+2<<20 {
		t.Errorf("unprotecting %d MiB allocated %d bytes; one block is %d", size>>20, got, block)
	}
}

// protGoldenCases are the containers kept in testdata: real levels, and tiny shapes (64-byte
// slots) that seed FuzzUnprotect: Go's fuzzer minimises an input in time quadratic in its
// length, so seeds under 1 KB leave it time to fuzz; the code paths are the same.
var protGoldenCases = []struct {
	name string
	p    protParams
	n    int
}{
	{"low-none-empty.hfp", protParams{k: 20, m: 1, depth: 1, slot: protSlot}, 0},
	{"medium-low-5000.hfp", protParams{k: 10, m: 2, depth: 4, slot: protSlot}, 5000},
	{"high-high-9000.hfp", protParams{k: 8, m: 4, depth: 64, slot: protSlot}, 9000},
	{"tiny-k3m2d2-300.hfp", protParams{k: 3, m: 2, depth: 2, slot: 64}, 300},
	{"tiny-k2m1d2-250.hfp", protParams{k: 2, m: 1, depth: 2, slot: 64}, 250},
	{"tiny-k4m1d1-400.hfp", protParams{k: 4, m: 1, depth: 1, slot: 64}, 400},
	{"tiny-k3m3d1-150.hfp", protParams{k: 3, m: 3, depth: 1, slot: 64}, 150},
	{"tiny-k1m1d1-empty.hfp", protParams{k: 1, m: 1, depth: 1, slot: 64}, 0},
}

// protPattern is stable content for golden files.
func protPattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*131/7 + i>>8)
	}
	return b
}

// The container format is fixed: old archives must stay readable, so the bytes a writer
// produces (parity included) must not drift.
func TestRedundancyGolden(t *testing.T) {
	for _, gc := range protGoldenCases {
		data := protPattern(gc.n)
		var out bytes.Buffer
		pw, err := newProtWriter(&out, gc.p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pw.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(protGoldenDir, gc.name)
		if *protUpdate {
			if err := os.MkdirAll(protGoldenDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Errorf("%s: the writer's bytes differ from the golden file (format changed?)", gc.name)
		}
		got, _, err := protUnprotect(t, want)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: golden file does not unprotect: %v", gc.name, err)
		}
		if crc32.Checksum(got, protTable) != crc32.Checksum(data, protTable) {
			t.Errorf("%s: checksum differs", gc.name)
		}
	}
}

// BenchmarkProtect measures the writer at medium redundancy and medium interlacing on 64 MiB
// of half-compressible data (each 4 KiB alternates noise and text).
func BenchmarkProtect(b *testing.B) {
	data := protHalfCompressible(64 << 20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w, err := NewProtectedWriter(io.Discard, RedundancyMedium, InterlacingMedium)
		if err != nil {
			b.Fatal(err)
		}
		for rest := data; len(rest) > 0; rest = rest[1<<20:] {
			if _, err := w.Write(rest[:1<<20]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnprotect reads back the same container, undamaged.
func BenchmarkUnprotect(b *testing.B) {
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
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Unprotect(bytes.NewReader(c.Bytes()), int64(c.Len()), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func protHalfCompressible(n int) []byte {
	noise := protRandom(n/2+2048, 31)
	text := []byte("INSERT INTO Orders VALUES (1042, 'Holdfast', 19.99, '2024-05-01');\n")
	b := make([]byte, n)
	for i := 0; i < n; i += 4096 {
		copy(b[i:min(n, i+2048)], noise[i/2:])
		for j := i + 2048; j < min(n, i+4096); j++ {
			b[j] = text[j%len(text)]
		}
	}
	return b
}
