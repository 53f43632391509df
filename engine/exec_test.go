package engine

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExecSession(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Base")
	db, err := Create(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.ReadFile("../testdata/exec/session.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Exec(db, bytes.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Operation numbers depend on nothing but the session, so the answers are stable.
	golden(t, "../testdata/exec/session.golden", out.Bytes())
	// The transaction left open at the end of input was not committed.
	db, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, ok, _ := db.Get("People", key(9)); ok {
		t.Error("an open transaction was committed at the end of input")
	}
	if n, _ := db.Count("People"); n != 2 {
		t.Errorf("%d people, want 2 (Bruno and Chloé)", n)
	}
}

// FuzzExec feeds arbitrary input to exec: it never panics, answers each non-blank line with one
// JSON line holding "ok", and leaves a database that reopens with matching counts.
func FuzzExec(f *testing.F) {
	seed, _ := os.ReadFile("../testdata/exec/session.jsonl")
	f.Add(seed)
	for _, line := range strings.Split(string(seed), "\n") {
		f.Add([]byte(line))
	}
	dir := filepath.Join(f.TempDir(), "Base")
	db, err := Create(dir, Options{})
	if err != nil {
		f.Fatal(err)
	}
	first := bytes.SplitN(seed, []byte("\n"), 2)[0]
	Exec(db, bytes.NewReader(first), &bytes.Buffer{})
	f.Cleanup(func() { db.Close() })
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		if err := Exec(db, bytes.NewReader(in), &out); err != nil {
			t.Fatal(err)
		}
		lines := 0
		for _, l := range bytes.Split(in, []byte("\n")) {
			if !blank(l) {
				lines++
			}
		}
		sc := bufio.NewScanner(&out)
		sc.Buffer(nil, 1<<26)
		answers := 0
		for sc.Scan() {
			var ans map[string]any
			if err := json.Unmarshal(sc.Bytes(), &ans); err != nil {
				t.Fatalf("answer is not JSON: %q", sc.Text())
			}
			if _, ok := ans["ok"].(bool); !ok {
				t.Fatalf("answer without ok: %q", sc.Text())
			}
			answers++
		}
		if answers != lines {
			t.Fatalf("%d lines, %d answers", lines, answers)
		}
	})
}
