package main

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"holdfast/backup"
	"holdfast/engine"
	"holdfast/journal"
)

// Killing `holdfast backup` at random moments never leaves an incomplete archive under a final
// name, never damages earlier archives, and the database always opens with its data and a
// whole log.
func TestBackupKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: -short")
	}
	dir, want := bulkDB(t)
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := db.Settings()
	if err := s.Set("archive.compression", "compact"); err != nil { // slower: more moments to be killed in
		t.Fatal(err)
	}
	if err := db.UpdateSettings(s); err != nil {
		t.Fatal(err)
	}
	dest := backup.Destination(db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))
	killed := 0
	for round := 0; round < 20; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), `HOLDFAST_ARGS=["backup",`+quoteJSON(dir)+`]`)
		if killedAfter(t, cmd, time.Duration(rng.IntN(400))*time.Millisecond) {
			killed++
		}
		// Every file under a final name is a good archive or log backup.
		ents, err := os.ReadDir(dest)
		if err != nil && !errors.Is(err, fs.ErrNotExist) { // not made yet if killed early
			t.Fatalf("round %d: %v", round, err)
		}
		for _, e := range ents {
			path := filepath.Join(dest, e.Name())
			switch {
			case strings.HasSuffix(e.Name(), ".4BK") && !strings.HasPrefix(e.Name(), "."):
				if _, err := backup.VerifyArchive(path); err != nil {
					t.Fatalf("round %d: %s is under a final name but damaged: %v", round, e.Name(), err)
				}
			case strings.HasSuffix(e.Name(), ".4BL"):
				if _, _, torn, err := journal.ReadAll(journal.OSFS{}, path); err != nil || torn != nil {
					t.Fatalf("round %d: log backup %s damaged: %v %v", round, e.Name(), err, torn)
				}
			}
		}
		// The database opens, whole.
		db, err := engine.Open(dir, engine.Options{})
		if err != nil {
			t.Fatalf("round %d: the database does not open after the kill: %v", round, err)
		}
		n, err := db.Count("Bulk")
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if n != want {
			t.Fatalf("round %d: %d records, want %d", round, n, want)
		}
		// A write works and survives: the log is whole.
		tx := db.NewProcess("").Auto()
		if _, err := tx.Add("Calls", map[string]journal.Value{"customer": journal.Int(int64(round)), "day": journal.Date(1), "at": journal.TimeOfDay(int64(round))}); err != nil {
			t.Fatalf("round %d: write after the kill: %v", round, err)
		}
		if _, err := tx.Commit(); err != nil {
			t.Fatalf("round %d: write after the kill: %v", round, err)
		}
		if err := db.Close(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
	if killed == 0 {
		t.Fatal("no backup was killed: the test proved nothing")
	}
	t.Logf("%d of 20 backups killed", killed)
}

// bulkDB makes the demo database with a table of 30,000 records of about 220 bytes, enough
// for a backup or a restore to take a while; want is their number.
func bulkDB(t *testing.T) (dir string, want int64) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "Shop")
	if err := run([]string{"create", dir, "--demo"}, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateTable(engine.Table{Name: "Bulk", Journaled: true, PrimaryKey: []string{"id"},
		Fields: []engine.Field{{Name: "id", Type: journal.KindInt}, {Name: "text", Type: journal.KindText}}}); err != nil {
		t.Fatal(err)
	}
	p := db.NewProcess("")
	filler := strings.Repeat("lorem ipsum dolor sit amet ", 8)
	for b := 0; b < 30; b++ {
		if _, err := p.Update(func(tx *engine.Tx) error {
			for i := 0; i < 1000; i++ {
				if _, err := tx.Add("Bulk", map[string]journal.Value{"id": journal.Int(int64(b*1000 + i)), "text": journal.Text(filler)}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := db.Count("Bulk")
	if err != nil {
		t.Fatal(err)
	}
	return dir, n
}

// Killing `holdfast restore` at random moments never leaves a folder under the final name that
// is not the whole database, and the staging folders the killed restores leave are removed by
// the next restore beside them.
func TestRestoreKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: -short")
	}
	dir, want := bulkDB(t)
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := backup.Run(context.Background(), db, backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	out := t.TempDir()
	to := filepath.Join(out, "Restored")
	restore := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), `HOLDFAST_ARGS=["restore",`+quoteJSON(res.Archive)+`,"--to",`+quoteJSON(to)+`]`)
		return cmd
	}
	rng := rand.New(rand.NewPCG(9, uint64(time.Now().UnixNano())))
	killed := 0
	for round := 0; round < 12; round++ {
		if killedAfter(t, restore(), time.Duration(10+rng.IntN(200))*time.Millisecond) {
			killed++
		}
		if _, err := os.Stat(to); err == nil {
			// Under its final name, it is the whole database.
			rdb, err := engine.Open(to, engine.Options{ReadOnly: true})
			if err != nil {
				t.Fatalf("round %d: the restored folder does not open: %v", round, err)
			}
			n, err := rdb.Count("Bulk")
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if n != want {
				t.Fatalf("round %d: restored %d records, want %d", round, n, want)
			}
			rdb.Close()
			if err := os.RemoveAll(to); err != nil { // the next restore goes there
				t.Fatal(err)
			}
		}
		if hidden, _ := filepath.Glob(filepath.Join(out, ".*")); len(hidden) > 2 {
			t.Fatalf("round %d: staging folders pile up: %v", round, hidden)
		}
	}
	if killed == 0 {
		t.Fatal("no restore was killed: the test proved nothing")
	}
	if err := restore().Run(); err != nil {
		t.Fatal(err)
	}
	if hidden, _ := filepath.Glob(filepath.Join(out, ".*")); len(hidden) != 0 {
		t.Errorf("after a whole restore, hidden folders are left: %v", hidden)
	}
	t.Logf("%d of 12 restores killed", killed)
}

// killedAfter runs cmd and kills it (SIGKILL) after d unless it ended first; it reports whether
// the kill ended it. A command that ends first must have succeeded.
func killedAfter(t *testing.T, cmd *exec.Cmd, d time.Duration) bool {
	t.Helper()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(d, func() { cmd.Process.Signal(syscall.SIGKILL) })
	err := cmd.Wait()
	timer.Stop()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		return true
	}
	if err != nil {
		t.Fatalf("the command ended before the kill, and failed: %v\n%s", err, stderr.String())
	}
	return false
}

func quoteJSON(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}
