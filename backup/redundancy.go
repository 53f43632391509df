// Redundancy: Reed-Solomon parity around an archive's bytes (SPEC S6.4).
//
// With redundancy off an archive is a plain zip. With redundancy low, medium or high the zip's
// bytes are wrapped in a protected container that verify and restore can repair: the bytes are
// cut into shards, every k data shards get m parity shards (a group), and every stored shard
// checks itself with a CRC-32C, so a damaged shard is a known erasure and any m erasures in a
// group are rebuilt exactly. Interlacing deals the shards of D groups out in turn, so that a
// run of damaged bytes takes a few shards from many groups instead of many from one.
//
// # Layout
//
// Everything is stored in slots of 4096 bytes, the size of a disk sector or page, so a bad
// sector in a file that starts on a block boundary (all files do, and segments of whole MB
// keep the alignment) spoils exactly one slot:
//
//	offset 0                                                                              size
//	+--------+---------------+-----+-------------------+-----------+---------------+-----------+
//	| header | interlace     | ... | last block:       | trailer A | last block:   | trailer B |
//	| slot   | block 0       |     | n data slots      | slot      | Dp*m parity   | slot      |
//	+--------+---------------+-----+-------------------+-----------+---------------+-----------+
//
//	slot      | shard: 4092 bytes of data or parity         | CRC-32C: 4 |
//	          CRC-32C (Castagnoli, little endian) over the slot's index as 8 bytes little
//	          endian, then the shard. Slots are counted from 0 after the header, leaving out
//	          trailer A, so a slot that moved is as wrong as a slot that rotted.
//
//	header    | magic 8 | version 2 | k 2 | m 2 | D 2 | slot 4 | reserved 8 | CRC-32C 4 | zeros |
//	trailer   | zeros | magic 8 | version 2 | k 2 | m 2 | D 2 | slot 4 | data CRC-32C 4 |
//	          | length 8 | groups 8 | reserved 4 | CRC-32C 4 |  (the 48 last bytes of its slot)
//
// All integers are little endian; each CRC-32C covers the bytes of its record before it. The
// header magic is 89 'H' 'F' 'P' '\r' '\n' 1A '\n' and the trailer's 89 'H' 'F' 'T' '\r' '\n'
// 1A '\n' (as in PNG: a high byte and line ends catch text-mode transfers). Version is 1.
//
// # Interlace blocks
//
// A full interlace block holds D*k data slots (the original bytes, in order) followed by D*m
// parity slots. Its slots are dealt round-robin to its groups like cards: slot s of the block
// (data first, then parity) belongs to group s mod D. For D=4, k=2, m=1:
//
//	data   | g0 g1 g2 g3 g0 g1 g2 g3 |   (shards 0..7 of the original, in order)
//	parity | g0 g1 g2 g3 |
//
// Any run of N consecutive slots inside a block therefore hits each group at most ceil(N/D)
// times, and the next block holds other groups. The last block holds the n data shards that
// are left (the last one zero-padded, its true end given by the trailer's length); rows its
// groups lack count as zero shards and are not stored. It uses Dp = min(D, ceil(n/k)) groups,
// so a small archive pays m/k parity rather than a full block's, and trailer A sits between
// its data and its parity, away from trailer B.
//
// The header and both trailer copies carry k, m, D and the slot size; the trailers also carry
// the original length, the number of groups and the CRC-32C of the original bytes. Unprotect
// takes the parameters from the header, else from trailer B (the 48 last bytes of the file),
// derives the layout from the file size, and takes the length from trailer B, else trailer A.
// Losing the header or one trailer copy costs nothing; both trailers or the header and trailer
// B together are beyond repair.
//
// # Levels
//
// Overhead counts parity and the CRCs (4096/4092) for large archives; every container adds
// three slots (12 KiB) and pads its last shard. A group of k+m slots survives any m damaged
// slots, wherever they are:
//
//	redundancy  k   m   overhead  group    repairs per group
//	low         20  1   5.1 %     84 KiB   1 of 21 slots: scattered bit rot, single bad sectors
//	medium      10  2   20.1 %    48 KiB   2 of 12 slots: clustered damage
//	high         8  4   50.1 %    48 KiB   4 of 12 slots: a third of every group
//
// Low is the cheap insurance against the usual damage of a stored file (a flipped bit, a dead
// sector here and there); medium and high are for media that fail in patches. Short groups
// keep the damage each can absorb local and the decoding cheap; all fit the 256-shard limit of
// GF(2^8) Reed-Solomon. Parity is klauspost/reedsolomon's default systematic Vandermonde code;
// a golden test pins the bytes, since old archives must stay readable.
//
// The longest run of consecutive damaged bytes guaranteed repairable inside full interlace
// blocks is D*m slots when the run starts and ends on 4 KiB boundaries (dead sectors), and
// (D*m-1)*4096+1 bytes wherever it starts (SurvivableBurst); in the last block replace D by
// Dp. Interlacing is D = 1, 4, 16, 64 for none, low, medium, high:
//
//	bursts survived      none (D=1)    low (D=4)      medium (D=16)    high (D=64)
//	aligned / any start
//	low    (m=1)         4 KiB / 1 B   16 / 12 KiB+1  64 / 60 KiB+1    256 / 252 KiB+1
//	medium (m=2)         8 / 4 KiB+1   32 / 28 KiB+1  128 / 124 KiB+1  512 / 508 KiB+1
//	high   (m=4)         16 / 12 KiB+1 64 / 60 KiB+1  256 / 252 KiB+1  1024 / 1020 KiB+1
//
// Memory is one interlace block, D*(k+m) slots, whatever the archive's size: from 48 KiB
// (medium or high, no interlacing) to 5.25 MiB (low redundancy, high interlacing; k=20 makes
// its block the widest). The writer holds the block being filled and its parity; Unprotect
// reads one block at a time with ReadAt and writes its repaired data before the next.
//
// Unprotect checks a header's shape against limits (k+m <= 256, D <= 1024, slots of 64 B to
// 1 MiB, a block of at most 64 MiB) before sizing anything from it, and never allocates more
// than the file's own size in slots. A protected writer is not safe for concurrent use;
// Unprotect may run concurrently on different readers.

