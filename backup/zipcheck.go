package backup

import (
	"archive/zip"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// The layout of a zip, read from its central directory and its local headers alone: where each
// entry's bytes are. archive/zip does not compare the entries with one another, so a forged
// central directory can point many entries at one local entry, or one entry's data at the
// bytes of the next (the "better zip bomb": a 1 MB archive that extracts to gigabytes, or that
// verify reads for minutes). checkLayout refuses such a zip before any entry's data is read.

// Zip record signatures and sizes (APPNOTE.TXT 4.3).
const (
	zipLocalSig     = 0x04034b50
	zipCentralSig   = 0x02014b50
	zipEndSig       = 0x06054b50
	zip64EndSig     = 0x06064b50
	zip64LocatorSig = 0x07064b50
	zipLocalLen     = 30
	zipCentralLen   = 46
	zipEndLen       = 22
	zip64EndLen     = 56
	zip64LocatorLen = 20
	zip64ExtraID    = 0x0001
	zipTailSearch   = 65 * 1024 // the end record and its comment are in the last 65 KiB
)

// errZipLayout: a zip whose directory cannot be read as archive/zip reads it (damage).
var errZipLayout = errors.New("backup: the zip's directory cannot be read")

// layoutError is an entry whose bytes are shared with another entry's or with the central
// directory: a forgery, refused with 1432.
type layoutError struct {
	name, why string
}

func (e *layoutError) Error() string { return fmt.Sprintf("entry %q %s", e.name, e.why) }

// span is the bytes of one entry: its local header and its data.
type span struct {
	name       string
	start, end int64
}

// checkLayout checks that the entries of zr, the zip held in r (size bytes), each occupy their
// own bytes: the ranges from each local header to the end of its data do not overlap, and all
// lie before the central directory. It reads the central directory and the local headers,
// nothing else. A layout that cannot be read is errZipLayout; a forged one a *layoutError.
func checkLayout(r io.ReaderAt, size int64, zr *zip.Reader) error {
	dirStart, base, err := centralDirectory(r, size)
	if err != nil {
		return err
	}
	offsets, err := headerOffsets(r, dirStart, size, zr.File)
	if err != nil {
		return err
	}
	spans := make([]span, len(zr.File))
	for i, f := range zr.File {
		s, err := entrySpan(r, base+offsets[i], f)
		if err != nil {
			return err
		}
		if s.end > dirStart {
			return &layoutError{f.Name, "runs into the zip's central directory"}
		}
		spans[i] = s
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			return &layoutError{spans[i].name, fmt.Sprintf("shares its bytes with entry %q (overlapping entries, a zip bomb)", spans[i-1].name)}
		}
	}
	return nil
}

// entrySpan reads the local header of f at off and returns the bytes f occupies. The data
// must start where archive/zip reads it from, so that what is checked is what is extracted.
func entrySpan(r io.ReaderAt, off int64, f *zip.File) (span, error) {
	var h [zipLocalLen]byte
	if off < 0 {
		return span{}, fmt.Errorf("%w: %s: its local header is before the start of the zip", errZipLayout, f.Name)
	}
	if _, err := r.ReadAt(h[:], off); err != nil || binary.LittleEndian.Uint32(h[0:]) != zipLocalSig {
		return span{}, fmt.Errorf("%w: %s: no local header at offset %d", errZipLayout, f.Name, off)
	}
	data := off + zipLocalLen + int64(binary.LittleEndian.Uint16(h[26:])) + int64(binary.LittleEndian.Uint16(h[28:]))
	if at, err := f.DataOffset(); err != nil || at != data {
		return span{}, &layoutError{f.Name, "is found at two different places by two readings of the zip"}
	}
	if f.CompressedSize64 > uint64(1<<62) {
		return span{}, &layoutError{f.Name, fmt.Sprintf("declares %d compressed bytes", f.CompressedSize64)}
	}
	return span{name: f.Name, start: off, end: data + int64(f.CompressedSize64)}, nil
}

// centralDirectory finds the central directory as archive/zip does: the end record in the last
// 65 KiB (the zip64 end record when the end record says so), and the offset of the zip's start
// within r (base: bytes prepended to the zip). dirStart is where the central directory begins.
func centralDirectory(r io.ReaderAt, size int64) (dirStart, base int64, err error) {
	n := min(size, zipTailSearch)
	tail := make([]byte, n)
	if _, err := r.ReadAt(tail, size-n); err != nil && err != io.EOF {
		return 0, 0, fmt.Errorf("%w: %v", errZipLayout, err)
	}
	p := endRecord(tail)
	if p < 0 {
		return 0, 0, fmt.Errorf("%w: no end of central directory", errZipLayout)
	}
	end := size - n + int64(p)
	b := tail[p:]
	records, dirSize, dirOff := uint64(binary.LittleEndian.Uint16(b[10:])), uint64(binary.LittleEndian.Uint32(b[12:])), uint64(binary.LittleEndian.Uint32(b[16:]))
	// The same test as archive/zip's (0xffff for the size too), so that both find the same
	// directory.
	if records == 0xffff || dirSize == 0xffff || dirOff == 0xffffffff {
		if end, dirSize, dirOff, err = zip64End(r, end, dirSize, dirOff); err != nil {
			return 0, 0, err
		}
	}
	if dirSize > 1<<62 || dirOff > 1<<62 {
		return 0, 0, fmt.Errorf("%w: a central directory beyond any file", errZipLayout)
	}
	base = end - int64(dirSize) - int64(dirOff)
	if base > 0 && centralAt(r, int64(dirOff)) {
		base = 0 // archive/zip trusts an end record that is right about the offset
	}
	return base + int64(dirOff), base, nil
}

