package settings

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Values is one snapshot of the settings: every key of Keys read once into a typed field,
// grouped as the keys are. Work takes one at its start (Settings.Values, engine.DB.Values) and
// uses it to its end, so that settings saved meanwhile change the next run, never the half of
// one. A key whose value in the file is not valid reads as its default, as everywhere; the
// snapshot keeps the problems, so that the work checks the keys it needs (Need) on the very
// values it runs by.
//
// Each field names its key in its tag; a key missing here, or a tag naming no key, fails the
// package's tests.
type Values struct {
	Scheduler            SchedulerValues
	Content              ContentValues
	Destination          string `key:"destination"` // "": "<Name> Backups" beside the database folder
	Log                  LogValues
	Keep                 KeepValues
	BackupOnlyIfModified bool `key:"backupOnlyIfModified"`
	Failure              FailureValues
	Archive              ArchiveValues
	Restore              RestoreValues
	Journal              JournalValues
	Hooks                HooksValues
	App                  AppValues

	// Schedule is the scheduler.* keys as a Schedule, or ScheduleErr why they give none (see
	// ScheduleOf).
	Schedule    Schedule `key:"-"`
	ScheduleErr error

	problems []Problem
}

// SchedulerValues are the scheduler.* keys; Values.Schedule is what they say together.
type SchedulerValues struct {
	Mode     Mode         `key:"scheduler.mode"`
	Time     TimeOfDay    `key:"scheduler.time"`
	Weekday  time.Weekday `key:"scheduler.weekday"`
	Monthday int          `key:"scheduler.monthday"`
	Custom   CustomValues
}

// CustomValues are the scheduler.custom.* keys: 0 turns an interval off.
type CustomValues struct {
	Hours      int            `key:"scheduler.custom.hours"`
	Days       int            `key:"scheduler.custom.days"`
	DaysTime   TimeOfDay      `key:"scheduler.custom.daysTime"`
	Weeks      int            `key:"scheduler.custom.weeks"`
	Weekdays   []time.Weekday `key:"scheduler.custom.weekdays"` // Monday first
	WeeksTime  TimeOfDay      `key:"scheduler.custom.weeksTime"`
	Months     int            `key:"scheduler.custom.months"`
	Monthday   int            `key:"scheduler.custom.monthday"`
	MonthsTime TimeOfDay      `key:"scheduler.custom.monthsTime"`
}

// ContentValues say what a backup saves (SPEC S6.1).
type ContentValues struct {
	Data        bool     `key:"content.data"`
	Structure   bool     `key:"content.structure"`
	Attachments []string `key:"content.attachments"`
}

// LogValues say whether the database keeps a log file, and where.
type LogValues struct {
	Use  bool   `key:"log.use"`
	Path string `key:"log.path"` // relative paths start at the database folder (see File)
}

// KeepValues are the retention of SPEC S6.3 (see Values.KeepCount).
type KeepValues struct {
	Enabled      bool       `key:"keep.enabled"`
	Count        int        `key:"keep.count"`
	DeleteOldest DeleteWhen `key:"keep.deleteOldest"`
}

// DeleteWhen is when the oldest backups are deleted: the values of keep.deleteOldest.
type DeleteWhen string

// The values of keep.deleteOldest.
const (
	DeleteBefore DeleteWhen = "before" // before the backup, to make room for it
	DeleteAfter  DeleteWhen = "after"  // once the backup is done
)

// FailureValues are what the scheduler does after a failed backup (SPEC S6.7).
type FailureValues struct {
	Mode               FailureMode   `key:"failure.mode"`
	RetryAfter         time.Duration `key:"failure.retryAfter"`
	MaxAttemptsEnabled bool          `key:"failure.maxAttemptsEnabled"`
	MaxAttempts        int           `key:"failure.maxAttempts"`
}

// FailureMode is the value of failure.mode.
type FailureMode string

// The values of failure.mode.
const (
	FailureRetry         FailureMode = "retry"         // try again after failure.retryAfter
	FailureNextScheduled FailureMode = "nextScheduled" // wait for the next scheduled time
)

// ArchiveValues say how an archive is written (SPEC S6.4). The levels are "none", "low",
// "medium" or "high"; the compression "none", "fast" or "compact".
type ArchiveValues struct {
	Compression string `key:"archive.compression"`
	SegmentMB   int    `key:"archive.segmentMB"` // 0: no segments
	Redundancy  string `key:"archive.redundancy"`
	Interlacing string `key:"archive.interlacing"`
	Verify      bool   `key:"archive.verify"`
}

