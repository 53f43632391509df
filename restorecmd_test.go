package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// count runs a count through exec on a database.
func countRows(t *testing.T, dir, table string) int {
	t.Helper()
	out, stderr, code := holdfast(t, `{"op":"count","table":"`+table+`"}`+"\n", "exec", dir)
	if code != 0 {
		t.Fatalf("count in %s: %s", dir, stderr)
	}
	var a struct{ Count int }
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("count answer %q: %v", out, err)
	}
	return a.Count
}

// holdfast backup, then restore with automatic integration, none, a point in time and explicit
// logs; bad arguments fail with 2008 and a sentence.
func TestRestoreCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Shop")
	exec := func(lines ...string) []string {
		t.Helper()
		out, stderr, code := holdfast(t, strings.Join(lines, "\n")+"\n", "exec", dir)
		if code != 0 {
			t.Fatalf("exec: %s", stderr)
		}
		return strings.Split(strings.TrimSpace(out), "\n")
	}
	if _, stderr, code := holdfast(t, "", "create", dir); code != 0 {
		t.Fatal(stderr)
	}
	exec(`{"op":"createTable","table":"T","fields":[{"name":"id","type":"integer"},{"name":"v","type":"text"}],"primaryKey":["id"],"journaled":true}`,
		`{"op":"add","table":"T","values":{"id":1,"v":"a"}}`, `{"op":"add","table":"T","values":{"id":2,"v":"b"}}`)
	out, stderr, code := holdfast(t, "", "backup", dir)
	if code != 0 {
		t.Fatal(stderr)
	}
	archive := regexp.MustCompile(`backup 1: (.*\.4BK) `).FindStringSubmatch(out)[1]
	var lines []string
	for i := 3; i <= 12; i++ {
		lines = append(lines, fmt.Sprintf(`{"op":"add","table":"T","values":{"id":%d,"v":"x"}}`, i))
	}
	answers := exec(lines...)
	var fifth struct{ Op uint64 }
	if err := json.Unmarshal([]byte(answers[4]), &fifth); err != nil || fifth.Op == 0 {
		t.Fatalf("answer %q: %v", answers[4], err)
	}
	exec(`{"op":"delete","table":"T","key":[1]}`)

	out, stderr, code = holdfast(t, "", "restore", archive)
	if code != 0 || !strings.Contains(out, "restored backup 1 into") {
		t.Fatalf("restore: %d %s %s", code, out, stderr)
	}
	restored := strings.TrimSuffix(archive, ".4BK")
	if n := countRows(t, restored, "T"); n != 11 {
		t.Errorf("restored with the current log: %d records, want 11", n)
	}

	to := filepath.Join(t.TempDir(), "Plain")
	if _, stderr, code := holdfast(t, "", "restore", archive, "--to", to, "--integrate", "none"); code != 0 {
		t.Fatal(stderr)
	}
	if n := countRows(t, to, "T"); n != 2 {
		t.Errorf("restored without integration: %d records, want 2", n)
	}

	// Up to the fifth add after the backup.
	pit := filepath.Join(t.TempDir(), "PIT")
	if _, stderr, code := holdfast(t, "", "restore", archive, "--to", pit, "--until", fmt.Sprint(fifth.Op)); code != 0 {
		t.Fatal(stderr)
	}
	if n := countRows(t, pit, "T"); n != 7 {
		t.Errorf("restored up to operation %d: %d records, want 7", fifth.Op, n)
	}
	out, stderr, code = holdfast(t, "", "restore", archive, "--to", filepath.Join(t.TempDir(), "Far"), "--until", "999999")
	if code != 0 || !strings.Contains(stderr, "warning: the logs end at operation") {
		t.Fatalf("a limit beyond the logs: %d %q %q", code, out, stderr)
	}

	_, stderr, code = holdfast(t, "", "restore", archive, "--to", filepath.Join(t.TempDir(), "x"), "--until", "soon")
	wantFail(t, code, stderr, "error 2008: ")
	_, stderr, code = holdfast(t, "", "restore", archive, "--integrate", "sometimes")
	wantFail(t, code, stderr, "error 2008: ")
	_, stderr, code = holdfast(t, "", "restore", archive, "--to", to)
	wantFail(t, code, stderr, "error 2012: ")
	_, stderr, code = holdfast(t, "", "restore", filepath.Join(t.TempDir(), "none.4BK"))
	wantFail(t, code, stderr, "error 1410: ")
	if _, err := os.Stat(filepath.Join(filepath.Dir(archive), "none")); err == nil {
		t.Error("a failed restore left a folder")
	}
}

// holdfast rollback takes the data back to an operation; bad arguments fail with a code.
func TestRollbackCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Shop")
	if _, stderr, code := holdfast(t, "", "create", dir); code != 0 {
		t.Fatal(stderr)
	}
	out, stderr, code := holdfast(t, strings.Join([]string{
		`{"op":"createTable","table":"T","fields":[{"name":"id","type":"integer"}],"primaryKey":["id"],"journaled":true}`,
		`{"op":"add","table":"T","values":{"id":1}}`, `{"op":"add","table":"T","values":{"id":2}}`,
		`{"op":"delete","table":"T","key":[1]}`}, "\n")+"\n", "exec", dir)
	if code != 0 {
		t.Fatal(stderr)
	}
	answers := strings.Split(strings.TrimSpace(out), "\n")
	var second struct{ Op uint64 }
	if err := json.Unmarshal([]byte(answers[2]), &second); err != nil {
		t.Fatal(err)
	}
	out, stderr, code = holdfast(t, "", "rollback", dir, "--to", fmt.Sprint(second.Op))
	if code != 0 || !strings.Contains(out, "rolled back to operation") {
		t.Fatalf("rollback: %d %q %q", code, out, stderr)
	}
	if n := countRows(t, dir, "T"); n != 2 {
		t.Errorf("after the rollback before the deletion: %d records, want 2", n)
	}
	_, stderr, code = holdfast(t, "", "rollback", dir)
	wantFail(t, code, stderr, "error 2008: ")
	_, stderr, code = holdfast(t, "", "rollback", dir, "--to", "99999")
	wantFail(t, code, stderr, "error 2001: ")
}
