package backup

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"holdfast/engine"
	"holdfast/journal"
	"holdfast/settings"
)

// A database folder read without opening the database: what restores, repairs and rollbacks
// need to know of it even when its data file cannot be opened.

// folderSettings reads the settings of the database folder dir (the defaults when it has none).
func folderSettings(dir string) (*settings.Settings, error) {
	path := filepath.Join(dir, settings.FileName)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return settings.New(), nil
	}
	if err == nil {
		var s *settings.Settings
		if s, err = settings.Parse(b); err == nil {
			return s, nil
		}
	}
	return nil, engine.SettingsError(path, err)
}

// logPathOf is where the log of the database folder dir is, by its settings s.
func logPathOf(dir string, s *settings.Settings) string {
	p := s.String("log.path")
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	return p
}

// logHeader reads the header of a log file.
func logHeader(path string) (journal.Header, error) {
	r, err := journal.OpenReader(journal.OSFS{}, path)
	if err != nil {
		return journal.Header{}, err
	}
	defer r.Close()
	return r.Header(), nil
}

// currentLog is the current log of the database in folder, or "" when there is none or it
// belongs to another database than database (an identity as FormatID writes it).
func currentLog(folder, database string) string {
	if folder == "" {
		return ""
	}
	s, err := folderSettings(folder)
	if err != nil || !s.Bool("log.use") {
		return ""
	}
	p := logPathOf(folder, s)
	if h, err := logHeader(p); err != nil || engine.FormatID(h.DBID) != database {
		return "" // none, or the folder holds another database now
	}
	return p
}

// settingsAndID reads a database folder's settings, and its identity from its log header
// ("" when there is no readable log).
func settingsAndID(dir string) (*settings.Settings, string, error) {
	s, err := folderSettings(dir)
	if err != nil {
		return nil, "", err
	}
	h, err := logHeader(logPathOf(dir, s))
	if err != nil {
		return s, "", nil
	}
	return s, engine.FormatID(h.DBID), nil
}

// DiskSpace is the space left to an unprivileged user and the size of the filesystem of dir.
func DiskSpace(dir string) (free, total uint64, ok bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, false
	}
	return st.Bavail * uint64(st.Bsize), st.Blocks * uint64(st.Bsize), true
}

// waitingLog is a closed log beside a database's current log, waiting to be archived as the
// log backup of number (and segment, 0 for the backup's own).
type waitingLog struct {
	path            string
	number, segment uint32
}

// waitingLogs lists the closed logs of database beside the log of the database in folder.
func waitingLogs(folder, database string) []waitingLog {
	if folder == "" {
		return nil
	}
	s, err := folderSettings(folder)
	if err != nil {
		return nil
	}
	paths, _ := filepath.Glob(globEscape(logPathOf(folder, s)) + ".closed[[]*]")
	var out []waitingLog
	for _, p := range paths {
		m := closedLogPattern.FindStringSubmatch(p)
		if m == nil {
			continue
		}
		if h, err := logHeader(p); err != nil || engine.FormatID(h.DBID) != database {
			continue
		}
		w := waitingLog{path: p}
		n, _ := strconv.ParseUint(m[1], 10, 32)
		w.number = uint32(n)
		if m[2] != "" {
			seg, err := strconv.ParseUint(m[2], 10, 32)
			if err != nil {
				continue
			}
			w.segment = uint32(seg)
		}
		out = append(out, w)
	}
	return out
}
