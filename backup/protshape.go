package backup

import (
	"bytes"
	"fmt"
	"io"
)

// The shape of a protected container as read back: its parameters, its original length and
// where its blocks lie, found from the header and the trailer copies even when the file was
// cut short or has bytes after the container's end (see "Finding the shape" in redundancy.go).

// protContainer is a container's shape as read from its header and trailers.
type protContainer struct {
	p        protParams
	t        protTrailer
	size     int64     // bytes of the container as written
	avail    int64     // bytes of it the file still holds: less than size when it was cut short
	blocks   int64     // interlace blocks, the last one possibly short
	last     protBlock // shape of the last block
	trailerA int64     // offset of trailer A's slot
}

// blockAt returns the shape of block b and the offsets of its data and parity slots.
func (c *protContainer) blockAt(b int64) (blk protBlock, dataOff, parityOff int64) {
	slot := int64(c.p.slot)
	dataOff = slot * (1 + b*c.p.blockSlots())
	if b < c.blocks-1 {
		blk = c.p.block(c.p.depth * c.p.k)
		return blk, dataOff, dataOff + int64(blk.n)*slot
	}
	return c.last, dataOff, dataOff + int64(c.last.n+1)*slot
}

// protLayout derives the number of blocks and the shape of the last one from the size of a
// container as written: the slot count after the header and trailers determines them.
func protLayout(p protParams, size int64) (*protContainer, error) {
	slot := int64(p.slot)
	if size%slot != 0 || size < 3*slot {
		return nil, fmt.Errorf("container size %d is not a whole number (3 or more) of %d-byte slots: %w", size, slot, ErrUnrepairable)
	}
	c := &protContainer{p: p, size: size, avail: size}
	records := size/slot - 3
	if records == 0 {
		c.trailerA = slot
		return c, nil
	}
	bs := p.blockSlots()
	c.blocks = (records + bs - 1) / bs
	rem := int(records - (c.blocks-1)*bs)
	groups := (rem + p.k + p.m - 1) / (p.k + p.m)
	n := rem - groups*p.m
	if n <= (groups-1)*p.k || n > groups*p.k {
		return nil, fmt.Errorf("container size %d does not fit its shape: %w", size, ErrUnrepairable)
	}
	c.last = p.block(n)
	c.trailerA = slot * (1 + (c.blocks-1)*bs + int64(n))
	return c, nil
}

// protMaxLength bounds the original length a trailer may claim (4 PiB), so that the size of
// the container it implies cannot overflow.
const protMaxLength = 1 << 52

// protSizeOf returns the size of the container a writer makes of length original bytes, or
// false when no container holds that many.
func protSizeOf(p protParams, length int64) (int64, bool) {
	if length < 0 || length > protMaxLength {
		return 0, false
	}
	shard := int64(p.shard())
	shards := (length + shard - 1) / shard
	perBlock := int64(p.depth * p.k)
	slots := 3 + shards/perBlock*p.blockSlots()
	if rem := shards % perBlock; rem > 0 {
		slots += int64(p.block(int(rem)).slots(p.m))
	}
	return slots * int64(p.slot), true
}

// dataShards is the number of data shards in the container.
func (c *protContainer) dataShards() int64 {
	if c.blocks == 0 {
		return 0
	}
	return (c.blocks-1)*int64(c.p.depth*c.p.k) + int64(c.last.n)
}

func (c *protContainer) groups() int64 {
	if c.blocks == 0 {
		return 0
	}
	return (c.blocks-1)*int64(c.p.depth) + int64(c.last.groups)
}

// readAt fills b with the container's bytes at off: those the file still holds, then zeros
// for what it lost at its end (the slots there fail their CRC-32C and are marked missing).
func (c *protContainer) readAt(r io.ReaderAt, b []byte, off int64) error {
	have := max(0, min(int64(len(b)), c.avail-off))
	clear(b[have:])
	if have == 0 {
		return nil
	}
	return protReadAt(r, b[:have], off)
}

// protOpen reads the header and finds a trailer copy of a file of the given size, and derives
// the container's layout from them, noting damaged or missing copies and a changed length in
// rep.
func protOpen(r io.ReaderAt, size int64, rep *RepairReport) (*protContainer, error) {
	if size < 0 {
		return nil, fmt.Errorf("backup: negative container size %d", size)
	}
	hp, hs, err := protReadHeader(r, size)
	if err != nil {
		return nil, err
	}
	found, err := protFindTrailer(r, size, hp, hs)
	if err != nil {
		return nil, err
	}
	c, err := protLayout(found.t.p, found.size)
	if err != nil {
		return nil, err
	}
	c.t = found.t
	c.avail = min(size, c.size)
	rep.Missing, rep.Extra = max(0, c.size-size), max(0, size-c.size)
	if hs != protGood {
		rep.DamagedCopies++
		rep.damaged(0, min(size, protHeaderSize))
	}
	if found.isB {
		return c, c.checkTrailerA(r, rep)
	}
	// Trailer B did not fit where it should be: it is damaged, or cut off.
	rep.DamagedCopies++
	rep.damaged(c.size-protTrailerSize, c.size)
	return c, nil
}

// protReadHeader reads the header of a file of the given size. A file too short to hold the
// header's record but starting with its magic is a container cut short (its header damaged).
func protReadHeader(r io.ReaderAt, size int64) (protParams, protCopyState, error) {
	var head [protHeaderSize]byte
	n := min(size, protHeaderSize)
	if err := protReadAt(r, head[:n], 0); err != nil {
		return protParams{}, protAbsent, err
	}
	if n < protHeaderSize {
		if IsProtected(head[:n]) {
			return protParams{}, protDamaged, nil
		}
		return protParams{}, protAbsent, nil
	}
	p, hs := decodeHeader(head[:])
	return p, hs, nil
}

