package main

import (
	"encoding/json"
	"fmt"
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

// spoilSetting replaces the value of one element of the settings file by hand, as a person
// editing it would, and returns the line it is on.
func spoilSetting(t *testing.T, dir, element, bad string) int {
	t.Helper()
	path := filepath.Join(dir, settings.FileName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "<"+element+">") {
			lines[i] = strings.Repeat(" ", len(l)-len(strings.TrimLeft(l, " "))) + "<" + element + ">" + bad + "</" + element + ">"
			writeSettingsFile(t, dir, strings.Join(lines, "\n"))
			return i + 1
		}
	}
	t.Fatalf("no <%s> in %s", element, data)
	return 0
}

// execLines runs exec with the commands and returns its answers, and its stderr.
func execLines(t *testing.T, dir string, cmds ...string) ([]map[string]any, string) {
	t.Helper()
	out, stderr, code := holdfast(t, strings.Join(cmds, "\n")+"\n", "exec", dir)
	if code != 0 {
		t.Fatalf("exec exited %d: %s", code, stderr)
	}
	var answers []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var a map[string]any
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("answer %q: %v", l, err)
		}
		answers = append(answers, a)
	}
	if len(answers) != len(cmds) {
		t.Fatalf("%d commands, %d answers: %s", len(cmds), len(answers), out)
	}
	return answers, stderr
}

func TestSettingsBadValueCLI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Shop")
	if _, stderr, code := holdfast(t, "", "create", dir); code != 0 {
		t.Fatal(stderr)
	}
	execLines(t, dir, `{"op":"createTable","table":"T","fields":[{"name":"id","type":"integer"}],"primaryKey":["id"]}`,
		`{"op":"add","table":"T","values":{"id":1}}`)
	reads := []string{`{"op":"count","table":"T"}`, `{"op":"get","table":"T","key":[1]}`, `{"op":"scan","table":"T"}`}
	where := func(key string, line int) string { return fmt.Sprintf("%s on line %d", key, line) }

	// A bad keep.count: everything but a backup goes on, with a warning.
	line := spoilSetting(t, dir, "count", "1O")
	ans, stderr := execLines(t, dir, append(reads, `{"op":"add","table":"T","values":{"id":2}}`)...)
	for i, a := range ans {
		if a["ok"] != true {
			t.Errorf("%s: %v", reads[min(i, 2)], a)
		}
	}
	if !strings.Contains(stderr, "warning: "+"settings: "+where("keep.count", line)) {
		t.Errorf("exec does not warn of the bad value: %q", stderr)
	}
	out, stderr, code := holdfast(t, "", "settings", dir, "get")
	if code != 0 || !strings.Contains(out, "keep.count = 3\n") || !strings.Contains(out, "log.use = true\n") {
		t.Errorf("settings get: %d %q %q", code, out, stderr)
	}
	if !strings.Contains(stderr, where("keep.count", line)) || !strings.Contains(stderr, `"1O"`) {
		t.Errorf("settings get does not name the bad value: %q", stderr)
	}
	_, stderr, code = holdfast(t, "", "backup", dir)
	wantFail(t, code, stderr, "error 2009: ")
	if !strings.Contains(stderr, where("keep.count", line)) || !strings.Contains(stderr, "holdfast settings DB set keep.count") {
		t.Errorf("the refused backup does not say what to fix: %q", stderr)
	}
	if _, stderr, code = holdfast(t, "", "settings", dir, "set", "keep.count", "7"); code != 0 || stderr != "" {
		t.Fatalf("settings set over a bad value: %d %q", code, stderr)
	}
	if out, stderr, _ = holdfast(t, "", "settings", dir, "get", "keep.count"); out != "keep.count = 7\n" || stderr != "" {
		t.Errorf("after the fix: %q %q", out, stderr)
	}
	if _, stderr, code = holdfast(t, "", "backup", dir); code != 0 {
		t.Errorf("backup after the fix: %q", stderr)
	}

	// A bad log.use: the database opens read-only; writes say what to fix.
	line = spoilSetting(t, dir, "use", "maybe")
	ans, stderr = execLines(t, dir, append(reads, `{"op":"add","table":"T","values":{"id":3}}`)...)
	for i, a := range ans[:3] {
		if a["ok"] != true {
			t.Errorf("%s with a bad log.use: %v", reads[i], a)
		}
	}
	if n := ans[0]["count"]; n != 2.0 {
		t.Errorf("count %v, want 2", n)
	}
	if w := ans[3]; w["code"] != 2009.0 || !strings.Contains(w["error"].(string), where("log.use", line)) ||
		!strings.Contains(w["error"].(string), "holdfast settings DB set log.use") {
		t.Errorf("a write with a bad log.use: %v", w)
	}
	if !strings.Contains(stderr, "read-only") {
		t.Errorf("exec does not say the database is read-only: %q", stderr)
	}
	_, stderr, code = holdfast(t, "", "log", dir, "status")
	wantFail(t, code, stderr, "error 2009: ")
	if _, stderr, code = holdfast(t, "", "settings", dir, "set", "log.use", "true"); code != 0 {
		t.Fatalf("settings set log.use over a bad value: %q", stderr)
	}
	_, stderr, code = holdfast(t, "", "settings", dir, "set", "log.use", "false")
	wantFail(t, code, stderr, "error 2009: ") // once valid, the log commands turn it on and off
	if ans, _ = execLines(t, dir, `{"op":"add","table":"T","values":{"id":3}}`); ans[0]["ok"] != true {
		t.Errorf("a write after the fix: %v", ans[0])
	}
}
