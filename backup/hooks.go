package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"holdfast/engine"
)

// hookTimeout bounds a hook command: a hook that hangs must not hold the backup forever.
const hookTimeout = 10 * time.Minute

// splitCommand splits a command line into words, without a shell: spaces separate words,
// single or double quotes group them, a backslash escapes the next character.
func splitCommand(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, quote := false, rune(0)
	escaped := false
	for _, r := range line {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped, inWord = false, true
		case r == '\\' && quote != '\'':
			escaped = true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || escaped {
		return nil, fmt.Errorf("unbalanced quote or trailing backslash in %q", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// runHook runs a hook command with extra environment and returns what it printed.
func runHook(ctx context.Context, line string, env []string) (string, error) {
	words, err := splitCommand(line)
	if err != nil || len(words) == 0 {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, hookTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, words[0], words[1:]...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	text := strings.TrimSpace(out.String())
	if len(text) > 2000 {
		text = text[:2000] + "..."
	}
	return text, err
}

// startupHook is the counterpart of On Backup Startup: the command, then the Go callback; a
// failure of either cancels the backup before anything is copied (1431).
func (j *job) startupHook(ctx context.Context) error {
	if line := j.v.Hooks.OnStartup; line != "" {
		out, err := runHook(ctx, line, []string{"HOLDFAST_DATABASE=" + j.db.Dir()})
		if err != nil {
			msg := err.Error()
			if out != "" {
				msg += ": " + out
			}
			return &engine.Error{Code: engine.CodeStartupHook, Op: "startup hook " + line, Err: errors.New(msg)}
		}
	}
	if j.opts.OnStartup != nil {
		if err := j.opts.OnStartup(); err != nil {
			return &engine.Error{Code: engine.CodeStartupHook, Op: "startup hook", Err: err}
		}
	}
	return nil
}

// shutdownHook is the counterpart of On Backup Shutdown: it learns the status and the archive
// from HOLDFAST_BACKUP_STATUS and HOLDFAST_BACKUP_FILE. Its own failure is noted in the backup
// journal; it cannot change the backup's outcome.
func (j *job) shutdownHook(status int, archive string) {
	if line := j.v.Hooks.OnShutdown; line != "" {
		env := []string{"HOLDFAST_DATABASE=" + j.db.Dir(), "HOLDFAST_BACKUP_STATUS=" + strconv.Itoa(status), "HOLDFAST_BACKUP_FILE=" + archive}
		if out, err := runHook(context.Background(), line, env); err != nil {
			note(j.db.Dir(), true, true, "Shutdown hook %q failed: %v %s", line, err, out)
		}
	}
	if j.opts.OnShutdown != nil {
		j.opts.OnShutdown(status, archive)
	}
}
