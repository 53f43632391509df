package engine

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
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
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Operation numbers depend on nothing but the session, so the answers are stable.
	golden(t, "../testdata/exec/session.golden", out.Bytes())
	// The transaction left open at the end of input was not committed.
	db, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, ok, err := db.Get("People", key(9))
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Error("an open transaction was committed at the end of input")
	}
	n, err := db.Count("People")
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d people, want 2 (Bruno and Chloé)", n)
	}
}

// FuzzExec feeds arbitrary input to exec: it never panics, answers each non-blank line with one
// JSON line holding "ok", and leaves a database that reopens with matching counts.
func FuzzExec(f *testing.F) {
	seed, err := os.ReadFile("../testdata/exec/session.jsonl")
	if err != nil {
		f.Fatal(err)
	}
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
	if err := Exec(db, bytes.NewReader(first), &bytes.Buffer{}); err != nil {
		f.Fatal(err)
	}
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

// execAnswers runs lines through Exec and returns one decoded answer per line.
func execAnswers(t *testing.T, db *DB, lines ...string) []map[string]any {
	t.Helper()
	var out bytes.Buffer
	if err := Exec(db, strings.NewReader(strings.Join(lines, "\n")+"\n"), &out); err != nil {
		t.Fatal(err)
	}
	var answers []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var a map[string]any
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("answer %q: %v", l, err)
		}
		answers = append(answers, a)
	}
	if len(answers) != len(lines) {
		t.Fatalf("%d lines, %d answers:\n%s", len(lines), len(answers), out.String())
	}
	return answers
}

// TestExecRefusesWhatJSONWouldChange: input that encoding/json accepts but changes (invalid
// UTF-8 and lone surrogates become U+FFFD, the last of a key given twice wins) is refused
// with 2001 and a sentence naming the problem, and nothing of it is written.
func TestExecRefusesWhatJSONWouldChange(t *testing.T) {
	db, _ := newDB(t, Options{})
	defer db.Close()
	p := db.NewProcess("")
	add(t, p, 5, "kept")
	p.Close()
	cases := []struct{ line, says string }{
		{`{"op":"add","table":"T","values":{"id":1,"name":"caf` + "\xe9" + `"}}`, "0xe9 is not UTF-8"},
		{`{"op":"add","table":"T","values":{"id":1,"name":"x\ud800y"}}`, `\ud800 is half of a UTF-16 surrogate pair`},
		{`{"op":"add","table":"T","values":{"id":1,"name":"x\udc00"}}`, `\udc00 is half`},
		{`{"op":"add","table":"T","values":{"id":1,"name":"\ud800\u0041"}}`, `\ud800 is half`},
		{`{"op":"add","op":"delete","table":"T","key":[5],"values":{"id":1}}`, `the key "op" is given twice`},
		{`{"op":"add","OP":"delete","table":"T","key":[5],"values":{"id":1}}`, `the key "OP" is given twice in one object (as "op"`},
		{`{"op":"add","table":"T","values":{"id":1,"name":"a","name":"b"}}`, `the key "name" is given twice`},
		{`{"op":"add","table":"T","values":{"id":1,"\u006eame":"a","name":"b"}}`, `the key "name" is given twice`},
		{`{"op":"createTable","table":"U","fields":[{"name":"a","type":"text","Type":"integer"}],"primaryKey":["a"]}`, `the key "Type" is given twice`},
	}
	for _, c := range cases {
		ans := execAnswers(t, db, c.line, `{"op":"count","table":"T"}`)
		msg, _ := ans[0]["error"].(string)
		if ans[0]["code"] != 2001.0 || !strings.Contains(msg, c.says) || !strings.Contains(msg, "check its syntax") {
			t.Errorf("%q: %v, want 2001 saying %s", c.line, ans[0], c.says)
		}
		if ans[1]["count"] != 1.0 {
			t.Fatalf("after %q: %v, want the one record kept", c.line, ans[1])
		}
	}
	ans := execAnswers(t, db, `{"op":"add","table":"T","values":{"id":2,"name":"\ud83d\ude00 \u00e9"}}`, `{"op":"get","table":"T","key":[2]}`)
	if v, _ := ans[1]["values"].(map[string]any); v["name"] != "😀 é" {
		t.Errorf("a whole surrogate pair: %v %v", ans[0], ans[1])
	}
}

// TestExecLineLimit: a line longer than the limit is answered with 2001 and skipped, and the
// next line is served; a line of the limit exactly is read.
func TestExecLineLimit(t *testing.T) {
	const max = 1000
	pad := func(n int) string {
		return `{"op":"count","table":"T"` + strings.Repeat(" ", n-len(`{"op":"count","table":"T"}`)) + "}"
	}
	in := pad(max) + "\n" + pad(max+1) + "\r\n" + strings.Repeat(" ", 3*max) + "\n" + pad(10*max) + "\n" + pad(max) + "\r\n" + pad(max+1)
	l := &lineReader{r: bufio.NewReaderSize(strings.NewReader(in), 16), max: max}
	var got []string
	for {
		line, skipped, err := l.next()
		switch {
		case skipped > 0:
			got = append(got, fmt.Sprintf("skipped %d", skipped))
		case len(line) > 0:
			got = append(got, fmt.Sprintf("line %d", len(bytes.TrimRight(line, "\r\n"))))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"line 1000", "skipped 1003", "skipped 10001", "line 1000", "skipped 1001"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("got %v, want %v", got, want)
	}

	db, _ := newDB(t, Options{})
	defer db.Close()
	long := `{"op":"add","table":"T","values":{"id":1,"pic":"` + strings.Repeat("A", MaxLine) + `"}}`
	ans := execAnswers(t, db, long, `{"op":"count","table":"T"}`)
	if msg, _ := ans[0]["error"].(string); ans[0]["code"] != 2001.0 || !strings.Contains(msg, "more than the 64 MiB a line may hold") || !strings.Contains(msg, "blob command") {
		t.Errorf("a line over the limit: %v", ans[0])
	}
	if ans[1]["count"] != 0.0 {
		t.Errorf("after the long line: %v", ans[1])
	}
}

// FuzzExecJSON checks jsonScan against encoding/json: it accepts only what encoding/json
// accepts, and refuses valid JSON only for a key given twice or a lone surrogate.
func FuzzExecJSON(f *testing.F) {
	for _, s := range []string{`{"op":"add","values":{"a":[1,-0.5e+3,true,null,{"b":"\u00e9\ud83d\ude00"}]}}`,
		`{"a":1,"A":2}`, `[1,2`, `"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00z"`, `"\ud800"`, `{"a":{}}`, `-01`, `1.`, `{"x":"\t"}`, " [ ] ", `{"a" 1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p jsonScan
		p.reset(b)
		p.ws()
		err := p.value()
		if p.ws(); err == nil && p.i < len(b) {
			err = p.fail(true, "more follows")
		}
		if err == nil {
			err = checkUTF8(b)
		}
		valid := json.Valid(b) && utf8.Valid(b)
		var se *scanError
		switch {
		case err == nil && !valid:
			t.Fatalf("accepted %q, which encoding/json refuses", b)
		case err != nil && valid && (!errors.As(err, &se) || se.syntax):
			t.Fatalf("refused valid %q: %v", b, err)
		}
		var want string
		if err == nil && json.Unmarshal(b, &want) == nil {
			body := bytes.TrimSpace(b)
			got, uerr := unescape(body[1 : len(body)-1])
			if uerr != nil || string(got) != want {
				t.Fatalf("unescape(%q) = %q, %v; encoding/json reads %q", body, got, uerr, want)
			}
		}
	})
}
