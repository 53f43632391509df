package settings

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Key describes one setting: its name, default and what it accepts.
type Key struct {
	Name    string
	Default string
	List    bool   // a list of values (settings add / remove)
	Want    string // what it accepts, in words, for errors and help
	check   func(string) bool
}

var (
	hhmm     = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	levels   = oneOf("none", "low", "medium", "high")
	boolean  = oneOf("true", "false")
)

func oneOf(vals ...string) func(string) bool {
	return func(s string) bool {
		for _, v := range vals {
			if s == v {
				return true
			}
		}
		return false
	}
}

func intRange(lo, hi int) func(string) bool {
	return func(s string) bool {
		n, err := strconv.Atoi(s)
		return err == nil && n >= lo && n <= hi && strconv.Itoa(n) == s
	}
}

// zeroOr accepts 0 (off) or lo..hi.
func zeroOr(lo, hi int) func(string) bool {
	r := intRange(lo, hi)
	return func(s string) bool { return s == "0" || r(s) }
}

func weekdayList(s string) bool {
	if s == "" {
		return true
	}
	seen := map[string]bool{}
	for _, d := range strings.Split(s, ",") {
		if !oneOf(weekdays...)(d) || seen[d] {
			return false
		}
		seen[d] = true
	}
	return true
}

func duration(s string) bool {
	d, err := time.ParseDuration(s)
	return err == nil && d >= time.Second && d <= 7*24*time.Hour
}

func anyPath(s string) bool { return s != "" && !strings.ContainsRune(s, 0) }

func optionalPath(s string) bool { return s == "" || anyPath(s) }

func absolutePath(s string) bool { return filepath.IsAbs(s) && anyPath(s) }

func anyCommand(s string) bool { return !strings.ContainsAny(s, "\x00\n\r") }

// Keys is the table of SPEC S7, in the order the settings window and `settings get` show them.
var Keys = []Key{
	{Name: "scheduler.mode", Default: "never", Want: "never, hourly, daily, weekly, monthly or custom", check: oneOf("never", "hourly", "daily", "weekly", "monthly", "custom")},
	{Name: "scheduler.time", Default: "23:00", Want: "a time HH:MM", check: hhmm.MatchString},
	{Name: "scheduler.weekday", Default: "mon", Want: "one of mon, tue, wed, thu, fri, sat, sun", check: oneOf(weekdays...)},
	{Name: "scheduler.monthday", Default: "1", Want: "a day 1 to 31 (31 = the last day of short months)", check: intRange(1, 31)},
	{Name: "scheduler.custom.hours", Default: "0", Want: "0 (off) or a number of hours 1 to 24", check: zeroOr(1, 24)},
	{Name: "scheduler.custom.days", Default: "0", Want: "0 (off) or a number of days 1 to 365", check: zeroOr(1, 365)},
	{Name: "scheduler.custom.daysTime", Default: "23:00", Want: "a time HH:MM", check: hhmm.MatchString},
	{Name: "scheduler.custom.weeks", Default: "0", Want: "0 (off) or a number of weeks 1 to 52", check: zeroOr(1, 52)},
	{Name: "scheduler.custom.weekdays", Default: "mon", Want: "days separated by commas, e.g. wed,fri", check: weekdayList},
	{Name: "scheduler.custom.weeksTime", Default: "23:00", Want: "a time HH:MM", check: hhmm.MatchString},
	{Name: "scheduler.custom.months", Default: "0", Want: "0 (off) or a number of months 1 to 12", check: zeroOr(1, 12)},
	{Name: "scheduler.custom.monthday", Default: "1", Want: "a day 1 to 31", check: intRange(1, 31)},
	{Name: "scheduler.custom.monthsTime", Default: "23:00", Want: "a time HH:MM", check: hhmm.MatchString},
	{Name: "content.data", Default: "true", Want: "true or false", check: boolean},
	{Name: "content.structure", Default: "true", Want: "true or false", check: boolean},
	{Name: "content.attachments", List: true, Want: "an absolute path of a file or folder", check: absolutePath},
	{Name: "destination", Default: "", Want: "a folder (empty: \"<Name> Backups\" beside the database folder)", check: optionalPath},
	{Name: "log.use", Default: "true", Want: "true or false", check: boolean},
	{Name: "log.path", Default: "Data/data.journal", Want: "a file path (relative paths start at the database folder)", check: anyPath},
	{Name: "keep.enabled", Default: "true", Want: "true or false", check: boolean},
	{Name: "keep.count", Default: "3", Want: "a number of backups 1 to 9999", check: intRange(1, 9999)},
	{Name: "keep.deleteOldest", Default: "after", Want: "before or after", check: oneOf("before", "after")},
	{Name: "backupOnlyIfModified", Default: "false", Want: "true or false", check: boolean},
	{Name: "failure.mode", Default: "retry", Want: "nextScheduled or retry", check: oneOf("nextScheduled", "retry")},
	{Name: "failure.retryAfter", Default: "10m", Want: "a duration from 1s to 168h, such as 30s, 10m or 1h", check: duration},
	{Name: "failure.maxAttemptsEnabled", Default: "false", Want: "true or false", check: boolean},
	{Name: "failure.maxAttempts", Default: "3", Want: "a number of attempts 1 to 99", check: intRange(1, 99)},
	{Name: "archive.compression", Default: "fast", Want: "none, fast or compact", check: oneOf("none", "fast", "compact")},
	{Name: "archive.segmentMB", Default: "0", Want: "a size in MB 0 to 2048 (0 = no segments)", check: intRange(0, 2048)},
	{Name: "archive.redundancy", Default: "none", Want: "none, low, medium or high", check: levels},
	{Name: "archive.interlacing", Default: "none", Want: "none, low, medium or high", check: levels},
	{Name: "archive.verify", Default: "true", Want: "true or false", check: boolean},
	{Name: "restore.autoRestoreIfDamaged", Default: "true", Want: "true or false", check: boolean},
	{Name: "restore.autoIntegrateLog", Default: "true", Want: "true or false", check: boolean},
	{Name: "journal.verbose", Default: "true", Want: "true or false", check: boolean},
	{Name: "hooks.onStartup", Default: "", Want: "a command line on one line (empty = none)", check: anyCommand},
	{Name: "hooks.onShutdown", Default: "", Want: "a command line on one line (empty = none)", check: anyCommand},
	{Name: "app.runInTray", Default: "false", Want: "true or false", check: boolean},
}

