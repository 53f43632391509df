package backup

import (
	"bytes"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzUnprotect feeds Unprotect hostile containers, seeded from the tiny golden ones in testdata
// (whole, damaged, cut short, with bytes appended). It must never panic or hang, and when it
// succeeds its output is exactly what a trailer describes: the original length and CRC-32C; the
// original read in place (readProtected) is the same bytes.
func FuzzUnprotect(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join(protGoldenDir, "tiny-*.hfp"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seeds in %s: %v", protGoldenDir, err)
	}
	for _, path := range seeds {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		if len(b) > 100 {
			damaged := bytes.Clone(b)
			damaged[len(b)/2] ^= 0xff
			f.Add(damaged)
			f.Add(b[:len(b)-1])
			f.Add(b[:len(b)-64])
			f.Add(append(bytes.Clone(b), 0x89, 'H', 'F', 'T'))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var out bytes.Buffer
		rep, err := Unprotect(bytes.NewReader(b), int64(len(b)), &out)
		if err != nil {
			return
		}
		c, err := protOpen(bytes.NewReader(b), int64(len(b)), &RepairReport{})
		if err != nil {
			t.Fatalf("Unprotect succeeded on a container protOpen refuses: %v", err)
		}
		if int64(out.Len()) != c.t.length {
			t.Fatalf("wrote %d bytes, the trailer says %d", out.Len(), c.t.length)
		}
		if crc32.Checksum(out.Bytes(), protTable) != c.t.sum {
			t.Fatal("output fails the trailer's CRC-32C")
		}
		if rep.RepairedShards != rep.DamagedShards || rep.Groups != int(c.groups()) {
			t.Fatalf("success with report %+v", rep)
		}
		z, _, err := readProtected(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("readProtected refuses what Unprotect read: %v", err)
		}
		in, err := io.ReadAll(io.NewSectionReader(z, 0, z.Size()))
		if err != nil || !bytes.Equal(in, out.Bytes()) {
			t.Fatalf("read in place: %v, equal to Unprotect's output: %v", err, bytes.Equal(in, out.Bytes()))
		}
	})
}
