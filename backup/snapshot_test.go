package backup

import (
	"archive/zip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"holdfast/engine"
	"holdfast/settings"
)

// archiveFacts reads what an archive holds: whether it has the data file, and how its entries
// are compressed (the method of the data file or, without it, of any entry but the manifest).
func archiveFacts(t *testing.T, path string) (data bool, method uint16, m *Manifest) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		switch {
		case f.Name == "Data/Shop.4DD":
			data, method = true, f.Method
		case f.Name != ManifestName && !data:
			method = f.Method
		}
	}
	m, err = ReadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	return data, method, m
}

// Settings saved while a backup is writing are for the next backup: the one running makes the
// archive its settings asked for when it started (the data in it, not compressed), switches
// the log at its snapshot because the archive holds the data, and keeps the number of backups
// it was told to; the history and the log chain agree with the archive.
func TestSettingsChangedDuringBackup(t *testing.T) {
	db := newDB(t)
	fill(t, db, 3000, strings.Repeat("settings change under a running backup ", 8))
	configure(t, db, "archive.compression", "none", "keep.count", "2", "keep.deleteOldest", "after")
	for range 2 {
		if _, err := Run(context.Background(), db, Options{}); err != nil {
			t.Fatal(err)
		}
		add(t, db.NewProcess(""), 100000+int64(len(names(Destination(db)))))
	}

	var once sync.Once
	changeErr := errors.New("the settings were not changed during the backup")
	res, err := Run(context.Background(), db, Options{Progress: func(Progress) {
		once.Do(func() {
			s := db.Settings()
			for _, kv := range [][2]string{{"content.data", "false"}, {"archive.compression", "compact"}, {"keep.count", "1"}} {
				if err := s.Set(kv[0], kv[1]); err != nil {
					changeErr = err
					return
				}
			}
			changeErr = db.UpdateSettings(s)
		})
	}})
	if err != nil {
		t.Fatal(err)
	}
	if changeErr != nil {
		t.Fatal(changeErr)
	}
	data, method, m := archiveFacts(t, res.Archive)
	if !data || method != zip.Store || m.Compression != "none" {
		t.Errorf("backup 3 holds the data %v, method %d, manifest compression %q: want the data, stored, as the settings said at its start", data, method, m.Compression)
	}
	// The archive holds the data, so the log follows it: switched at its snapshot, the
	// closed log archived as the log backup after backup 2.
	if n, op, err := db.LastBackup(); err != nil || n != 3 || op != res.Operation {
		t.Errorf("the log follows backup %d at operation %d (%v), want backup 3 at %d", n, op, err, res.Operation)
	}
	if st := db.LogStatus(); st.FirstOp != res.Operation+1 {
		t.Errorf("the log starts at operation %d, want %d (after backup 3's snapshot)", st.FirstOp, res.Operation+1)
	}
	if len(res.LogBackups) != 1 || filepath.Base(res.LogBackups[0]) != "Shop[0002].4BL" {
		t.Errorf("log backups written %v, want Shop[0002].4BL", res.LogBackups)
	}
	// Two backups kept, as keep.count said at the start: backup 2 and its log backup stay.
	dest := Destination(db)
	for _, f := range []string{"Shop[0002].4BK", "Shop[0002].4BL", "Shop[0003].4BK"} {
		if _, err := os.Stat(filepath.Join(dest, f)); err != nil {
			t.Errorf("%s is gone: %v (left: %v)", f, err, names(dest))
		}
	}
	if _, err := os.Stat(filepath.Join(dest, "Shop[0001].4BK")); err == nil {
		t.Errorf("backup 1 kept beyond keep.count 2: %v", names(dest))
	}
	h, err := LoadHistory(dest)
	if err != nil {
		t.Fatal(err)
	}
	if last := h.Last(); last == nil || last.Number != 3 || last.Operation != res.Operation || last.Status != StatusSuccess {
		t.Errorf("history's last backup %+v", last)
	}
	// The restore of backup 3 with the logs after it brings back every record.
	r, err := Restore(context.Background(), res.Archive, RestoreOptions{To: filepath.Join(t.TempDir(), "Back")})
	if err != nil {
		t.Fatal(err)
	}
	rdb := openRestored(t, r.Dir)
	if n, err := rdb.Count("T"); err != nil || n != 3002 {
		t.Errorf("restored %d records (%v), want 3002", n, err)
	}

	// The next backup goes by the settings saved meanwhile.
	add(t, db.NewProcess(""), 200000)
	res4, err := Run(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, method, m = archiveFacts(t, res4.Archive)
	if data || method != zip.Deflate || m.Compression != "compact" {
		t.Errorf("backup 4 holds the data %v, method %d, compression %q: want no data, compact", data, method, m.Compression)
	}
	n, _, err := db.LastBackup()
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("after backup 4, without the data, the log follows backup %d, want 3 still", n)
	}
}