// What each kind of work needs of the settings. While one of its keys holds a bad value in the
// file (a Problem), the work refuses to start (Need), because a guess could do with the user's
// files what they did not ask: a mistyped keep.count read as its default 3 would delete the
// backups they meant to keep, a mistyped log.use could attach a log that was stopped. A key
// that no list names (journal.verbose, app.runInTray) only changes how much is said or where
// the application waits: its default is used, with a warning.
var (
	// OpenKeys steer the opening of a database for writing: where its log is, and what the
	// open may do on its own (integrate the log, restore the last backup).
	OpenKeys = []string{"log.use", "log.path", "restore.autoIntegrateLog", "restore.autoRestoreIfDamaged"}
	// BackupKeys steer a backup: what it saves and from where, where it goes and how, which
	// old backups it deletes, and the commands it runs.
	BackupKeys = []string{"content.data", "content.structure", "content.attachments", "destination",
		"log.use", "log.path", "keep.enabled", "keep.count", "keep.deleteOldest",
		"archive.compression", "archive.segmentMB", "archive.redundancy", "archive.interlacing",
		"archive.verify", "hooks.onStartup", "hooks.onShutdown"}
	// ScheduleKeys steer the scheduler: when it starts a backup, and what it does after one
	// failed. A scheduled backup needs BackupKeys too.
	ScheduleKeys = []string{"scheduler.mode", "scheduler.time", "scheduler.weekday", "scheduler.monthday",
		"scheduler.custom.hours", "scheduler.custom.days", "scheduler.custom.daysTime",
		"scheduler.custom.weeks", "scheduler.custom.weekdays", "scheduler.custom.weeksTime",
		"scheduler.custom.months", "scheduler.custom.monthday", "scheduler.custom.monthsTime",
		"backupOnlyIfModified", "failure.mode", "failure.retryAfter", "failure.maxAttemptsEnabled",
		"failure.maxAttempts"}
	// LogKeys say whether the database keeps a log file, and where. They change with the log
	// itself (turned on, stopped: SPEC S3.4), never with the other settings.
	LogKeys = []string{"log.use", "log.path"}
	// FolderKeys are what restores, repairs and rollbacks read of a database folder without
	// opening it: where its log is (its closed logs wait beside it) and where its backups go.
	FolderKeys = []string{"log.use", "log.path", "destination"}
)

// Lookup finds a key by name.
func Lookup(name string) (Key, error) {
	for _, k := range Keys {
		if k.Name == name {
			return k, nil
		}
	}
	return Key{}, fmt.Errorf("%w %q: run `holdfast settings DB get` to list the keys", ErrUnknownKey, name)
}

// Check validates one value of the key.
func (k Key) Check(v string) error {
	if !k.check(v) {
		return &ValueError{Key: k.Name, Value: v, Want: k.Want}
	}
	return nil
}