package backup

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"strings"

	"github.com/klauspost/reedsolomon"
)

var (
	// ErrUnrepairable: a group has more damaged shards than parity shards, or the trailers
	// that give the original length are both lost, or the container was cut short. Verify and
	// restore report it as error 1411.
	ErrUnrepairable = errors.New("backup: damage beyond what the redundancy can repair")
	// ErrNotProtected: neither the header nor the last trailer has the protected container's
	// magic; the file is something else (a plain zip, say).
	ErrNotProtected = errors.New("backup: not a protected container")
	// ErrUnsupportedProtection: a header or trailer checks out but names a version or a shape
	// this build does not read (written by a newer Holdfast, or forged).
	ErrUnsupportedProtection = errors.New("backup: protected container of an unsupported version or shape")
	// ErrProtectedWriterClosed: a write after Close.
	ErrProtectedWriterClosed = errors.New("backup: write to a closed protected writer")
)

// Redundancy is the amount of parity added to an archive (setting archive.redundancy).
type Redundancy int

// Redundancy levels; see the table at the top of this file.
const (
	RedundancyNone Redundancy = iota
	RedundancyLow
	RedundancyMedium
	RedundancyHigh
)

// Interlacing is how many groups are interleaved on disk (setting archive.interlacing).
type Interlacing int

// Interlacing levels: D = 1, 4, 16, 64 groups per interlace block.
const (
	InterlacingNone Interlacing = iota
	InterlacingLow
	InterlacingMedium
	InterlacingHigh
)

// protLevelNames are the settings values of both options, in level order.
var protLevelNames = [...]string{"none", "low", "medium", "high"}

// protShapes gives k (data shards) and m (parity shards) per group for each Redundancy.
var protShapes = [...]struct{ k, m int }{{0, 0}, {20, 1}, {10, 2}, {8, 4}}

// protDepths gives D (groups per interlace block) for each Interlacing.
var protDepths = [...]int{1, 4, 16, 64}

const (
	protSlot        = 4096 // bytes per stored slot, as written
	protCRCSize     = 4
	protVersion     = 1
	protHeaderSize  = 32
	protTrailerSize = 48

	// Limits a header must respect before any memory is sized from it.
	protMinSlot     = 64
	protMaxSlot     = 1 << 20
	protMaxDepth    = 1024
	protMaxBlockLen = 64 << 20 // bytes of one interlace block
)

