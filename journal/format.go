package journal

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"time"
)

// Sizes and constants of the format (see the package documentation for the layout).
const (
	// HeaderSize is the length of the file header.
	HeaderSize = 64
	// FormatVersion is the version this package writes and reads.
	FormatVersion = 1
	// MaxRecordSize is the largest record body the format accepts.
	MaxRecordSize = 512 << 20

	frameSize   = 8  // uint32 body length, uint32 CRC
	minBodySize = 11 // the 11 body fields at their shortest: one byte each
)

var (
	magic      = [8]byte{'H', 'F', 'J', 'R', 'N', 'L', 0, 1}
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
)

// nanos stores a time as Unix nanoseconds, the zero Time as 0.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos is the inverse of nanos.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// appendHeader appends the 64-byte file header.
func appendHeader(dst []byte, h Header) []byte {
	start := len(dst)
	dst = append(dst, magic[:]...)
	dst = binary.LittleEndian.AppendUint16(dst, FormatVersion)
	dst = binary.LittleEndian.AppendUint16(dst, HeaderSize)
	dst = append(dst, h.DBID[:]...)
	dst = binary.LittleEndian.AppendUint32(dst, h.BackupNum)
	dst = binary.LittleEndian.AppendUint64(dst, h.FirstOp)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(nanos(h.Created)))
	dst = append(dst, make([]byte, 12)...)
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// parseHeader checks and decodes a file header. A non-empty reason says why b is not one.
func parseHeader(b []byte) (h Header, reason string) {
	if len(b) < HeaderSize {
		return h, fmt.Sprintf("%d bytes, shorter than a %d-byte header", len(b), HeaderSize)
	}
	if !bytes.Equal(b[:8], magic[:]) {
		return h, "wrong magic number"
	}
	le := binary.LittleEndian
	if v := le.Uint16(b[8:]); v != FormatVersion {
		return h, fmt.Sprintf("unsupported format version %d", v)
	}
	if n := le.Uint16(b[10:]); n != HeaderSize {
		return h, fmt.Sprintf("header length %d, want %d", n, HeaderSize)
	}
	if crc32.Checksum(b[:60], castagnoli) != le.Uint32(b[60:]) {
		return h, "header checksum mismatch"
	}
	copy(h.DBID[:], b[12:28])
	h.BackupNum = le.Uint32(b[28:])
	h.FirstOp = le.Uint64(b[32:])
	h.Created = fromNanos(int64(le.Uint64(b[40:])))
	return h, ""
}

// appendRecord appends one framed record. On error dst is returned unchanged.
func appendRecord(dst []byte, rec *Record) ([]byte, error) {
	if !rec.Action.Valid() {
		return dst, fmt.Errorf("%w: operation %d has unknown action %d", ErrBadRecord, rec.Op, rec.Action)
	}
	// Refuse before copying: the body holds at least every variable part.
	n := len(rec.SystemUser) + len(rec.User) + len(rec.Table) + len(rec.Key) + len(rec.Values)
	if n > MaxRecordSize {
		return dst, fmt.Errorf("%w: operation %d holds %d bytes, the limit is %d",
			ErrTooLarge, rec.Op, n, MaxRecordSize)
	}
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0)
	dst = binary.AppendUvarint(dst, rec.Op)
	dst = binary.AppendVarint(dst, nanos(rec.Time))
	dst = append(dst, byte(rec.Action))
	dst = binary.AppendUvarint(dst, uint64(rec.Process))
	dst = appendBytes(dst, rec.SystemUser)
	dst = appendBytes(dst, rec.User)
	dst = appendBytes(dst, rec.Table)
	dst = appendBytes(dst, rec.Key)
	dst = binary.AppendUvarint(dst, rec.RecordNum)
	dst = binary.AppendUvarint(dst, rec.Size)
	dst = appendBytes(dst, rec.Values)
	n = len(dst) - start - frameSize
	if n > MaxRecordSize {
		return dst[:start], fmt.Errorf("%w: operation %d is %d bytes, the limit is %d",
			ErrTooLarge, rec.Op, n, MaxRecordSize)
	}
	binary.LittleEndian.PutUint32(dst[start:], uint32(n))
	binary.LittleEndian.PutUint32(dst[start+4:], frameCRC(dst[start:start+4], dst[start+frameSize:]))
	return dst, nil
}

func appendBytes[T string | []byte](dst []byte, s T) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// frameCRC is the record checksum: CRC-32C of the length bytes followed by the body.
func frameCRC(length, body []byte) uint32 {
	return crc32.Update(crc32.Update(0, castagnoli, length), castagnoli, body)
}

// bodyView is a decoded record body whose byte fields still point into the buffer it was
// parsed from.
type bodyView struct {
	op      uint64
	nanos   int64
	action  Action
	process uint32
	sysUser []byte
	user    []byte
	table   []byte
	key     []byte
	recNum  uint64
	size    uint64
	values  []byte
}

// parseBody decodes a record body, which must be consumed exactly. A non-empty reason says why
// it does not decode. It only reads lengths and varints, so it costs the same for any body size.
func parseBody(b []byte, v *bodyView) (reason string) {
	d := decoder{b: b}
	v.op = d.uvarint()
	v.nanos = d.varint()
	v.action = Action(d.byte())
	p := d.uvarint()
	v.sysUser = d.bytes()
	v.user = d.bytes()
	v.table = d.bytes()
	v.key = d.bytes()
	v.recNum = d.uvarint()
	v.size = d.uvarint()
	v.values = d.bytes()
	switch {
	case d.bad:
		return "body does not decode"
	case len(d.b) != 0:
		return "body has trailing bytes"
	case !v.action.Valid():
		return "unknown action"
	case p > math.MaxUint32:
		return "process id out of range"
	}
	v.process = uint32(p)
	return ""
}

// decoder reads the fields of a body. After the first error it sets bad and returns zeros.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) uvarint() uint64 {
	if len(d.b) > 0 && d.b[0] < 0x80 {
		x := uint64(d.b[0])
		d.b = d.b[1:]
		return x
	}
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return x
}

func (d *decoder) varint() int64 {
	ux := d.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.bad = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.bad || n > uint64(len(d.b)) {
		d.bad, d.b = true, nil
		return nil
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}
