package backup

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"holdfast/engine"
)

// VerifyArchive reads an archive back and checks it as a restore would before extracting it
// (checkEntries: an unsafe entry is 1432), then every entry against its manifest: every entry
// it names is there with the same size and SHA-256 (and zip's own CRC), and nothing else is. A
// missing file is 1410; any mismatch is 1411.
func VerifyArchive(path string) (*Manifest, error) {
	m, _, err := VerifyArchiveRepair(path)
	return m, err
}

// VerifyArchiveRepair is VerifyArchive that also says what the redundancy repaired: an archive
// written with redundancy is first checked slot by slot and repaired in memory where the
// parity allows (cut short or with bytes appended too), then the zip it holds is checked, read
// in place from the container (readProtected). Nothing is written: the archive is not changed
// and no copy of it is made.
func VerifyArchiveRepair(path string) (*Manifest, RepairReport, error) {
	return verifyArchive(path, &meter{ctx: context.Background()})
}

// verifyArchive is VerifyArchiveRepair counting the bytes it checks in mt, which stops it.
func verifyArchive(path string, mt *meter) (*Manifest, RepairReport, error) {
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
	head := make([]byte, len(protHeaderMagic))
	f.ReadAt(head, 0)
	var zerr error
	if !IsProtected(head) {
		m, err := verifyZip(path, f, f.Size(), mt)
		if err == nil || errors.Is(err, ErrStopped) {
			return m, rep, err
		}
		zerr = err // a damaged zip, or a container whose header is damaged
	}
	z, rep, err := readProtected(f, f.Size())
	if errors.Is(err, ErrNotProtected) && zerr != nil {
		return nil, rep, coded(engine.CodeArchiveVerify, "verify", path, zerr)
	}
	if err != nil {
		return nil, rep, &engine.Error{Code: engine.CodeArchiveVerify, Op: "verify", Path: path, Err: err}
	}
	m, err := verifyZip(path, z, z.Size(), mt)
	if errors.Is(err, ErrStopped) {
		return nil, rep, err
	}
	if err != nil {
		return nil, rep, coded(engine.CodeArchiveVerify, "verify", path, err)
	}
	return m, rep, nil
}

// verifyZip checks the zip of archive held in r as a restore does: its shape before any
// entry is read (checkEntries), then the content of every entry (copyEntry).
func verifyZip(archive string, r io.ReaderAt, size int64, mt *meter) (*Manifest, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, err
	}
	m, files, err := checkEntries("verify", archive, zipArchive{zr, r, size})
	if err != nil {
		return nil, err
	}
	for _, e := range m.Entries {
		mt.item(e.Path)
		if err := copyEntry("verify", archive, e, files[e.Path], io.Discard, mt); err != nil {
			return nil, err
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