var (
	protHeaderMagic  = []byte{0x89, 'H', 'F', 'P', '\r', '\n', 0x1a, '\n'}
	protTrailerMagic = []byte{0x89, 'H', 'F', 'T', '\r', '\n', 0x1a, '\n'}
	protTable        = crc32.MakeTable(crc32.Castagnoli)
)

func (r Redundancy) String() string {
	if r >= 0 && int(r) < len(protLevelNames) {
		return protLevelNames[r]
	}
	return fmt.Sprintf("Redundancy(%d)", int(r))
}

func (il Interlacing) String() string {
	if il >= 0 && int(il) < len(protLevelNames) {
		return protLevelNames[il]
	}
	return fmt.Sprintf("Interlacing(%d)", int(il))
}

// ParseRedundancy reads a settings value: none, low, medium or high.
func ParseRedundancy(s string) (Redundancy, error) {
	i, ok := protParseLevel(s)
	if !ok {
		return 0, fmt.Errorf("backup: unknown redundancy %q (want none, low, medium or high)", s)
	}
	return Redundancy(i), nil
}

// ParseInterlacing reads a settings value: none, low, medium or high.
func ParseInterlacing(s string) (Interlacing, error) {
	i, ok := protParseLevel(s)
	if !ok {
		return 0, fmt.Errorf("backup: unknown interlacing %q (want none, low, medium or high)", s)
	}
	return Interlacing(i), nil
}

func protParseLevel(s string) (int, bool) {
	s = strings.TrimSpace(s)
	for i, name := range protLevelNames {
		if strings.EqualFold(s, name) {
			return i, true
		}
	}
	return 0, false
}

// Overhead returns the fraction of extra bytes a level adds to a large archive: parity and
// slot checksums, e.g. 0.051 for low. It is 0 for RedundancyNone and unknown levels.
func (r Redundancy) Overhead() float64 {
	if r <= RedundancyNone || int(r) >= len(protShapes) {
		return 0
	}
	s := protShapes[r]
	return float64(s.k+s.m)/float64(s.k)*protSlot/(protSlot-protCRCSize) - 1
}

// SurvivableBurst returns the longest run of consecutive damaged bytes, starting anywhere in
// the full interlace blocks of a container, that Unprotect is guaranteed to repair:
// (D*m-1)*4096+1. A run aligned on 4 KiB boundaries survives up to D*m*4096 bytes. It is 0
// for RedundancyNone and unknown levels.
func SurvivableBurst(r Redundancy, il Interlacing) int64 {
	p, err := protParamsFor(r, il)
	if err != nil {
		return 0
	}
	return int64(p.depth*p.m-1)*int64(p.slot) + 1
}

// protParams is the shape of a container, as its header and trailers record it.
type protParams struct {
	k, m  int // data and parity shards per group
	depth int // D: groups per interlace block
	slot  int // bytes per stored slot, shard and CRC
}

func protParamsFor(r Redundancy, il Interlacing) (protParams, error) {
	if r <= RedundancyNone || int(r) >= len(protShapes) {
		return protParams{}, fmt.Errorf("backup: a protected container needs redundancy low, medium or high, not %v", r)
	}
	if il < InterlacingNone || int(il) >= len(protDepths) {
		return protParams{}, fmt.Errorf("backup: unknown interlacing %v", il)
	}
	s := protShapes[r]
	return protParams{k: s.k, m: s.m, depth: protDepths[il], slot: protSlot}, nil
}

func (p protParams) shard() int { return p.slot - protCRCSize }

// blockSlots is the number of slots of a full interlace block.
func (p protParams) blockSlots() int64 { return int64(p.depth) * int64(p.k+p.m) }

// valid tells whether p is within the limits any reader enforces before sizing memory.
func (p protParams) valid() bool {
	return p.k >= 1 && p.m >= 1 && p.k+p.m <= 256 &&
		p.depth >= 1 && p.depth <= protMaxDepth &&
		p.slot >= protMinSlot && p.slot <= protMaxSlot && p.slot%64 == 0 &&
		p.blockSlots()*int64(p.slot) <= protMaxBlockLen
}

