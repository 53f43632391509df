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
	"regexp"
	"strings"

	"github.com/dustin/go-humanize"

	"holdfast/backup"
	"holdfast/engine"
	"holdfast/journal"
)

func runBackup(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	overwrite := fs.Bool("overwrite", false, "")
	dir, err := parseOne(fs, args, "backup")
	if err != nil {
		return err
	}
	// Ctrl+C stops the backup cleanly (1406) instead of killing it half-way.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return withDB([]string{dir}, 1, stderr, func(db *engine.DB, _ []string) error {
		res, err := backup.Run(ctx, db, backup.Options{Overwrite: *overwrite})
		if res == nil {
			return err
		}
		defer func() {
			for _, m := range res.Missing {
				fmt.Fprintf(stderr, "warning: attachment not found, not saved: %s\n", m)
			}
		}()
		fmt.Fprintf(stdout, "backup %d: %s (%s, snapshot at operation %d, %s)\n", res.Number, res.Archive,
			humanize.IBytes(uint64(res.Size)), res.Operation, res.Duration.Round(1e6))
		for _, l := range res.LogBackups {
			fmt.Fprintf(stdout, "log backup: %s\n", l)
		}
		for _, d := range res.Deleted {
			fmt.Fprintf(stdout, "deleted old backup: %s\n", d)
		}
		return err // a partial backup (1430) still fails the command
	})
}

// destinationOf finds a database's backup destination without opening it.
func destinationOf(dir string) (string, error) {
	db, err := engine.Open(dir, engine.Options{ReadOnly: true})
	if err != nil {
		return "", err
	}
	defer db.Close()
	return backup.Destination(db), nil
}

func runHistory(args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return usageError("history takes one database folder")
	}
	dest, err := destinationOf(args[0])
	if err != nil {
		return err
	}
	h, err := backup.LoadHistory(dest)
	if err != nil {
		return &engine.Error{Code: engine.CodeDestination, Op: "read history", Path: dest, Err: err}
	}
	if len(h.Operations) == 0 {
		fmt.Fprintf(stdout, "no backup recorded in %s\n", filepath.Join(dest, backup.HistoryFile))
		return nil
	}
	for _, e := range h.Operations {
		line := fmt.Sprintf("%s %s  %s %d  %s  %s", e.Date, e.Time, e.Kind, e.Number, e.Status, humanize.Comma(e.DurationMS)+" ms")
		if e.ErrorCode != 0 {
			line += fmt.Sprintf("  error %d: %s", e.ErrorCode, e.Error)
		}
		fmt.Fprintln(stdout, line)
		for _, f := range e.Files {
			fmt.Fprintf(stdout, "    %s  %s  sha256 %s\n", f.Path, humanize.IBytes(uint64(f.Size)), f.SHA256)
		}
	}
	return nil
}

// runVerify checks one archive or log backup, or a database (its data file) and every backup
// its history lists that is still there.
func runVerify(args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		return usageError("verify takes a database folder or an archive")
	}
	target := args[0]
	info, err := os.Stat(target)
	if err != nil {
		return &engine.Error{Code: engine.CodeArchiveMissing, Op: "verify", Path: target, Err: err}
	}
	if !info.IsDir() {
		return verifyFile(target, stdout)
	}
	db, err := engine.Open(target, engine.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	dest := backup.Destination(db)
	err = db.Check()
	waiting := db.ClosedLogs()
	db.Close()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok: data file of %s\n", target)
	// Not damage, but not whole either: said so that "ok" does not hide them.
	for _, c := range waiting {
		fmt.Fprintf(stderr, "warning: %s waits beside the log to be archived as a log backup; the next backup or new log file archives it (restores use it meanwhile)\n", c)
	}
	if n := backup.InterruptedBackup(target); n != 0 {
		fmt.Fprintf(stderr, "warning: backup %d was interrupted before it was recorded; the next backup finishes or undoes it\n", n)
	}
	h, err := backup.LoadHistory(dest)
	if err != nil {
		return &engine.Error{Code: engine.CodeDestination, Op: "read history", Path: dest, Err: err}
	}
	var errs []error
	for _, e := range h.Operations {
		for _, f := range e.Files {
			if _, err := os.Stat(f.Path); errors.Is(err, os.ErrNotExist) {
				fmt.Fprintf(stderr, "notice: %s is no longer there\n", f.Path)
				continue
			}
			if err := verifyFile(f.Path, stdout); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

var laterSegment = regexp.MustCompile(`\[\d{4,}-(\d{4,})\]\.4BK$`)

func verifyFile(path string, stdout io.Writer) error {
	if m := laterSegment.FindStringSubmatch(path); m != nil && m[1] != "0001" {
		return nil // verified with the first segment of its archive
	}
	if strings.HasSuffix(path, ".4BL") {
		_, recs, torn, err := journal.ReadAll(journal.OSFS{}, path)
		if err == nil && torn != nil {
			err = torn
		}
		if err != nil {
			return &engine.Error{Code: engine.CodeLogBackupVerify, Op: "verify", Path: path, Err: err}
		}
		fmt.Fprintf(stdout, "ok: %s (%d operations)\n", path, len(recs))
		return nil
	}
	m, rep, err := backup.VerifyArchiveRepair(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok: %s (backup %d, %d entries, snapshot at operation %d)\n", path, m.Backup, len(m.Entries), m.Operation)
	if rep.Damaged() {
		fmt.Fprintf(stdout, "    damaged, and repaired by its redundancy: %s\n", rep)
	}
	return nil
}
