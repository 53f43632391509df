package backup

import (
	"os"
	"path/filepath"

	"holdfast/engine"
)

// ReadManifest reads what an archive holds, for a restore to show before it starts: its
// segments joined and, when it was written with redundancy, repaired into a temporary copy
// beside it. Every entry name is checked as a restore would (1432); the entries' bytes are not
// read.
func ReadManifest(archive string) (*Manifest, error) {
	work, err := os.MkdirTemp(filepath.Dir(archive), ".preview-*")
	if err != nil {
		work, err = os.MkdirTemp("", "holdfast-preview-*")
		if err != nil {
			return nil, coded(engine.CodeFileIO, "preview", archive, err)
		}
	}
	defer os.RemoveAll(work)
	za, closeArchive, _, err := openArchive(archive, work)
	if err != nil {
		return nil, err
	}
	defer closeArchive()
	m, _, err := checkEntries("preview", archive, za)
	return m, err
}
