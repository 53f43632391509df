package backup

// ReadManifest reads what an archive holds, for a restore to show before it starts: its
// segments joined and, when it was written with redundancy, repaired in memory. Every entry
// name is checked as a restore would (1432); the entries' bytes are not read. Nothing is
// written.
func ReadManifest(archive string) (*Manifest, error) {
	za, closeArchive, _, err := openArchive(archive)
	if err != nil {
		return nil, err
	}
	defer closeArchive()
	m, _, err := checkEntries("preview", archive, za)
	return m, err
}
