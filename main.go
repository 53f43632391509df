// Command holdfast is the Holdfast desktop application and its command line (SPEC S9).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"

	"holdfast/backup"
	"holdfast/engine"
	"holdfast/journal"
	"holdfast/settings"
)

const usage = `usage:
  holdfast                                   open the window on the last database (a demo at first)
  holdfast gui [DB]                          open the window on DB
  holdfast create DB [--demo]                new database (demo: sample tables, rows, pictures)
  holdfast exec DB                           JSON commands on stdin, one JSON answer per line
  holdfast log DB status | create [--path FILE] | stop | new
  holdfast analyze DB|LOGFILE [--format text|csv|json]
  holdfast integrate DB [LOGFILE...]         integrate log files (none: what the current log holds)
  holdfast backup DB [--overwrite]           a backup with the current settings
  holdfast history DB                        the recent backups (backupHistory.json)
  holdfast verify DB|ARCHIVE                 check a database and its backups, or one archive
  holdfast restore ARCHIVE [--to DIR] [--items data,structure,attachments]
                   [--integrate auto|none] [--log FILE]... [--until OP | --until-time RFC3339]
  holdfast rollback DB --to OP               take the data back to operation OP
  holdfast settings DB [get [KEY] | set KEY VALUE... | add KEY VALUE | remove KEY VALUE]
`

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		code := engine.CodeOf(err)
		if code == 0 {
			code = engine.CodeUnexpected // every error a user can reach has its code: this is a bug
		}
		fmt.Fprintf(os.Stderr, "error %d: %s\n", code, err)
		os.Exit(1)
	}
}

func usageError(format string, args ...any) error {
	return &engine.Error{Code: engine.CodeUsage, Err: fmt.Errorf(format, args...)}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return runGUI("")
	}
	cmd, rest := args[0], args[1:]
	if err := checkSettings(cmd, rest, stderr); err != nil {
		return err
	}
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "gui":
		if len(rest) > 1 {
			return usageError("gui takes at most one database")
		}
		db := ""
		if len(rest) == 1 {
			db = rest[0]
		}
		return runGUI(db)
	case "create":
		return runCreate(rest, stdout)
	case "exec":
		return runExec(rest, stdin, stdout, stderr)
	case "log":
		return runLog(rest, stdout, stderr)
	case "analyze":
		return runAnalyze(rest, stdout, stderr)
	case "integrate":
		return runIntegrate(rest, stdout, stderr)
	case "backup":
		return runBackup(rest, stdout, stderr)
	case "history":
		return runHistory(rest, stdout)
	case "verify":
		return runVerify(rest, stdout, stderr)
	case "restore":
		return runRestore(rest, stdout, stderr)
	case "rollback":
		return runRollback(rest, stdout)
	case "settings":
		return runSettings(rest, stdout, stderr)
	}
	return usageError("unknown command %q", cmd)
}

// withDB opens the database named by args[0], reports what the open did on its own, runs fn and
// closes the database.
func withDB(args []string, min int, stderr io.Writer, fn func(db *engine.DB, rest []string) error) error {
	return withDBOptions(args, min, engine.Options{}, stderr, fn)
}

// withDBOptions is withDB opening the database with opts.
func withDBOptions(args []string, min int, opts engine.Options, stderr io.Writer, fn func(db *engine.DB, rest []string) error) error {
	if len(args) < min {
		return usageError("a database folder is needed")
	}
	db, repaired, err := backup.OpenOrRepair(context.Background(), args[0], opts)
	if repaired != nil {
		fmt.Fprintf(stderr, "notice: the data file was damaged; it was rebuilt from backup %d and %d log file(s) (%d operation(s) integrated, data at operation %d)\n",
			repaired.Backup, len(repaired.Logs), repaired.Integrated, repaired.Reached)
		if repaired.Damaged != "" {
			fmt.Fprintf(stderr, "notice: the damaged data file is kept as %s\n", repaired.Damaged)
		}
	}
	if err != nil {
		return err
	}
	reportOpen(db, stderr)
	err = fn(db, args[1:])
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}