// With a value a backup needs that is not valid in the settings file, a backup started from
// the window or the Go API refuses (2009, naming the key, its line and the fix) before it
// deletes or writes anything: a mistyped keep.count read as its default 3 would delete the
// backups the user meant to keep.
func TestBackupRefusesBadSetting(t *testing.T) {
	db := newDB(t)
	configure(t, db, "keep.count", "1")
	if _, err := Run(context.Background(), db, Options{}); err != nil {
		t.Fatal(err)
	}
	dest := Destination(db)
	before := names(dest)
	path := filepath.Join(db.Dir(), settings.FileName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(b), "<count>1</count>", "<count>l0</count>", 1)
	if bad == string(b) {
		t.Fatalf("no keep.count in\n%s", b)
	}
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = engine.Open(db.Dir(), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	status := -1
	res, err := Run(context.Background(), db, Options{OnShutdown: func(s int, _ string) { status = s }})
	if engine.CodeOf(err) != engine.CodeBadSetting || res != nil {
		t.Fatalf("backup with a bad keep.count: %v, %v; want 2009", res, err)
	}
	for _, w := range []string{"keep.count", "line", `"l0"`, "Database Settings", "holdfast settings"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q does not say %s", err, w)
		}
	}
	if status != int(engine.CodeBadSetting) {
		t.Errorf("OnShutdown got status %d, want 2009", status)
	}
	if after := names(dest); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("the refused backup changed the destination: %v, was %v", after, before)
	}
	n, _, err := db.LastBackup()
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("the refused backup switched the log (it follows backup %d)", n)
	}
	if !strings.Contains(journalText(t, db.Dir()), "Backup refused") {
		t.Error("the backup journal does not say the backup was refused")
	}
}

// A scheduled backup that fails is retried by the failure policy of the settings when it
// fired: settings saved while it ran are for the runs after it.
func TestSchedulerFailureFollowsSettingsAtFire(t *testing.T) {
	db := newDB(t)
	configure(t, db, "scheduler.mode", "daily", "scheduler.time", "23:00", "failure.mode", "retry", "failure.retryAfter", "30s")
	h := startScheduler(t, db, time.Date(2026, 11, 22, 22, 59, 0, 0, paris), func() error {
		s := db.Settings()
		if err := s.Set("failure.mode", "nextScheduled"); err != nil {
			t.Error(err) // on the scheduler's goroutine
		}
		if err := s.Set("failure.retryAfter", "1h"); err != nil {
			t.Error(err)
		}
		if err := db.UpdateSettings(s); err != nil {
			t.Error(err)
		}
		return errors.New("disk gone")
	})
	at := time.Date(2026, 11, 22, 23, 0, 0, 0, paris)
	h.clock.advanceTo(at)
	h.event(EventFailed)
	h.waitTimer()
	if next := h.sched.Status().Next; !next.Equal(at.Add(30 * time.Second)) {
		t.Errorf("retry at %v, want %v (30s after the failure, as the settings said when it fired)", next, at.Add(30*time.Second))
	}
	if v := db.Values(); v.Failure.Mode != settings.FailureNextScheduled {
		t.Fatalf("the settings saved during the run were lost: %+v", v.Failure)
	}
}
