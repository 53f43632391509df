package backup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
)

var numbered = regexp.MustCompile(`\[(\d{4,})(?:-\d{4,})?\]\.(4BK|4BL)$`)

// fileNumber reads the backup number in an archive's or log backup's name.
func fileNumber(path string) (uint32, string, bool) {
	m := numbered.FindStringSubmatch(filepath.Base(path))
	if m == nil {
		return 0, "", false
	}
	n, _ := strconv.Atoi(m[1])
	return uint32(n), m[2], true
}

// prune deletes the oldest backups so that at most keep remain, with the log backups numbered
// below the oldest backup kept (they can no longer be integrated into anything kept). Only
// files this history recorded are candidates, and only while they are still where it says with
// the size it says: a file renamed, moved or changed since is never deleted (S6.3).
func prune(hist *History, keep int) ([]string, error) {
	var backups []uint32
	files := map[uint32][]FileInfo{}
	var logs []FileInfo
	for _, e := range hist.Operations {
		// Log backups are written by backups and by New Log File (its segments).
		if (e.Kind != "backup" && e.Kind != "newlog") || e.Status == StatusFailed {
			continue
		}
		for _, f := range e.Files {
			n, kind, ok := fileNumber(f.Path)
			if !ok {
				continue
			}
			if kind == "4BL" {
				logs = append(logs, f)
				continue
			}
			if e.Kind != "backup" {
				continue
			}
			if _, seen := files[n]; !seen {
				backups = append(backups, n)
			}
			files[n] = append(files[n], f)
		}
	}
	sort.Slice(backups, func(i, j int) bool { return backups[i] < backups[j] })
	if keep < 0 {
		keep = 0
	}
	if len(backups) <= keep {
		return nil, nil
	}
	drop := backups[:len(backups)-keep]
	oldestKept := uint32(1<<32 - 1)
	if keep > 0 {
		oldestKept = backups[len(backups)-keep]
	}
	var victims []FileInfo
	for _, n := range drop {
		victims = append(victims, files[n]...)
	}
	for _, l := range logs {
		if n, _, _ := fileNumber(l.Path); n < oldestKept {
			victims = append(victims, l)
		}
	}
	var deleted []string
	var errs []error
	for _, f := range victims {
		info, err := os.Stat(f.Path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil || !info.Mode().IsRegular() || info.Size() != f.Size {
			continue // not the file this history recorded any more
		}
		if err := os.Remove(f.Path); err != nil {
			errs = append(errs, fmt.Errorf("delete old backup %s: %w", f.Path, err))
			continue
		}
		deleted = append(deleted, f.Path)
	}
	return deleted, errors.Join(errs...)
}
