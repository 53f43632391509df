package backup

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"holdfast/engine"
)

// handZip is a zip written byte by byte, so that its central directory can say what no zip
// writer would: several records pointing at one local entry, or an entry running past its own.
type handZip struct {
	buf     bytes.Buffer
	locals  []int64 // offset of each local header
	central bytes.Buffer
	records int
}

// local writes a stored local entry and returns its index.
func (z *handZip) local(name string, data []byte) int {
	z.locals = append(z.locals, int64(z.buf.Len()))
	var h [30]byte
	binary.LittleEndian.PutUint32(h[0:], zipLocalSig)
	binary.LittleEndian.PutUint16(h[4:], 20)
	binary.LittleEndian.PutUint32(h[14:], crc32.ChecksumIEEE(data))
	binary.LittleEndian.PutUint32(h[18:], uint32(len(data)))
	binary.LittleEndian.PutUint32(h[22:], uint32(len(data)))
	binary.LittleEndian.PutUint16(h[26:], uint16(len(name)))
	z.buf.Write(h[:])
	z.buf.WriteString(name)
	z.buf.Write(data)
	return len(z.locals) - 1
}

// dataOf is what a record of size bytes pointing at local entry at reads.
func (z *handZip) dataOf(at int, size int) []byte {
	b := z.buf.Bytes()
	start := int(z.locals[at]) + 30 + int(binary.LittleEndian.Uint16(b[z.locals[at]+26:]))
	return b[start : start+size]
}

// record adds a central directory record named name for the size bytes of local entry at.
func (z *handZip) record(name string, at int, size int, crc uint32) {
	var h [46]byte
	binary.LittleEndian.PutUint32(h[0:], zipCentralSig)
	binary.LittleEndian.PutUint16(h[4:], 20)
	binary.LittleEndian.PutUint16(h[6:], 20)
	binary.LittleEndian.PutUint32(h[16:], crc)
	binary.LittleEndian.PutUint32(h[20:], uint32(size))
	binary.LittleEndian.PutUint32(h[24:], uint32(size))
	binary.LittleEndian.PutUint16(h[28:], uint16(len(name)))
	binary.LittleEndian.PutUint32(h[42:], uint32(z.locals[at]))
	z.central.Write(h[:])
	z.central.WriteString(name)
	z.records++
}

// bytes ends the zip: the central directory, then its end record.
func (z *handZip) bytes() []byte {
	var out bytes.Buffer
	out.Write(z.buf.Bytes())
	var end [22]byte
	binary.LittleEndian.PutUint32(end[0:], zipEndSig)
	binary.LittleEndian.PutUint16(end[8:], uint16(z.records))
	binary.LittleEndian.PutUint16(end[10:], uint16(z.records))
	binary.LittleEndian.PutUint32(end[12:], uint32(z.central.Len()))
	binary.LittleEndian.PutUint32(end[16:], uint32(out.Len()))
	out.Write(z.central.Bytes())
	out.Write(end[:])
	return out.Bytes()
}

// sharedArchive is the "better zip bomb" in small: one local entry of size bytes, and names
// central directory records all pointing at it, each listed in a manifest that agrees with what
// it reads. Every check of a single entry passes; only their overlap gives them away.
func sharedArchive(size int, names []string) []byte {
	data := bytes.Repeat([]byte("holdfast "), size/9+1)[:size]
	var z handZip
	m := &Manifest{Format: manifestFormat, Backup: 1, Time: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Database: "0a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d", Name: "Shop", Operation: 1, Holdfast: Version, Compression: "none"}
	sum := sha256.Sum256(data)
	for _, n := range names {
		m.Entries = append(m.Entries, Entry{Path: n, Size: int64(size), SHA256: hex.EncodeToString(sum[:])})
	}
	mb := m.Marshal()
	mi := z.local(ManifestName, mb)
	di := z.local(names[0], data)
	z.record(ManifestName, mi, len(mb), crc32.ChecksumIEEE(mb))
	for _, n := range names {
		z.record(n, di, size, crc32.ChecksumIEEE(data))
	}
	return z.bytes()
}

