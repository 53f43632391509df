package engine

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"holdfast/journal"
)

// recordOffsets returns the offset where each record of a log starts, by operation number.
func recordOffsets(t *testing.T, path string) map[uint64]int64 {
	t.Helper()
	r, err := journal.OpenReader(journal.OSFS{}, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	offs := map[uint64]int64{}
	for {
		off := r.Offset()
		rec, err := r.Next()
		if err == io.EOF {
			return offs
		}
		if err != nil {
			t.Fatal(err)
		}
		offs[rec.Op] = off
	}
}

// A log cut below what was already durable lost acknowledged writes: below the data file's
// last change, or below the durable end the last checkpoint recorded. That is damage (1408,
// naming the missing operations), and the log is left as it was; only a cut in what no
// checkpoint saw on disk can pass for a torn tail (a crash tears only the last group).
func TestCutLogIsDamageNotATornTail(t *testing.T) {
	db, dir := newDB(t, lazy)
	p := db.NewProcess("")
	var ops []uint64
	for i := int64(1); i <= 60; i++ {
		ops = append(ops, add(t, p, i, strings.Repeat("x", 200)))
		if i == 40 {
			if err := db.checkpoint(); err != nil {
				t.Fatal(err)
			}
		}
	}
	abandon(db) // a crash: records 41 to 60 are only in the log
	logPath := filepath.Join(dir, "Data", "data.journal")
	whole, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	offs := recordOffsets(t, logPath)
	for _, c := range []struct {
		name    string
		cut     int64
		damaged bool
	}{
		{"below the data file's last change", offs[ops[20]] + 7, true},
		{"just below the data file's last change", offs[ops[39]] + 5, true},
		{"in what no checkpoint saw", offs[ops[50]] + 11, false},
	} {
		cut := append([]byte(nil), whole[:c.cut]...)
		if err := os.WriteFile(logPath, cut, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := Open(dir, Options{})
		if !c.damaged {
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if db.Report().TornTail == nil {
				t.Errorf("%s: no torn tail reported", c.name)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(logPath, whole, 0o600); err != nil {
				t.Fatal(err)
			}
			continue
		}
		wantCode(t, err, CodeLogIO)
		if err == nil || !strings.Contains(err.Error(), "missing") {
			t.Fatalf("%s: %v, want 1408 naming the missing operations", c.name, err)
		}
		after, err := os.ReadFile(logPath)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(after, cut) {
			t.Errorf("%s: the refused log was changed", c.name)
		}
	}
}

// A log of another database with a torn tail is refused (1416) before anything is cut: a
// refused file is never touched.
func TestRefusedLogUntouched(t *testing.T) {
	dir, _ := fillLagging(t, 3)
	other, _ := newDB(t, Options{})
	add(t, other.NewProcess(""), 1, "x")
	otherLog := other.LogPath()
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(otherLog)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, 200, 0, 0, 0, 1, 2, 3) // a torn tail
	logPath := filepath.Join(dir, "Data", "data.journal")
	if err := os.WriteFile(logPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{})
	wantCode(t, err, CodeForeignLog)
	after, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after, b) {
		t.Error("the log of another database was changed before it was refused")
	}
}

// A database whose log is missing, damaged or another database's opens WithoutLog (and
// read-only): reads go on, what the log still holds is integrated, writes wait for a backup,
// which starts a new log; a log file that was there is kept aside, never deleted.
func TestOpenWithoutLog(t *testing.T) {
	for _, c := range []string{"missing", "damaged", "foreign"} {
		t.Run(c, func(t *testing.T) {
			db, dir := newDB(t, lazy)
			p := db.NewProcess("")
			want := map[int64]string{}
			for i := int64(1); i <= 40; i++ {
				add(t, p, i, "v")
				want[i] = "v"
				if i == 10 {
					if err := db.checkpoint(); err != nil {
						t.Fatal(err)
					}
				}
			}
			abandon(db) // 11 to 40 only in the log
			logPath := filepath.Join(dir, "Data", "data.journal")
			switch c {
			case "missing":
				if err := os.Remove(logPath); err != nil {
					t.Fatal(err)
				}
				for i := int64(11); i <= 40; i++ {
					delete(want, i) // lost with the log
				}
			case "damaged":
				offs := recordOffsets(t, logPath)
				b, err := os.ReadFile(logPath)
				if err != nil {
					t.Fatal(err)
				}
				var at []int64
				for _, off := range offs {
					at = append(at, off)
				}
				slices.Sort(at)
				b[at[len(at)*3/4]+10] ^= 0xff // a record in the middle: the log reads up to it
				if err := os.WriteFile(logPath, b, 0o600); err != nil {
					t.Fatal(err)
				}
			case "foreign":
				other, _ := newDB(t, Options{})
				add(t, other.NewProcess(""), 1, "other")
				ob, err := os.ReadFile(other.LogPath())
				if err != nil {
					t.Fatal(err)
				}
				if err := other.Close(); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(logPath, ob, 0o600); err != nil {
					t.Fatal(err)
				}
				for i := int64(11); i <= 40; i++ {
					delete(want, i)
				}
			}
			before, err := os.ReadFile(logPath)
			if err != nil && c != "missing" { // a missing log reads as nothing, before and after
				t.Fatal(err)
			}
			if _, err := Open(dir, Options{}); err == nil {
				t.Fatal("a database whose log cannot be used opened as if nothing were wrong")
			}
			ro, err := Open(dir, Options{ReadOnly: true})
			if err != nil {
				t.Fatalf("read-only: %v", err)
			}
			if err := ro.Close(); err != nil {
				t.Fatal(err)
			}
			db, err = Open(dir, Options{WithoutLog: true})
			if err != nil {
				t.Fatalf("without the log: %v", err)
			}
			got := names(t, db)
			if c == "damaged" {
				for i := range want {
					if _, ok := got[i]; !ok && i <= 10 {
						t.Errorf("record %d, in the data file, is gone", i)
					}
				}
				want = got // what the log held up to its damage
				if len(got) <= 10 {
					t.Errorf("nothing of the damaged log was integrated: %d records", len(got))
				}
			}
			same(t, got, want)
			_, err = db.NewProcess("").Auto().Add("T", row(100, "early"))
			wantCode(t, err, CodeLogUnavailable)
			after, err := os.ReadFile(logPath)
			if err != nil && c != "missing" {
				t.Fatal(err)
			}
			if !bytes.Equal(after, before) {
				t.Error("the log that cannot be used was changed")
			}
			snap, err := db.BeginBackup(1)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := snap.Commit(); err != nil {
				t.Fatal(err)
			}
			add(t, db.NewProcess(""), 100, "after")
			want[100] = "after"
			db = reopen(t, db, dir, Options{})
			same(t, names(t, db), want)
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if c != "missing" {
				kept, _ := filepath.Glob(logPath + ".*")
				found := false
				for _, k := range kept {
					b, err := os.ReadFile(k)
					if err != nil {
						t.Fatal(err)
					}
					if bytes.Equal(b, before) || strings.Contains(k, ".closed[") {
						found = true
					}
				}
				if !found {
					t.Errorf("the old log file is gone: %v", kept)
				}
			}
		})
	}
}
