package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"holdfast/backup"
	"holdfast/engine"
	"holdfast/journal"
)

// needStrace skips a crash test under -short or without strace, and returns its path.
func needStrace(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("crash test: -short")
	}
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace is not installed (make deps installs it)")
	}
	return strace
}

// killAt runs `holdfast ARGS...` as a child under strace, which kills it with SIGKILL at the
// when-th call of the system call named (each thread counts its own calls, so the kill lands at
// one of the calls around that rank). It reports whether the child was killed.
func killAt(t *testing.T, strace, call string, when int, args ...string) bool {
	t.Helper()
	a, _ := json.Marshal(args)
	cmd := exec.Command(strace, "-f", "-qq", "-o", "/dev/null", "-e", "trace="+call,
		"-e", fmt.Sprintf("inject=%s:signal=SIGKILL:when=%d", call, when), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "HOLDFAST_ARGS="+string(a))
	var errb strings.Builder
	cmd.Stderr = &errb
	err := cmd.Run()
	if err == nil {
		return false
	}
	// strace exits with the child's status: killed shows as 128+9 or as a signal.
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && (ws.Signaled() || ws.ExitStatus() == 128+int(syscall.SIGKILL)) {
			return true
		}
	}
	if strings.Contains(errb.String(), "error ") {
		return false // the backup failed with an error of its own: also a case to recover from
	}
	t.Fatalf("holdfast %v under strace: %v\n%s", args, err, errb.String())
	return false
}

// callCounts counts the system calls of one `holdfast ARGS...` run, by name.
func callCounts(t *testing.T, strace string, calls []string, args ...string) map[string]int {
	t.Helper()
	out := filepath.Join(t.TempDir(), "trace")
	a, _ := json.Marshal(args)
	cmd := exec.Command(strace, "-f", "-qq", "-o", out, "-e", "trace="+strings.Join(calls, ","), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "HOLDFAST_ARGS="+string(a))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("holdfast %v under strace: %v\n%s", args, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		for _, c := range calls {
			if strings.Contains(line, " "+c+"(") {
				counts[c]++
			}
		}
	}
	return counts
}

