package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"holdfast/internal/xvfb"
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

	display, _ := xvfb.Start(t)
	env = append(env, "DISPLAY="+display)

	var out xvfb.Buffer
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
		ids, err := xvfb.Search(display, title)
		if err == nil && len(ids) > 0 {
			name, err := xvfb.Xdotool(display, "getwindowname", ids[0])
			if err != nil {
				t.Fatal(err)
			}
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

// smokeBackup presses Ctrl+B in the main window, waits for the backup window, presses Enter
// there (its Backup button) and waits for the archive to appear. A window found by name may
// not be mapped yet (focusing it is then refused): each step is tried again until a deadline.
func smokeBackup(t *testing.T, display, main, archive string, out *xvfb.Buffer) {
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
		if ids, err := xvfb.Search(display, "Backup - Demo"); err == nil && len(ids) > 0 {
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
	_, err := xvfb.Xdotool(display, args...)
	return err
}
