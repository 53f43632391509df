package journal

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

const (
	readBufSize = 1 << 20  // bufio buffer: records up to this size are decoded in place
	slabSize    = 64 << 10 // Key and Values of returned records are carved from slabs this big
	// maxResync bounds how many bytes after a damaged record are examined to tell a torn tail
	// from corruption. More than that is never called a torn tail: truncating it would drop
	// too much.
	maxResync = 2*MaxRecordSize + readBufSize
)

// Reader reads the records of a log file in order. It is not safe for concurrent use.
type Reader struct {
	path    string
	br      *bufio.Reader
	closer  io.Closer
	hdr     Header
	size    int64 // total bytes of the log, math.MaxInt64 when unknown
	off     int64 // end of the last good record
	lastOp  uint64
	hasLast bool
	err     error // the end: io.EOF, a torn tail, corruption, a read error or ErrClosed

	big  []byte // frame and body of a record larger than the bufio buffer
	slab []byte // backing store for Key and Values

	// The previous record's strings, reused when the next record repeats them.
	sysUser, user, table string
}

// OpenReader opens the log file at path and checks its header. A file that is not a log (too
// short, wrong magic, header checksum mismatch) gives a *CorruptError at offset 0 that matches
// both ErrCorrupt and ErrNotLog.
func OpenReader(fsys FS, path string) (*Reader, error) {
	f, err := fsys.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, &IOError{Op: "open", Path: path, Err: err}
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &IOError{Op: "stat", Path: path, Err: err}
	}
	r, err := newReader(f, fi.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// OpenRange opens the log file at path to read the records in its bytes from..to: from is
// where a record starts (HeaderSize, or where a Reader's Offset got to) and to where one ends
// (a Writer's Size). It reads a log that a Writer goes on appending to, up to what was
// written. The header is checked as OpenReader does; Offset counts from the file's start.
func OpenRange(fsys FS, path string, from, to int64) (*Reader, error) {
	f, err := fsys.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, &IOError{Op: "open", Path: path, Err: err}
	}
	hb := make([]byte, HeaderSize)
	n, err := f.ReadAt(hb, 0)
	if err != nil && err != io.EOF {
		f.Close()
		return nil, &IOError{Op: "read", Path: path, Err: err}
	}
	from, to = max(from, HeaderSize), max(to, from)
	src := io.MultiReader(bytes.NewReader(hb[:n]), io.NewSectionReader(f, from, to-from))
	r, err := newReader(src, HeaderSize+to-from, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.off, r.size, r.closer = from, to, f
	return r, nil
}

// NewReader reads a log from r, which holds size bytes in all (header included; a negative
// size means unknown). Bytes after size are ignored. The size lets the reader tell a record cut
// short by the end of the log from a damaged length without reading it.
func NewReader(r io.Reader, size int64) (*Reader, error) {
	return newReader(r, size, "")
}

func newReader(src io.Reader, size int64, path string) (*Reader, error) {
	if size < 0 {
		size = math.MaxInt64
	} else {
		src = io.LimitReader(src, size)
	}
	bufSize := readBufSize
	if size < int64(bufSize) {
		bufSize = max(int(size), 4096)
	}
	r := &Reader{path: path, br: bufio.NewReaderSize(src, bufSize), size: size, off: HeaderSize}
	var hb [HeaderSize]byte
	n, err := io.ReadFull(r.br, hb[:])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, &IOError{Op: "read", Path: path, Err: err}
	}
	h, reason := parseHeader(hb[:n])
	if reason != "" {
		return nil, &CorruptError{Path: path, Offset: 0, Reason: reason}
	}
	r.hdr = h
	return r, nil
}

// Header returns the log's header.
func (r *Reader) Header() Header { return r.hdr }

// Offset returns the offset just after the last good record (HeaderSize before the first).
func (r *Reader) Offset() int64 { return r.off }

