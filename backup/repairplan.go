package backup

import (
	"bufio"
	"cmp"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"holdfast/engine"
	"holdfast/settings"
)

// Where a repair looks for backups (S3.5 step 1).
//
// The destination setting says where the next backup goes, not where the earlier ones went:
// after it changes, the backups and log backups made before stay in the old folder, with the
// history that lists them. A repair therefore looks in every destination known:
//
//   - the current destination, then the default one beside the database folder;
//   - every destination the backup journal names: each backup writes "Backup started
//     (destination D)." to Logs/Backup Journal[NNN].txt, even with journal.verbose off. The
//     journal lives in the database folder (not in a destination, which is what changed),
//     only grows, and is not the data file, so it survives the damage being repaired;
//   - the folders of the files the histories found there record (an archive moved with its
//     history's entry updated, a history listing archives kept elsewhere).
//
// The candidates are the backups of this database in all those histories, newest snapshot
// first. The logs to integrate after one are chosen by their headers, not their names:
// numbering starts again at 1 in a new destination, so a log backup's number says which
// backup of its own folder it follows, while its first operation says where it goes in the
// one chain of operations of the database. Every log of the database found (log backups in
// any of the folders, closed logs waiting beside the current log, the current log) is sorted
// by first operation; the chain after a backup starts with the last log that starts at or
// before the operation after the backup's snapshot. A gap in it is refused by the restore
// (1412), naming what is missing.

// maxJournalFiles bounds how many backup journal files (10 MB at most each) are searched for
// destinations, newest first.
const maxJournalFiles = 16

// knownDestinations lists the folders where backups of the database in dir may be, the
// current destination first.
func knownDestinations(dir string, v settings.Values) []string {
	var out []string
	seen := map[string]bool{}
	add := func(d string) {
		if d == "" {
			return
		}
		if abs, err := filepath.Abs(d); err == nil {
			d = abs
		}
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	add(v.DestinationFor(dir))
	add(filepath.Join(filepath.Dir(dir), filepath.Base(dir)+" Backups"))
	for _, d := range journalDestinations(dir) {
		add(d)
	}
	return out
}

// journalDestinations reads the destinations the backup journal names, newest first.
func journalDestinations(dir string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, "Logs", globEscape("Backup Journal[")+"*"))
	slices.SortFunc(files, func(a, b string) int { return cmp.Compare(modTime(b), modTime(a)) })
	var out []string
	for i, f := range files {
		if i == maxJournalFiles {
			break
		}
		var inFile []string
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if _, rest, ok := strings.Cut(line, "Backup started (destination "); ok {
				if d, ok := strings.CutSuffix(rest, ")."); ok {
					inFile = append(inFile, d)
				}
			}
		}
		fh.Close()
		slices.Reverse(inFile)
		out = append(out, inFile...)
	}
	return out
}

func modTime(path string) int64 {
	if info, err := os.Stat(path); err == nil {
		return info.ModTime().UnixNano()
	}
	return 0
}

// repairCandidate is a backup a repair may start from.
type repairCandidate struct {
	HistoryEntry
	archive string
}

// repairCandidates reads the histories of the destinations (and of the folders their entries
// name) and returns the successful backups of database id ("": any) whose archive is there,
// newest snapshot first. histErr is the error of the current destination's history, if any.
func repairCandidates(dests []string, name, id string) (cands []repairCandidate, histErr error) {
	seenDir, seenArchive := map[string]bool{}, map[string]bool{}
	for i := 0; i < len(dests); i++ {
		d := dests[i]
		if seenDir[d] {
			continue
		}
		seenDir[d] = true
		hist, err := LoadHistory(d)
		if err != nil {
			if i == 0 {
				histErr = err
			}
			continue
		}
		if hist.Database != "" && id != "" && hist.Database != id {
			continue // another database's backups share this folder
		}
		for _, e := range hist.Operations {
			for _, f := range e.Files {
				dests = append(dests, filepath.Dir(f.Path))
			}
			if e.Kind != "backup" || e.Status == StatusFailed || abandoned(hist, &e) {
				continue // (abandoned: its data holds what a rollback undid, not what is now)
			}
			if a := archiveIn(&e, d, name); a != "" && !seenArchive[a] {
				seenArchive[a] = true
				cands = append(cands, repairCandidate{HistoryEntry: e, archive: a})
			}
		}
	}
	slices.SortStableFunc(cands, func(a, b repairCandidate) int {
		return cmp.Or(cmp.Compare(b.Operation, a.Operation), b.Start.Compare(a.Start))
	})
	return cands, histErr
}

// archiveIn is the archive of a history entry: where the entry says, else under the same name
// in the folder of the history (the folder was moved with its history).
func archiveIn(e *HistoryEntry, histDir, name string) string {
	if a := archiveOf(e); a != "" {
		return a
	}
	for _, f := range e.Files {
		if filepath.Ext(f.Path) != ".4BK" {
			continue
		}
		if a := filepath.Join(histDir, filepath.Base(f.Path)); strings.HasPrefix(filepath.Base(a), name+"[") {
			if _, err := os.Stat(a); err == nil {
				return a
			}
		}
		return ""
	}
	return ""
}

// chainLog is a log of the database and the first operation it holds.
type chainLog struct {
	path  string
	first uint64
}

// logPool lists every log of database id found for the database in dir: the log backups in
// the destinations, the closed logs waiting beside its log, and its current log, sorted by
// first operation (one file per first operation: copies of a log are the same log).
// log is where the log of dir is, by its settings.
func logPool(dests []string, dir string, log settings.LogValues, id string) []chainLog {
	name := filepath.Base(dir)
	var paths []string
	for _, d := range dests {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if sm := logBackupPattern.FindStringSubmatch(e.Name()); sm != nil && sm[1] == name && e.Type().IsRegular() {
				paths = append(paths, filepath.Join(d, e.Name()))
			}
		}
	}
	for _, w := range waitingLogs(dir, log, id) {
		paths = append(paths, w.path)
	}
	if c := currentLog(dir, log, id); c != "" {
		paths = append(paths, c)
	}
	var pool []chainLog
	seen := map[uint64]bool{}
	for _, p := range paths {
		h, err := logHeader(p)
		if err != nil || (id != "" && engine.FormatID(h.DBID) != id) || seen[h.FirstOp] {
			continue
		}
		seen[h.FirstOp] = true
		pool = append(pool, chainLog{path: p, first: h.FirstOp})
	}
	slices.SortFunc(pool, func(a, b chainLog) int { return cmp.Compare(a.first, b.first) })
	return pool
}

// chainAfter is the logs to integrate after a snapshot at operation op: from the last log that
// starts at or before op+1 (or, when every log starts later, all of them: the restore then
// names the operations missing).
func chainAfter(pool []chainLog, op uint64) []string {
	start := 0
	for i, l := range pool {
		if l.first <= op+1 {
			start = i
		}
	}
	var logs []string
	for _, l := range pool[start:] {
		logs = append(logs, l.path)
	}
	return logs
}

// folderIdentity is the identity of the database in dir: from its log (id) or, when the log
// cannot be read, from the history of its destination.
func folderIdentity(id, dest string) string {
	if id != "" {
		return id
	}
	if h, err := LoadHistory(dest); err == nil {
		return h.Database
	}
	return ""
}
