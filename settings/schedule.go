package settings

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Mode is how scheduled backups are spaced: the values of scheduler.mode.
type Mode string

// The scheduler modes of SPEC S6.7.
const (
	ModeNever   Mode = "never"   // no scheduled backups
	ModeHourly  Mode = "hourly"  // every hour on the hour
	ModeDaily   Mode = "daily"   // every day at a time
	ModeWeekly  Mode = "weekly"  // every week on a day at a time
	ModeMonthly Mode = "monthly" // every month on a day at a time
	ModeCustom  Mode = "custom"  // every X hours, days, weeks or months (Schedule.Unit, Schedule.Every)
)

// Unit is what a custom schedule counts in.
type Unit string

// The units of a custom schedule, one per scheduler.custom.* interval key.
const (
	UnitHours  Unit = "hours"
	UnitDays   Unit = "days"
	UnitWeeks  Unit = "weeks"
	UnitMonths Unit = "months"
)

// Schedule is the scheduler part of the settings, parsed and checked by ScheduleOf.
//
// Its run times are a pure function of the schedule, the last run and now, computed in the
// location of now (normally time.Local). A time of day that the clock skips on a spring-forward
// day runs at the first instant after the gap; one that the clock shows twice on a fall-back day
// runs once, at its first occurrence. Hourly and every-X-hours schedules count real elapsed hours,
// so across a change of offset the wall-clock time of their runs shifts.
type Schedule struct {
	Mode Mode
	// Unit and Every are set in ModeCustom only: a run every Every Units, Every >= 1.
	Unit  Unit
	Every int
	// Hour and Minute are the time of day of the runs, except hourly and every X hours.
	Hour, Minute int
	// Weekdays are the days of ModeWeekly (one) and of custom weeks (one or more), Monday first.
	Weekdays []time.Weekday
	// Monthday is the day of ModeMonthly and of custom months, 1 to 31; a day past the end of a
	// shorter month means its last day (31 in April is April 30, 30 in February is the 28th or 29th).
	Monthday int
}

// ScheduleOf reads the scheduler.* keys: it is the Schedule and ScheduleErr of s.Values().
// Keys that the mode does not use are ignored. A custom schedule must set exactly one of
// scheduler.custom.hours, .days, .weeks and .months (the others 0) and, in weeks, at least one
// day; otherwise the error wraps ErrSchedule and names the keys. While a key that scheduled
// backups need (ScheduleKeys, BackupKeys) holds a bad value in the file, the error is its
// BadValues: the scheduler plans nothing rather than back up by the defaults.
func ScheduleOf(s *Settings) (Schedule, error) {
	v := s.Values()
	return v.Schedule, v.ScheduleErr
}

// schedule is ScheduleOf on the snapshot's values.
func (v *Values) schedule() (Schedule, error) {
	if err := v.Need(append(slices.Clone(ScheduleKeys), BackupKeys...)...); err != nil {
		return Schedule{}, err
	}
	c := v.Scheduler
	sc := Schedule{Mode: c.Mode}
	switch sc.Mode {
	case ModeDaily, ModeWeekly, ModeMonthly:
		sc.Hour, sc.Minute = c.Time.Hour, c.Time.Minute
		if sc.Mode == ModeWeekly {
			sc.Weekdays = []time.Weekday{c.Weekday}
		}
		if sc.Mode == ModeMonthly {
			sc.Monthday = c.Monthday
		}
	case ModeCustom:
		if err := c.Custom.schedule(&sc); err != nil {
			return Schedule{}, err
		}
	}
	return sc, nil
}

