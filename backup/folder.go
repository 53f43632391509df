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

// folderValues reads the settings of the database folder dir as one snapshot. While one of the
// keys op needs holds a value that is not valid, it refuses with 2009 naming the key, its line
// and the fix: a default read in its place would say where the folder's log or backups are
// not, and op would work on other files than the database's.
func folderValues(dir, op string, needs ...string) (settings.Values, error) {
	s, err := folderSettings(dir)
	if err != nil {
		return settings.Values{}, err
	}
	v := s.Values()
	if err := v.Need(needs...); err != nil {
		return v, &engine.Error{Code: engine.CodeBadSetting, Op: op, Path: filepath.Join(dir, settings.FileName), Err: err}
	}
	return v, nil
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

// currentLog is the current log of the database in folder, whose log keys are l, or "" when
// there is none or it belongs to another database than database (an identity as FormatID
// writes it).
func currentLog(folder string, l settings.LogValues, database string) string {
	if folder == "" || !l.Use {
		return ""
	}
	p := l.File(folder)
	if h, err := logHeader(p); err != nil || engine.FormatID(h.DBID) != database {
		return "" // none, or the folder holds another database now
	}
	return p
}

// valuesAndID reads a database folder's settings for op (a repair), refusing with 2009 while
// where its log is or where its backups go holds a bad value (settings.FolderKeys), and its
// identity from its log header ("" when there is no readable log).
func valuesAndID(dir, op string) (settings.Values, string, error) {
	v, err := folderValues(dir, op, settings.FolderKeys...)
	if err != nil {
		return v, "", err
	}
	h, err := logHeader(v.Log.File(dir))
	if err != nil {
		return v, "", nil
	}
	return v, engine.FormatID(h.DBID), nil
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

// waitingLogs lists the closed logs of database beside the log of the database in folder,
// whose log keys are l.
func waitingLogs(folder string, l settings.LogValues, database string) []waitingLog {
	if folder == "" {
		return nil
	}
	paths, _ := filepath.Glob(globEscape(l.File(folder)) + ".closed[[]*]")
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
