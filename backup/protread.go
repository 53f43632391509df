package backup

import (
	"fmt"
	"hash/crc32"
	"io"

	"github.com/klauspost/reedsolomon"
)

// Unprotect reads a protected container held in a file of the given size, checks every
// shard, repairs what parity allows, and writes the original bytes to w, in order, one
// interlace block at a time. A file cut short is read as the container it was, the slots it
// lost being damaged ones; bytes after the container's end are ignored (RepairReport's Missing
// and Extra). A group with more damaged shards than parity shards stops it with
// ErrUnrepairable (wrapped with the group and the damaged offsets); the blocks before it have
// already been written to w. Damage never reaches w unrepaired: every shard written either
// passed its CRC-32C or was rebuilt from shards that did, and the whole output is checked
// against the trailer's CRC-32C. The report covers what was read, on error too.
func Unprotect(r io.ReaderAt, size int64, w io.Writer) (RepairReport, error) {
	_, rep, err := unprotect(r, size, w)
	return rep, err
}

// unprotect is Unprotect that also returns the container's shape.
func unprotect(r io.ReaderAt, size int64, w io.Writer) (*protContainer, RepairReport, error) {
	var rep RepairReport
	c, err := protOpen(r, size, &rep)
	if err != nil {
		rep.tidy()
		return nil, rep, err
	}
	u, err := newProtReader(r, c, w, &rep)
	if err == nil {
		err = u.run()
	}
	rep.tidy()
	return c, rep, err
}

// protReader repairs and writes a container block by block.
type protReader struct {
	r      io.ReaderAt
	c      *protContainer
	w      io.Writer
	rep    *RepairReport
	enc    reedsolomon.Encoder
	buf    []byte // the slots of one block: data, then parity; its data packed once loaded
	bad    []bool // per slot of buf: failed its CRC, or lost at the file's end
	zero   []byte
	shards [][]byte
	left   int64  // original bytes still to write
	sum    uint32 // CRC-32C of the bytes written
}

func newProtReader(r io.ReaderAt, c *protContainer, w io.Writer, rep *RepairReport) (*protReader, error) {
	enc, err := reedsolomon.New(c.p.k, c.p.m, reedsolomon.WithMaxGoroutines(1))
	if err != nil {
		return nil, fmt.Errorf("backup: reed-solomon %d+%d: %w", c.p.k, c.p.m, err)
	}
	slots := c.last.slots(c.p.m)
	if c.blocks > 1 {
		slots = int(c.p.blockSlots())
	}
	return &protReader{
		r: r, c: c, w: w, rep: rep, enc: enc,
		buf:    make([]byte, slots*c.p.slot),
		bad:    make([]bool, slots),
		zero:   make([]byte, c.p.shard()),
		shards: make([][]byte, c.p.k+c.p.m),
		left:   c.t.length,
	}, nil
}

func (u *protReader) run() error {
	for b := range u.c.blocks {
		blk, err := u.loadBlock(b)
		if err != nil {
			return err
		}
		if err := u.writeData(blk); err != nil {
			return err
		}
	}
	if u.sum != u.c.t.sum {
		return fmt.Errorf("restored bytes fail the trailer's CRC-32C: %w", ErrUnrepairable)
	}
	return nil
}

// loadBlock reads block b, checks its slots, repairs its groups and packs its data shards
// together at the start of buf.
func (u *protReader) loadBlock(b int64) (protBlock, error) {
	p := u.c.p
	blk, dataOff, parityOff := u.c.blockAt(b)
	slot := int64(p.slot)
	nd := blk.n * p.slot
	total := blk.slots(p.m)
	if err := u.c.readAt(u.r, u.buf[:nd], dataOff); err != nil {
		return blk, err
	}
	if err := u.c.readAt(u.r, u.buf[nd:total*p.slot], parityOff); err != nil {
		return blk, err
	}
	first := b * p.blockSlots()
	for s := range total {
		off := dataOff + int64(s)*slot
		if s >= blk.n {
			off = parityOff + int64(s-blk.n)*slot
		}
		u.bad[s] = off+slot > u.c.avail || !protIntact(u.buf[s*p.slot:(s+1)*p.slot], first+int64(s))
		if u.bad[s] {
			u.rep.DamagedShards++
			u.rep.damaged(off, off+slot)
		}
	}
	for g := range blk.groups {
		if err := u.repairGroup(b, blk, g, dataOff, parityOff); err != nil {
			return blk, err
		}
	}
	u.rep.Groups += blk.groups
	shard := p.shard()
	for j := 1; j < blk.n; j++ {
		copy(u.buf[j*shard:(j+1)*shard], u.buf[j*p.slot:j*p.slot+shard])
	}
	return blk, nil
}

// repairGroup rebuilds the damaged shards of group g of block b, if parity allows.
func (u *protReader) repairGroup(b int64, blk protBlock, g int, dataOff, parityOff int64) error {
	p := u.c.p
	shard := p.shard()
	var damaged []int64 // offsets of the damaged slots
	for i := range p.k + p.m {
		s, off := -1, int64(0)
		if i < p.k {
			if j := blk.dataSlot(g, i); j >= 0 {
				s, off = j, dataOff+int64(j)*int64(p.slot)
			}
		} else {
			q := blk.paritySlot(g, i-p.k)
			s, off = blk.n+q, parityOff+int64(q)*int64(p.slot)
		}
		switch {
		case s < 0:
			u.shards[i] = u.zero
		case u.bad[s]:
			u.shards[i] = u.buf[s*p.slot : s*p.slot : s*p.slot+shard]
			damaged = append(damaged, off)
		default:
			u.shards[i] = u.buf[s*p.slot : s*p.slot+shard]
		}
	}
	if len(damaged) == 0 {
		return nil
	}
	group := b*int64(p.depth) + int64(g)
	if len(damaged) > p.m {
		return fmt.Errorf("group %d: %d damaged shards at offsets %v, parity repairs %d: %w",
			group, len(damaged), damaged, p.m, ErrUnrepairable)
	}
	if err := u.enc.Reconstruct(u.shards); err != nil {
		return fmt.Errorf("group %d: rebuild: %w: %w", group, err, ErrUnrepairable)
	}
	// Reconstruct fills the zero-length shards in place; copy in case it did not.
	for i, sh := range u.shards {
		if s := u.slotOf(blk, g, i); s >= 0 && u.bad[s] {
			copy(u.buf[s*p.slot:s*p.slot+shard], sh)
		}
	}
	u.rep.RepairedShards += len(damaged)
	return nil
}

// slotOf returns the index in buf of shard i of group g, or -1 for a zero shard.
func (u *protReader) slotOf(blk protBlock, g, i int) int {
	if i < u.c.p.k {
		return blk.dataSlot(g, i)
	}
	return blk.n + blk.paritySlot(g, i-u.c.p.k)
}

// writeData writes the packed data of the block loadBlock loaded, cut where the original ends.
func (u *protReader) writeData(blk protBlock) error {
	n := min(int64(blk.n*u.c.p.shard()), u.left)
	out := u.buf[:n]
	u.left -= n
	u.sum = crc32.Update(u.sum, protTable, out)
	if _, err := u.w.Write(out); err != nil {
		return fmt.Errorf("backup: write unprotected data: %w", err)
	}
	return nil
}