// schedule sets the interval of a custom schedule: the one of hours, days, weeks and months
// that is not 0, with its time of day and days.
func (c CustomValues) schedule(sc *Schedule) error {
	units := []struct {
		unit  Unit
		key   string
		every int
		at    TimeOfDay
	}{
		{UnitHours, "scheduler.custom.hours", c.Hours, TimeOfDay{}},
		{UnitDays, "scheduler.custom.days", c.Days, c.DaysTime},
		{UnitWeeks, "scheduler.custom.weeks", c.Weeks, c.WeeksTime},
		{UnitMonths, "scheduler.custom.months", c.Months, c.MonthsTime},
	}
	var set []string
	for _, u := range units {
		if u.every != 0 {
			set = append(set, fmt.Sprintf("%s (%d)", u.key, u.every))
			sc.Unit, sc.Every, sc.Hour, sc.Minute = u.unit, u.every, u.at.Hour, u.at.Minute
		}
	}
	switch {
	case len(set) == 0:
		return fmt.Errorf("%w: choose how often: set one of scheduler.custom.hours, .days, .weeks or .months", ErrSchedule)
	case len(set) == 2:
		return fmt.Errorf("%w: %s and %s are both set: keep one and set the other to 0", ErrSchedule, set[0], set[1])
	case len(set) > 2:
		return fmt.Errorf("%w: %s and %s are all set: keep one and set the others to 0",
			ErrSchedule, strings.Join(set[:len(set)-1], ", "), set[len(set)-1])
	}
	switch sc.Unit {
	case UnitWeeks:
		sc.Weekdays = slices.Clone(c.Weekdays)
		if len(sc.Weekdays) == 0 {
			return fmt.Errorf("%w: scheduler.custom.weekdays is empty: choose the days of scheduler.custom.weeks, e.g. wed,fri", ErrSchedule)
		}
	case UnitMonths:
		sc.Monthday = c.Monthday
	}
	return nil
}

// Next returns the first scheduled run strictly after now, given the time of the last run (the
// zero time when the schedule never ran); it is also after last, should last be later than now.
// It returns false when nothing is scheduled (ModeNever).
//
// Fixed modes (hourly, daily, weekly, monthly) do not depend on last. Custom schedules count from
// the last run: every X hours from its instant, every X days from its day, every X weeks from its
// week (weeks start on Monday; the week's days after the last run still run) and every X months
// from its month. When there is no last run, every X hours starts at the next whole hour, every X
// days at the next time of day (today or tomorrow), and every X weeks or months in now's week or
// month (cycle 0) on its days still to come, else X weeks or months later.
func (sc Schedule) Next(last, now time.Time) (time.Time, bool) {
	if !sc.runs() {
		return time.Time{}, false
	}
	now = now.Round(0)
	loc := now.Location()
	after := now
	if last.After(now) {
		after = last.Round(0).In(loc)
	}
	if unit, every := sc.unit(); unit == UnitHours {
		if sc.Mode == ModeHourly || last.IsZero() {
			return hourStart(after).Add(time.Hour), true
		}
		step := time.Duration(every) * time.Hour
		k := after.Sub(last)/step + 1
		return last.Add(k * step).In(loc), true
	}
	c := sc.cycle(last, now)
	d := dateOf(after).AddDate(0, 0, -1)
	for {
		d = sc.runDay(d, c)
		if t := sc.on(d, loc); t.After(after) {
			return t, true
		}
		d = d.AddDate(0, 0, 1)
	}
}

// Missed returns the most recent scheduled run in (last, now]: a run that did not happen because
// the application was not running then, which the next launch counts as a failed backup
// (SPEC S6.7). It returns false when there is none, when the schedule is ModeNever and when last
// is the zero time (nothing ran yet, so nothing was due: callers that want to count from the time
// the schedule was chosen pass that time as last).
func (sc Schedule) Missed(last, now time.Time) (time.Time, bool) {
	now = now.Round(0)
	if !sc.runs() || last.IsZero() || !now.After(last) {
		return time.Time{}, false
	}
	loc := now.Location()
	last = last.Round(0).In(loc)
	if unit, every := sc.unit(); unit == UnitHours {
		t := hourStart(now)
		if sc.Mode != ModeHourly {
			step := time.Duration(every) * time.Hour
			t = last.Add(now.Sub(last) / step * step).In(loc)
		}
		if !t.After(last) {
			return time.Time{}, false
		}
		return t, true
	}
	c := sc.cycle(last, now)
	var missed time.Time
	d := dateOf(now).AddDate(0, 0, -sc.longestGap()-2)
	for {
		d = sc.runDay(d, c)
		t := sc.on(d, loc)
		if t.After(now) {
			break
		}
		if t.After(last) {
			missed = t
		}
		d = d.AddDate(0, 0, 1)
	}
	return missed, !missed.IsZero()
}

