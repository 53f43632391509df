package backup

import (
	"errors"
	"io"
	"sync"
)

// protZip reads the original bytes of a protected container in place, as an io.ReaderAt, so
// that verify and restore read an archive's zip straight out of its container and write no
// copy of it: byte z of the original is byte z mod 4092 of data shard z div 4092, found in its
// slot after the header, past the CRCs, the parity and trailer A. Slots are read whole, a
// window of them at a time, and checked against their CRC-32C; when one fails (or the file
// lost it at its end), its whole interlace block is read and repaired in memory as Unprotect
// repairs it. Reads inside the last window cost nothing more, so the 4 KiB reads of an entry
// being inflated cost one read of the file per window. Safe for concurrent use; memory is a
// window, and one block once a block needs repair.
type protZip struct {
	r io.ReaderAt
	c *protContainer

	mu     sync.Mutex
	raw    []byte      // the slots of the last window read, packed once checked
	win    []byte      // the original's bytes at [winOff, winOff+len(win))
	winOff int64       // offset in the original of win
	fix    *protReader // repairs the blocks that need it; made when one first does
}

// protWindow is how many slots protZip reads at a time (256 KiB).
const protWindow = 64

// readProtected checks a protected container whole, held in a file of the given size:
// every slot against its CRC-32C, every damaged group repaired in memory, the result against
// the trailer's CRC-32C, as Unprotect does but writing nothing. It returns the container's
// original bytes to be read in place, and what the check found. The errors are Unprotect's.
func readProtected(r io.ReaderAt, size int64) (*protZip, RepairReport, error) {
	c, rep, err := unprotect(r, size, io.Discard)
	if err != nil {
		return nil, rep, err
	}
	slots := min(protWindow, c.p.depth*c.p.k)
	return &protZip{r: r, c: c, raw: make([]byte, slots*c.p.slot)}, rep, nil
}

// Size is the length of the original.
func (z *protZip) Size() int64 { return z.c.t.length }

func (z *protZip) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("backup: read of a protected container at a negative offset")
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	n := 0
	for n < len(p) {
		at := off + int64(n)
		if at >= z.c.t.length {
			return n, io.EOF
		}
		if at < z.winOff || at >= z.winOff+int64(len(z.win)) {
			if err := z.load(at); err != nil {
				z.win = nil
				return n, err
			}
		}
		n += copy(p[n:], z.win[at-z.winOff:])
	}
	return n, nil
}

// load makes the window the data slots from the one holding original byte at onward, up to
// protWindow of them and the end of their block: read and checked, or, when one fails,
// their whole block repaired.
func (z *protZip) load(at int64) error {
	p := z.c.p
	shard, slot := int64(p.shard()), int64(p.slot)
	perBlock := int64(p.depth * p.k)
	j := at / shard
	b, s := j/perBlock, j%perBlock
	blk, dataOff, _ := z.c.blockAt(b)
	count := min(int64(blk.n)-s, int64(len(z.raw))/slot)
	raw := z.raw[:count*slot]
	off := dataOff + s*slot
	if err := z.c.readAt(z.r, raw, off); err != nil {
		return err
	}
	first := b*p.blockSlots() + s
	for i := range count {
		if off+(i+1)*slot > z.c.avail || !protIntact(raw[i*slot:(i+1)*slot], first+i) {
			return z.repair(b)
		}
	}
	for i := int64(1); i < count; i++ {
		copy(raw[i*shard:(i+1)*shard], raw[i*slot:i*slot+shard])
	}
	z.winOff = j * shard
	z.win = raw[:min(count*shard, z.c.t.length-z.winOff)]
	return nil
}

// repair makes the window block b, read whole and repaired.
func (z *protZip) repair(b int64) error {
	if z.fix == nil {
		fix, err := newProtReader(z.r, z.c, io.Discard, &RepairReport{})
		if err != nil {
			return err
		}
		z.fix = fix
	}
	*z.fix.rep = RepairReport{} // what was found is readProtected's to report
	blk, err := z.fix.loadBlock(b)
	if err != nil {
		return err
	}
	z.winOff = b * int64(z.c.p.depth*z.c.p.k*z.c.p.shard())
	z.win = z.fix.buf[:min(int64(blk.n*z.c.p.shard()), z.c.t.length-z.winOff)]
	return nil
}