// Close closes the underlying file, if the Reader opened it. Next then returns ErrClosed.
func (r *Reader) Close() error {
	if r.err == ErrClosed {
		return nil
	}
	r.err = ErrClosed
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// Next returns the next record. At the end it returns io.EOF when the log ends cleanly, a
// *TornTailError when it ends with a record that is incomplete or damaged and nothing valid
// follows, and a *CorruptError when a damaged record is followed by a valid one or operation
// numbers do not increase. Once it returns an error it returns the same error again.
//
// The Key and Values of the returned record stay valid after later calls.
func (r *Reader) Next() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	var v bodyView
	n, err := r.read(&v)
	if err != nil {
		r.err = err
		return Record{}, err
	}
	rec := r.record(&v)
	if _, err := r.br.Discard(n); err != nil {
		r.err = &IOError{Op: "read", Path: r.path, Err: err}
		return Record{}, r.err
	}
	return rec, nil
}

// read decodes the record at r.off into v and advances r.off. It returns how many buffered
// bytes the record still occupies in r.br (the caller discards them once v is copied).
func (r *Reader) read(v *bodyView) (int, error) {
	frame, err := r.br.Peek(frameSize)
	if err != nil {
		if err == io.EOF && len(frame) == 0 {
			return 0, io.EOF
		}
		return 0, r.readFailed(err, "incomplete record header", nil)
	}
	n := binary.LittleEndian.Uint32(frame)
	if n < minBodySize || n > MaxRecordSize {
		return 0, r.damaged(fmt.Sprintf("record length %d out of range", n), nil)
	}
	total := frameSize + int(n)
	if r.off+int64(total) > r.size {
		return 0, r.damaged(fmt.Sprintf("record of %d bytes runs past the end of the log", total), nil)
	}
	var buf []byte
	discard := total
	if total <= r.br.Size() {
		if buf, err = r.br.Peek(total); err != nil {
			return 0, r.readFailed(err, "incomplete record", nil)
		}
	} else {
		if cap(r.big) < total {
			r.big = make([]byte, total)
		}
		buf, discard = r.big[:total], 0
		if k, err := io.ReadFull(r.br, buf); err != nil {
			return 0, r.readFailed(err, "incomplete record", buf[:k])
		}
	}
	if frameCRC(buf[:4], buf[frameSize:]) != binary.LittleEndian.Uint32(buf[4:]) {
		return 0, r.damaged("checksum mismatch", buf[:total-discard])
	}
	if reason := parseBody(buf[frameSize:], v); reason != "" {
		return 0, r.damaged(reason, buf[:total-discard])
	}
	if !r.inOrder(v.op) {
		return 0, &CorruptError{Path: r.path, Offset: r.off, Reason: r.orderReason(v.op)}
	}
	r.off += int64(total)
	r.lastOp, r.hasLast = v.op, true
	return discard, nil
}

// inOrder reports whether op may follow the last good record.
func (r *Reader) inOrder(op uint64) bool {
	if r.hasLast {
		return op > r.lastOp
	}
	return op >= r.hdr.FirstOp
}

func (r *Reader) orderReason(op uint64) string {
	if r.hasLast {
		return fmt.Sprintf("operation %d does not follow operation %d", op, r.lastOp)
	}
	return fmt.Sprintf("operation %d is below the log's first operation %d", op, r.hdr.FirstOp)
}

// readFailed handles an error from the underlying reader: the end of the data is damage to
// classify, anything else is a read error.
func (r *Reader) readFailed(err error, reason string, consumed []byte) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return r.damaged(reason, consumed)
	}
	return &IOError{Op: "read", Path: r.path, Err: err}
}

