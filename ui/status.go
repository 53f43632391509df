package ui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"holdfast/backup"
	"holdfast/engine"
	"holdfast/settings"
)

// StatusLine is the status bar's text: the log's state, the last backup and its result, and
// the next scheduled backup. It reads files (the history): call it off the Fyne thread.
//
// With the scheduler's state (the window runs one), the next run counts a retry after a
// failure, and automatic backups may be off (1401).
func statusLine(db *engine.DB, now time.Time, sched *backup.SchedulerStatus) string {
	var parts []string
	ls := db.LogStatus()
	switch {
	case ls.Failed != nil:
		parts = append(parts, "Log: unavailable (1274), writes refused until a backup")
	case ls.Incomplete != nil:
		parts = append(parts, fmt.Sprintf("Log: %d operation(s) not integrated, read-only", ls.Incomplete.Operations))
	case ls.Pending:
		parts = append(parts, "Log: starts after the next backup")
	case ls.Open:
		parts = append(parts, fmt.Sprintf("Log: on, operation %d", ls.LastOp))
	default:
		parts = append(parts, "Log: off")
	}
	last := "Last backup: none yet"
	if h, err := backup.LoadHistory(backup.Destination(db)); err == nil {
		last = "Last backup: " + lastBackupText(h, now, false)
	} else {
		last = fmt.Sprintf("Last backup: history unreadable (error %d, see Backup...)", engine.CodeDestination)
	}
	parts = append(parts, last)
	next := "Next backup: not scheduled"
	v := db.Values()
	switch sc := v.Schedule; {
	case v.ScheduleErr != nil:
		next = "Next backup: none, " + scheduleProblem(v.ScheduleErr)
	case sched != nil && sched.Disabled:
		next = "Next backup: automatic backups off (1401)"
	case sched != nil:
		if !sched.Next.IsZero() {
			next = "Next backup: " + sched.Next.Format("Mon 2 Jan 15:04")
			switch {
			case !sched.Missed.IsZero():
				next += " (a retry: the one due " + sched.Missed.Format("Mon 2 Jan 15:04") + " was missed)"
			case sched.Attempts > 0:
				next += fmt.Sprintf(" (retry after %d failed attempt(s))", sched.Attempts)
			}
		}
	default:
		if at, ok := sc.Next(time.Time{}, now); ok {
			next = "Next backup: " + at.Format("Mon 2 Jan 15:04")
		}
	}
	parts = append(parts, next)
	return strings.Join(parts, "   ·   ")
}

// scheduleProblem says why the settings schedule no backup, and where to fix it: a value the
// scheduler needs that is not valid (its key, line and fix), or a schedule that does not hold
// together (which keys to change).
func scheduleProblem(err error) string {
	text := strings.TrimPrefix(engine.WindowText(err), "settings: ")
	if errors.Is(err, settings.ErrSchedule) {
		text += "; change it in File > Database Settings..., page Scheduler"
	}
	return fmt.Sprintf("error %d: %s", engine.CodeBadSetting, text)
}
