package backup

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"holdfast/engine"
)

// VerifyArchive reads an archive back and checks every entry against its manifest: the
// manifest parses, every entry it names is there with the same size and SHA-256 (and zip's own
// CRC), and nothing else is. A missing file is 1410; any mismatch is 1411.
func VerifyArchive(path string) (*Manifest, error) {
	m, _, err := VerifyArchiveRepair(path)
	return m, err
}

// VerifyArchiveRepair is VerifyArchive that also says what the redundancy repaired: an archive
// written with redundancy is first checked shard by shard and repaired where the parity allows
// (in a temporary copy; the archive itself is not changed), then its zip is checked.
func VerifyArchiveRepair(path string) (*Manifest, RepairReport, error) {
	var rep RepairReport
	paths, err := archiveFiles(path)
	if err != nil {
		return nil, rep, &engine.Error{Code: engine.CodeArchiveMissing, Op: "verify", Path: path, Err: err}
	}
	f, err := openMulti(paths)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, rep, &engine.Error{Code: engine.CodeArchiveMissing, Op: "verify", Path: path}
		}
		return nil, rep, &engine.Error{Code: engine.CodeArchiveVerify, Op: "verify", Path: path, Err: err}
	}
	defer f.Close()
	head := make([]byte, 8)
	f.ReadAt(head, 0)
	m, zerr := verifyZip(f, f.Size())
	if zerr == nil {
		return m, rep, nil
	}
	// Not a plain zip: a protected container (its header may itself be damaged).
	tmp, err := os.CreateTemp(filepath.Dir(path), ".verify-*.tmp")
	if err != nil {
		return nil, rep, &engine.Error{Code: engine.CodeArchiveVerify, Op: "verify", Path: path, Err: err}
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	rep, err = Unprotect(f, f.Size(), tmp)
	if errors.Is(err, ErrNotProtected) && !IsProtected(head) {
		return nil, rep, &engine.Error{Code: engine.CodeArchiveVerify, Op: "verify", Path: path, Err: zerr}
	}
	if err != nil {
		return nil, rep, &engine.Error{Code: engine.CodeArchiveVerify, Op: "verify", Path: path, Err: err}
	}
	info, err := tmp.Stat()
	if err != nil {
		return nil, rep, &engine.Error{Code: engine.CodeArchiveVerify, Op: "verify", Path: path, Err: err}
	}
	m, err = verifyZip(tmp, info.Size())
	if err != nil {
		return nil, rep, &engine.Error{Code: engine.CodeArchiveVerify, Op: "verify", Path: path, Err: err}
	}
	return m, rep, nil
}

// verifyZip checks a zip held in r.
func verifyZip(r io.ReaderAt, size int64) (*Manifest, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, err
	}
	byName := map[string]*zip.File{}
	for _, f := range zr.File {
		if byName[f.Name] != nil {
			return nil, fmt.Errorf("%w: entry %q twice", ErrMismatch, f.Name)
		}
		byName[f.Name] = f
	}
	mf := byName[ManifestName]
	if mf == nil {
		return nil, fmt.Errorf("%w: no %s", ErrBadManifest, ManifestName)
	}
	mb, err := readEntry(mf, 1<<24)
	if err != nil {
		return nil, err
	}
	m, err := ParseManifest(mb)
	if err != nil {
		return nil, err
	}
	if len(zr.File) != len(m.Entries)+1 {
		return nil, fmt.Errorf("%w: the archive holds %d entries, the manifest names %d", ErrMismatch, len(zr.File)-1, len(m.Entries))
	}
	for _, e := range m.Entries {
		f := byName[e.Path]
		if f == nil {
			return nil, fmt.Errorf("%w: %s is missing", ErrMismatch, e.Path)
		}
		if int64(f.UncompressedSize64) != e.Size {
			return nil, fmt.Errorf("%w: %s is %d bytes, the manifest says %d", ErrMismatch, e.Path, f.UncompressedSize64, e.Size)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Path, err)
		}
		h := sha256.New()
		n, err := io.Copy(h, io.LimitReader(rc, e.Size+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrMismatch, e.Path, err)
		}
		if n != e.Size || hex.EncodeToString(h.Sum(nil)) != e.SHA256 {
			return nil, fmt.Errorf("%w: %s: checksum differs", ErrMismatch, e.Path)
		}
	}
	return m, nil
}

func readEntry(f *zip.File, max int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(max) {
		return nil, fmt.Errorf("%w: %s is too large", ErrBadManifest, f.Name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, max))
}
