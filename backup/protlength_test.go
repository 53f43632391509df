package backup

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// The commonest damage of a copied file changes its length: a copy cut short, or junk after
// its end. A container cut short repairs the slots it lost as erased ones as long as a trailer
// copy says how long it was, which trailer A does until the cut reaches it: the last block's
// parity and trailer B may go, m+1 slots when the last block holds one data shard, D*m+1 when
// it is full. Bytes appended after the container are ignored, however many. Each level and
// interlacing logs what it survived.
func TestRedundancyLengthChanged(t *testing.T) {
	for _, r := range protLevels {
		for _, il := range protInterlacings {
			t.Run(fmt.Sprintf("%v-%v", r, il), func(t *testing.T) {
				p := protLevelParams(t, r, il)
				block := p.depth * p.k * p.shard() // the original bytes of a full block
				least := protCheckCuts(t, p, protRandom(block+1, 41))
				half := protRandom(block*3/2+777, 42)
				protCheckCuts(t, p, half)
				most := protCheckCuts(t, p, protRandom(2*block, 43))
				if least != int64(p.m+1)*protSlot || most != int64(p.depth*p.m+1)*protSlot {
					t.Errorf("cuts survived from %d to %d bytes; want m+1 and D*m+1 slots", least, most)
				}

				clean := protProtect(t, half, p, 9)
				rng := rand.New(rand.NewPCG(uint64(r), uint64(il)+7))
				for _, n := range []int{1, 4 << 10, 1 << 20} {
					junk := protRandom(n, rng.Uint64())
					got, rep, err := protUnprotect(t, append(slices.Clip(clean), junk...))
					if err != nil || !bytes.Equal(got, half) {
						t.Fatalf("%d bytes appended: %v (output equal: %v)", n, err, bytes.Equal(got, half))
					}
					if rep.Extra != int64(n) || rep.DamagedShards != 0 || rep.DamagedCopies != 0 {
						t.Fatalf("%d bytes appended: report %+v; want them counted as extra and no damage", n, rep)
					}
				}
				t.Logf("%v redundancy, %v interlacing: repaired when cut short by 1, 76, 522 bytes, a slot, m+1 slots, and up to %d KiB (last block of one shard) to %d KiB (last block full), refused one byte further; ignored 1 B, 4 KiB and 1 MiB appended",
					r, il, least>>10, most>>10)
			})
		}
	}
}

// protCheckCuts protects data, cuts the container short by 1, 76 and 522 bytes, one slot, m+1
// slots and the most its layout survives (the last block's parity and trailer B), checking
// that each gives data back and says what it lost, and that a byte more is refused. It returns
// the most.
func protCheckCuts(t *testing.T, p protParams, data []byte) int64 {
	t.Helper()
	clean := protProtect(t, data, p, 9)
	lay, err := protLayout(p, int64(len(clean)))
	if err != nil {
		t.Fatal(err)
	}
	slot := int64(p.slot)
	most := int64(lay.last.groups*p.m+1) * slot
	for _, cut := range []int64{1, 76, 522, slot, int64(p.m+1) * slot, most} {
		got, rep, err := protUnprotect(t, clean[:int64(len(clean))-cut])
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%d bytes cut by %d: %v (output equal: %v)", len(data), cut, err, bytes.Equal(got, data))
		}
		lost := int((cut+slot-1)/slot) - 1 // whole or partial slots before trailer B's
		if rep.Missing != cut || rep.DamagedShards != lost || rep.RepairedShards != lost || rep.DamagedCopies != 1 {
			t.Fatalf("%d bytes cut by %d: report %+v; want %d missing, %d shards repaired, trailer B lost",
				len(data), cut, rep, cut, lost)
		}
	}
	// One byte more and trailer A goes too: the original length is lost.
	got, _, err := protUnprotect(t, clean[:int64(len(clean))-most-1])
	if !errors.Is(err, ErrUnrepairable) || !bytes.HasPrefix(data, got) {
		t.Fatalf("%d bytes cut by %d: %v, want ErrUnrepairable and only original bytes", len(data), most+1, err)
	}
	return most
}

// Length changes on top of other damage: a wiped header with junk appended (the trailer is
// then searched at every possible slot size), a cut with a damaged slot elsewhere in the same
// group as a lost parity slot (beyond the group's parity: refused), and trailer B damaged with
// junk after it.
func TestRedundancyLengthChangedAndDamaged(t *testing.T) {
	p := protLevelParams(t, RedundancyMedium, InterlacingLow)
	data := protRandom(700_000, 43)
	clean := protProtect(t, data, p, 10)
	lay, err := protLayout(p, int64(len(clean)))
	if err != nil {
		t.Fatal(err)
	}
	slot := int64(p.slot)

	c := append(slices.Clip(clean), protRandom(5000, 1)...)
	clear(c[:p.slot])
	got, rep, err := protUnprotect(t, c)
	if err != nil || !bytes.Equal(got, data) || rep.Extra != 5000 || rep.DamagedCopies != 1 {
		t.Fatalf("wiped header and 5000 bytes appended: %v, report %+v", err, rep)
	}

	c = append(slices.Clip(clean), protRandom(4096, 2)...)
	c[len(clean)-10] ^= 0x10 // trailer B
	got, rep, err = protUnprotect(t, c)
	if err != nil || !bytes.Equal(got, data) || rep.Extra != 4096 || rep.DamagedCopies != 1 {
		t.Fatalf("trailer B damaged and 4096 bytes appended: %v, report %+v", err, rep)
	}

	// Cut by two slots: trailer B and the last parity slot. The group of that slot survives
	// one more damaged slot (medium redundancy repairs two per group), not two more.
	_, dataOff, parityOff := lay.blockAt(lay.blocks - 1)
	blk := lay.last
	last := blk.groups*p.m - 1
	g, other := -1, -1
	for gg := range blk.groups {
		if blk.paritySlot(gg, p.m-1) == last {
			g, other = gg, blk.paritySlot(gg, 0)
		}
	}
	if g < 0 {
		t.Fatal("no group holds the last parity slot")
	}
	c = bytes.Clone(clean[:int64(len(clean))-2*slot])
	c[parityOff+int64(other)*slot+5] ^= 1
	if got, _, err := protUnprotect(t, c); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("cut by 2 slots and one more parity slot of the group: %v", err)
	}
	c[dataOff+int64(blk.dataSlot(g, 0))*slot+7] ^= 1
	if _, _, err := protUnprotect(t, c); !errors.Is(err, ErrUnrepairable) {
		t.Fatalf("cut by 2 slots and two more slots of the group: %v, want ErrUnrepairable", err)
	}
}
