package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"holdfast/backup"
)

// logList is a repeatable --log flag.
type logList []string

func (l *logList) String() string     { return strings.Join(*l, ",") }
func (l *logList) Set(v string) error { *l = append(*l, v); return nil }

func runRestore(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	to := fs.String("to", "", "")
	items := fs.String("items", "", "")
	integrate := fs.String("integrate", "auto", "")
	untilOp := fs.String("until", "", "")
	untilTime := fs.String("until-time", "", "")
	var logs logList
	fs.Var(&logs, "log", "")
	archive, err := parseOne(fs, args, "restore")
	if err != nil {
		return err
	}
	opts := backup.RestoreOptions{To: *to, Logs: logs}
	if *items != "" {
		opts.Items = strings.Split(*items, ",")
	}
	switch *integrate {
	case "auto":
	case "none":
		if len(logs) > 0 {
			return usageError("restore: --integrate none and --log contradict each other")
		}
		opts.NoIntegrate = true
	default:
		return usageError("restore: --integrate takes auto or none, not %q", *integrate)
	}
	if *untilOp != "" {
		if opts.Until.Op, err = strconv.ParseUint(*untilOp, 10, 64); err != nil || opts.Until.Op == 0 {
			return usageError("restore: --until takes an operation number (1 or more), not %q", *untilOp)
		}
	}
	if *untilTime != "" {
		if opts.Until.Time, err = time.Parse(time.RFC3339, *untilTime); err != nil {
			return usageError("restore: --until-time takes a date and time like 2026-12-01T17:30:00+01:00, not %q", *untilTime)
		}
	}
	if opts.NoIntegrate && opts.Until.IsSet() {
		return usageError("restore: --until needs logs to integrate; leave out --integrate none")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := backup.Restore(ctx, archive, opts)
	if err != nil {
		return err
	}
	if res.Repaired.Damaged() {
		fmt.Fprintf(stderr, "notice: the archive was damaged, and repaired by its redundancy: %s\n", res.Repaired)
	}
	for _, l := range res.Logs {
		fmt.Fprintf(stdout, "integrated log: %s\n", l)
	}
	fmt.Fprintf(stdout, "restored backup %d into %s: %d operation(s) integrated, data at operation %d\n",
		res.Manifest.Backup, res.Dir, res.Integrated, res.Reached)
	if n := res.HooksNotice(); n != "" {
		fmt.Fprintf(stderr, "notice: %s\n", n)
	}
	if opts.Until.IsSet() && !res.Stopped {
		fmt.Fprintf(stderr, "warning: the logs end at operation %d, before %s\n", res.Reached, opts.Until)
	}
	return nil
}

func runRollback(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("rollback", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	to := fs.String("to", "", "")
	dir, err := parseOne(fs, args, "rollback")
	if err != nil {
		return err
	}
	op, err := strconv.ParseUint(*to, 10, 64)
	if err != nil || op == 0 {
		return usageError("rollback needs --to OP, the operation number to go back to (holdfast analyze %s lists them)", dir)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := backup.Rollback(ctx, dir, op)
	if err != nil {
		return err
	}
	from := "a blank data file"
	if res.Backup != 0 {
		from = fmt.Sprintf("backup %d", res.Backup)
	}
	fmt.Fprintf(stdout, "rolled back to operation %d (from %s and %d log file(s)); operations %d to %d are undone\n", res.To, from, len(res.Logs), res.To+1, res.Undone)
	fmt.Fprintf(stdout, "kept: %s\nkept: %s\n", res.OldData, res.OldLog)
	fmt.Fprintln(stdout, "make a backup now: the backups taken after this operation no longer lead to the database as it is")
	return nil
}
