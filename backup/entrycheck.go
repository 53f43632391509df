package backup

import (
	"archive/zip"
	"compress/flate"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"holdfast/engine"
)

// The checks of an archive's shape, before any entry's data is read. Restore, ReadManifest
// (the restore's preview) and VerifyArchive share them: an archive that verify calls good is
// one that restore extracts.

// zipArchive is an archive's zip being read: archive/zip's view of it, and the bytes it is
// read from (checkLayout reads its directory itself).
type zipArchive struct {
	*zip.Reader
	at   io.ReaderAt
	size int64
}

// maxRatio is the highest ratio of an entry's size to its compressed size that deflate can
// produce (258-byte matches of 1 bit each are 1032:1, plus a margin for block headers); an entry
// declaring more is a forgery meant to exhaust the disk (a zip bomb).
const maxRatio = 1100

// unsafeEntry is the 1432 error for one entry.
func unsafeEntry(op, archive, name, why string) error {
	return &engine.Error{Code: engine.CodeUnsafeEntry, Op: op, Path: archive, Err: fmt.Errorf("entry %q %s", name, why)}
}

// checkEntries reads the manifest and checks every entry before any entry's data is read
// (op names the caller in errors): the entries occupy bytes of their own (checkLayout, 1432),
// each name is a plain relative path under Data/, Project/ or Attachments/ (no absolute path,
// no "..", no backslash, no duplicate, no link or device, no file that is also a folder),
// each entry is in the manifest with the size the zip declares, no entry claims a compression
// ratio deflate cannot reach, and the manifest's database name and folder are plain (1432).
// An archive that cannot be read, or whose manifest lists an entry it lacks, is 1411.
func checkEntries(op, archive string, za zipArchive) (*Manifest, map[string]*zip.File, error) {
	if err := checkLayout(za.at, za.size, za.Reader); err != nil {
		var le *layoutError
		if errors.As(err, &le) {
			return nil, nil, unsafeEntry(op, archive, le.name, le.why)
		}
		return nil, nil, &engine.Error{Code: engine.CodeArchiveVerify, Op: op, Path: archive, Err: err}
	}
	files, mf, err := checkNames(op, archive, za.File)
	if err != nil {
		return nil, nil, err
	}
	if mf == nil {
		return nil, nil, &engine.Error{Code: engine.CodeArchiveVerify, Op: op, Path: archive, Err: fmt.Errorf("%w: no %s", ErrBadManifest, ManifestName)}
	}
	mb, err := readEntry(mf, 1<<24)
	if err != nil {
		return nil, nil, &engine.Error{Code: engine.CodeArchiveVerify, Op: op, Path: archive, Err: err}
	}
	m, err := ParseManifest(mb)
	if err != nil {
		return nil, nil, &engine.Error{Code: engine.CodeArchiveVerify, Op: op, Path: archive, Err: err}
	}
	if err := checkManifest(op, archive, m, files); err != nil {
		return nil, nil, err
	}
	return m, files, nil
}

// checkNames checks each entry's name, type and declared sizes, and returns the entries by
// name and the manifest's entry (nil when there is none).
func checkNames(op, archive string, list []*zip.File) (map[string]*zip.File, *zip.File, error) {
	files := map[string]*zip.File{}
	var mf *zip.File
	for _, f := range list {
		if f.Name == ManifestName {
			if mf != nil {
				return nil, nil, unsafeEntry(op, archive, f.Name, "appears twice")
			}
			mf = f
			continue
		}
		why := safeName(f.Name)
		switch mode := f.Mode(); {
		case why != "":
		case files[f.Name] != nil:
			why = "appears twice"
		case !mode.IsRegular():
			why = fmt.Sprintf("is not a plain file (%s)", mode.Type())
		case f.Method != zip.Store && f.Method != zip.Deflate:
			why = fmt.Sprintf("uses compression method %d, which Holdfast never writes", f.Method)
		case f.Method == zip.Store && f.CompressedSize64 != f.UncompressedSize64:
			why = "is stored but declares two different sizes"
		case f.UncompressedSize64 > maxRatio*(f.CompressedSize64+1):
			why = fmt.Sprintf("declares %d bytes from %d compressed, more than deflate can produce", f.UncompressedSize64, f.CompressedSize64)
		}
		if why != "" {
			return nil, nil, unsafeEntry(op, archive, f.Name, why)
		}
		files[f.Name] = f
	}
	// A file that is also the folder of another entry: one of the two cannot be extracted.
	for name := range files {
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			if files[dir] != nil {
				return nil, nil, unsafeEntry(op, archive, dir, fmt.Sprintf("is a file and the folder of %q", name))
			}
		}
	}
	return files, mf, nil
}

// checkManifest checks the manifest against the entries: the database name is a plain name,
// the folder it records (where a restore looks for the current log) a plain absolute path,
// and the manifest lists every entry, with its size.
func checkManifest(op, archive string, m *Manifest, files map[string]*zip.File) error {
	if m.Name == "" || m.Name == "." || m.Name == ".." || strings.ContainsAny(m.Name, "/\\\x00") {
		return unsafeEntry(op, archive, ManifestName, "names the database "+strconv.Quote(m.Name))
	}
	if m.Folder != "" && (!filepath.IsAbs(m.Folder) || filepath.Clean(m.Folder) != m.Folder || strings.ContainsRune(m.Folder, 0)) {
		return unsafeEntry(op, archive, ManifestName, "names the database folder "+strconv.Quote(m.Folder)+", which is not a plain absolute path")
	}
	named := map[string]bool{}
	for _, e := range m.Entries {
		f := files[e.Path]
		if f == nil {
			return &engine.Error{Code: engine.CodeArchiveVerify, Op: op, Path: archive, Err: fmt.Errorf("%w: %s is in the manifest but not in the archive", ErrMismatch, e.Path)}
		}
		if int64(f.UncompressedSize64) != e.Size {
			return unsafeEntry(op, archive, e.Path, fmt.Sprintf("declares %d bytes where the manifest says %d", f.UncompressedSize64, e.Size))
		}
		named[e.Path] = true
	}
	for name := range files {
		if !named[name] {
			return unsafeEntry(op, archive, name, "is not in the manifest")
		}
	}
	return nil
}

