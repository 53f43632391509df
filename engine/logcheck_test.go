package engine

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
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
	whole, _ := os.ReadFile(logPath)
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
		os.WriteFile(logPath, cut, 0o600)
		db, err := Open(dir, Options{})
		if !c.damaged {
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if db.Report().TornTail == nil {
				t.Errorf("%s: no torn tail reported", c.name)
			}
			db.Close()
			os.WriteFile(logPath, whole, 0o600)
			continue
		}
		wantCode(t, err, CodeLogIO)
		if err == nil || !strings.Contains(err.Error(), "missing") {
			t.Fatalf("%s: %v, want 1408 naming the missing operations", c.name, err)
		}
		if after, _ := os.ReadFile(logPath); !bytes.Equal(after, cut) {
			t.Errorf("%s: the refused log was changed", c.name)
		}
	}
}

// A log of another database with a torn tail is refused (1416) before anything is cut: a
// refused file is never touched. A read-only open never cuts a torn tail either.
func TestRefusedLogUntouched(t *testing.T) {
	dir, _ := fillLagging(t, 3)
	other, _ := newDB(t, Options{})
	add(t, other.NewProcess(""), 1, "x")
	otherLog := other.LogPath()
	other.Close()
	b, _ := os.ReadFile(otherLog)
	b = append(b, 200, 0, 0, 0, 1, 2, 3) // a torn tail
	logPath := filepath.Join(dir, "Data", "data.journal")
	mine, _ := os.ReadFile(logPath)
	os.WriteFile(logPath, b, 0o600)
	_, err := Open(dir, Options{})
	wantCode(t, err, CodeForeignLog)
	if after, _ := os.ReadFile(logPath); !bytes.Equal(after, b) {
		t.Error("the log of another database was changed before it was refused")
	}
	torn := append(mine, 200, 0, 0, 0, 1, 2, 3)
	os.WriteFile(logPath, torn, 0o600)
	db, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if after, _ := os.ReadFile(logPath); !bytes.Equal(after, torn) {
		t.Error("a read-only open cut the log's torn tail")
	}
}
