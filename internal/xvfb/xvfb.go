// Package xvfb runs a private X server (Xvfb) for the tests and benchmarks that drive the real
// window, and drives windows in it with xdotool. The application does not use it.
package xvfb

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Start starts Xvfb on the first free display from :90 to :120 and stops it when the test or
// benchmark ends. It returns the display name, such as ":90", and the server's process id.
func Start(tb testing.TB) (string, int) {
	tb.Helper()
	for n := 90; n <= 120; n++ {
		if inUse(n) {
			continue
		}
		display := fmt.Sprintf(":%d", n)
		out := &Buffer{}
		cmd := exec.Command("Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp")
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			tb.Fatalf("start Xvfb: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		if waitSocket(n, exited, 15*time.Second) {
			tb.Cleanup(func() { stop(cmd.Process, exited) })
			return display, cmd.Process.Pid
		}
		stop(cmd.Process, exited)
		tb.Logf("Xvfb %s did not start, trying the next display:\n%s", display, out.String())
	}
	tb.Fatal("no free X display between :90 and :120 for Xvfb")
	return "", 0
}

// stop ends p with SIGTERM, so that Xvfb removes its lock file and socket, and kills it if it
// has not exited within five seconds.
func stop(p *os.Process, exited <-chan struct{}) {
	_ = p.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = p.Kill()
		<-exited
	}
}

func inUse(n int) bool {
	for _, p := range []string{fmt.Sprintf("/tmp/.X%d-lock", n), fmt.Sprintf("/tmp/.X11-unix/X%d", n)} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

// waitSocket waits until the X server of display n has its socket, it exits, or the timeout
// passes.
func waitSocket(n int, exited <-chan struct{}, timeout time.Duration) bool {
	socket := fmt.Sprintf("/tmp/.X11-unix/X%d", n)
	deadline := time.After(timeout)
	for {
		if _, err := os.Stat(socket); err == nil {
			return true
		}
		select {
		case <-exited:
			return false
		case <-deadline:
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Search returns the ids of the windows whose name matches name (xdotool exits 1 when none
// does, which is not an error here).
func Search(display, name string) ([]string, error) {
	cmd := exec.Command("xdotool", "search", "--name", name)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(out)), nil
}

// Xdotool runs xdotool on display and returns its output, or its error with that output.
func Xdotool(display string, args ...string) (string, error) {
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("xdotool %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)), nil
}

// Buffer is a bytes.Buffer that a child process's output goroutines and the test share.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