// endRecord is the position of the last end of central directory record in b whose comment
// fits in b, or -1.
func endRecord(b []byte) int {
	for i := len(b) - zipEndLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(b[i:]) == zipEndSig {
			if i+zipEndLen+int(binary.LittleEndian.Uint16(b[i+20:])) <= len(b) {
				return i
			}
		}
	}
	return -1
}

// zip64End reads the zip64 end record that the locator before the end record at end points
// to. Without a locator, the zip is not zip64 and the values are kept.
func zip64End(r io.ReaderAt, end int64, dirSize, dirOff uint64) (int64, uint64, uint64, error) {
	if end < zip64LocatorLen {
		return end, dirSize, dirOff, nil
	}
	var loc [zip64LocatorLen]byte
	if _, err := r.ReadAt(loc[:], end-zip64LocatorLen); err != nil {
		return 0, 0, 0, fmt.Errorf("%w: %v", errZipLayout, err)
	}
	if binary.LittleEndian.Uint32(loc[0:]) != zip64LocatorSig || binary.LittleEndian.Uint32(loc[4:]) != 0 || binary.LittleEndian.Uint32(loc[16:]) != 1 {
		return end, dirSize, dirOff, nil
	}
	at := binary.LittleEndian.Uint64(loc[8:])
	var rec [zip64EndLen]byte
	if at > 1<<62 {
		return 0, 0, 0, fmt.Errorf("%w: a zip64 end record beyond any file", errZipLayout)
	}
	if _, err := r.ReadAt(rec[:], int64(at)); err != nil || binary.LittleEndian.Uint32(rec[0:]) != zip64EndSig {
		return 0, 0, 0, fmt.Errorf("%w: no zip64 end record at offset %d", errZipLayout, at)
	}
	return int64(at), binary.LittleEndian.Uint64(rec[40:]), binary.LittleEndian.Uint64(rec[48:]), nil
}

// centralAt reports whether a central directory record starts at off.
func centralAt(r io.ReaderAt, off int64) bool {
	var sig [4]byte
	_, err := r.ReadAt(sig[:], off)
	return err == nil && binary.LittleEndian.Uint32(sig[:]) == zipCentralSig
}

// headerOffsets reads the central directory at dirStart, one record per entry of files (in
// their order, which is the directory's), and returns each entry's local header offset as the
// directory records it (before base is added).
func headerOffsets(r io.ReaderAt, dirStart, size int64, files []*zip.File) ([]int64, error) {
	sr := io.NewSectionReader(r, dirStart, size-dirStart)
	offsets := make([]int64, len(files))
	var rec [zipCentralLen]byte
	for i, f := range files {
		if _, err := io.ReadFull(sr, rec[:]); err != nil || binary.LittleEndian.Uint32(rec[0:]) != zipCentralSig {
			return nil, fmt.Errorf("%w: the central directory record of %s", errZipLayout, f.Name)
		}
		nameLen, extraLen, commentLen := int(binary.LittleEndian.Uint16(rec[28:])), int(binary.LittleEndian.Uint16(rec[30:])), int(binary.LittleEndian.Uint16(rec[32:]))
		rest := make([]byte, nameLen+extraLen+commentLen)
		if _, err := io.ReadFull(sr, rest); err != nil || string(rest[:nameLen]) != f.Name {
			return nil, fmt.Errorf("%w: the central directory record of %s", errZipLayout, f.Name)
		}
		off := uint64(binary.LittleEndian.Uint32(rec[42:]))
		if off == 0xffffffff {
			big, ok := zip64Offset(rest[nameLen:nameLen+extraLen], binary.LittleEndian.Uint32(rec[24:]) == 0xffffffff, binary.LittleEndian.Uint32(rec[20:]) == 0xffffffff)
			if !ok || big > 1<<62 {
				return nil, fmt.Errorf("%w: the zip64 offset of %s", errZipLayout, f.Name)
			}
			off = big
		}
		offsets[i] = int64(off)
	}
	return offsets, nil
}

// zip64Offset reads the local header offset from a central record's zip64 extra field, where it
// follows the sizes that the record's own fields could not hold (usize, csize: they were full).
func zip64Offset(extra []byte, usize, csize bool) (uint64, bool) {
	for len(extra) >= 4 {
		tag, n := binary.LittleEndian.Uint16(extra[0:]), int(binary.LittleEndian.Uint16(extra[2:]))
		if len(extra)-4 < n {
			return 0, false
		}
		field := extra[4 : 4+n]
		extra = extra[4+n:]
		if tag != zip64ExtraID {
			continue
		}
		skip := 0
		if usize {
			skip += 8
		}
		if csize {
			skip += 8
		}
		if len(field) < skip+8 {
			return 0, false
		}
		return binary.LittleEndian.Uint64(field[skip:]), true
	}
	return 0, false
}