// block returns the shape of an interlace block holding n data shards (1 <= n <= D*k).
func (p protParams) block(n int) protBlock {
	return protBlock{n: n, groups: min(p.depth, (n+p.k-1)/p.k)}
}

// protBlock is one interlace block: n data slots then groups*m parity slots, slot s of the
// block belonging to group s mod groups.
type protBlock struct {
	n      int // data slots
	groups int // Dp
}

func (b protBlock) slots(m int) int { return b.n + b.groups*m }

// dataSlot returns the index among the block's data slots of data row i of group g, or -1
// when the block has no such row (a zero shard, not stored).
func (b protBlock) dataSlot(g, i int) int {
	if j := i*b.groups + g; j < b.n {
		return j
	}
	return -1
}

// paritySlot returns the index among the block's parity slots of parity row i of group g.
func (b protBlock) paritySlot(g, i int) int {
	return i*b.groups + ((g-b.n)%b.groups+b.groups)%b.groups
}

// protSum is the CRC-32C of a slot: its index, then its shard.
func protSum(shard []byte, index int64) uint32 {
	// The 8 index bytes go through the table by hand: a slice of them would escape to the heap
	// on every slot.
	state := ^uint32(0)
	for i := range 8 {
		state = protTable[byte(state)^byte(uint64(index)>>(8*i))] ^ state>>8
	}
	return crc32.Update(^state, protTable, shard)
}

// protSeal writes the CRC-32C at the end of a slot.
func protSeal(slot []byte, index int64) {
	n := len(slot) - protCRCSize
	binary.LittleEndian.PutUint32(slot[n:], protSum(slot[:n], index))
}

// protIntact tells whether a slot's CRC-32C matches its content and index.
func protIntact(slot []byte, index int64) bool {
	n := len(slot) - protCRCSize
	return binary.LittleEndian.Uint32(slot[n:]) == protSum(slot[:n], index)
}

// protTrailer is what a trailer copy records beyond the parameters.
type protTrailer struct {
	p      protParams
	length int64  // bytes of the original
	groups int64  // groups in the container
	sum    uint32 // CRC-32C of the original
}

func (p protParams) putShape(b []byte) {
	binary.LittleEndian.PutUint16(b[8:], protVersion)
	binary.LittleEndian.PutUint16(b[10:], uint16(p.k))
	binary.LittleEndian.PutUint16(b[12:], uint16(p.m))
	binary.LittleEndian.PutUint16(b[14:], uint16(p.depth))
	binary.LittleEndian.PutUint32(b[16:], uint32(p.slot))
}

func protShape(b []byte) (protParams, uint16) {
	return protParams{
		k:     int(binary.LittleEndian.Uint16(b[10:])),
		m:     int(binary.LittleEndian.Uint16(b[12:])),
		depth: int(binary.LittleEndian.Uint16(b[14:])),
		slot:  int(binary.LittleEndian.Uint32(b[16:])),
	}, binary.LittleEndian.Uint16(b[8:])
}

// encodeHeader fills a header slot.
func (p protParams) encodeHeader(slot []byte) {
	clear(slot)
	copy(slot, protHeaderMagic)
	p.putShape(slot)
	binary.LittleEndian.PutUint32(slot[28:], crc32.Checksum(slot[:28], protTable))
}

// encodeTrailer fills a trailer slot: zeros, then the trailer in its last 48 bytes.
func (t protTrailer) encode(slot []byte) {
	clear(slot)
	b := slot[len(slot)-protTrailerSize:]
	copy(b, protTrailerMagic)
	t.p.putShape(b)
	binary.LittleEndian.PutUint32(b[20:], t.sum)
	binary.LittleEndian.PutUint64(b[24:], uint64(t.length))
	binary.LittleEndian.PutUint64(b[32:], uint64(t.groups))
	binary.LittleEndian.PutUint32(b[44:], crc32.Checksum(b[:44], protTable))
}

// protCopyState is what a header or trailer copy turned out to be.
type protCopyState int

const (
	protAbsent      protCopyState = iota // no magic
	protDamaged                          // magic or checksum wrong
	protUnsupported                      // checks out, but a version or shape not read here
	protGood
)

