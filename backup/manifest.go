package backup

import (
	"encoding/json"
	"fmt"
	"time"
)

// ManifestName is the manifest's entry name inside an archive.
const ManifestName = "manifest.json"

// Version is the Holdfast version written in manifests.
const Version = "0.1.0"

// Manifest describes an archive: what it holds and how to check it.
type Manifest struct {
	Format      int       `json:"format"`
	Backup      uint32    `json:"backup"`
	Time        time.Time `json:"time"`
	Database    string    `json:"database"` // the database identity (UUID)
	Name        string    `json:"name"`
	Folder      string    `json:"folder,omitempty"` // the database folder when it was backed up
	Operation   uint64    `json:"operation"`        // the snapshot's operation number
	Holdfast    string    `json:"holdfast"`
	Compression string    `json:"compression"`
	Entries     []Entry   `json:"entries"`
}

// Entry is one file of an archive.
type Entry struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

const manifestFormat = 1

// ParseManifest reads a manifest and checks its shape. It never panics on bad input.
func ParseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadManifest, err)
	}
	if m.Format != manifestFormat {
		return nil, fmt.Errorf("%w: format %d is not supported by this version", ErrBadManifest, m.Format)
	}
	seen := map[string]bool{}
	for _, e := range m.Entries {
		if e.Path == "" || e.Size < 0 || len(e.SHA256) != 64 {
			return nil, fmt.Errorf("%w: entry %q", ErrBadManifest, e.Path)
		}
		if seen[e.Path] {
			return nil, fmt.Errorf("%w: entry %q twice", ErrBadManifest, e.Path)
		}
		seen[e.Path] = true
	}
	return &m, nil
}

// Marshal writes the manifest as indented JSON.
func (m *Manifest) Marshal() []byte {
	b, _ := json.MarshalIndent(m, "", "  ")
	return append(b, '\n')
}