// checkTrailerA holds trailer A against trailer B, which was found in its place.
func (c *protContainer) checkTrailerA(r io.ReaderAt, rep *RepairReport) error {
	var rec [protTrailerSize]byte
	off := c.trailerA + int64(c.p.slot) - protTrailerSize
	if err := protReadAt(r, rec[:], off); err != nil {
		return err
	}
	switch ta, st := decodeTrailer(rec[:]); {
	case st == protGood && ta.p == c.p && ta != c.t:
		return fmt.Errorf("the two trailer copies disagree: %w", ErrUnrepairable)
	case st != protGood || ta.p != c.p:
		rep.DamagedCopies++
		rep.damaged(off, off+protTrailerSize)
	}
	return nil
}

// protFound is a trailer copy that fits, where it was found, the container it describes.
type protFound struct {
	t    protTrailer
	size int64 // the container's size as written, from t
	isB  bool  // the copy is trailer B, at the container's end (else trailer A)
}

// protScanChunk is how many bytes the search for a trailer copy reads at a time.
const protScanChunk = 256 << 10

// protFindTrailer returns the last trailer copy in the file that fits where it lies: one that
// checks out, agrees with a good header on the shape, and whose slot ends where the container
// it describes puts trailer B (its end) or trailer A. Every slot ends on a multiple of the
// slot size, which the good header gives (else every multiple of 64 is tried, the smallest
// slot). An intact container's trailer B is the first looked at; a container cut short is
// found by its trailer A a few slots back, one with bytes appended by its trailer B before
// them, however many. Nothing found is ErrNotProtected when nothing looked like a container,
// ErrUnsupportedProtection when only copies of a shape not read here did, else ErrUnrepairable.
func protFindTrailer(r io.ReaderAt, size int64, hp protParams, hs protCopyState) (protFound, error) {
	step := int64(protMinSlot)
	if hs == protGood {
		step = int64(hp.slot)
	}
	var seen protSeen
	end := size / step * step
	if end < protTrailerSize {
		return protFound{}, seen.err(hs)
	}
	var rec [protTrailerSize]byte
	if err := protReadAt(r, rec[:], end-protTrailerSize); err != nil {
		return protFound{}, err
	}
	if f, ok := seen.check(rec[:], end, hp, hs); ok {
		return f, nil
	}
	buf := make([]byte, min(protScanChunk, end))
	for e := end - step; e >= protTrailerSize; {
		lo := max(0, e-int64(len(buf)))
		if err := protReadAt(r, buf[:e-lo], lo); err != nil {
			return protFound{}, err
		}
		for ; e-protTrailerSize >= lo; e -= step {
			if f, ok := seen.check(buf[e-protTrailerSize-lo:e-lo], e, hp, hs); ok {
				return f, nil
			}
		}
	}
	return protFound{}, seen.err(hs)
}

// protSeen is what the search for a trailer copy saw that did not fit.
type protSeen struct {
	damaged     bool // a copy whose check failed, or that does not fit where it lies
	unsupported bool // a copy of a version or shape not read here
	disagree    bool // a good copy whose shape is not the good header's
}

// check decodes rec, the last bytes of a slot ending at end, as a trailer copy, and tells
// whether it fits there.
func (s *protSeen) check(rec []byte, end int64, hp protParams, hs protCopyState) (protFound, bool) {
	if !bytes.Equal(rec[:len(protTrailerMagic)], protTrailerMagic) {
		return protFound{}, false
	}
	t, st := decodeTrailer(rec)
	switch {
	case st == protUnsupported:
		s.unsupported = true
		return protFound{}, false
	case st != protGood:
		s.damaged = true
		return protFound{}, false
	case hs == protGood && t.p != hp:
		s.disagree = true
		return protFound{}, false
	}
	f, ok := protFits(t, end)
	s.damaged = s.damaged || !ok
	return f, ok
}

// protFits tells whether trailer t, found in a slot that ends at end, is trailer B or trailer A
// of the container it describes.
func protFits(t protTrailer, end int64) (protFound, bool) {
	size, ok := protSizeOf(t.p, t.length)
	if !ok || end%int64(t.p.slot) != 0 {
		return protFound{}, false
	}
	c, err := protLayout(t.p, size)
	if err != nil || c.groups() != t.groups {
		return protFound{}, false
	}
	switch end {
	case size:
		return protFound{t: t, size: size, isB: true}, true
	case c.trailerA + int64(t.p.slot):
		return protFound{t: t, size: size}, true
	}
	return protFound{}, false
}

// err is the error of a search that found no trailer copy that fits.
func (s *protSeen) err(hs protCopyState) error {
	switch {
	case s.disagree:
		return fmt.Errorf("the header and the trailers disagree on the shape: %w", ErrUnrepairable)
	case hs == protAbsent && !s.damaged && !s.unsupported:
		return ErrNotProtected
	case hs != protGood && (hs == protUnsupported || s.unsupported):
		return ErrUnsupportedProtection
	}
	return fmt.Errorf("no trailer copy is left to give the original length (both damaged, or the file cut short before trailer A): %w", ErrUnrepairable)
}

func protReadAt(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("backup: read protected container at %d: %w", off, err)
}