// safeName says what is wrong with an entry name ("" when it is safe to extract).
func safeName(name string) string {
	switch {
	case name == "":
		return "has no name"
	case strings.ContainsAny(name, "\\\x00"):
		return "holds a backslash or a NUL"
	case strings.HasPrefix(name, "/"), len(name) > 1 && name[1] == ':':
		return "is an absolute path"
	case path.Clean(name) != name:
		return "is not a clean path"
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." || part == "." {
			return "leaves its folder (..)"
		}
	}
	if !strings.HasPrefix(name, "Data/") && !strings.HasPrefix(name, "Project/") && !strings.HasPrefix(name, "Attachments/") {
		return "is outside Data/, Project/ and Attachments/"
	}
	return ""
}

// copyEntry copies the content of the archive's entry f to w, checking it as it goes against
// the manifest's e (op names the caller in errors): an entry that inflates beyond the size it
// declares while what came first is intact is a forgery (1432); a content that differs from
// its checksums, or a damaged stream, is damage (1411). An error of w comes back as a
// *writeFailure, a stop (mt's context) as ErrStopped. Restore extracts through it and verify
// reads through it, so that both judge an entry's content alike.
func copyEntry(op, archive string, e Entry, f *zip.File, w io.Writer, mt *meter) error {
	raw, err := f.OpenRaw()
	if err != nil {
		return &engine.Error{Code: engine.CodeArchiveVerify, Op: op, Path: archive, Err: fmt.Errorf("%s: %w", e.Path, err)}
	}
	// Inflated here rather than by archive/zip, so that an entry that holds more than it
	// declares is told apart from a damaged one.
	var content io.Reader = raw
	if f.Method == zip.Deflate {
		fr := flate.NewReader(raw)
		defer fr.Close()
		content = fr
	}
	h := sha256.New()
	crc := crc32.NewIEEE()
	n, err := copyContent(io.MultiWriter(destWriter{w}, crc), h, content, e.Size, mt)
	intact := n == e.Size && crc.Sum32() == f.CRC32 && hex.EncodeToString(h.Sum(nil)) == e.SHA256
	if err == nil && n == e.Size {
		// Nothing may follow the declared size. When what came first is intact, the entry was
		// made to inflate beyond what it declares (a zip bomb); otherwise it is damage.
		var one [1]byte
		if k, _ := io.ReadFull(content, one[:]); k > 0 && intact {
			return unsafeEntry(op, archive, e.Path, fmt.Sprintf("holds more than the %d bytes it declares", e.Size))
		}
	}
	if err == nil && !intact {
		return &engine.Error{Code: engine.CodeArchiveVerify, Op: op, Path: archive, Err: fmt.Errorf("%w: %s: its content does not match its checksums", ErrMismatch, e.Path)}
	}
	var wf *writeFailure
	var ce flate.CorruptInputError
	switch {
	case err == nil, errors.Is(err, ErrStopped), errors.As(err, &wf):
		return err
	case errors.As(err, &ce), errors.Is(err, io.ErrUnexpectedEOF):
		return &engine.Error{Code: engine.CodeArchiveVerify, Op: op, Path: archive, Err: fmt.Errorf("%s: %w", e.Path, err)}
	}
	return &engine.Error{Code: engine.CodeArchiveVerify, Op: op, Path: archive, Err: fmt.Errorf("%s: the archive could not be read: %w", e.Path, err)}
}

// copyContent copies up to size bytes of r to w, hashing them with h and counting them in mt.
// An entry smaller than a piece is read in one buffer of its own size: meteredWriter's pieces
// are 1 MiB each, which for the thousands of small files of an attachment folder cost more to
// allocate than to copy.
func copyContent(w io.Writer, h hash.Hash, r io.Reader, size int64, mt *meter) (int64, error) {
	if size >= copyPiece {
		mw := &meteredWriter{w: w, h: h, m: mt}
		return mw.ReadFrom(io.LimitReader(r, size))
	}
	buf := make([]byte, size)
	n, err := io.ReadFull(r, buf)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return 0, err // short content is told by the count, as meteredWriter tells it
	}
	if err := mt.add(n); err != nil {
		return 0, err
	}
	h.Write(buf[:n])
	k, err := w.Write(buf[:n])
	return int64(k), err
}

// writeFailure is an error of the file an entry is copied to (as opposed to one of the
// archive it is read from).
type writeFailure struct{ err error }

func (w *writeFailure) Error() string { return w.err.Error() }
func (w *writeFailure) Unwrap() error { return w.err }

// destWriter tags the errors of the file it writes to.
type destWriter struct{ w io.Writer }

func (d destWriter) Write(p []byte) (int, error) {
	n, err := d.w.Write(p)
	if err != nil {
		err = &writeFailure{err}
	}
	return n, err
}
