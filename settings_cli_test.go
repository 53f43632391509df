package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"holdfast/settings"
)

// writeSettingsFile replaces the settings file of the database folder dir.
func writeSettingsFile(t *testing.T, dir, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, settings.FileName), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestSettingsTooDeepCLI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Deep")
	if _, stderr, code := holdfast(t, "", "create", dir); code != 0 {
		t.Fatal(stderr)
	}
	deep := strings.Repeat("<x>", 100_000) + strings.Repeat("</x>", 100_000)
	writeSettingsFile(t, dir, "<BackupSettings version=\"1\">"+deep+"</BackupSettings>")
	_, stderr, code := holdfast(t, "", "settings", dir, "get")
	wantFail(t, code, stderr, "error 2009: ")
	if !strings.Contains(stderr, "more than 64 levels") {
		t.Errorf("the error does not say how deep a file may nest: %q", stderr)
	}
	_, stderr, code = holdfast(t, `{"op":"count","table":"T"}`+"\n", "exec", dir)
	wantFail(t, code, stderr, "error 2009: ")
}
