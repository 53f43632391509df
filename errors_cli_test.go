package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"holdfast/engine"
)

// Each error names what really happened: a database folder that cannot be made is not a data
// file error (2010, "reopen the database"); an empty name is refused instead of making the
// current folder a database; a structure or settings file that cannot be read, or is damaged,
// is not "not a Holdfast database" (2013) nor a bad setting value (2009).
func TestErrorsSayWhatHappened(t *testing.T) {
	cwd := t.TempDir()
	_, stderr, code := holdfastIn(t, cwd, "create", "")
	wantFail(t, code, stderr, "error 2008")
	if ents, err := os.ReadDir(cwd); err != nil || len(ents) != 0 {
		t.Errorf("create \"\" made something in the current folder: %v %v", ents, err)
	}
	_, stderr, code = holdfast(t, "", "create", "/proc/holdfast-test")
	wantFail(t, code, stderr, "error 2019")
	if !strings.Contains(stderr, "choose another place") {
		t.Errorf("create in a place that cannot hold it: %q", stderr)
	}

	dir := filepath.Join(t.TempDir(), "Shop")
	if _, stderr, code := holdfast(t, "", "create", dir, "--demo"); code != 0 {
		t.Fatal(stderr)
	}
	catalog := filepath.Join(dir, "Project", "catalog.json")
	good, err := os.ReadFile(catalog)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(catalog); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(catalog, 0o700); err != nil { // a folder where the file should be: its read fails
		t.Fatal(err)
	}
	_, stderr, code = holdfast(t, `{"op":"count","table":"Customers"}`+"\n", "exec", dir)
	wantFail(t, code, stderr, "error 2019")
	if !strings.Contains(stderr, "could not be read") {
		t.Errorf("an unreadable structure file: %q", stderr)
	}
	if err := os.Remove(catalog); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(catalog, good[:len(good)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = holdfast(t, `{"op":"count","table":"Customers"}`+"\n", "exec", dir)
	wantFail(t, code, stderr, "error 2019")
	if !strings.Contains(stderr, "damaged") {
		t.Errorf("a damaged structure file: %q", stderr)
	}
	if err := os.WriteFile(catalog, good, 0o600); err != nil {
		t.Fatal(err)
	}

	set := filepath.Join(dir, "Data", "Settings", "Backup.4DSettings")
	if err := os.Remove(set); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(set, 0o700); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = holdfast(t, `{"op":"count","table":"Customers"}`+"\n", "exec", dir)
	wantFail(t, code, stderr, "error 2019")
	if !strings.Contains(stderr, "settings file could not be read") {
		t.Errorf("an unreadable settings file: %q", stderr)
	}
}

// holdfastIn is holdfast run in the folder dir.
func holdfastIn(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	old, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(old)
	return holdfast(t, "", args...)
}

// verify and restore say what the redundancy repaired, bytes appended to a copy included
// (they were ignored without a word).
func TestVerifySaysWhatRedundancyRepaired(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Shop")
	if _, stderr, code := holdfast(t, "", "create", dir, "--demo"); code != 0 {
		t.Fatal(stderr)
	}
	if _, stderr, code := holdfast(t, "", "settings", dir, "set", "archive.redundancy", "medium"); code != 0 {
		t.Fatal(stderr)
	}
	if _, stderr, code := holdfast(t, "", "backup", dir); code != 0 {
		t.Fatal(stderr)
	}
	archive := filepath.Join(filepath.Dir(dir), "Shop Backups", "Shop[0001].4BK")
	f, err := os.OpenFile(archive, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(make([]byte, 4096)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := holdfast(t, "", "verify", archive)
	if code != 0 || !strings.Contains(out, "4096 byte(s) after its end") {
		t.Fatalf("verify of an archive with bytes appended: exit %d, %q %q", code, out, stderr)
	}
	_, stderr, code = holdfast(t, "", "restore", archive, "--to", filepath.Join(t.TempDir(), "R"))
	if code != 0 || !strings.Contains(stderr, "4096 byte(s) after its end") {
		t.Fatalf("restore of an archive with bytes appended: exit %d, %q", code, stderr)
	}
}

// holdfast settings says what is wrong with the settings file: one that cannot be read is 2019,
// not 2013 (not a database); a database without one reads the defaults.
func TestSettingsCommandReadErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Shop")
	if _, stderr, code := holdfast(t, "", "create", dir); code != 0 {
		t.Fatal(stderr)
	}
	set := filepath.Join(dir, "Data", "Settings", "Backup.4DSettings")
	if err := os.Remove(set); err != nil {
		t.Fatal(err)
	}
	if out, stderr, code := holdfast(t, "", "settings", dir, "get", "keep.count"); code != 0 || strings.TrimSpace(out) != "keep.count = 3" {
		t.Fatalf("settings get without a settings file: exit %d, %q %q", code, out, stderr)
	}
	if err := os.Mkdir(set, 0o700); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := holdfast(t, "", "settings", dir, "get")
	wantFail(t, code, stderr, "error 2019")
	_, stderr, code = holdfast(t, "", "settings", t.TempDir(), "get")
	wantFail(t, code, stderr, "error 2013")
}

// verify DB says what an interrupted backup or New Log File left to finish: a closed log
// waiting to be archived (it said ok and nothing else).
func TestVerifySaysWhatWaits(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Shop")
	if _, stderr, code := holdfast(t, "", "create", dir, "--demo"); code != 0 {
		t.Fatal(stderr)
	}
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	closed, err := db.NewLog() // closed, not archived: as a failure of the archiving leaves it
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := holdfast(t, "", "verify", dir)
	if code != 0 || !strings.Contains(out, "ok: data file") || !strings.Contains(stderr, filepath.Base(closed)) {
		t.Fatalf("verify with a closed log waiting: exit %d, %q %q", code, out, stderr)
	}
}

// The command line keeps saying what to type: the commands and flags of each error's advice
// (the window says what to click instead; see ui's TestWindowErrorsNameNoCommand).
func TestCommandLineAdviceNamesCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Shop")
	if _, stderr, code := holdfast(t, "", "create", dir, "--demo"); code != 0 {
		t.Fatal(stderr)
	}
	say := func(stderr, code, advice string) {
		t.Helper()
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if last := lines[len(lines)-1]; !strings.HasPrefix(last, "error "+code+": ") || !strings.Contains(last, advice) {
			t.Errorf("stderr %q, want error %s saying %q", stderr, code, advice)
		}
	}
	_, stderr, _ := holdfast(t, "", "rollback", dir, "--to", "100000")
	say(stderr, "2001", "(holdfast analyze "+dir+" lists them)")
	_, stderr, _ = holdfast(t, "", "restore", filepath.Join(dir, "nothing.4BK"), "--to", t.TempDir())
	say(stderr, "2012", "the destination exists; choose a new folder (--to)")
	_, stderr, _ = holdfast(t, "", "exec", t.TempDir())
	say(stderr, "2013", "The folder is not a Holdfast database; create one with holdfast create DB.")
	_, stderr, _ = holdfast(t, "", "settings", dir, "get", "no.such")
	say(stderr, "2009", "A setting key or value is not valid; fix it (holdfast settings DB get lists the keys).")

	if _, stderr, code := holdfast(t, "", "log", dir, "stop"); code != 0 {
		t.Fatal(stderr)
	}
	_, stderr, _ = holdfast(t, "", "analyze", dir)
	say(stderr, "1403", "The database has no log file; turn on the log (holdfast log DB create) to use this action.")
	if _, _, code := holdfast(t, `{"op":"add","table":"Customers","values":{"id":9001,"name":"Ann"}}`+"\n", "exec", dir); code != 0 {
		t.Fatal("the add failed")
	}
	_, stderr, _ = holdfast(t, "", "log", dir, "create")
	say(stderr, "2015", "the log file will start right after the next backup (holdfast backup DB).")
	_, stderr, _ = holdfast(t, "", "log", dir, "new")
	say(stderr, "1403", "make a backup (holdfast backup DB) first")

	other := filepath.Join(t.TempDir(), "Other")
	if _, stderr, code := holdfast(t, "", "create", other); code != 0 {
		t.Fatal(stderr)
	}
	os.Remove(filepath.Join(other, "Data", "data.journal"))
	_, stderr, _ = holdfast(t, "", "backup", other)
	say(stderr, "1408", "start a new log (holdfast log DB new), or stop the log (holdfast log DB stop)")
}