func decodeHeader(b []byte) (protParams, protCopyState) {
	if len(b) < protHeaderSize {
		return protParams{}, protAbsent
	}
	b = b[:protHeaderSize]
	if binary.LittleEndian.Uint32(b[28:]) != crc32.Checksum(b[:28], protTable) {
		if bytes.Equal(b[:8], protHeaderMagic) {
			return protParams{}, protDamaged
		}
		return protParams{}, protAbsent
	}
	p, version := protShape(b)
	if !bytes.Equal(b[:8], protHeaderMagic) {
		return protParams{}, protDamaged
	}
	if version != protVersion || !p.valid() {
		return protParams{}, protUnsupported
	}
	return p, protGood
}

func decodeTrailer(b []byte) (protTrailer, protCopyState) {
	if len(b) < protTrailerSize {
		return protTrailer{}, protAbsent
	}
	b = b[:protTrailerSize]
	if binary.LittleEndian.Uint32(b[44:]) != crc32.Checksum(b[:44], protTable) {
		if bytes.Equal(b[:8], protTrailerMagic) {
			return protTrailer{}, protDamaged
		}
		return protTrailer{}, protAbsent
	}
	p, version := protShape(b)
	if !bytes.Equal(b[:8], protTrailerMagic) {
		return protTrailer{}, protDamaged
	}
	t := protTrailer{
		p:      p,
		sum:    binary.LittleEndian.Uint32(b[20:]),
		length: int64(binary.LittleEndian.Uint64(b[24:])),
		groups: int64(binary.LittleEndian.Uint64(b[32:])),
	}
	if version != protVersion || !p.valid() || t.length < 0 || t.groups < 0 {
		return protTrailer{}, protUnsupported
	}
	return t, protGood
}

// IsProtected tells from the first bytes of a file (8 are enough) whether it is a protected
// container. Only the header's magic is looked at: a container whose header is damaged is not
// recognised here, though Unprotect still reads it from its trailers.
func IsProtected(head []byte) bool {
	return len(head) >= len(protHeaderMagic) && bytes.Equal(head[:len(protHeaderMagic)], protHeaderMagic)
}

// NewProtectedWriter returns a writer that protects everything written to it and writes the
// container to w, one interlace block at a time. Close writes the last block and the trailers;
// it does not close w. r must be low, medium or high: with redundancy off, write the zip as is.
func NewProtectedWriter(w io.Writer, r Redundancy, il Interlacing) (io.WriteCloser, error) {
	p, err := protParamsFor(r, il)
	if err != nil {
		return nil, err
	}
	return newProtWriter(w, p)
}

// protWriter builds a container. data holds the slots of the block being filled; parity holds
// the parity slots of the last completed block, written only when more data comes or at Close
// (trailer A goes before the parity of the last block).
type protWriter struct {
	w       io.Writer
	p       protParams
	enc     reedsolomon.Encoder
	data    []byte // D*k slots
	parity  []byte // D*m slots
	zero    []byte // a zero shard, for the rows a short group lacks
	shards  [][]byte
	n       int   // complete data shards in data
	fill    int   // bytes in shard n
	pending int   // parity slots waiting in parity
	block   int64 // index of the block being filled
	length  int64
	sum     uint32
	groups  int64
	started bool
	closed  bool
	err     error
}

func newProtWriter(w io.Writer, p protParams) (*protWriter, error) {
	if !p.valid() {
		return nil, fmt.Errorf("backup: protected container shape %+v out of range", p)
	}
	enc, err := reedsolomon.New(p.k, p.m, reedsolomon.WithMaxGoroutines(1))
	if err != nil {
		return nil, fmt.Errorf("backup: reed-solomon %d+%d: %w", p.k, p.m, err)
	}
	return &protWriter{
		w:      w,
		p:      p,
		enc:    enc,
		data:   make([]byte, p.depth*p.k*p.slot),
		parity: make([]byte, p.depth*p.m*p.slot),
		zero:   make([]byte, p.shard()),
		shards: make([][]byte, p.k+p.m),
	}, nil
}

