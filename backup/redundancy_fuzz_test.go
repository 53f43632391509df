package backup

import (
	"bytes"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

// FuzzUnprotect feeds Unprotect hostile containers, seeded from the tiny golden ones in testdata.
// It must never panic or hang, and when it succeeds its output is exactly what a trailer
// describes: the original length and CRC-32C.
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
	})
}
