package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"holdfast/engine"
	"holdfast/settings"
)

// AttachmentsDir is where attachments go inside an archive (and in a restored database).
const AttachmentsDir = "Attachments"

type sourceFile struct {
	name, path string // name in the archive, path on disk
	modified   time.Time
	attachment bool
}

// collect lists the files of the backup beside the data file (S6.1): the settings folder with
// the data, the structure, and the attachments (files, and folders with everything inside them,
// kept under Attachments/ with their absolute path). It returns their total size and the
// attachments that are missing: the backup goes on without them (partial, 1430). What is saved
// is c, the content of the backup's settings.
func collect(db *engine.DB, c settings.ContentValues, dest string) ([]sourceFile, int64, []string, error) {
	var files []sourceFile
	var total int64
	walk := func(root string, name func(string) string, attachment bool) error {
		return filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.Type().IsRegular() || (!attachment && strings.HasPrefix(e.Name(), ".")) {
				return nil // links and special files are not followed; temporary files skipped
			}
			info, err := e.Info()
			if err != nil {
				return err
			}
			files = append(files, sourceFile{name: name(p), path: p, modified: info.ModTime(), attachment: attachment})
			total += info.Size()
			return nil
		})
	}
	var dirs []string
	if c.Data {
		dirs = append(dirs, "Data/Settings")
	}
	if c.Structure {
		dirs = append(dirs, "Project")
	}
	for _, d := range dirs {
		rel := func(p string) string { r, _ := filepath.Rel(db.Dir(), p); return filepath.ToSlash(r) }
		if err := walk(filepath.Join(db.Dir(), d), rel, false); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, 0, nil, err
		}
	}
	var missing []string
	for _, a := range c.Attachments {
		if err := checkAttachment(a, db.Dir(), dest); err != nil {
			return nil, 0, nil, err
		}
		name := func(p string) string {
			return AttachmentsDir + "/" + strings.TrimPrefix(filepath.ToSlash(filepath.Clean(p)), "/")
		}
		if err := walk(a, name, true); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				missing = append(missing, a)
				continue
			}
			return nil, 0, nil, err
		}
	}
	return files, total, missing, nil
}

// checkAttachment refuses the database folder, the destination, and anything holding them.
func checkAttachment(a, dbDir, dest string) error {
	for _, forbidden := range []string{dbDir, dest} {
		if inside(forbidden, a) || inside(a, forbidden) {
			return &engine.Error{Code: engine.CodeBadSetting, Op: "backup", Path: a,
				Err: fmt.Errorf("an attachment cannot be, hold or lie inside the database folder or the backup destination (%s); remove it from content.attachments", forbidden)}
		}
	}
	return nil
}

// inside reports whether path is dir or lies within it.
func inside(dir, path string) bool {
	rel, err := filepath.Rel(filepath.Clean(dir), filepath.Clean(path))
	return err == nil && filepath.IsLocal(rel) || rel == "."
}
