package backup

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"holdfast/engine"
	"holdfast/journal"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with a golden file (rewritten with -update) and returns the file's bytes.
func golden(t *testing.T, path string, got []byte) []byte {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s changed:\n%s\nwant:\n%s", path, got, want)
	}
	return want
}

func newDB(t *testing.T) *engine.DB {
	t.Helper()
	db, err := engine.Create(filepath.Join(t.TempDir(), "Shop"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = db.CreateTable(engine.Table{Name: "T", Journaled: true, PrimaryKey: []string{"id"},
		Fields: []engine.Field{{Name: "id", Type: journal.KindInt}, {Name: "v", Type: journal.KindText}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// fill adds records 1..n holding text, in one transaction.
func fill(t *testing.T, db *engine.DB, n int64, text string) {
	t.Helper()
	_, err := db.NewProcess("").Update(func(tx *engine.Tx) error {
		for i := int64(1); i <= n; i++ {
			if _, err := tx.Add("T", map[string]journal.Value{"id": journal.Int(i), "v": journal.Text(text)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func add(t *testing.T, p *engine.Process, id int64) uint64 {
	t.Helper()
	tx := p.Auto()
	if _, err := tx.Add("T", map[string]journal.Value{"id": journal.Int(id), "v": journal.Text("x")}); err != nil {
		t.Fatal(err)
	}
	op, err := tx.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return op
}

// openArchiveData extracts the data file of an archive into a database folder and opens it.
func openArchiveData(t *testing.T, archive, name string) *engine.DB {
	t.Helper()
	zr, err := zip.OpenReader(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	dir := filepath.Join(t.TempDir(), name)
	for _, f := range zr.File {
		if f.Name == ManifestName {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := out.ReadFrom(rc); err != nil {
			t.Fatal(err)
		}
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	// The restored copy has no log of its own yet: open it without one.
	sp := filepath.Join(dir, "Data", "Settings", "Backup.4DSettings")
	b, err := os.ReadFile(sp)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sp, []byte(strings.Replace(string(b), "<use>true</use>", "<use>false</use>", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := engine.Open(dir, engine.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// A backup made while a writer runs holds exactly the records written up to its snapshot
// operation; numbering, log backups, history and journal follow.
func TestBackupWithWriters(t *testing.T) {
	db := newDB(t)
	p := db.NewProcess("")
	ops := map[int64]uint64{}
	for i := int64(1); i <= 200; i++ {
		ops[i] = add(t, p, i)
	}
	var mu sync.Mutex
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		q := db.NewProcess("")
		for i := int64(1000); ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			op := add(t, q, i)
			mu.Lock()
			ops[i] = op
			mu.Unlock()
		}
	}()
	time.Sleep(20 * time.Millisecond)
	var seen []Progress
	res, err := Run(context.Background(), db, Options{Progress: func(pr Progress) { seen = append(seen, pr) }})
	time.Sleep(20 * time.Millisecond)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if res.Number != 1 || filepath.Base(res.Archive) != "Shop[0001].4BK" || len(res.LogBackups) != 1 || filepath.Base(res.LogBackups[0]) != "Shop[0000].4BL" {
		t.Fatalf("result %+v", res)
	}
	if len(seen) == 0 || seen[len(seen)-1].Done == 0 {
		t.Error("no progress reported")
	}
	m, err := VerifyArchive(res.Archive)
	if err != nil {
		t.Fatal(err)
	}
	if m.Backup != 1 || m.Operation != res.Operation || m.Database != engine.FormatID(db.ID()) || m.Name != "Shop" {
		t.Errorf("manifest %+v", m)
	}
	restored := openArchiveData(t, res.Archive, "Shop")
	defer restored.Close()
	mu.Lock()
	want := 0
	for id, op := range ops {
		_, found, err := restored.Get("T", []journal.Value{journal.Int(id)})
		if err != nil {
			t.Fatal(err)
		}
		if found != (op <= res.Operation) {
			t.Fatalf("record %d (operation %d) found=%v in a snapshot at operation %d", id, op, found, res.Operation)
		}
		if found {
			want++
		}
	}
	mu.Unlock()
	n, err := restored.Count("T")
	if err != nil {
		t.Fatal(err)
	}
	if int(n) != want {
		t.Fatalf("restored count %d, want %d", n, want)
	}

	// The second backup is number 2; the log backup of what came after backup 1 is [0001].
	res2, err := Run(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Number != 2 || filepath.Base(res2.LogBackups[0]) != "Shop[0001].4BL" {
		t.Fatalf("second backup %+v", res2)
	}
	h, err := LoadHistory(Destination(db))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Operations) != 2 || h.Operations[1].Status != StatusSuccess || len(h.Operations[1].Files) != 2 || h.NextNumber() != 3 {
		t.Fatalf("history %+v", h)
	}
	jb, err := os.ReadFile(engine.BackupJournalPath(db.Dir()))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(jb), "Backup started") != 2 || !strings.Contains(string(jb), "Backup 2 finished") {
		t.Errorf("journal:\n%s", jb)
	}
}

func TestBackupDestinationUnusable(t *testing.T) {
	db := newDB(t)
	s := db.Settings()
	file := filepath.Join(t.TempDir(), "a file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dest := range []string{file, filepath.Join(t.TempDir(), "missing")} {
		if err := s.Set("destination", dest); err != nil {
			t.Fatal(err)
		}
		if err := db.UpdateSettings(s); err != nil {
			t.Fatal(err)
		}
		_, err := Run(context.Background(), db, Options{})
		if engine.CodeOf(err) != engine.CodeDestination {
			t.Errorf("destination %s: %v, want 1407", dest, err)
		}
	}
}

// Stopping a backup leaves nothing behind and changes nothing.
func TestBackupStopped(t *testing.T) {
	db := newDB(t)
	add(t, db.NewProcess(""), 1)
	logBefore, err := os.ReadFile(db.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, err = Run(ctx, db, Options{Progress: func(Progress) { cancel() }})
	if engine.CodeOf(err) != engine.CodeBackupInterrupted {
		t.Fatalf("want 1406, got %v", err)
	}
	ents, err := os.ReadDir(Destination(db))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() != HistoryFile {
			t.Errorf("a stopped backup left %s", e.Name())
		}
	}
	if len(db.ClosedLogs()) != 0 {
		t.Error("a stopped backup switched the log")
	}
	logAfter, err := os.ReadFile(db.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(logAfter), string(logBefore[:64])) {
		t.Error("the log was replaced")
	}
	h, err := LoadHistory(Destination(db))
	if err != nil {
		t.Fatal(err)
	}
	if last := h.Last(); last == nil || last.Status != StatusFailed || last.ErrorCode != int(engine.CodeBackupInterrupted) {
		t.Errorf("history %+v", h)
	}
	// The next backup takes number 1: the stopped one did not use it.
	res, err := Run(context.Background(), db, Options{})
	if err != nil || res.Number != 1 {
		t.Fatalf("after a stopped backup: %+v %v", res, err)
	}
}

func TestVerifyFindsDamage(t *testing.T) {
	db := newDB(t)
	for i := int64(1); i <= 50; i++ {
		add(t, db.NewProcess(""), i)
	}
	res, err := Run(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(res.Archive)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/3] ^= 0x20
	if err := os.WriteFile(res.Archive, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyArchive(res.Archive); engine.CodeOf(err) != engine.CodeArchiveVerify {
		t.Fatalf("a flipped byte: %v, want 1411", err)
	}
	if err := os.Remove(res.Archive); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyArchive(res.Archive); engine.CodeOf(err) != engine.CodeArchiveMissing {
		t.Fatalf("a missing archive: %v, want 1410", err)
	}
}

// Losing backupHistory.json resets the numbering, but an archive is never overwritten silently.
func TestNumberingAfterHistoryLost(t *testing.T) {
	db := newDB(t)
	res, err := Run(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(Destination(db), HistoryFile)); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(res.Archive)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), db, Options{})
	if engine.CodeOf(err) != engine.CodeExists {
		t.Fatalf("want 2012, got %v", err)
	}
	after, err := os.ReadFile(res.Archive)
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Fatal("the archive was overwritten")
	}
	if _, err := Run(context.Background(), db, Options{Overwrite: true}); err != nil {
		t.Fatal(err)
	}
}

func TestManifestGolden(t *testing.T) {
	m := &Manifest{Format: 1, Backup: 7, Time: time.Date(2026, 11, 22, 6, 30, 0, 0, time.UTC), Database: "0a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d",
		Name: "Shop", Folder: "/home/ana/Shop", Operation: 1234, Holdfast: Version, Compression: "fast", Entries: []Entry{
			{Path: "Data/Shop.4DD", Size: 65536, SHA256: strings.Repeat("ab", 32)},
			{Path: "Project/catalog.json", Size: 512, SHA256: strings.Repeat("cd", 32)}}}
	want := golden(t, "../testdata/backup/manifest.golden.json", m.Marshal())
	back, err := ParseManifest(want)
	if err != nil || back.Operation != 1234 || len(back.Entries) != 2 {
		t.Fatalf("parse: %+v %v", back, err)
	}
}

func FuzzParseManifest(f *testing.F) {
	b, err := os.ReadFile("../testdata/backup/manifest.golden.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"format":1,"entries":[{"path":"a","size":-1}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err != nil {
			return
		}
		for _, e := range m.Entries {
			if e.Size < 0 || e.Path == "" {
				t.Fatalf("accepted a bad entry %+v", e)
			}
		}
	})
}

func setKeep(t *testing.T, db *engine.DB, count, when string) {
	t.Helper()
	s := db.Settings()
	if err := s.Set("keep.count", count); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("keep.deleteOldest", when); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateSettings(s); err != nil {
		t.Fatal(err)
	}
}

func names(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// Keep only the last X: older archives and the log backups below the oldest kept go; files
// the history did not record, or that were renamed, stay.
func TestRetention(t *testing.T) {
	for _, when := range []string{"after", "before"} {
		t.Run(when, func(t *testing.T) {
			db := newDB(t)
			setKeep(t, db, "2", when)
			dest := Destination(db)
			if err := os.MkdirAll(dest, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dest, "Shop[0009].4BK"), []byte("not ours"), 0o600); err != nil {
				t.Fatal(err)
			}
			p := db.NewProcess("")
			for i := int64(1); i <= 4; i++ {
				add(t, p, i)
				if _, err := Run(context.Background(), db, Options{}); err != nil {
					t.Fatal(err)
				}
				if i == 1 {
					if err := os.Rename(filepath.Join(dest, "Shop[0001].4BK"), filepath.Join(dest, "kept by hand.4BK")); err != nil {
						t.Fatal(err)
					}
				}
			}
			got := strings.Join(names(dest), ", ")
			want := "Shop[0003].4BK, Shop[0003].4BL, Shop[0004].4BK, Shop[0009].4BK, backupHistory.json, kept by hand.4BK"
			if got != want {
				t.Fatalf("destination holds\n %s\nwant\n %s", got, want)
			}
		})
	}
}

// fullFS is the real filesystem where archives under construction fail with ENOSPC after
// a few bytes: a full disk.
type fullFS struct {
	journal.OSFS
	left int
}

func (f *fullFS) OpenFile(name string, flag int, perm fs.FileMode) (journal.File, error) {
	file, err := f.OSFS.OpenFile(name, flag, perm)
	if err != nil || !strings.HasSuffix(name, ".tmp") {
		return file, err
	}
	return &fullFile{File: file, fs: f}, nil
}

type fullFile struct {
	journal.File
	fs *fullFS
}

func (f *fullFile) Write(p []byte) (int, error) {
	if len(p) > f.fs.left {
		n, _ := f.File.Write(p[:f.fs.left])
		f.fs.left = 0
		return n, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	f.fs.left -= len(p)
	return f.File.Write(p)
}

// A full disk while writing the archive: 1409, nothing under a final name, no temporary file
// left, the log not switched, and the next backup works.
func TestBackupDiskFull(t *testing.T) {
	db := newDB(t)
	for i := int64(1); i <= 100; i++ {
		add(t, db.NewProcess(""), i)
	}
	_, err := Run(context.Background(), db, Options{FS: &fullFS{left: 500}})
	if engine.CodeOf(err) != engine.CodeArchiveWrite {
		t.Fatalf("want 1409, got %v", err)
	}
	for _, n := range names(Destination(db)) {
		if n != HistoryFile {
			t.Errorf("a failed backup left %s", n)
		}
	}
	if len(db.ClosedLogs()) != 0 {
		t.Error("the log was switched")
	}
	res, err := Run(context.Background(), db, Options{})
	if err != nil || res.Number != 1 {
		t.Fatalf("next backup: %+v %v", res, err)
	}
}

// An archive cut in segments verifies as one; a missing segment is 1410; retention deletes
// every segment of an old backup.
func TestSegments(t *testing.T) {
	db := newDB(t)
	configure(t, db, "archive.segmentMB", "1", "archive.compression", "none", "keep.count", "1")
	fill(t, db, 20000, strings.Repeat("segment ", 20))
	res, err := Run(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) < 3 || filepath.Base(res.Files[0]) != "Shop[0001-0001].4BK" {
		t.Fatalf("segments %v", res.Files)
	}
	for _, f := range res.Files[:len(res.Files)-1] {
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size() != 1<<20 {
			t.Errorf("segment %s is %d bytes", f, info.Size())
		}
	}
	if _, err := VerifyArchive(res.Files[1]); err != nil {
		t.Fatal(err)
	}
	// Joined, the segments are a zip any tool reads.
	var joined []byte
	for _, f := range res.Files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		joined = append(joined, b...)
	}
	if _, err := zip.NewReader(bytes.NewReader(joined), int64(len(joined))); err != nil {
		t.Fatalf("joined segments: %v", err)
	}
	// The next backup (keep 1) deletes every segment of the first.
	res2, err := Run(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Files {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("old segment %s kept", f)
		}
	}
	if err := os.Remove(res2.Files[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyArchive(res2.Files[0]); engine.CodeOf(err) != engine.CodeArchiveMissing {
		t.Fatalf("a missing segment: %v, want 1410", err)
	}
}

func TestHistoryGolden(t *testing.T) {
	start := time.Date(2026, 11, 22, 23, 0, 0, 0, time.UTC)
	h := &History{Format: 1}
	h.add(HistoryEntry{Number: 1, Kind: "backup", Date: "2026-11-22", Time: "23:00:00", Start: start, DurationMS: 1234,
		Status: StatusSuccess, Operation: 355, Files: []FileInfo{
			{Path: "/home/ann/Shop Backups/Shop[0001].4BK", Size: 20428, SHA256: strings.Repeat("0f", 32)},
			{Path: "/home/ann/Shop Backups/Shop[0000].4BL", Size: 50267, SHA256: strings.Repeat("a1", 32)}}}, 3)
	h.add(HistoryEntry{Number: 2, Kind: "backup", Date: "2026-11-23", Time: "23:00:00", Start: start.Add(24 * time.Hour), DurationMS: 8,
		Status: StatusFailed, ErrorCode: 1407, Error: "backup /media/usb: no such file or directory. The backup destination is missing, not a folder, or not writable; choose another one in the settings."}, 3)
	h.Database = "0a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
	got, _ := json.MarshalIndent(h, "", "  ")
	golden(t, "../testdata/backup/backupHistory.golden.json", got)
	if h.NextNumber() != 2 {
		t.Errorf("a failed backup 2 must not use its number: next is %d", h.NextNumber())
	}
}

// Before a backup, a journal over 10 MB moves on to the next file; after [999] it starts again
// at [001], replacing the old one. VerboseMode off keeps only starts and errors.
func TestJournalRollover(t *testing.T) {
	db := newDB(t)
	logs := filepath.Join(db.Dir(), "Logs")
	big := bytes.Repeat([]byte("x"), journalLimit+1)
	if err := os.WriteFile(filepath.Join(logs, "Backup Journal[001].txt"), big, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), db, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := filepath.Base(engine.BackupJournalPath(db.Dir())); got != "Backup Journal[002].txt" {
		t.Fatalf("journal now %s", got)
	}
	b, err := os.ReadFile(filepath.Join(logs, "Backup Journal[002].txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "Backup started") {
		t.Errorf("the new journal lacks the backup:\n%s", b)
	}
	// Wrap: [999] full goes back to [001], replacing it.
	if err := os.WriteFile(filepath.Join(logs, "Backup Journal[999].txt"), big, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(logs, engine.JournalPointer), []byte("999\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	configure(t, db, "journal.verbose", "false")
	if _, err := Run(context.Background(), db, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := filepath.Base(engine.BackupJournalPath(db.Dir())); got != "Backup Journal[001].txt" {
		t.Fatalf("after [999] the journal is %s", got)
	}
	if b, err = os.ReadFile(filepath.Join(logs, "Backup Journal[001].txt")); err != nil {
		t.Fatal(err)
	}
	if len(b) > 1000 || !strings.Contains(string(b), "Backup started") || strings.Contains(string(b), "finished") {
		t.Errorf("quiet journal holds:\n%s", b)
	}
}

// With redundancy, damage the parity covers is repaired by verify (and reported); beyond it,
// 1411. The archive is no longer a plain zip but is still checked the same way.
func TestRedundantArchive(t *testing.T) {
	db := newDB(t)
	configure(t, db, "archive.redundancy", "medium", "archive.interlacing", "low", "archive.compression", "none")
	fill(t, db, 3000, strings.Repeat("r", 100))
	res, err := Run(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(res.Archive)
	if err != nil {
		t.Fatal(err)
	}
	if !IsProtected(b[:8]) {
		t.Fatal("the archive is not protected")
	}
	b[len(b)/2] ^= 0xFF
	b[len(b)/3] ^= 0xFF
	if err := os.WriteFile(res.Archive, b, 0o600); err != nil {
		t.Fatal(err)
	}
	m, rep, err := VerifyArchiveRepair(res.Archive)
	if err != nil || m.Backup != 1 || rep.RepairedShards < 2 {
		t.Fatalf("verify with damage parity covers: %v, report %+v", err, rep)
	}
	// A burst far past what medium redundancy with low interlacing survives.
	for i := len(b) / 4; i < len(b)/4+int(SurvivableBurst(RedundancyMedium, InterlacingLow))*4; i++ {
		b[i] ^= 0x5A
	}
	if err := os.WriteFile(res.Archive, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyArchive(res.Archive); engine.CodeOf(err) != engine.CodeArchiveVerify {
		t.Fatalf("damage beyond repair: %v, want 1411", err)
	}
}

// S3.4: the log asked for after the data changed starts with the next backup, following it.
func TestDeferredLogStartsAtBackup(t *testing.T) {
	db := newDB(t)
	p := db.NewProcess("")
	add(t, p, 1)
	if err := db.StopLog(); err != nil {
		t.Fatal(err)
	}
	add(t, p, 2)
	if err := db.StartLog(""); engine.CodeOf(err) != engine.CodeLogRequiresBkp {
		t.Fatalf("want 2015, got %v", err)
	}
	if db.LogStatus().Open {
		t.Fatal("the log started before a backup")
	}
	res, err := Run(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := db.LogStatus()
	if !st.Open || st.Pending || st.FirstOp != res.Operation+1 {
		t.Fatalf("after the backup: %+v (snapshot %d)", st, res.Operation)
	}
	h, _, _, err := journal.ReadAll(journal.OSFS{}, db.LogPath())
	if err != nil || h.BackupNum != res.Number {
		t.Fatalf("new log header %+v, %v", h, err)
	}
	add(t, p, 3) // logged now
	_, recs, _, err := journal.ReadAll(journal.OSFS{}, db.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range recs {
		found = found || r.Action == journal.Add
	}
	if !found {
		t.Error("a write after the backup is not in the new log")
	}
}

// The backup journal's lines, times aside, for a verbose backup then a failed one.
func TestJournalLinesGolden(t *testing.T) {
	db := newDB(t)
	if _, err := Run(context.Background(), db, Options{}); err != nil {
		t.Fatal(err)
	}
	configure(t, db, "destination", "/nonexistent/backups")
	Run(context.Background(), db, Options{})
	b, err := os.ReadFile(engine.BackupJournalPath(db.Dir()))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if len(l) < 21 || l[4] != '-' || l[10] != ' ' || l[19:21] != "  " {
			t.Fatalf("line without a date and time: %q", l)
		}
		l = l[21:]
		l = strings.ReplaceAll(l, db.Dir(), "DB")
		l = strings.ReplaceAll(l, filepath.Dir(db.Dir()), "PARENT")
		l = regexp.MustCompile(`in [0-9.]+m?s:`).ReplaceAllString(l, "in T:")
		l = regexp.MustCompile(`\(\d+ bytes\)`).ReplaceAllString(l, "(N bytes)")
		lines = append(lines, l)
	}
	golden(t, "../testdata/backup/journal.golden.txt", []byte(strings.Join(lines, "\n")+"\n"))
}