func reportOpen(db *engine.DB, w io.Writer) {
	r := db.Report()
	if r.LogMissing != nil {
		fmt.Fprintf(w, "warning: opened without its log file: %v\n", r.LogMissing)
	}
	if r.TornTail != nil {
		fmt.Fprintf(w, "notice: the log ended with an interrupted write (%d bytes at offset %d); it was removed\n", r.TornTail.Bytes, r.TornTail.Offset)
	}
	if r.Integrated > 0 {
		fmt.Fprintf(w, "notice: %d operation(s) of the log were integrated into the data file\n", r.Integrated)
	}
	if r.Incomplete != nil {
		fmt.Fprintf(w, "notice: the log holds %d operation(s) (%d to %d) that the data file lacks; they were not integrated (restore.autoIntegrateLog is off): run holdfast integrate %s to integrate them; until then the database is read-only\n",
			r.Incomplete.Operations, r.Incomplete.From, r.Incomplete.To, db.Dir())
	}
	if r.LogPending {
		fmt.Fprintln(w, "notice: the log file will start after the next backup")
	}
	if r.JournalErr != nil {
		fmt.Fprintf(w, "warning: the backup journal could not be written: %v\n", r.JournalErr)
	}
}

func runCreate(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	demo := fs.Bool("demo", false, "")
	dir, err := parseOne(fs, args, "create")
	if err != nil {
		return err
	}
	db, err := engine.Create(dir, engine.Options{})
	if err != nil {
		return err
	}
	if *demo {
		err = engine.FillDemo(db)
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		fmt.Fprintf(stdout, "created %s\n", db.Dir())
	}
	return err
}

// parseOne parses flags placed before or after one positional argument.
func parseOne(fs *flag.FlagSet, args []string, cmd string) (string, error) {
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return "", usageError("%s: %v", cmd, err)
		}
		args = fs.Args()
		if len(args) > 0 {
			pos, args = append(pos, args[0]), args[1:]
		}
	}
	if len(pos) != 1 {
		if cmd == "restore" {
			return "", usageError("restore takes one archive (a .4BK file)")
		}
		return "", usageError("%s takes one database folder", cmd)
	}
	return pos[0], nil
}

func runLog(args []string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		return usageError("log needs a database and an action (status, create, stop, new)")
	}
	// status, stop and new work on a database whose log is missing or damaged: they are the
	// way out (S3.4), and say what they find.
	opts := engine.Options{WithoutLog: args[1] == "status" || args[1] == "stop" || args[1] == "new"}
	return withDBOptions(args, 2, opts, stderr, func(db *engine.DB, rest []string) error {
		switch rest[0] {
		case "status":
			st := db.LogStatus()
			state := "off"
			switch {
			case st.Failed != nil:
				state = "unavailable (writes refused): " + st.Failed.Error()
			case st.Open:
				state = "on"
			case st.Pending:
				state = "requested: starts after the next backup"
			}
			fmt.Fprintf(stdout, "log: %s\npath: %s\n", state, st.Path)
			if st.Open {
				fmt.Fprintf(stdout, "size: %d bytes\nfirst operation: %d\nlast operation: %d\n", st.Size, st.FirstOp, st.LastOp)
			}
			fmt.Fprintf(stdout, "data file at operation: %d\n", st.Applied)
			if inc := st.Incomplete; inc != nil {
				fmt.Fprintf(stdout, "not integrated: %d operation(s) of the log, %d to %d (holdfast integrate DB)\n", inc.Operations, inc.From, inc.To)
			}
			if st.CheckpointErr != nil {
				fmt.Fprintf(stdout, "warning: the data file could not be updated (the writes are safe in the log): %v\n", st.CheckpointErr)
			}
			return nil
		case "create":
			fs := flag.NewFlagSet("log create", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			path := fs.String("path", "", "")
			if err := fs.Parse(rest[1:]); err != nil || fs.NArg() > 0 {
				return usageError("log create takes only --path FILE")
			}
			if err := db.StartLog(*path); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "log started at %s\n", db.LogPath())
			return nil
		case "stop":
			if err := db.StopLog(); err != nil {
				return err
			}
			fmt.Fprintln(stdout, "log stopped: writes are no longer logged; turn it on again with holdfast log DB create")
			return nil
		case "new":
			if len(rest) > 1 {
				return usageError("log new takes no argument")
			}
			if db.Report().LogMissing != nil {
				// No log to close: a backup of the data as it is, which starts the new log.
				res, err := backup.Run(context.Background(), db, backup.Options{})
				if err != nil && (res == nil || !res.Done()) {
					return err
				}
				fmt.Fprintf(stdout, "backup %d: %s\n", res.Number, res.Archive)
				if st := db.LogStatus(); !st.Open || st.Failed != nil {
					// A backup without the data (content.data off) starts no log.
					return errors.Join(err, &engine.Error{Code: engine.CodeLogUnavailable, Op: "log new", Path: db.LogPath(),
						Err: errors.New("the backup was made, but no new log started: a backup without the data cannot start one; turn content.data on (holdfast settings DB set content.data true) and run log new again")})
				}
				fmt.Fprintf(stdout, "new log: %s, first operation %d\n", db.LogPath(), db.LogStatus().FirstOp)
				return err
			}
			res, err := backup.NewLog(context.Background(), db)
			if res == nil {
				return err
			}
			// What was done before a failure is printed too: the error alone would hide it.
			for _, p := range res.Archived {
				fmt.Fprintf(stdout, "log backup: %s\n", p)
			}
			if res.FirstOp != 0 {
				fmt.Fprintf(stdout, "new log: %s, first operation %d\n", db.LogPath(), res.FirstOp)
			}
			return err
		}
		return usageError("unknown log action %q", rest[0])
	})
}