// A backup killed at each of its renames, links, truncations, syncs and removals, and at
// writes spread over it, never stops the next one: the database opens whole, the next backup
// finishes or undoes what the killed one left (2012 before: an archive under a final name that
// the history did not list), no temporary file or closed log stays behind, and every archive
// kept restores with its logs to every record written.
func TestBackupKilledAtEachStep(t *testing.T) {
	strace := needStrace(t)
	dir := filepath.Join(t.TempDir(), "Shop")
	if err := run([]string{"create", dir, "--demo"}, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	written := 0
	write := func(n int) {
		db, _, err := backup.OpenOrRepair(context.Background(), dir, engine.Options{})
		if err != nil {
			t.Fatalf("open after %d records: %v", written, err)
		}
		defer db.Close()
		if written == 0 {
			if err := db.CreateTable(engine.Table{Name: "K", Journaled: true, PrimaryKey: []string{"id"},
				Fields: []engine.Field{{Name: "id", Type: journal.KindInt}, {Name: "v", Type: journal.KindText}}}); err != nil {
				t.Fatal(err)
			}
		}
		p := db.NewProcess("")
		for range n {
			written++
			tx := p.Auto()
			if _, err := tx.Add("K", map[string]journal.Value{"id": journal.Int(int64(written)), "v": journal.Text(strings.Repeat("v", 300))}); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(20)
	calls := []string{"renameat", "linkat", "truncate", "unlinkat", "fsync", "fdatasync"}
	counts := callCounts(t, strace, calls, "backup", dir)
	counts["write"] = 0
	t.Logf("system calls of one backup: %v", counts)
	rounds, killed := 0, 0
	for _, call := range append(calls, "write") {
		ranks := make([]int, 0, counts[call]+1)
		for n := 1; n <= counts[call]+1; n++ {
			ranks = append(ranks, n)
		}
		if call == "write" {
			ranks = []int{1, 3, 6, 10, 20, 40}
		}
		for _, n := range ranks {
			rounds++
			write(5)
			if killAt(t, strace, call, n, "backup", dir) {
				killed++
			}
			checkAfterKilledBackup(t, dir, written, fmt.Sprintf("%s #%d", call, n))
		}
	}
	if killed < rounds/2 {
		t.Fatalf("only %d of %d backups were killed: the test proved little", killed, rounds)
	}
	t.Logf("%d of %d backups killed", killed, rounds)
}

// checkAfterKilledBackup: the database opens with every record written, the next backup
// succeeds and leaves nothing behind, and every archive kept restores to every record.
func checkAfterKilledBackup(t *testing.T, dir string, written int, round string) {
	t.Helper()
	var out, errb strings.Builder
	if err := run([]string{"backup", dir}, nil, &out, &errb); err != nil {
		t.Fatalf("%s: the backup after the killed one: %v\n%s", round, err, errb.String())
	}
	db, _, err := backup.OpenOrRepair(context.Background(), dir, engine.Options{})
	if err != nil {
		t.Fatalf("%s: open: %v", round, err)
	}
	n, err := db.Count("K")
	if err != nil {
		t.Fatalf("%s: %v", round, err)
	}
	dest, closed := backup.Destination(db), db.ClosedLogs()
	if err := db.Close(); err != nil {
		t.Fatalf("%s: %v", round, err)
	}
	if n != int64(written) {
		t.Fatalf("%s: %d records, want %d", round, n, written)
	}
	if len(closed) != 0 {
		t.Fatalf("%s: closed logs left beside the log: %v", round, closed)
	}
	ents, err := os.ReadDir(dest)
	if err != nil {
		t.Fatalf("%s: %v", round, err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Fatalf("%s: %s left in the destination", round, e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "Data", ".backup-in-progress.json")); err == nil {
		t.Fatalf("%s: the record of a backup in progress stays after the next backup", round)
	}
	hist, err := backup.LoadHistory(dest)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range hist.Operations {
		if e.Kind != "backup" || e.Status == backup.StatusFailed || len(e.Files) == 0 {
			continue
		}
		to := filepath.Join(t.TempDir(), "R")
		if _, err := backup.Restore(context.Background(), e.Files[0].Path, backup.RestoreOptions{To: to}); err != nil {
			t.Fatalf("%s: restore of backup %d: %v", round, e.Number, err)
		}
		rdb, err := engine.Open(to, engine.Options{})
		if err != nil {
			t.Fatalf("%s: open the restore of backup %d: %v", round, e.Number, err)
		}
		n, err := rdb.Count("K")
		if err != nil {
			t.Fatalf("%s: the restore of backup %d: %v", round, e.Number, err)
		}
		rdb.Close()
		os.RemoveAll(to)
		if n != int64(written) {
			t.Fatalf("%s: the restore of backup %d with its logs holds %d records, want %d", round, e.Number, n, written)
		}
	}
}

// A rollback killed at each of its renames and syncs leaves a database that opens with either
// every record (the rollback did not happen) or exactly those up to the operation chosen (it
// did), never a mix; a write and the next backup then work, and the newest archive restores to
// what the database holds.
func TestRollbackKilledAtEachStep(t *testing.T) {
	strace := needStrace(t)
	base := t.TempDir()
	dir := filepath.Join(base, "Shop")
	if err := run([]string{"create", dir, "--demo"}, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTable(engine.Table{Name: "K", Journaled: true, PrimaryKey: []string{"id"},
		Fields: []engine.Field{{Name: "id", Type: journal.KindInt}}}); err != nil {
		t.Fatal(err)
	}
	p := db.NewProcess("")
	var to uint64
	addK := func(from, n int) {
		for i := from; i < from+n; i++ {
			tx := p.Auto()
			if _, err := tx.Add("K", map[string]journal.Value{"id": journal.Int(int64(i))}); err != nil {
				t.Fatal(err)
			}
			op, err := tx.Commit()
			if err != nil {
				t.Fatal(err)
			}
			if i == 15 {
				to = op
			}
		}
	}
	addK(1, 10)
	if _, err := backup.Run(context.Background(), db, backup.Options{}); err != nil {
		t.Fatal(err)
	}
	addK(11, 10)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	op := fmt.Sprint(to)
	counts := callCounts(t, strace, []string{"renameat", "fsync", "fdatasync", "linkat", "unlinkat"}, "rollback", copyShop(t, base), "--to", op)
	t.Logf("system calls of one rollback: %v", counts)
	rounds, killed := 0, 0
	for call, c := range counts {
		for n := 1; n <= c+1; n++ {
			rounds++
			round := fmt.Sprintf("%s #%d", call, n)
			d := copyShop(t, base)
			if killAt(t, strace, call, n, "rollback", d, "--to", op) {
				killed++
			}
			db, _, err := backup.OpenOrRepair(context.Background(), d, engine.Options{})
			if err != nil {
				t.Fatalf("%s: open after the killed rollback: %v", round, err)
			}
			got, err := db.Count("K")
			if err != nil {
				t.Fatalf("%s: %v", round, err)
			}
			if got != 15 && got != 20 {
				t.Fatalf("%s: %d records after a killed rollback, want 20 (not done) or 15 (done)", round, got)
			}
			if _, err := db.NewProcess("").Update(func(tx *engine.Tx) error {
				_, err := tx.Add("K", map[string]journal.Value{"id": journal.Int(1000)})
				return err
			}); err != nil {
				t.Fatalf("%s: a write after the killed rollback: %v", round, err)
			}
			res, err := backup.Run(context.Background(), db, backup.Options{})
			db.Close()
			if err != nil {
				t.Fatalf("%s: the backup after the killed rollback: %v", round, err)
			}
			// Both the backup before the rollback point and the one after restore, with their
			// logs, to what the database holds: the chain kept the log before the rollback.
			first := filepath.Join(filepath.Dir(res.Archive), backup.ArchiveName("Shop", 1))
			for _, a := range []string{first, res.Archive} {
				rr, err := backup.Restore(context.Background(), a, backup.RestoreOptions{To: filepath.Join(t.TempDir(), "R")})
				if err != nil {
					t.Fatalf("%s: restore of %s after the killed rollback: %v", round, filepath.Base(a), err)
				}
				rdb, err := engine.Open(rr.Dir, engine.Options{})
				if err != nil {
					t.Fatal(err)
				}
				n, err := rdb.Count("K")
				if err != nil {
					t.Fatalf("%s: the restore of %s: %v", round, filepath.Base(a), err)
				}
				if n != got+1 {
					t.Fatalf("%s: the restore of %s holds %d records, want %d", round, filepath.Base(a), n, got+1)
				}
				rdb.Close()
			}
		}
	}
	if killed == 0 {
		t.Fatal("no rollback was killed: the test proved nothing")
	}
	t.Logf("%d of %d rollbacks killed", killed, rounds)
}

// copyShop copies base/Shop and base/Shop Backups into a new folder and returns the copy of Shop.
func copyShop(t *testing.T, base string) string {
	t.Helper()
	to := t.TempDir()
	for _, d := range []string{"Shop", "Shop Backups"} {
		if out, err := exec.Command("cp", "-a", filepath.Join(base, d), to).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v %s", err, out)
		}
	}
	return filepath.Join(to, "Shop")
}

// A restore killed at each of its renames, syncs, writes and removals never leaves a folder
// under the final name that is not the whole database, and what it leaves in the backup
// destination (where a restore goes by default) is gone after the next backup; the restore
// then runs to its end.
func TestRestoreKilledAtEachStep(t *testing.T) {
	strace := needStrace(t)
	dir := filepath.Join(t.TempDir(), "Shop")
	if err := run([]string{"create", dir, "--demo"}, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	// Every backup kept: the archive restored stays there through the backups between rounds.
	if err := run([]string{"settings", dir, "set", "keep.enabled", "false"}, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"backup", dir}, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := db.Count("Customers")
	if err != nil {
		t.Fatal(err)
	}
	dest := backup.Destination(db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dest, backup.ArchiveName("Shop", 1))
	restored := backup.DefaultRestoreFolder(archive)
	calls := []string{"renameat", "fsync", "fdatasync", "unlinkat", "mkdirat"}
	counts := callCounts(t, strace, calls, "restore", archive)
	if err := os.RemoveAll(restored); err != nil {
		t.Fatal(err)
	}
	t.Logf("system calls of one restore: %v", counts)
	counts["write"] = 40
	rounds, killed := 0, 0
	for _, call := range append(calls, "write") {
		for n := 1; n <= counts[call]+1; n += max(1, counts[call]/8) {
			rounds++
			round := fmt.Sprintf("%s #%d", call, n)
			if killAt(t, strace, call, n, "restore", archive) {
				killed++
			}
			if _, err := os.Stat(restored); err == nil {
				rdb, err := engine.Open(restored, engine.Options{})
				if err != nil {
					t.Fatalf("%s: the folder under the final name does not open: %v", round, err)
				}
				n, err := rdb.Count("Customers")
				if err != nil {
					t.Fatalf("%s: the folder under the final name: %v", round, err)
				}
				rdb.Close()
				if n != want {
					t.Fatalf("%s: the folder under the final name holds %d customers, want %d", round, n, want)
				}
				if err := os.RemoveAll(restored); err != nil { // the next restore goes there
					t.Fatal(err)
				}
			}
			if err := run([]string{"backup", dir}, nil, io.Discard, io.Discard); err != nil {
				t.Fatalf("%s: the backup after the killed restore: %v", round, err)
			}
			ents, err := os.ReadDir(dest)
			if err != nil {
				t.Fatalf("%s: %v", round, err)
			}
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), ".") {
					t.Fatalf("%s: %s left in the destination after the next backup", round, e.Name())
				}
			}
		}
	}
	if err := run([]string{"restore", archive}, nil, io.Discard, io.Discard); err != nil {
		t.Fatalf("the restore after the killed ones: %v", err)
	}
	if killed == 0 {
		t.Fatal("no restore was killed: the test proved nothing")
	}
	t.Logf("%d of %d restores killed", killed, rounds)
}
