package backup

import (
	"archive/zip"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"holdfast/engine"
)

func setAttachments(t *testing.T, db *engine.DB, paths ...string) {
	t.Helper()
	s := db.Settings()
	if err := s.Set("content.attachments", paths...); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateSettings(s); err != nil {
		t.Fatal(err)
	}
}

func archiveNames(t *testing.T, path string) []string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out []string
	for _, f := range zr.File {
		out = append(out, f.Name)
	}
	return out
}

// Attachments are saved with their folders' structure; a missing one makes the backup partial
// (1430) with everything else saved.
func TestAttachments(t *testing.T) {
	db := newDB(t)
	root := t.TempDir()
	folder := filepath.Join(root, "Invoices")
	if err := os.MkdirAll(filepath.Join(folder, "2026", "11"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(folder, "2026", "11", "inv-1.pdf"), []byte("%PDF-1.4 one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(folder, "index.txt"), []byte("index"), 0o600); err != nil {
		t.Fatal(err)
	}
	single := filepath.Join(root, "logo.png")
	if err := os.WriteFile(single, []byte("\x89PNG"), 0o600); err != nil {
		t.Fatal(err)
	}
	gone := filepath.Join(root, "vanished.txt")
	setAttachments(t, db, folder, single, gone)

	res, err := Run(context.Background(), db, Options{})
	if engine.CodeOf(err) != engine.CodeAttachmentMissing || res == nil {
		t.Fatalf("want a partial backup with 1430, got %v %v", res, err)
	}
	if len(res.Missing) != 1 || res.Missing[0] != gone {
		t.Errorf("missing %v", res.Missing)
	}
	names := strings.Join(archiveNames(t, res.Archive), "\n")
	for _, want := range []string{
		"Attachments" + filepath.ToSlash(folder) + "/2026/11/inv-1.pdf",
		"Attachments" + filepath.ToSlash(folder) + "/index.txt",
		"Attachments" + filepath.ToSlash(single),
		"Data/Shop.4DD", "Project/catalog.json",
	} {
		if !strings.Contains(names, want) {
			t.Errorf("archive lacks %s:\n%s", want, names)
		}
	}
	if _, err := VerifyArchive(res.Archive); err != nil {
		t.Fatal(err)
	}
	h, err := LoadHistory(Destination(db))
	if err != nil {
		t.Fatal(err)
	}
	if last := h.Last(); last.Status != StatusPartial || last.ErrorCode != 1430 || len(last.Files) == 0 {
		t.Errorf("history %+v", last)
	}
}

func TestAttachmentInsideDatabaseRefused(t *testing.T) {
	db := newDB(t)
	setAttachments(t, db, filepath.Join(db.Dir(), "Data"))
	if _, err := Run(context.Background(), db, Options{}); engine.CodeOf(err) != engine.CodeBadSetting {
		t.Fatalf("an attachment inside the database: %v", err)
	}
}

func setHooks(t *testing.T, db *engine.DB, startup, shutdown string) {
	t.Helper()
	s := db.Settings()
	if err := s.Set("hooks.onStartup", startup); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("hooks.onShutdown", shutdown); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateSettings(s); err != nil {
		t.Fatal(err)
	}
}

func TestHooks(t *testing.T) {
	db := newDB(t)
	out := filepath.Join(t.TempDir(), "shutdown.txt")
	setHooks(t, db, "sh -c 'echo not now; exit 3'", "sh -c 'echo \"$HOLDFAST_BACKUP_STATUS $HOLDFAST_BACKUP_FILE\" > "+out+"'")
	_, err := Run(context.Background(), db, Options{})
	if engine.CodeOf(err) != engine.CodeStartupHook || !strings.Contains(err.Error(), "not now") {
		t.Fatalf("startup veto: %v", err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(b)) != "1431" {
		t.Errorf("shutdown hook after a veto saw %q", b)
	}
	ents, err := os.ReadDir(Destination(db))
	if err != nil && !errors.Is(err, fs.ErrNotExist) { // not even made: as good as empty
		t.Fatal(err)
	}
	if len(ents) > 1 {
		t.Error("a vetoed backup wrote files")
	}
	setHooks(t, db, "true", "sh -c 'echo \"$HOLDFAST_BACKUP_STATUS $HOLDFAST_BACKUP_FILE\" > "+out+"'")
	var status int
	var archive string
	res, err := Run(context.Background(), db, Options{OnShutdown: func(s int, a string) { status, archive = s, a }})
	if err != nil {
		t.Fatal(err)
	}
	b, err = os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(b)) != "0 "+res.Archive {
		t.Errorf("shutdown hook saw %q", b)
	}
	if status != 0 || archive != res.Archive {
		t.Errorf("callback saw %d %q", status, archive)
	}
}

func TestSplitCommand(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
		bad  bool
	}{
		{"a b  c", "a|b|c", false},
		{`cp "My File" 'other one'`, "cp|My File|other one", false},
		{`echo a\ b`, `echo|a b`, false},
		{`say "it's"`, `say|it's`, false},
		{`broken "quote`, "", true},
		{"", "", false},
	} {
		got, err := splitCommand(c.in)
		if (err != nil) != c.bad || strings.Join(got, "|") != c.want {
			t.Errorf("splitCommand(%q) = %q, %v", c.in, got, err)
		}
	}
}

// Archives open with the standard unzip tool, stored or deflated on every core.
func TestArchiveOpensWithUnzip(t *testing.T) {
	unzip, err := exec.LookPath("unzip")
	if err != nil {
		t.Fatal("unzip is not installed: run make test, which installs it")
	}
	for _, c := range []string{"none", "fast", "compact"} {
		db := newDB(t)
		configure(t, db, "archive.compression", c)
		fill(t, db, 30000, strings.Repeat("unzip me ", 8)) // a few MB: several parallel chunks
		res, err := Run(context.Background(), db, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(unzip, "-tq", res.Archive).CombinedOutput(); err != nil {
			t.Fatalf("compression %s: unzip -t: %v\n%s", c, err, out)
		}
	}
}