func (pw *protWriter) Write(b []byte) (int, error) {
	if pw.err != nil {
		return 0, pw.err
	}
	if pw.closed {
		return 0, ErrProtectedWriterClosed
	}
	if err := pw.start(); err != nil {
		return 0, err
	}
	done := 0
	shard := pw.p.shard()
	for len(b) > 0 {
		if err := pw.flushParity(); err != nil {
			return done, err
		}
		at := pw.n * pw.p.slot
		c := copy(pw.data[at+pw.fill:at+shard], b)
		pw.sum = crc32.Update(pw.sum, protTable, b[:c])
		pw.fill += c
		pw.length += int64(c)
		done += c
		b = b[c:]
		if pw.fill < shard {
			continue
		}
		pw.n, pw.fill = pw.n+1, 0
		if pw.n == pw.p.depth*pw.p.k {
			if err := pw.finishBlock(); err != nil {
				return done, err
			}
		}
	}
	return done, nil
}

// Close writes the last block, trailer A, the last parity and trailer B. It does not close the
// underlying writer.
func (pw *protWriter) Close() error {
	if pw.closed || pw.err != nil {
		return pw.err
	}
	pw.closed = true
	if err := pw.start(); err != nil {
		return err
	}
	if pw.fill > 0 {
		at := pw.n*pw.p.slot + pw.fill
		clear(pw.data[at : pw.n*pw.p.slot+pw.p.shard()])
		pw.n, pw.fill = pw.n+1, 0
	}
	if pw.n > 0 {
		if err := pw.finishBlock(); err != nil {
			return err
		}
	}
	slot := pw.data[:pw.p.slot]
	t := protTrailer{p: pw.p, length: pw.length, groups: pw.groups, sum: pw.sum}
	t.encode(slot)
	if err := pw.emit(slot); err != nil {
		return err
	}
	if err := pw.flushParity(); err != nil {
		return err
	}
	t.encode(slot)
	return pw.emit(slot)
}

// start writes the header slot before the first byte of anything else.
func (pw *protWriter) start() error {
	if pw.started {
		return nil
	}
	pw.started = true
	slot := pw.data[:pw.p.slot]
	pw.p.encodeHeader(slot)
	return pw.emit(slot)
}

// finishBlock seals and writes the data slots of the current block and computes its parity,
// which waits in pw.parity.
func (pw *protWriter) finishBlock() error {
	blk := pw.p.block(pw.n)
	first := pw.block * pw.p.blockSlots()
	for j := range blk.n {
		protSeal(pw.data[j*pw.p.slot:(j+1)*pw.p.slot], first+int64(j))
	}
	if err := pw.emit(pw.data[:blk.n*pw.p.slot]); err != nil {
		return err
	}
	shard := pw.p.shard()
	for g := range blk.groups {
		for i := range pw.p.k {
			if j := blk.dataSlot(g, i); j >= 0 {
				pw.shards[i] = pw.data[j*pw.p.slot : j*pw.p.slot+shard]
			} else {
				pw.shards[i] = pw.zero
			}
		}
		for i := range pw.p.m {
			q := blk.paritySlot(g, i)
			pw.shards[pw.p.k+i] = pw.parity[q*pw.p.slot : q*pw.p.slot+shard]
		}
		if err := pw.enc.Encode(pw.shards); err != nil {
			pw.err = fmt.Errorf("backup: encode parity: %w", err)
			return pw.err
		}
	}
	pw.pending = blk.groups * pw.p.m
	for q := range pw.pending {
		protSeal(pw.parity[q*pw.p.slot:(q+1)*pw.p.slot], first+int64(blk.n+q))
	}
	pw.groups += int64(blk.groups)
	pw.block++
	pw.n = 0
	return nil
}

func (pw *protWriter) flushParity() error {
	if pw.pending == 0 {
		return nil
	}
	n := pw.pending
	pw.pending = 0
	return pw.emit(pw.parity[:n*pw.p.slot])
}

func (pw *protWriter) emit(b []byte) error {
	if _, err := pw.w.Write(b); err != nil {
		pw.err = fmt.Errorf("backup: write protected container: %w", err)
		return pw.err
	}
	return nil
}

// RepairReport says what Unprotect found and mended.
type RepairReport struct {
	Groups         int // groups checked
	DamagedShards  int // stored shards whose CRC-32C failed
	RepairedShards int // damaged shards rebuilt from the rest of their group
	DamagedCopies  int // header or trailer copies that failed their check (another copy stood in)
	// DamagedRanges are the byte ranges [start, end) of the container found damaged: whole
	// slots, or the header or trailer record. Sorted; touching ranges are merged.
	DamagedRanges [][2]int64
}