// RestoreValues say what an open may do on its own (SPEC S3.5).
type RestoreValues struct {
	AutoRestoreIfDamaged bool `key:"restore.autoRestoreIfDamaged"`
	AutoIntegrateLog     bool `key:"restore.autoIntegrateLog"`
}

// JournalValues steer the backup journal.
type JournalValues struct {
	Verbose bool `key:"journal.verbose"`
}

// HooksValues are the commands run around a backup ("": none).
type HooksValues struct {
	OnStartup  string `key:"hooks.onStartup"`
	OnShutdown string `key:"hooks.onShutdown"`
}

// AppValues steer the desktop application.
type AppValues struct {
	RunInTray bool `key:"app.runInTray"`
}

// TimeOfDay is a time HH:MM of the scheduler keys.
type TimeOfDay struct{ Hour, Minute int }

func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", t.Hour, t.Minute) }

// Values reads every key once into a snapshot. Values holds nothing shared with s: changing
// s afterwards does not change it.
func (s *Settings) Values() Values {
	var v Values
	fillValues(reflect.ValueOf(&v).Elem(), s)
	v.problems = s.Problems()
	v.Schedule, v.ScheduleErr = v.schedule()
	return v
}

// fillValues sets each field of st tagged with a key to the key's value, and fills the groups
// (untagged struct fields) the same way.
func fillValues(st reflect.Value, s *Settings) {
	t := st.Type()
	for i := range t.NumField() {
		f, sf := st.Field(i), t.Field(i)
		name, tagged := sf.Tag.Lookup("key")
		switch {
		case !sf.IsExported() || name == "-":
		case !tagged && f.Kind() == reflect.Struct:
			fillValues(f, s)
		case tagged:
			setField(f, s.read(mustLookup(name))) // a tag naming no key panics: the tests catch it
		}
	}
}

// setField parses a key's values into a field. The values passed the key's check (a bad one
// reads as the default, which passes it too), so they parse.
func setField(f reflect.Value, vals []string) {
	one := strings.Join(vals, "\n")
	switch p := f.Addr().Interface().(type) {
	case *bool:
		*p = one == "true"
	case *int:
		*p, _ = strconv.Atoi(one)
	case *time.Duration:
		*p, _ = time.ParseDuration(one)
	case *time.Weekday:
		*p = weekdayOf(one)
	case *[]time.Weekday:
		*p = weekdaysOf(one)
	case *TimeOfDay:
		if len(one) == len("15:04") {
			p.Hour, _ = strconv.Atoi(one[:2])
			p.Minute, _ = strconv.Atoi(one[3:])
		}
	case *[]string:
		*p = slices.Clone(vals)
	default:
		if f.Kind() != reflect.String {
			panic(fmt.Sprintf("settings: no way to read a key into a %s", f.Type()))
		}
		f.SetString(one)
	}
}

// weekdayOf reads mon..sun.
func weekdayOf(abbr string) time.Weekday {
	return time.Weekday((slices.Index(weekdays, abbr) + 1) % 7)
}

// weekdaysOf reads a list such as "wed,fri" and returns it Monday first.
func weekdaysOf(list string) []time.Weekday {
	var days []time.Weekday
	for _, abbr := range strings.Split(list, ",") {
		if slices.Contains(weekdays, abbr) {
			days = append(days, weekdayOf(abbr))
		}
	}
	slices.SortFunc(days, func(a, b time.Weekday) int { return mondayFirst(a) - mondayFirst(b) })
	return days
}

// Problems lists the keys whose values in the file were not valid when the snapshot was taken.
func (v Values) Problems() []Problem { return slices.Clone(v.problems) }

// Need is Settings.Need on the snapshot: a BadValues error naming each of the keys that held a
// value that is not valid, or nil.
func (v Values) Need(names ...string) error { return need(v.problems, names) }

// KeepCount is how many backups to keep: keep.count, or 0 when keep.enabled is off (keep them
// all).
func (v Values) KeepCount() int {
	if !v.Keep.Enabled {
		return 0
	}
	return v.Keep.Count
}

// File is where the log file of the database folder dir is (or would be).
func (l LogValues) File(dir string) string {
	if filepath.IsAbs(l.Path) {
		return l.Path
	}
	return filepath.Join(dir, l.Path)
}

// DestinationFor is where the backups of the database folder dir go: the destination key, or
// "<Name> Backups" beside the folder.
func (v Values) DestinationFor(dir string) string {
	if v.Destination != "" {
		return v.Destination
	}
	return filepath.Join(filepath.Dir(dir), filepath.Base(dir)+" Backups")
}
