package backup

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The checksums a backup records are those of the bytes on disk, whatever path the bytes took:
// a content larger than the copy's pieces (hashed on another goroutine), a small one (hashed
// in place), stored or deflated, in one file or cut in segments. The history's SHA-256 of each
// file is that of the file; the manifest's of each entry is that of the entry extracted.
func TestChecksumsMatchTheBytes(t *testing.T) {
	for _, tc := range []struct{ compression, segmentMB string }{
		{"none", "0"}, {"none", "1"}, {"fast", "0"}, {"compact", "1"},
	} {
		t.Run(tc.compression+"-"+tc.segmentMB, func(t *testing.T) {
			db := newDB(t)
			configure(t, db, "archive.compression", tc.compression, "archive.segmentMB", tc.segmentMB)
			fill(t, db, 3000, strings.Repeat("checksum ", 12))
			att := t.TempDir()
			big := halfCompressible(3*copyPiece+4321, 3) // several pieces, the last one short
			if err := os.WriteFile(filepath.Join(att, "big.bin"), big, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(att, "small.txt"), []byte("one piece"), 0o600); err != nil {
				t.Fatal(err)
			}
			setAttachments(t, db, att)
			res, err := Run(context.Background(), db, Options{})
			if err != nil {
				t.Fatal(err)
			}
			hist, err := LoadHistory(Destination(db))
			if err != nil {
				t.Fatal(err)
			}
			last := hist.Operations[len(hist.Operations)-1]
			if len(last.Files) < len(res.Files) {
				t.Fatalf("history lists %d files, the backup wrote %d", len(last.Files), len(res.Files))
			}
			for _, f := range last.Files {
				b, err := os.ReadFile(f.Path)
				if err != nil {
					t.Fatal(err)
				}
				if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(b)) != f.Size {
					t.Errorf("%s: history says %d bytes %s, the file is %d bytes %x", f.Path, f.Size, f.SHA256, len(b), sum)
				}
			}
			m, err := VerifyArchive(res.Archive)
			if err != nil {
				t.Fatal(err)
			}
			entries := map[string]Entry{}
			for _, e := range m.Entries {
				entries[e.Path] = e
			}
			joined := joinFiles(t, res.Files)
			zr, err := zip.NewReader(strings.NewReader(joined), int64(len(joined)))
			if err != nil {
				t.Fatal(err)
			}
			seen := 0
			for _, zf := range zr.File {
				e, ok := entries[zf.Name]
				if !ok {
					continue
				}
				rc, err := zf.Open()
				if err != nil {
					t.Fatal(err)
				}
				h := sha256.New()
				n, err := io.Copy(h, rc)
				rc.Close()
				if err != nil || n != e.Size || hex.EncodeToString(h.Sum(nil)) != e.SHA256 {
					t.Errorf("%s: manifest says %d bytes %s, extracted %d bytes %x (%v)", zf.Name, e.Size, e.SHA256, n, h.Sum(nil), err)
				}
				if strings.HasSuffix(zf.Name, "big.bin") {
					seen++
				}
			}
			if seen != 1 {
				t.Fatalf("the large attachment is in the archive %d times", seen)
			}
		})
	}
}

func joinFiles(t *testing.T, files []string) string {
	t.Helper()
	var sb strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sb.Write(b)
	}
	return sb.String()
}