func (rep *RepairReport) damaged(start, end int64) {
	rep.DamagedRanges = append(rep.DamagedRanges, [2]int64{start, end})
}

// tidy sorts and merges the damaged ranges.
func (rep *RepairReport) tidy() {
	slices.SortFunc(rep.DamagedRanges, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	out := rep.DamagedRanges[:0]
	for _, r := range rep.DamagedRanges {
		if len(out) > 0 && r[0] <= out[len(out)-1][1] {
			out[len(out)-1][1] = max(out[len(out)-1][1], r[1])
			continue
		}
		out = append(out, r)
	}
	rep.DamagedRanges = out
}

// protContainer is a container's shape as read from its header, trailers and size.
type protContainer struct {
	p        protParams
	t        protTrailer
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

// protLayout derives the number of blocks and the shape of the last one from the file size:
// the slot count after the header and trailers determines them.
func protLayout(p protParams, size int64) (*protContainer, error) {
	slot := int64(p.slot)
	if size%slot != 0 || size < 3*slot {
		return nil, fmt.Errorf("container size %d is not a whole number (3 or more) of %d-byte slots, cut short or extended: %w", size, slot, ErrUnrepairable)
	}
	c := &protContainer{p: p}
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
		return nil, fmt.Errorf("container size %d does not fit its shape, cut short or extended: %w", size, ErrUnrepairable)
	}
	c.last = p.block(n)
	c.trailerA = slot * (1 + (c.blocks-1)*bs + int64(n))
	return c, nil
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

// protOpen reads the header and trailers of a container of the given size and derives its
// layout, noting damaged copies in rep.
func protOpen(r io.ReaderAt, size int64, rep *RepairReport) (*protContainer, error) {
	p, tb, ts, err := protShapeOf(r, size, rep)
	if err != nil {
		return nil, err
	}
	c, err := protLayout(p, size)
	if err != nil {
		return nil, err
	}
	var tail [protTrailerSize]byte
	aOff := c.trailerA + int64(p.slot) - protTrailerSize
	if err := protReadAt(r, tail[:], aOff); err != nil {
		return nil, err
	}
	ta, as := decodeTrailer(tail[:])
	if as != protGood || ta.p != p {
		rep.DamagedCopies++
		rep.damaged(aOff, aOff+protTrailerSize)
		as = protDamaged
	}
	switch {
	case ts == protGood && as == protGood && ta != tb:
		return nil, fmt.Errorf("the two trailer copies disagree: %w", ErrUnrepairable)
	case ts == protGood:
		c.t = tb
	case as == protGood:
		rep.DamagedCopies++
		rep.damaged(size-protTrailerSize, size)
		c.t = ta
	default:
		return nil, fmt.Errorf("both trailer copies damaged, the original length is lost: %w", ErrUnrepairable)
	}
	return c, c.check()
}

// protShapeOf reads the header and trailer B and returns the shape they agree on, with
// trailer B and what became of it.
func protShapeOf(r io.ReaderAt, size int64, rep *RepairReport) (protParams, protTrailer, protCopyState, error) {
	if size < 0 {
		return protParams{}, protTrailer{}, protAbsent, fmt.Errorf("backup: negative container size %d", size)
	}
	var p protParams
	var tb protTrailer
	hs, ts := protAbsent, protAbsent
	if size >= protHeaderSize {
		var head [protHeaderSize]byte
		if err := protReadAt(r, head[:], 0); err != nil {
			return p, tb, ts, err
		}
		p, hs = decodeHeader(head[:])
	}
	if size >= protTrailerSize {
		var tail [protTrailerSize]byte
		if err := protReadAt(r, tail[:], size-protTrailerSize); err != nil {
			return p, tb, ts, err
		}
		tb, ts = decodeTrailer(tail[:])
	}
	var err error
	switch {
	case hs == protGood && ts == protGood && tb.p != p:
		err = fmt.Errorf("header and trailer disagree on the shape: %w", ErrUnrepairable)
	case hs == protAbsent && ts == protAbsent:
		err = ErrNotProtected
	case hs != protGood && ts != protGood && (hs == protUnsupported || ts == protUnsupported):
		err = ErrUnsupportedProtection
	case hs != protGood && ts != protGood:
		err = fmt.Errorf("header and last trailer both damaged: %w", ErrUnrepairable)
	case hs != protGood:
		p = tb.p
		rep.DamagedCopies++
		rep.damaged(0, min(size, protHeaderSize))
	}
	return p, tb, ts, err
}

// check holds the trailer's length and group count against the layout the size gave.
func (c *protContainer) check() error {
	shards := (c.t.length + int64(c.p.shard()) - 1) / int64(c.p.shard())
	if shards != c.dataShards() || c.t.groups != c.groups() {
		return fmt.Errorf("trailer says %d bytes in %d groups, the size holds %d shards in %d groups: %w",
			c.t.length, c.t.groups, c.dataShards(), c.groups(), ErrUnrepairable)
	}
	return nil
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

// Unprotect reads a protected container of the given size, checks every shard, repairs what
// parity allows, and writes the original bytes to w, in order, one interlace block at a time.
// A group with more damaged shards than parity shards stops it with ErrUnrepairable (wrapped
// with the group and the damaged offsets); the blocks before it have already been written to
// w. Damage never reaches w unrepaired: every shard written either passed its CRC-32C or was
// rebuilt from shards that did, and the whole output is checked against the trailer's CRC-32C.
// The report covers what was read, on error too.
func Unprotect(r io.ReaderAt, size int64, w io.Writer) (RepairReport, error) {
	var rep RepairReport
	c, err := protOpen(r, size, &rep)
	if err != nil {
		rep.tidy()
		return rep, err
	}
	u, err := newProtReader(r, c, w, &rep)
	if err == nil {
		err = u.run()
	}
	rep.tidy()
	return rep, err
}

// protReader repairs and writes a container block by block.
type protReader struct {
	r      io.ReaderAt
	c      *protContainer
	w      io.Writer
	rep    *RepairReport
	enc    reedsolomon.Encoder
	buf    []byte // the slots of one block: data, then parity
	bad    []bool // per slot of buf: failed its CRC
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
		if err := u.readBlock(b); err != nil {
			return err
		}
	}
	if u.sum != u.c.t.sum {
		return fmt.Errorf("restored bytes fail the trailer's CRC-32C: %w", ErrUnrepairable)
	}
	return nil
}

// readBlock reads block b, checks its slots, repairs its groups and writes its data.
func (u *protReader) readBlock(b int64) error {
	p := u.c.p
	blk, dataOff, parityOff := u.c.blockAt(b)
	slot := int64(p.slot)
	nd := blk.n * p.slot
	total := blk.slots(p.m)
	if err := protReadAt(u.r, u.buf[:nd], dataOff); err != nil {
		return err
	}
	if err := protReadAt(u.r, u.buf[nd:total*p.slot], parityOff); err != nil {
		return err
	}
	first := b * p.blockSlots()
	for s := range total {
		u.bad[s] = !protIntact(u.buf[s*p.slot:(s+1)*p.slot], first+int64(s))
		if u.bad[s] {
			off := dataOff + int64(s)*slot
			if s >= blk.n {
				off = parityOff + int64(s-blk.n)*slot
			}
			u.rep.DamagedShards++
			u.rep.damaged(off, off+slot)
		}
	}
	for g := range blk.groups {
		if err := u.repairGroup(b, blk, g, dataOff, parityOff); err != nil {
			return err
		}
	}
	u.rep.Groups += blk.groups
	return u.writeData(blk)
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

// writeData packs the block's shards together, cuts the padding after the original's end and
// writes them.
func (u *protReader) writeData(blk protBlock) error {
	p := u.c.p
	shard := p.shard()
	for j := 1; j < blk.n; j++ {
		copy(u.buf[j*shard:(j+1)*shard], u.buf[j*p.slot:j*p.slot+shard])
	}
	n := min(int64(blk.n*shard), u.left)
	out := u.buf[:n]
	u.left -= n
	u.sum = crc32.Update(u.sum, protTable, out)
	if _, err := u.w.Write(out); err != nil {
		return fmt.Errorf("backup: write unprotected data: %w", err)
	}
	return nil
}