// damaged decides what the bad record at r.off is. consumed holds its bytes already taken
// from r.br (for a record too large to peek). The bytes from r.off to the end are examined:
// the clean end (io.EOF) when they are all zero, a torn tail when no valid record starts
// anywhere in them after r.off, else corruption at r.off.
func (r *Reader) damaged(reason string, consumed []byte) error {
	rest := append([]byte(nil), consumed...)
	tail, err := io.ReadAll(io.LimitReader(r.br, maxResync+1-int64(len(rest))))
	if err != nil {
		return &IOError{Op: "read", Path: r.path, Err: err}
	}
	rest = append(rest, tail...)
	if len(rest) > maxResync {
		return &CorruptError{Path: r.path, Offset: r.off,
			Reason: reason + ", followed by more data than a torn write can leave"}
	}
	if allZero(rest) {
		// Space the writer reserved ahead (zeros), or a write that never reached the disk:
		// nothing was lost, the log ends here.
		return io.EOF
	}
	if at := r.findValid(rest); at > 0 {
		return &CorruptError{Path: r.path, Offset: r.off,
			Reason: fmt.Sprintf("%s (a valid record follows at offset %d)", reason, r.off+int64(at))}
	}
	return &TornTailError{Path: r.path, Offset: r.off, Bytes: int64(len(rest))}
}

// findValid returns the first position after 0 in b where a valid record starts (sane length
// within b, body that decodes, operation in order, checksum), or 0 if there is none. The
// checksum is computed last: the other checks cost the same for any record size.
func (r *Reader) findValid(b []byte) int {
	var v bodyView
	for p := 1; p+frameSize+minBodySize <= len(b); p++ {
		n := binary.LittleEndian.Uint32(b[p:])
		if n < minBodySize || n > MaxRecordSize || uint64(len(b)-p-frameSize) < uint64(n) {
			continue
		}
		rec := b[p : p+frameSize+int(n)]
		if parseBody(rec[frameSize:], &v) != "" || !r.inOrder(v.op) {
			continue
		}
		if frameCRC(rec[:4], rec[frameSize:]) == binary.LittleEndian.Uint32(rec[4:]) {
			return p
		}
	}
	return 0
}

func allZero(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	return bytes.Count(b, []byte{0}) == len(b)
}

// record copies a decoded body out of the read buffer.
func (r *Reader) record(v *bodyView) Record {
	return Record{
		Op:         v.op,
		Time:       fromNanos(v.nanos),
		Action:     v.action,
		Process:    v.process,
		SystemUser: intern(&r.sysUser, v.sysUser),
		User:       intern(&r.user, v.user),
		Table:      intern(&r.table, v.table),
		Key:        r.keep(v.key),
		RecordNum:  v.recNum,
		Size:       v.size,
		Values:     r.keep(v.values),
	}
}

// intern returns *last when b spells it, else a new string that becomes *last.
func intern(last *string, b []byte) string {
	if string(b) != *last {
		*last = string(b)
	}
	return *last
}

// keep copies b into the current slab (a fresh slice for large b). The result's capacity is
// its length, so appending to it never touches a neighbour.
func (r *Reader) keep(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	if len(b) > slabSize/8 {
		return bytes.Clone(b)
	}
	if cap(r.slab)-len(r.slab) < len(b) {
		r.slab = make([]byte, 0, slabSize)
	}
	s := len(r.slab)
	r.slab = append(r.slab, b...)
	return r.slab[s:len(r.slab):len(r.slab)]
}

// ReadAll reads a whole log file. A torn tail is not an error: the records before it are
// returned with tail describing it. Any other failure returns the records read before it.
func ReadAll(fsys FS, path string) (Header, []Record, *TornTailError, error) {
	r, err := OpenReader(fsys, path)
	if err != nil {
		return Header{}, nil, nil, err
	}
	defer r.Close()
	var recs []Record
	for {
		rec, err := r.Next()
		if err == nil {
			recs = append(recs, rec)
			continue
		}
		var torn *TornTailError
		switch {
		case err == io.EOF:
			return r.hdr, recs, nil, nil
		case errors.As(err, &torn):
			return r.hdr, recs, torn, nil
		}
		return r.hdr, recs, nil, err
	}
}
