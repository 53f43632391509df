package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestExecLongLineCLI sends exec a line of 100 MB, longer than the 64 MiB a line may hold:
// it is answered with 2001 and skipped, the next line is served, and the process stays near
// the size of the limit in memory instead of several times the line's size.
func TestExecLongLineCLI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Big")
	if _, stderr, code := holdfast(t, "", "create", dir); code != 0 {
		t.Fatal(stderr)
	}
	a, _ := json.Marshal([]string{"exec", dir})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "HOLDFAST_ARGS="+string(a))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		w := bufio.NewWriterSize(stdin, 1<<20)
		io.WriteString(w, `{"op":"createTable","table":"T","fields":[{"name":"id","type":"integer"},{"name":"pic","type":"blob"}],"primaryKey":["id"]}`+"\n")
		io.WriteString(w, `{"op":"add","table":"T","values":{"id":1,"pic":"`)
		chunk := strings.Repeat("QUJD", 1<<18)
		for i := 0; i < 100; i++ {
			io.WriteString(w, chunk)
		}
		io.WriteString(w, `"}}`+"\n"+`{"op":"add","table":"T","values":{"id":2,"pic":"QUJD"}}`+"\n")
		w.Flush()
		stdin.Close()
	}()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exec: %v", err)
	}
	answers := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(answers) != 3 || !strings.Contains(answers[1], `"code":2001`) || !strings.Contains(answers[1], "more than the 64 MiB a line may hold") ||
		!strings.Contains(answers[2], `"ok":true`) {
		t.Fatalf("answers: %.600q", answers)
	}
	peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss >> 10 // MiB
	t.Logf("peak memory of exec with a 100 MB line: %d MiB", peak)
	if peak > peakLimitMiB {
		t.Errorf("exec reached %d MiB for a line of 100 MB, more than %d MiB", peak, peakLimitMiB)
	}
}
