package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// holdfast runs the command as a separate process and returns its stdout, stderr and exit code.
func holdfast(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	a, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// C.UTF-8, the locale of many servers and containers, once made the GUI toolkit print
	// errors at start-up, ahead of the command's own output.
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "LANGUAGE=") && !strings.HasPrefix(e, "LC_ALL=") {
			env = append(env, e)
		}
	}
	cmd.Env = append(env, "HOLDFAST_ARGS="+string(a), "LANG=C.UTF-8")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(errb.String(), "Fyne") {
		t.Fatalf("toolkit noise on stderr: %q", errb.String())
	}
	return out.String(), errb.String(), code
}

func wantFail(t *testing.T, code int, stderr, prefix string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	if code != 1 || !strings.HasPrefix(last, prefix) {
		t.Fatalf("exit %d, stderr %q; want exit 1 and a last line %q...", code, stderr, prefix)
	}
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "notice: ") && !strings.HasPrefix(l, "warning: ") {
			t.Fatalf("the error is not one line: %q", stderr)
		}
	}
}

func TestCommandLine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Shop")
	out, stderr, code := holdfast(t, "", "create", dir, "--demo")
	if code != 0 || !strings.Contains(out, "created") {
		t.Fatalf("create: %d %q %q", code, out, stderr)
	}
	_, stderr, code = holdfast(t, "", "create", dir)
	wantFail(t, code, stderr, "error 2012: ")

	out, _, code = holdfast(t, `{"op":"count","table":"Customers"}`+"\n"+`{"op":"add","table":"Invoices","values":{"number":7,"amount":12.5}}`+"\n", "exec", dir)
	if code != 0 || !strings.Contains(out, `{"count":48,"ok":true}`) || !strings.Contains(out, `"op":`) {
		t.Fatalf("exec: %d %q", code, out)
	}

	out, _, code = holdfast(t, "", "analyze", dir, "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(rows) < 300 || rows[0][0] != "Operation" {
		t.Fatalf("analyze csv: %d %v %d rows", code, err, len(rows))
	}
	last := rows[len(rows)-1]
	if last[1] != "Closing of Data File" {
		t.Errorf("last row %v", last)
	}
	found := false
	for _, r := range rows {
		if r[1] == "Addition" && r[2] == "Invoices" && r[3] == "7" {
			found = true
		}
	}
	if !found {
		t.Error("the addition made by exec is not in the analysis")
	}
	out, _, _ = holdfast(t, "", "analyze", filepath.Join(dir, "Data", "data.journal"), "--format", "json")
	var first map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &first); err != nil || first["action"] != "Opening of Data File" {
		t.Errorf("analyze json first line: %v %v", first, err)
	}
	_, stderr, code = holdfast(t, "", "analyze", dir, "--format", "xml")
	wantFail(t, code, stderr, "error 2008: ")

	out, _, code = holdfast(t, "", "log", dir, "status")
	if code != 0 || !strings.Contains(out, "log: on") {
		t.Fatalf("log status: %q", out)
	}
	_, _, code = holdfast(t, "", "log", dir, "stop")
	if code != 0 {
		t.Fatal("log stop failed")
	}
	_, stderr, code = holdfast(t, "", "analyze", dir)
	wantFail(t, code, stderr, "error 1403: ")
	_, stderr, code = holdfast(t, "", "log", dir, "create")
	wantFail(t, code, stderr, "error 2015: ")
	out, _, _ = holdfast(t, "", "log", dir, "status")
	if !strings.Contains(out, "starts after the next backup") {
		t.Errorf("log status after a deferred create: %q", out)
	}

	_, stderr, code = holdfast(t, "", "settings", dir, "set", "keep.count", "0")
	wantFail(t, code, stderr, "error 2009: ")
	if _, _, code = holdfast(t, "", "settings", dir, "set", "keep.count", "5"); code != 0 {
		t.Fatal("settings set failed")
	}
	out, _, _ = holdfast(t, "", "settings", dir, "get", "keep.count")
	if strings.TrimSpace(out) != "keep.count = 5" {
		t.Errorf("settings get: %q", out)
	}
	_, stderr, code = holdfast(t, "", "settings", dir, "get", "no.such")
	wantFail(t, code, stderr, "error 2009: ")

	_, stderr, code = holdfast(t, "", "frobnicate")
	wantFail(t, code, stderr, "error 2008: ")
	_, stderr, code = holdfast(t, "", "exec", filepath.Join(t.TempDir(), "nothing"))
	wantFail(t, code, stderr, "error 2013: ")
	_, stderr, code = holdfast(t, "", "integrate", dir, filepath.Join(t.TempDir(), "missing.journal"))
	wantFail(t, code, stderr, "error 1412: ")
}