func runAnalyze(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", "text", "")
	target, err := parseOne(fs, args, "analyze")
	if err != nil {
		return err
	}
	path := target
	if info, err := os.Stat(target); err == nil && info.IsDir() {
		if path, err = logPathOf(target); err != nil {
			return err
		}
	}
	write := map[string]func(io.Writer, []journal.Row) error{"text": journal.WriteText, "csv": journal.WriteCSV, "json": journal.WriteJSON}[*format]
	if write == nil {
		return usageError("--format is text, csv or json")
	}
	rows, torn, err := journal.ReadRows(journal.OSFS{}, path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return &engine.Error{Code: engine.CodeLogIO, Op: "analyze", Path: path, Err: errors.New("no such log file")}
		}
		return &engine.Error{Code: engine.CodeLogIO, Op: "analyze", Path: path, Err: err}
	}
	if torn != nil {
		fmt.Fprintf(stderr, "notice: the log ends with an interrupted write at offset %d (%d bytes not shown)\n", torn.Offset, torn.Bytes)
	}
	return write(stdout, rows)
}

// logPathOf reads a database's settings (without opening it) to find its log file.
func logPathOf(dir string) (string, error) {
	s := settings.New()
	if data, err := os.ReadFile(filepath.Join(dir, settings.FileName)); err == nil {
		if s, err = settings.Parse(data); err != nil {
			return "", &engine.Error{Code: engine.CodeBadSetting, Op: "read settings", Path: dir, Err: err}
		}
	}
	v := s.Values()
	if err := v.Need(settings.LogKeys...); err != nil {
		return "", &engine.Error{Code: engine.CodeBadSetting, Op: "analyze", Path: dir, Err: err}
	}
	if !v.Log.Use {
		return "", &engine.Error{Code: engine.CodeNoLog, Op: "analyze", Path: dir}
	}
	return v.Log.File(dir), nil
}

func runIntegrate(args []string, stdout, stderr io.Writer) error {
	return withDB(args, 1, stderr, func(db *engine.DB, files []string) error {
		// Ctrl+C stops after the batch under way; what was integrated stays.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		n, err := db.IntegrateProgress(ctx, files, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "integrated %d operation(s); the data file is at operation %d\n", n, db.LogStatus().Applied)
		return nil
	})
}
