package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"holdfast/settings"
)

// The log keys change with the log (StartLog, StopLog), not with the other settings; but while
// one of them holds a bad value, where the log is cannot be guessed, and UpdateSettings takes
// the value that replaces it.
func TestUpdateSettingsLogKeys(t *testing.T) {
	db, dir := newDB(t, Options{})
	s := db.Settings()
	s.SetLogUse(false)
	if err := db.UpdateSettings(s); CodeOf(err) != CodeBadSetting {
		t.Fatalf("log.use changed by UpdateSettings: %v, want 2009", err)
	}
	if !db.Values().Log.Use {
		t.Fatal("the refused change turned the log off")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, settings.FileName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), "<use>true</use>", "<use>yes</use>", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	db = reopen(t, nil, dir, Options{ReadOnly: true})
	defer db.Close()
	if err := db.Values().Need(settings.OpenKeys...); err == nil {
		t.Fatal("the bad log.use is not seen")
	}
	s = db.Settings()
	if err := s.Set("keep.count", "8"); err != nil {
		t.Fatal(err)
	}
	s.SetLogUse(true)
	if err := db.UpdateSettings(s); err != nil {
		t.Fatalf("replacing a bad log.use: %v", err)
	}
	if v := db.Values(); len(v.Problems()) != 0 || !v.Log.Use || v.Keep.Count != 8 {
		t.Errorf("after the fix: %+v %+v, problems %v", v.Log, v.Keep, v.Problems())
	}
}