// String describes the schedule for people, e.g. "Every 2 weeks on Wednesday and Friday at 08:30".
func (sc Schedule) String() string {
	if !sc.runs() {
		return "Never"
	}
	if sc.Mode == ModeHourly {
		return "Every hour, on the hour"
	}
	unit, every := sc.unit()
	at := fmt.Sprintf(" at %02d:%02d", sc.Hour, sc.Minute)
	switch unit {
	case UnitHours:
		return everyN(every, "hour")
	case UnitDays:
		return everyN(every, "day") + at
	case UnitWeeks:
		names := make([]string, len(sc.Weekdays))
		for i, d := range sc.Weekdays {
			names[i] = d.String()
		}
		return everyN(every, "week") + " on " + andList(names) + at
	}
	s := everyN(every, "month") + " on day " + strconv.Itoa(sc.Monthday)
	if sc.Monthday > 28 {
		s += " (the last day in shorter months)"
	}
	return s + at
}

func everyN(n int, word string) string {
	if n == 1 {
		return "Every " + word
	}
	return fmt.Sprintf("Every %d %ss", n, word)
}

func andList(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// unit gives every mode as a custom one: hourly is every 1 hour, daily every 1 day, and so on.
func (sc Schedule) unit() (Unit, int) {
	switch sc.Mode {
	case ModeHourly:
		return UnitHours, 1
	case ModeDaily:
		return UnitDays, 1
	case ModeWeekly:
		return UnitWeeks, 1
	case ModeMonthly:
		return UnitMonths, 1
	case ModeCustom:
		return sc.Unit, sc.Every
	}
	return "", 0
}

// runs reports whether the schedule has runs: not ModeNever, and complete enough to compute them
// (a Schedule from ScheduleOf always is).
func (sc Schedule) runs() bool {
	unit, every := sc.unit()
	if every < 1 {
		return false
	}
	clockOK := sc.Hour >= 0 && sc.Hour < 24 && sc.Minute >= 0 && sc.Minute < 60
	switch unit {
	case UnitHours:
		return true
	case UnitDays:
		return clockOK
	case UnitWeeks:
		return clockOK && len(sc.Weekdays) > 0 && !slices.ContainsFunc(sc.Weekdays, func(d time.Weekday) bool {
			return d < time.Sunday || d > time.Saturday
		})
	case UnitMonths:
		return clockOK && sc.Monthday >= 1 && sc.Monthday <= 31
	}
	return false
}

// longestGap is the most days there can be between two run days.
func (sc Schedule) longestGap() int {
	unit, every := sc.unit()
	switch unit {
	case UnitWeeks:
		return 7 * every
	case UnitMonths:
		return 31 * every
	}
	return every
}

// cycle numbers the days, weeks or months of a schedule: runs fall in cycles first, first+every,
// first+2*every... counted from start.
type cycle struct {
	start time.Time // a day, a Monday or the 1st of a month, as a date (midnight UTC)
	first int       // the first cycle that may run
}

func (sc Schedule) cycle(last, now time.Time) cycle {
	if sc.Mode != ModeCustom {
		// Every cycle runs; count from 1 January of year 1, a Monday.
		return cycle{}
	}
	c := cycle{start: dateOf(now)}
	if sc.Unit == UnitDays && !sc.on(c.start, now.Location()).After(now) {
		c.start = c.start.AddDate(0, 0, 1) // never ran and today's time is past: start tomorrow
	}
	if !last.IsZero() {
		c = cycle{start: dateOf(last.In(now.Location())), first: 1}
	}
	switch sc.Unit {
	case UnitWeeks:
		// Weeks ignore first: the days of the last run's week that follow it still run.
		c.start = c.start.AddDate(0, 0, -mondayFirst(c.start.Weekday()))
	case UnitMonths:
		c.start = c.start.AddDate(0, 0, 1-c.start.Day())
	}
	return c
}

// runDay returns the first day on or after d (a date) on which the schedule runs.
func (sc Schedule) runDay(d time.Time, c cycle) time.Time {
	if d.Before(c.start) {
		d = c.start
	}
	unit, every := sc.unit()
	switch unit {
	case UnitWeeks:
		for {
			w := daysBetween(c.start, d) / 7
			if k := ceilDiv(w, every) * every; k != w {
				d = c.start.AddDate(0, 0, 7*k) // the Monday of the next week that runs
			}
			for {
				if slices.Contains(sc.Weekdays, d.Weekday()) {
					return d
				}
				d = d.AddDate(0, 0, 1)
				if d.Weekday() == time.Monday {
					break
				}
			}
		}
	case UnitMonths:
		m0 := monthIndex(c.start)
		for k := max(c.first, ceilDiv(monthIndex(d)-m0, every)); ; k++ {
			if day := monthDay(m0+k*every, sc.Monthday); !day.Before(d) {
				return day
			}
		}
	}
	k := max(c.first, ceilDiv(daysBetween(c.start, d), every))
	return c.start.AddDate(0, 0, k*every)
}

// on returns the run of day d in loc.
func (sc Schedule) on(d time.Time, loc *time.Location) time.Time {
	return wallClock(time.Date(d.Year(), d.Month(), d.Day(), sc.Hour, sc.Minute, 0, 0, time.UTC), loc)
}

// wallClock returns the first instant at which a clock in loc shows wall (a date and time written
// as if in UTC) or later: wall itself when the clock shows it once, its first occurrence when the
// clock goes back and shows it twice, and the end of the gap when the clock jumps over it.
func wallClock(wall time.Time, loc *time.Location) time.Time {
	// UTC offsets lie between -12h and +14h, so the clock shows less than wall at this instant.
	t := wall.Add(-15 * time.Hour).In(loc)
	for {
		_, offset := t.Zone()
		_, end := t.ZoneBounds()
		c := wall.Add(-time.Duration(offset) * time.Second)
		if c.Before(t) {
			c = t
		}
		if end.IsZero() || c.Before(end) {
			return c.In(loc)
		}
		t = end.In(loc)
	}
}

// hourStart returns the start of t's hour on its wall clock.
func hourStart(t time.Time) time.Time {
	return t.Add(-time.Duration(t.Minute())*time.Minute - time.Duration(t.Second())*time.Second -
		time.Duration(t.Nanosecond()))
}

// dateOf returns t's date on its wall clock, as midnight UTC.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// daysBetween counts the days from date a to date b.
func daysBetween(a, b time.Time) int { return int((b.Unix() - a.Unix()) / (24 * 60 * 60)) }

func monthIndex(d time.Time) int { return d.Year()*12 + int(d.Month()) - 1 }

// monthDay returns day n of month index i, or the month's last day when it is shorter.
func monthDay(i, n int) time.Time {
	y, m := i/12, time.Month(i%12+1)
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return time.Date(y, m, min(n, last), 0, 0, 0, 0, time.UTC)
}

// mondayFirst numbers the days of the week from Monday (0) to Sunday (6).
func mondayFirst(d time.Weekday) int { return (int(d) + 6) % 7 }

// ceilDiv divides n >= 0 by d > 0, rounding up.
func ceilDiv(n, d int) int { return (n + d - 1) / d }
