package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestSmokeWindow builds the real binary, creates a demo database and opens
// it in a real window on a private Xvfb server, waits for the window to
// appear, presses Ctrl+B, starts a backup with Enter in the backup window and
// waits for the archive. It is the one test that exercises the GLFW driver end
// to end.
func TestSmokeWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("smoke test builds the binary and starts Xvfb; skipped with -short")
	}
	for _, tool := range []string{"Xvfb", "xdotool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: run `make test`, which installs it (%v)", tool, err)
		}
	}

	dir := t.TempDir()
	bin := filepath.Join(dir, "holdfast")
	runCmd(t, 10*time.Minute, nil, "go", "build", "-o", bin, ".")

	db := filepath.Join(dir, "Demo")
	env := appEnv(dir)
	runCmd(t, 2*time.Minute, env, bin, "create", db, "--demo")

	display := startXvfb(t)
	env = append(env, "DISPLAY="+display)

	var out syncBuffer
	app := exec.Command(bin, "gui", db)
	app.Env = env
	app.Stdout = &out
	app.Stderr = &out
	if err := app.Start(); err != nil {
		t.Fatalf("start %s gui: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- app.Wait() }()
	defer func() {
		_ = app.Process.Kill()
		<-exited
	}()

	const title = "Holdfast - Demo"
	deadline := time.Now().Add(60 * time.Second)
	for {
		ids, err := xdotoolSearch(display, title)
		if err == nil && len(ids) > 0 {
			name := xdotool(t, display, "getwindowname", ids[0])
			if name != title {
				t.Errorf("window title = %q, want %q", name, title)
			}
			smokeBackup(t, display, ids[0], filepath.Join(dir, "Demo Backups", "Demo[0001].4BK"), &out)
			return
		}
		select {
		case err := <-exited:
			exited <- err // for the deferred cleanup
			t.Fatalf("holdfast gui exited before its window appeared (%v); output:\n%s", err, out.String())
		case <-time.After(250 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no window named %q on display %s after 60 s; holdfast output:\n%s",
				title, display, out.String())
		}
	}
}

// appEnv is the environment the binary runs with: quiet locale and GTK
// settings, and configuration folders inside dir so the test never reads or
// changes the user's own preferences.
func appEnv(dir string) []string {
	env := os.Environ()
	env = append(env,
		"LANG=C",
		"LC_ALL=C",
		"GSETTINGS_BACKEND=memory",
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_DATA_HOME="+filepath.Join(dir, "data"),
		"XDG_CACHE_HOME="+filepath.Join(dir, "cache"),
	)
	return env
}

// run runs name with args and fails the test, showing the output, if it fails.
func runCmd(t *testing.T, timeout time.Duration, env []string, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if env != nil {
		cmd.Env = env
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// startXvfb starts an Xvfb server on the first free display from :90 to :120
// and stops it when the test ends. It returns the display name, such as ":90".
func startXvfb(t *testing.T) string {
	t.Helper()
	for n := 90; n <= 120; n++ {
		if displayInUse(n) {
			continue
		}
		display := fmt.Sprintf(":%d", n)
		var out syncBuffer
		cmd := exec.Command("Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp")
		cmd.Stdout = &out
		cmd.Stderr = &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start Xvfb: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		if waitForSocket(n, exited, 15*time.Second) {
			t.Cleanup(func() { stop(cmd.Process, exited) })
			return display
		}
		stop(cmd.Process, exited)
		t.Logf("Xvfb %s did not start, trying the next display:\n%s", display, out.String())
	}
	t.Fatal("no free X display between :90 and :120 for Xvfb")
	return ""
}

// stop asks p to end with SIGTERM, so that Xvfb removes its lock file and
// socket, and kills it if it has not exited within five seconds.
func stop(p *os.Process, exited <-chan struct{}) {
	_ = p.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = p.Kill()
		<-exited
	}
}

func displayInUse(n int) bool {
	for _, p := range []string{
		fmt.Sprintf("/tmp/.X%d-lock", n),
		fmt.Sprintf("/tmp/.X11-unix/X%d", n),
	} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

// waitForSocket waits until the X server for display n accepts connections,
// shown by its socket file, or until it exits or the timeout passes.
func waitForSocket(n int, exited <-chan struct{}, timeout time.Duration) bool {
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

// xdotoolSearch returns the ids of the windows whose name matches name.
// xdotool exits 1 when nothing matches, which is not an error here.
func xdotoolSearch(display, name string) ([]string, error) {
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

func xdotool(t *testing.T, display string, args ...string) string {
	t.Helper()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("xdotool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// syncBuffer is a bytes.Buffer that a child process's output goroutines and
// the test may use at the same time.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// smokeBackup presses Ctrl+B in the main window, waits for the backup window, presses Enter
// there (its Backup button) and waits for the archive to appear. A window found by name may
// not be mapped yet (focusing it is then refused): each step is tried again until a deadline.
func smokeBackup(t *testing.T, display, main, archive string, out *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	fail := func(format string, args ...any) {
		if time.Now().After(deadline) {
			t.Fatalf(format+"; holdfast output:\n%s", append(args, out.String())...)
		}
		time.Sleep(250 * time.Millisecond)
	}
	var backupWin string
	for backupWin == "" {
		if err := xdotoolTry(display, "windowfocus", "--sync", main); err != nil {
			fail("cannot focus the main window: %v", err)
			continue
		}
		if err := xdotoolTry(display, "key", "ctrl+b"); err != nil {
			fail("cannot press Ctrl+B: %v", err)
			continue
		}
		time.Sleep(500 * time.Millisecond)
		if ids, err := xdotoolSearch(display, "Backup - Demo"); err == nil && len(ids) > 0 {
			backupWin = ids[0]
		} else {
			fail("Ctrl+B opened no backup window")
		}
	}
	for {
		if err := xdotoolTry(display, "windowfocus", "--sync", backupWin); err != nil {
			fail("cannot focus the backup window: %v", err)
			continue
		}
		if err := xdotoolTry(display, "key", "Return"); err != nil {
			fail("cannot press Enter: %v", err)
			continue
		}
		for range 20 {
			if _, err := os.Stat(archive); err == nil {
				return
			}
			time.Sleep(250 * time.Millisecond)
		}
		fail("no archive at %s after Enter in the backup window", archive)
	}
}

// xdotoolTry runs xdotool and returns its error with its output.
func xdotoolTry(display string, args ...string) error {
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("xdotool %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
