package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"holdfast/engine"
	"holdfast/journal"
	"holdfast/settings"
)

// settingsNeeds is what the commands that open a database folder need of its settings. A bad
// value in one of these keys refuses the command with 2009 (settings.Need), naming the key, its
// line and the command that fixes it: a backup run by a default in place of a mistyped
// keep.count would delete backups the user meant to keep, and a log command or an integration
// run by a default log.path would work on another log than the database's. A bad value in any
// other key is a warning, and the key reads as its default: the command does not use it, and
// the user keeps access to the data. exec needs nothing to start: with settings.OpenKeys not
// all valid, it opens the database read-only (runExec).
var settingsNeeds = map[string][]string{
	"exec": nil, "history": nil, "verify": nil, "analyze": nil,
	"backup": settings.BackupKeys, "log": settings.OpenKeys, "integrate": settings.OpenKeys,
	"rollback": append(slices.Clone(settings.OpenKeys), settings.FolderKeys...),
}

// checkSettings applies settingsNeeds before a command opens the database folder args[0].
func checkSettings(cmd string, args []string, stderr io.Writer) error {
	needs, opens := settingsNeeds[cmd]
	if !opens || len(args) == 0 {
		return nil
	}
	s := folderSettings(args[0])
	if s == nil {
		return nil // none, or unreadable: the command says so when it opens the database
	}
	if err := s.Need(needs...); err != nil {
		return &engine.Error{Code: engine.CodeBadSetting, Op: cmd, Path: args[0], Err: err}
	}
	warnProblems(s.Problems(), stderr)
	return nil
}

// folderSettings reads the settings of a database folder without opening it, or nil.
func folderSettings(dir string) *settings.Settings {
	data, err := os.ReadFile(filepath.Join(dir, settings.FileName))
	if err != nil {
		return nil
	}
	s, err := settings.Parse(data)
	if err != nil {
		return nil
	}
	return s
}

func warnProblems(ps []settings.Problem, stderr io.Writer) {
	for _, p := range ps {
		meanwhile := fmt.Sprintf("its default %q", p.Default)
		if p.List {
			meanwhile = "an empty list"
		}
		fmt.Fprintf(stderr, "warning: %v; until then it reads as %s\n", p, meanwhile)
	}
}

// runExec serves exec. While a key that opening for writing needs (settings.OpenKeys) holds a
// bad value, the database opens read-only rather than by a guess of where its log is: reads
// go on, and every write answers 2009 naming the key (engine.Exec).
func runExec(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var opts engine.Options
	if len(args) > 0 {
		if s := folderSettings(args[0]); s != nil && s.Need(settings.OpenKeys...) != nil {
			opts.ReadOnly = true
			fmt.Fprintln(stderr, "warning: the database is open read-only until the settings above are fixed: writes answer 2009, and operations that reached only the log file (after a crash) are not shown")
		}
	}
	return withDBOptions(args, 1, opts, stderr, func(db *engine.DB, _ []string) error { return engine.Exec(db, stdin, stdout) })
}

// runSettings is `holdfast settings DB [get [KEY] | set KEY VALUE... | add KEY VALUE | remove
// KEY VALUE]`. It reads a file whose values are not all valid, shows each bad one with its
// line, and writes such a file back with the bad values as they were, save the one it replaces.
func runSettings(args []string, stdout, stderr io.Writer) error {
	if len(args) < 1 {
		return usageError("settings needs a database")
	}
	path := filepath.Join(args[0], settings.FileName)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if _, cerr := os.Stat(filepath.Join(args[0], engine.CatalogFile)); cerr != nil {
			return &engine.Error{Code: engine.CodeNotDatabase, Op: "read settings", Path: args[0]}
		}
		data, err = settings.New().Marshal(), nil // a database without the file: the defaults
	case err != nil:
		return engine.SettingsError(path, err)
	}
	s, err := settings.Parse(data)
	if err != nil {
		return engine.SettingsError(path, err)
	}
	rest := args[1:]
	if len(rest) == 0 || rest[0] == "get" {
		return settingsGet(s, rest, stdout, stderr)
	}
	if err := changeSettings(s, rest); err != nil {
		return err
	}
	if err := journal.WriteFileAtomic(journal.OSFS{}, path, s.Marshal(), 0o600); err != nil {
		return &engine.Error{Code: engine.CodeDataIO, Op: "write settings", Path: path, Err: err}
	}
	warnProblems(s.Problems(), stderr)
	return nil
}

// settingsGet prints every key, or one, as it reads (a bad value as its default, with a
// warning that names it).
func settingsGet(s *settings.Settings, rest []string, stdout, stderr io.Writer) error {
	keys := settings.Keys
	if len(rest) > 1 {
		k, err := settings.Lookup(rest[1])
		if err != nil {
			return &engine.Error{Code: engine.CodeBadSetting, Err: err}
		}
		keys = []settings.Key{k}
	}
	var bad []settings.Problem
	for _, k := range keys {
		v := s.Get(k)
		fmt.Fprintf(stdout, "%s = %s\n", k.Name, strings.ReplaceAll(v, "\n", ", "))
		for _, p := range s.Problems() {
			if p.Key == k.Name {
				bad = append(bad, p)
			}
		}
	}
	warnProblems(bad, stderr)
	return nil
}

// changeSettings applies set, add or remove to s.
func changeSettings(s *settings.Settings, rest []string) error {
	if len(rest) < 3 {
		return usageError("settings %s needs a key and a value", rest[0])
	}
	key, vals := rest[1], rest[2:]
	// The log is turned on and off by its commands, which need its keys valid: a bad value
	// of one of them is replaced here, by what the log really is.
	if slices.Contains(settings.LogKeys, key) && s.Need(settings.LogKeys...) == nil {
		return &engine.Error{Code: engine.CodeBadSetting, Op: "settings", Err: errors.New("the log is turned on and off with holdfast log DB create|stop")}
	}
	var err error
	switch rest[0] {
	case "set":
		err = s.Set(key, vals...)
	case "add", "remove":
		if len(vals) != 1 {
			return usageError("settings %s takes one value", rest[0])
		}
		if rest[0] == "add" {
			err = s.Add(key, vals[0])
		} else {
			err = s.Remove(key, vals[0])
		}
	default:
		return usageError("unknown settings action %q", rest[0])
	}
	if err != nil {
		return &engine.Error{Code: engine.CodeBadSetting, Op: "settings", Err: err}
	}
	return nil
}
