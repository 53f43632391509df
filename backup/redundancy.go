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
// the original length, the number of groups and the CRC-32C of the original bytes.
//
// # Finding the shape
//
// The commonest damage of a copied file changes its length: a copy cut short, junk after its
// end. So the layout is never taken from the file's size but from a trailer copy: its length
// and shape give the container's size as written, hence where every slot is and where both
// trailers lie. Unprotect looks for the last trailer copy in the file that checks out, agrees
// with the header when the header checks out, and lies where the container it describes puts
// trailer B or trailer A (protFindTrailer). Slots all end on multiples of the slot size (of 64
// bytes, the smallest, when the header is lost), so only those ends are looked at: an intact
// container's trailer B is the first, a container cut short has its trailer A a few slots back,
// one with bytes appended has its trailer B before them, however many. A file cut short is
// then read as the container it was, the slots it lost at its end being damaged ones, and the
// bytes after the container's end are ignored (RepairReport's Missing and Extra).
//
// Losing the header or one trailer copy costs nothing, nor does losing the header and trailer
// B together; both trailers lost is beyond repair, the original length being lost with them.
// A cut is repaired as long as trailer A survives it: the last block's parity and trailer B
// may go, Dp*m+1 slots, so m+1 when the last block holds one data shard and D*m+1 when it is
// full. As TestRedundancyLengthChanged measures them:
//
//	cut short by up to    none (D=1)   low (D=4)    medium (D=16)   high (D=64)
//	low    (m=1)          8 KiB        8-20 KiB     8-68 KiB        8-260 KiB
//	medium (m=2)          12 KiB       12-36 KiB    12-132 KiB      12-516 KiB
//	high   (m=4)          20 KiB       20-68 KiB    20-260 KiB      20-1028 KiB
//
// Bytes appended are ignored at every level (1 B, 4 KiB and 1 MiB measured).
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
// # Reading in place
//
// Verify and restore write no copy of an archive: readProtected checks the container whole
// as Unprotect does, writing nothing, then protZip reads the zip's bytes straight out of the
// container, an io.ReaderAt that maps an offset of the original to its data slot, past the
// header, the CRCs, the parity and trailer A. Its slots are read whole and checked again; a
// block with one that fails is repaired in memory, so a damaged archive is read in place too.
//
// Unprotect checks a header's shape against limits (k+m <= 256, D <= 1024, slots of 64 B to
// 1 MiB, a block of at most 64 MiB) before sizing anything from it; what it allocates for a
// file cut short is at most the parity of the data the file still holds. A protected writer
// is not safe for concurrent use; Unprotect may run concurrently on different readers, and a
// protZip is safe for concurrent use.

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
	DamagedShards  int // stored shards whose CRC-32C failed, or that a file cut short lost
	RepairedShards int // damaged shards rebuilt from the rest of their group
	DamagedCopies  int // header or trailer copies that failed their check or were lost (another copy stood in)
	// Missing is how many bytes the file lacks at its end (a copy cut short): the slots they
	// held are counted and repaired as damaged ones. Extra is how many bytes follow the
	// container's end (junk appended): they are ignored.
	Missing, Extra int64
	// DamagedRanges are the byte ranges [start, end) of the container as written found
	// damaged or lost: whole slots, or the header or trailer record. Sorted; touching ranges
	// are merged.
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