// Entries that share their bytes are refused with 1432 by restore and by verify, before any
// entry is extracted: five records over one local entry, one entry whose data holds the next
// entry, and one whose data runs into the central directory.
func TestOverlappingEntriesRefused(t *testing.T) {
	five := sharedArchive(64<<10, []string{"Data/Shop.4DD", "Attachments/a1", "Attachments/a2", "Attachments/a3", "Attachments/a4"})

	// The first record's data is its own local entry's data and all of the next entry.
	var quoted handZip
	m := &Manifest{Format: manifestFormat, Backup: 1, Database: "0a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d", Name: "Shop", Operation: 1, Holdfast: Version}
	inner := []byte(strings.Repeat("inner ", 100))
	outerLen := 30 + len("Project/b") + len(inner) + 600
	head := quoted.local("Data/Shop.4DD", []byte(strings.Repeat("outer ", 100)))
	tail := quoted.local("Project/b", inner)
	outer := append([]byte(nil), quoted.dataOf(head, outerLen)...)
	so, si := sha256.Sum256(outer), sha256.Sum256(inner)
	m.Entries = []Entry{{Path: "Data/Shop.4DD", Size: int64(outerLen), SHA256: hex.EncodeToString(so[:])}, {Path: "Project/b", Size: int64(len(inner)), SHA256: hex.EncodeToString(si[:])}}
	mb := m.Marshal()
	mi := quoted.local(ManifestName, mb)
	quoted.record("Data/Shop.4DD", head, outerLen, crc32.ChecksumIEEE(outer))
	quoted.record("Project/b", tail, len(inner), crc32.ChecksumIEEE(inner))
	quoted.record(ManifestName, mi, len(mb), crc32.ChecksumIEEE(mb))

	// The last entry declares 40 bytes more than its local entry holds: they are the
	// central directory's.
	var past handZip
	data := []byte(strings.Repeat("data ", 50))
	m = &Manifest{Format: manifestFormat, Backup: 1, Database: "0a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d", Name: "Shop", Operation: 1, Holdfast: Version,
		Entries: []Entry{{Path: "Data/Shop.4DD", Size: int64(len(data) + 40), SHA256: strings.Repeat("ab", 32)}}}
	mb = m.Marshal()
	mi = past.local(ManifestName, mb)
	di := past.local("Data/Shop.4DD", data)
	past.record(ManifestName, mi, len(mb), crc32.ChecksumIEEE(mb))
	past.record("Data/Shop.4DD", di, len(data)+40, crc32.ChecksumIEEE(data))

	for name, b := range map[string][]byte{"five records, one local entry": five, "an entry holding the next": quoted.bytes(), "into the central directory": past.bytes()} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			archive := filepath.Join(dir, "Shop[0001].4BK")
			if err := os.WriteFile(archive, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err != nil {
				t.Fatalf("the forged archive is not even a zip: %v", err)
			}
			if _, err := VerifyArchive(archive); engine.CodeOf(err) != engine.CodeUnsafeEntry {
				t.Errorf("verify: %v, want 1432", err)
			}
			var extracted []string
			_, err := Restore(context.Background(), archive, RestoreOptions{NoIntegrate: true, Progress: func(p Progress) {
				if p.Item != "" {
					extracted = append(extracted, p.Item)
				}
			}})
			if engine.CodeOf(err) != engine.CodeUnsafeEntry {
				t.Fatalf("restore: %v, want 1432", err)
			}
			t.Log(err)
			if len(extracted) > 0 || len(names(dir)) != 1 {
				t.Errorf("the refused restore extracted %v and left %v", extracted, names(dir))
			}
		})
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// Verify of 200 records over one 64 KiB local entry reads the archive's directory, not 200
// times the entry (12.5 MiB for a 75 KiB archive): it is refused before any entry is read.
func TestVerifyOfOverlapReadsNoEntry(t *testing.T) {
	names := []string{"Data/Shop.4DD"}
	for i := 1; i < 200; i++ {
		names = append(names, "Attachments/"+strings.Repeat("x", i%40)+string(rune('a'+i%26))+"/"+strings.Repeat("y", i))
	}
	b := sharedArchive(64<<10, names)
	cr := &countingReader{r: bytes.NewReader(b)}
	_, err := verifyZip("bomb.4BK", cr, int64(len(b)), &meter{ctx: context.Background()})
	if engine.CodeOf(err) != engine.CodeUnsafeEntry {
		t.Fatalf("verify: %v, want 1432", err)
	}
	if read := cr.n.Load(); read > 2*int64(len(b)) {
		t.Errorf("verify read %d bytes of a %d-byte archive before refusing it", read, len(b))
	}
}

// sparseFile is a file held as the pieces written to it, zeros where writes were skipped: a zip
// of gigabytes in a few kilobytes.
type sparseFile struct {
	pieces []sparsePiece
	size   int64
	skip   bool // writes only grow the file (with zeros)
}

type sparsePiece struct {
	off  int64
	data []byte
}

func (s *sparseFile) Write(p []byte) (int, error) {
	if !s.skip {
		s.pieces = append(s.pieces, sparsePiece{s.size, bytes.Clone(p)})
	}
	s.size += int64(len(p))
	return len(p), nil
}

func (s *sparseFile) ReadAt(p []byte, off int64) (int, error) {
	n := len(p)
	if off+int64(n) > s.size {
		n = int(max(s.size-off, 0))
	}
	clear(p[:n])
	for _, pc := range s.pieces {
		lo, hi := max(pc.off, off), min(pc.off+int64(len(pc.data)), off+int64(n))
		if lo < hi {
			copy(p[lo-off:hi-off], pc.data[lo-pc.off:hi-pc.off])
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// A zip64 archive (an entry past 4 GiB, as a large data file makes) is read right: the check
// finds each entry where archive/zip does and lets it through.
func TestLayoutOfZip64Archive(t *testing.T) {
	sf := &sparseFile{}
	zw := zip.NewWriter(sf)
	const big = 5 << 30
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "Data/Shop.4DD", Method: zip.Store, CompressedSize64: big, UncompressedSize64: big})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Flush(); err != nil {
		t.Fatal(err)
	}
	sf.skip = true
	zeros := make([]byte, 64<<20)
	for n := 0; n < big; n += len(zeros) {
		if _, err := w.Write(zeros); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Flush(); err != nil {
		t.Fatal(err)
	}
	sf.skip = false
	for _, name := range []string{"Project/catalog.json", ManifestName} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(`{"version":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(sf, sf.size)
	if err != nil {
		t.Fatal(err)
	}
	off, err := zr.File[1].DataOffset()
	if err != nil {
		t.Fatal(err)
	}
	if off < 1<<32 {
		t.Fatalf("the second entry is at %d, not past 4 GiB: the test does not test zip64", off)
	}
	if err := checkLayout(sf, sf.size, zr); err != nil {
		t.Fatalf("a good zip64 archive: %v", err)
	}
}
