package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// holdfast log DB new archives the log as the next segment in the backup destination and says
// where, and where the new log starts; without a log it fails with 1403.
func TestLogNewCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Shop")
	if _, stderr, code := holdfast(t, "", "create", dir, "--demo"); code != 0 {
		t.Fatalf("create: %q", stderr)
	}
	status, _, _ := holdfast(t, "", "log", dir, "status")
	last := regexp.MustCompile(`last operation: (\d+)`).FindStringSubmatch(status)
	if last == nil {
		t.Fatalf("log status: %q", status)
	}
	out, stderr, code := holdfast(t, "", "log", dir, "new")
	if code != 0 {
		t.Fatalf("log new: %d %q", code, stderr)
	}
	segment := filepath.Join(filepath.Dir(dir), "Shop Backups", "Shop[0000-0001].4BL")
	if !strings.Contains(out, "log backup: "+segment+"\n") {
		t.Errorf("log new does not name the log backup %s: %q", segment, out)
	}
	if _, err := os.Stat(segment); err != nil {
		t.Errorf("the log backup is not there: %v", err)
	}
	first := regexp.MustCompile(`first operation (\d+)`).FindStringSubmatch(out)
	if first == nil {
		t.Fatalf("log new does not say where the new log starts: %q", out)
	}
	if mustAtoi(t, first[1]) <= mustAtoi(t, last[1]) {
		t.Errorf("the new log starts at %s, not after the last operation %s", first[1], last[1])
	}
	status, _, _ = holdfast(t, "", "log", dir, "status")
	if !strings.Contains(status, "first operation: "+first[1]+"\n") {
		t.Errorf("log status after log new: %q, want first operation %s", status, first[1])
	}
	out, _, code = holdfast(t, "", "log", dir, "new")
	if code != 0 || !strings.Contains(out, "Shop[0000-0002].4BL") {
		t.Errorf("a second log new: %d %q, want segment 0002", code, out)
	}

	if _, _, code := holdfast(t, "", "log", dir, "stop"); code != 0 {
		t.Fatal("log stop failed")
	}
	_, stderr, code = holdfast(t, "", "log", dir, "new")
	wantFail(t, code, stderr, "error 1403: ")
	_, stderr, code = holdfast(t, "", "log", dir, "new", "extra")
	wantFail(t, code, stderr, "error 2008: ")
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// When the log file is gone, the command line has a way out that loses nothing the data file
// holds: log status says so, log new backs up the data as it is and starts a new log, and
// writes then work. Before, every command that could help failed with 1408.
func TestLogNewAfterTheLogIsGone(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Shop")
	if _, stderr, code := holdfast(t, "", "create", dir, "--demo"); code != 0 {
		t.Fatal(stderr)
	}
	if err := os.Remove(filepath.Join(dir, "Data", "data.journal")); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := holdfast(t, "", "backup", dir)
	wantFail(t, code, stderr, "error 1408")
	if !strings.Contains(stderr, "holdfast log") {
		t.Errorf("the error does not say the way out: %q", stderr)
	}
	out, stderr, code := holdfast(t, "", "log", dir, "status")
	if code != 0 || !strings.Contains(out, "unavailable") {
		t.Fatalf("log status: exit %d, %q %q", code, out, stderr)
	}
	out, stderr, code = holdfast(t, "", "log", dir, "new")
	if code != 0 || !strings.Contains(out, "new log:") {
		t.Fatalf("log new: exit %d, %q %q", code, out, stderr)
	}
	out, stderr, code = holdfast(t, `{"op":"count","table":"Customers"}`+"\n"+`{"op":"add","table":"Customers","values":{"id":9999,"name":"after"}}`+"\n", "exec", dir)
	if code != 0 || strings.Count(out, `"ok":true`) != 2 {
		t.Fatalf("exec after log new: exit %d, %q %q", code, out, stderr)
	}
}

// log new when the log is gone and the backups hold no data: it says that no log started
// (it claimed a new log at operation 0 before, and writes stayed refused).
func TestLogNewWithoutDataSaysNoLogStarted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Shop")
	if _, stderr, code := holdfast(t, "", "create", dir, "--demo"); code != 0 {
		t.Fatal(stderr)
	}
	if _, stderr, code := holdfast(t, "", "settings", dir, "set", "content.data", "false"); code != 0 {
		t.Fatal(stderr)
	}
	if err := os.Remove(filepath.Join(dir, "Data", "data.journal")); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := holdfast(t, "", "log", dir, "new")
	wantFail(t, code, stderr, "error 1274")
	if strings.Contains(out, "new log:") || !strings.Contains(stderr, "content.data") {
		t.Errorf("log new without the data: %q %q", out, stderr)
	}
}
