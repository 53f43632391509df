package settings

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the same zone rules on every machine, whatever the system has
)

const (
	paris   = "Europe/Paris"
	newYork = "America/New_York"
	// whenLayout writes a run with its offset, so that a test shows which side of a change it is on.
	whenLayout = "2006-01-02 15:04 -0700"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

// when parses "2026-05-10 14:20" in loc, or "2026-10-25 02:30 +0200" to pick one of the two
// instants of a fall-back hour; "" is the zero time.
func when(t *testing.T, loc *time.Location, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	layout := "2006-01-02 15:04"
	if len(s) > len(layout) {
		layout = whenLayout
	}
	v, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return v
}

func scheduleWith(t *testing.T, kv []string) Schedule {
	t.Helper()
	s := New()
	for i := 0; i < len(kv); i += 2 {
		if err := s.Set(kv[i], kv[i+1]); err != nil {
			t.Fatalf("set %s: %v", kv[i], err)
		}
	}
	sc, err := ScheduleOf(s)
	if err != nil {
		t.Fatalf("ScheduleOf(%v): %v", kv, err)
	}
	return sc
}

var (
	never  = []string{"scheduler.mode", "never"}
	hourly = []string{"scheduler.mode", "hourly"}
)

func daily(at string) []string { return []string{"scheduler.mode", "daily", "scheduler.time", at} }

func weekly(day, at string) []string {
	return []string{"scheduler.mode", "weekly", "scheduler.weekday", day, "scheduler.time", at}
}

func monthly(day, at string) []string {
	return []string{"scheduler.mode", "monthly", "scheduler.monthday", day, "scheduler.time", at}
}

func everyHours(n string) []string {
	return []string{"scheduler.mode", "custom", "scheduler.custom.hours", n}
}

func everyDays(n, at string) []string {
	return []string{"scheduler.mode", "custom", "scheduler.custom.days", n, "scheduler.custom.daysTime", at}
}

func everyWeeks(n, days, at string) []string {
	return []string{"scheduler.mode", "custom", "scheduler.custom.weeks", n,
		"scheduler.custom.weekdays", days, "scheduler.custom.weeksTime", at}
}

func everyMonths(n, day, at string) []string {
	return []string{"scheduler.mode", "custom", "scheduler.custom.months", n,
		"scheduler.custom.monthday", day, "scheduler.custom.monthsTime", at}
}

// runCase is a schedule, a last run and a now, in a zone (Europe/Paris unless told), and the run
// expected ("" = none).
type runCase struct {
	name      string
	zone      string
	set       []string
	last, now string
	want      string
}

func (c runCase) run(t *testing.T, f func(Schedule, time.Time, time.Time) (time.Time, bool)) {
	t.Helper()
	name := c.zone
	if name == "" {
		name = paris
	}
	loc := zone(t, name)
	got, ok := f(scheduleWith(t, c.set), when(t, loc, c.last), when(t, loc, c.now))
	gotS := ""
	if ok {
		gotS = got.Format(whenLayout)
	}
	if gotS != c.want || ok != (c.want != "") || (ok && got.Location() != loc) {
		t.Errorf("%s: got %q (ok=%v, in %v), want %q", c.name, gotS, ok, got.Location(), c.want)
	}
}

func TestScheduleNext(t *testing.T) {
	cases := []runCase{
		{name: "never", set: never, now: "2026-05-10 14:20"},

		{name: "hourly mid-hour", set: hourly, now: "2026-05-10 14:20", want: "2026-05-10 15:00 +0200"},
		{name: "hourly on the hour", set: hourly, now: "2026-05-10 14:00", want: "2026-05-10 15:00 +0200"},
		{name: "hourly ignores the last run", set: hourly, last: "2026-05-10 13:37", now: "2026-05-10 14:20", want: "2026-05-10 15:00 +0200"},
		{name: "hourly Paris spring forward", set: hourly, now: "2026-03-29 01:30", want: "2026-03-29 03:00 +0200"},
		{name: "hourly Paris fall back", set: hourly, now: "2026-10-25 02:30 +0200", want: "2026-10-25 02:00 +0100"},
		{name: "hourly New York spring forward", zone: newYork, set: hourly, now: "2026-03-08 01:59", want: "2026-03-08 03:00 -0400"},
		{name: "hourly New York fall back", zone: newYork, set: hourly, now: "2026-11-01 01:10 -0400", want: "2026-11-01 01:00 -0500"},

		{name: "daily later today", set: daily("23:00"), now: "2026-05-10 09:00", want: "2026-05-10 23:00 +0200"},
		{name: "daily at the time is tomorrow", set: daily("23:00"), now: "2026-05-10 23:00", want: "2026-05-11 23:00 +0200"},
		{name: "daily across the year end", set: daily("23:00"), now: "2026-12-31 23:30", want: "2027-01-01 23:00 +0100"},
		{name: "daily last run in the future", set: daily("23:00"), last: "2026-05-10 23:00", now: "2026-05-10 22:30", want: "2026-05-11 23:00 +0200"},
		{name: "daily Paris time in the spring gap", set: daily("02:30"), now: "2026-03-28 12:00", want: "2026-03-29 03:00 +0200"},
		{name: "daily Paris after the gap run", set: daily("02:30"), now: "2026-03-29 03:00 +0200", want: "2026-03-30 02:30 +0200"},
		{name: "daily Paris fall back, first 02:30", set: daily("02:30"), now: "2026-10-25 00:00", want: "2026-10-25 02:30 +0200"},
		{name: "daily Paris fall back runs once", set: daily("02:30"), now: "2026-10-25 02:45 +0200", want: "2026-10-26 02:30 +0100"},
		{name: "daily New York time in the spring gap", zone: newYork, set: daily("02:30"), now: "2026-03-07 23:00", want: "2026-03-08 03:00 -0400"},
		{name: "daily New York fall back, first 01:30", zone: newYork, set: daily("01:30"), now: "2026-11-01 00:00", want: "2026-11-01 01:30 -0400"},
		{name: "daily New York fall back runs once", zone: newYork, set: daily("01:30"), now: "2026-11-01 01:10 -0500", want: "2026-11-02 01:30 -0500"},

		{name: "weekly from Sunday", set: weekly("mon", "23:00"), now: "2026-05-10 12:00", want: "2026-05-11 23:00 +0200"},
		{name: "weekly after the run", set: weekly("mon", "23:00"), now: "2026-05-11 23:00", want: "2026-05-18 23:00 +0200"},
		{name: "weekly across the year end", set: weekly("sun", "10:00"), now: "2026-12-28 08:00", want: "2027-01-03 10:00 +0100"},
		{name: "weekly Paris spring gap", set: weekly("sun", "02:30"), now: "2026-03-25 12:00", want: "2026-03-29 03:00 +0200"},

		{name: "monthly 31 in April", set: monthly("31", "23:00"), now: "2026-04-01 00:00", want: "2026-04-30 23:00 +0200"},
		{name: "monthly 31 in May", set: monthly("31", "23:00"), now: "2026-05-31 22:00", want: "2026-05-31 23:00 +0200"},
		{name: "monthly 31 in February", set: monthly("31", "23:00"), now: "2026-02-01 00:00", want: "2026-02-28 23:00 +0100"},
		{name: "monthly 31 in leap February", set: monthly("31", "23:00"), now: "2028-02-01 00:00", want: "2028-02-29 23:00 +0100"},
		{name: "monthly 30 in February", set: monthly("30", "23:00"), now: "2027-02-10 00:00", want: "2027-02-28 23:00 +0100"},
		{name: "monthly 30 in leap February", set: monthly("30", "23:00"), now: "2028-02-10 00:00", want: "2028-02-29 23:00 +0100"},
		{name: "monthly 29 in February", set: monthly("29", "23:00"), now: "2026-02-10 00:00", want: "2026-02-28 23:00 +0100"},
		{name: "monthly 29 in leap February", set: monthly("29", "23:00"), now: "2028-02-10 00:00", want: "2028-02-29 23:00 +0100"},
		{name: "monthly 31 after the February run", set: monthly("31", "23:00"), now: "2026-02-28 23:00", want: "2026-03-31 23:00 +0200"},
		{name: "monthly across the year end", set: monthly("1", "23:00"), now: "2026-12-15 00:00", want: "2027-01-01 23:00 +0100"},
		{name: "monthly Paris spring gap", set: monthly("29", "02:30"), now: "2026-03-01 00:00", want: "2026-03-29 03:00 +0200"},

		{name: "every 3 hours never ran", set: everyHours("3"), now: "2026-05-10 14:20", want: "2026-05-10 15:00 +0200"},
		{name: "every 3 hours from the last run", set: everyHours("3"), last: "2026-05-10 13:00", now: "2026-05-10 14:20", want: "2026-05-10 16:00 +0200"},
		{name: "every 3 hours, last run long ago", set: everyHours("3"), last: "2026-05-10 01:00", now: "2026-05-10 14:20", want: "2026-05-10 16:00 +0200"},
		{name: "every 5 hours Paris spring forward", set: everyHours("5"), last: "2026-03-29 00:00", now: "2026-03-29 01:00", want: "2026-03-29 06:00 +0200"},
		{name: "every 5 hours Paris fall back", set: everyHours("5"), last: "2026-10-25 00:00", now: "2026-10-25 01:00 +0200", want: "2026-10-25 04:00 +0100"},
		{name: "every 24 hours Paris spring forward", set: everyHours("24"), last: "2026-03-28 12:00", now: "2026-03-28 18:00", want: "2026-03-29 13:00 +0200"},
		{name: "every 2 hours New York spring forward", zone: newYork, set: everyHours("2"), last: "2026-03-08 01:00", now: "2026-03-08 01:30", want: "2026-03-08 04:00 -0400"},
		{name: "every 2 hours New York fall back", zone: newYork, set: everyHours("2"), last: "2026-11-01 00:30", now: "2026-11-01 01:00 -0400", want: "2026-11-01 01:30 -0500"},

		{name: "every 2 days never ran, later today", set: everyDays("2", "10:00"), now: "2026-05-10 08:00", want: "2026-05-10 10:00 +0200"},
		{name: "every 2 days never ran, time past", set: everyDays("2", "10:00"), now: "2026-05-10 11:00", want: "2026-05-11 10:00 +0200"},
		{name: "every 3 days from the last run's day", set: everyDays("3", "10:00"), last: "2026-05-10 15:00", now: "2026-05-11 09:00", want: "2026-05-13 10:00 +0200"},
		{name: "every 3 days, last run days ago", set: everyDays("3", "10:00"), last: "2026-05-01 10:00", now: "2026-05-11 12:00", want: "2026-05-13 10:00 +0200"},
		{name: "every 2 days Paris spring gap", set: everyDays("2", "02:30"), last: "2026-03-27 02:30", now: "2026-03-28 12:00", want: "2026-03-29 03:00 +0200"},
		{name: "every 7 days across the year end", set: everyDays("7", "08:00"), last: "2026-12-29 08:00", now: "2027-01-01 12:00", want: "2027-01-05 08:00 +0100"},

		{name: "every 2 weeks, later day of the same week", set: everyWeeks("2", "wed,fri", "08:30"), last: "2026-05-06 08:30", now: "2026-05-06 09:00", want: "2026-05-08 08:30 +0200"},
		{name: "every 2 weeks skips the week between", set: everyWeeks("2", "wed,fri", "08:30"), last: "2026-05-08 08:30", now: "2026-05-08 09:00", want: "2026-05-20 08:30 +0200"},
		{name: "every 2 weeks across the year end", set: everyWeeks("2", "wed,fri", "08:30"), last: "2026-12-23 08:30", now: "2026-12-26 12:00", want: "2027-01-06 08:30 +0100"},
		{name: "every 3 weeks across the year end", set: everyWeeks("3", "mon", "23:00"), last: "2026-12-14 23:00", now: "2026-12-20 12:00", want: "2027-01-04 23:00 +0100"},
		{name: "every 3 weeks, several days, across the year end", set: everyWeeks("3", "wed,fri,sun", "08:30"), last: "2026-12-27 08:30", now: "2026-12-27 09:00", want: "2027-01-13 08:30 +0100"},
		{name: "every 2 weeks never ran, this week", set: everyWeeks("2", "mon,fri", "08:30"), now: "2026-05-06 12:00", want: "2026-05-08 08:30 +0200"},
		{name: "every 2 weeks never ran, this week's days past", set: everyWeeks("2", "mon", "08:30"), now: "2026-05-06 12:00", want: "2026-05-18 08:30 +0200"},

		{name: "every 2 months on 31 across the year end", set: everyMonths("2", "31", "23:00"), last: "2026-11-30 23:00", now: "2026-12-05 12:00", want: "2027-01-31 23:00 +0100"},
		{name: "every 3 months on 30 into February", set: everyMonths("3", "30", "23:00"), last: "2026-11-30 23:00", now: "2026-12-01 12:00", want: "2027-02-28 23:00 +0100"},
		{name: "every month on 31 into leap February", set: everyMonths("1", "31", "23:00"), last: "2028-01-31 23:00", now: "2028-02-01 12:00", want: "2028-02-29 23:00 +0100"},
		{name: "every 6 months from an old run", set: everyMonths("6", "15", "23:00"), last: "2026-01-15 23:00", now: "2026-12-01 12:00", want: "2027-01-15 23:00 +0100"},
		{name: "every 2 months never ran, later this month", set: everyMonths("2", "20", "10:00"), now: "2026-05-10 12:00", want: "2026-05-20 10:00 +0200"},
		{name: "every 2 months never ran, day past", set: everyMonths("2", "5", "10:00"), now: "2026-05-10 12:00", want: "2026-07-05 10:00 +0200"},
	}
	for _, c := range cases {
		c.run(t, Schedule.Next)
	}
}

func TestScheduleMissed(t *testing.T) {
	cases := []runCase{
		{name: "daily, last run days ago", set: daily("23:00"), last: "2026-05-01 23:00", now: "2026-05-05 10:00", want: "2026-05-04 23:00 +0200"},
		{name: "daily, nothing missed", set: daily("23:00"), last: "2026-05-04 23:00", now: "2026-05-05 10:00"},
		{name: "daily, a run due exactly now counts", set: daily("23:00"), last: "2026-05-03 23:00", now: "2026-05-04 23:00", want: "2026-05-04 23:00 +0200"},
		{name: "daily, never ran", set: daily("23:00"), now: "2026-05-05 10:00"},
		{name: "daily, last run after now", set: daily("23:00"), last: "2026-05-05 11:00", now: "2026-05-05 10:00"},
		{name: "never", set: never, last: "2026-05-01 23:00", now: "2026-05-05 10:00"},
		{name: "hourly", set: hourly, last: "2026-05-10 14:00", now: "2026-05-10 17:30", want: "2026-05-10 17:00 +0200"},
		{name: "hourly, nothing missed", set: hourly, last: "2026-05-10 17:00", now: "2026-05-10 17:59"},
		{name: "weekly", set: weekly("mon", "23:00"), last: "2026-04-20 23:00", now: "2026-05-13 12:00", want: "2026-05-11 23:00 +0200"},
		{name: "monthly 31 in April", set: monthly("31", "23:00"), last: "2026-03-31 23:00", now: "2026-05-10 12:00", want: "2026-04-30 23:00 +0200"},
		{name: "monthly 31 in leap February", set: monthly("31", "23:00"), last: "2028-01-31 23:00", now: "2028-03-05 12:00", want: "2028-02-29 23:00 +0100"},
		{name: "every 3 hours", set: everyHours("3"), last: "2026-05-10 01:00", now: "2026-05-10 14:20", want: "2026-05-10 13:00 +0200"},
		{name: "every 3 hours, nothing missed", set: everyHours("3"), last: "2026-05-10 13:00", now: "2026-05-10 15:59"},
		{name: "every 2 hours New York fall back", zone: newYork, set: everyHours("2"), last: "2026-11-01 00:30", now: "2026-11-01 01:45 -0500", want: "2026-11-01 01:30 -0500"},
		{name: "every 3 days", set: everyDays("3", "10:00"), last: "2026-05-01 10:00", now: "2026-05-11 12:00", want: "2026-05-10 10:00 +0200"},
		{name: "every 2 weeks on two days", set: everyWeeks("2", "wed,fri", "08:30"), last: "2026-05-06 08:30", now: "2026-05-21 12:00", want: "2026-05-20 08:30 +0200"},
		{name: "every 3 weeks across the year end", set: everyWeeks("3", "mon", "23:00"), last: "2026-12-14 23:00", now: "2027-01-10 12:00", want: "2027-01-04 23:00 +0100"},
		{name: "every 2 months on 31 across the year end", set: everyMonths("2", "31", "23:00"), last: "2026-10-31 23:00", now: "2027-02-10 12:00", want: "2026-12-31 23:00 +0100"},
		{name: "daily Paris spring gap", set: daily("02:30"), last: "2026-03-27 02:30", now: "2026-03-29 12:00", want: "2026-03-29 03:00 +0200"},
		{name: "daily Paris fall back, first 02:30", set: daily("02:30"), last: "2026-10-24 02:30", now: "2026-10-25 02:10 +0100", want: "2026-10-25 02:30 +0200"},
	}
	for _, c := range cases {
		c.run(t, Schedule.Missed)
	}
}

func TestScheduleString(t *testing.T) {
	cases := []struct {
		set  []string
		want string
	}{
		{never, "Never"},
		{hourly, "Every hour, on the hour"},
		{daily("23:00"), "Every day at 23:00"},
		{weekly("wed", "07:05"), "Every week on Wednesday at 07:05"},
		{monthly("31", "23:00"), "Every month on day 31 (the last day in shorter months) at 23:00"},
		{monthly("15", "23:00"), "Every month on day 15 at 23:00"},
		{everyHours("3"), "Every 3 hours"},
		{everyHours("1"), "Every hour"},
		{everyDays("10", "06:00"), "Every 10 days at 06:00"},
		{everyWeeks("2", "fri,wed", "08:30"), "Every 2 weeks on Wednesday and Friday at 08:30"},
		{everyWeeks("1", "sun,mon,wed", "23:00"), "Every week on Monday, Wednesday and Sunday at 23:00"},
		{everyMonths("3", "30", "01:00"), "Every 3 months on day 30 (the last day in shorter months) at 01:00"},
	}
	for _, c := range cases {
		if got := scheduleWith(t, c.set).String(); got != c.want {
			t.Errorf("%v: %q, want %q", c.set, got, c.want)
		}
	}
}

func TestScheduleOf(t *testing.T) {
	sc := scheduleWith(t, everyWeeks("2", "sun,fri,wed", "08:30"))
	want := Schedule{Mode: ModeCustom, Unit: UnitWeeks, Every: 2, Hour: 8, Minute: 30,
		Weekdays: []time.Weekday{time.Wednesday, time.Friday, time.Sunday}}
	if !slices.Equal(sc.Weekdays, want.Weekdays) || sc.Mode != want.Mode || sc.Unit != want.Unit ||
		sc.Every != want.Every || sc.Hour != want.Hour || sc.Minute != want.Minute {
		t.Errorf("ScheduleOf = %+v, want %+v", sc, want)
	}
	// Keys the mode does not use are no contradiction.
	if sc := scheduleWith(t, append(daily("07:05"), "scheduler.custom.hours", "3")); sc.Mode != ModeDaily || sc.Hour != 7 || sc.Minute != 5 {
		t.Errorf("daily with a custom key set: %+v", sc)
	}
}

func TestScheduleOfErrors(t *testing.T) {
	cases := []struct {
		name string
		set  []string
		want string // in the message
	}{
		{"custom with no interval", []string{"scheduler.mode", "custom"},
			"choose how often: set one of scheduler.custom.hours, .days, .weeks or .months"},
		{"two intervals", []string{"scheduler.mode", "custom", "scheduler.custom.hours", "3", "scheduler.custom.days", "2"},
			"scheduler.custom.hours (3) and scheduler.custom.days (2) are both set: keep one and set the other to 0"},
		{"three intervals", []string{"scheduler.mode", "custom", "scheduler.custom.hours", "3", "scheduler.custom.weeks", "1", "scheduler.custom.months", "2"},
			"scheduler.custom.hours (3), scheduler.custom.weeks (1) and scheduler.custom.months (2) are all set"},
		{"weeks with no day", everyWeeks("2", "", "08:30"), "scheduler.custom.weekdays is empty"},
	}
	for _, c := range cases {
		s := New()
		for i := 0; i < len(c.set); i += 2 {
			if err := s.Set(c.set[i], c.set[i+1]); err != nil {
				t.Fatalf("%s: set %s: %v", c.name, c.set[i], err)
			}
		}
		_, err := ScheduleOf(s)
		if !errors.Is(err, ErrSchedule) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want ErrSchedule saying %q", c.name, err, c.want)
		}
	}
}

// TestScheduleProperties checks random schedules at random times from 2026 to 2030, many of them
// near a change of offset (Havana changes at midnight): every run is after now, on the schedule's day and time, with no run
// skipped or repeated, and Missed agrees with Next.
func TestScheduleProperties(t *testing.T) {
	var zones []*time.Location
	for _, name := range []string{paris, newYork, "Australia/Sydney", "Asia/Kolkata", "America/Havana", "UTC"} {
		zones = append(zones, zone(t, name))
	}
	rng := rand.New(rand.NewPCG(2026, 6))
	for i := range 10000 {
		s, desc := randomSchedule(rng)
		sc, err := ScheduleOf(s)
		if err != nil {
			t.Fatalf("case %d %v: %v", i, desc, err)
		}
		loc := zones[rng.IntN(len(zones))]
		now := randomTime(rng, loc)
		last := randomLast(rng, sc, now)
		if msg := checkSchedule(sc, last, now); msg != "" {
			t.Fatalf("case %d: %s (%v) last %v now %v: %s", i, sc, desc, last, now, msg)
		}
	}
}

func pick[T any](rng *rand.Rand, vals ...T) T { return vals[rng.IntN(len(vals))] }

// randomSchedule sets random scheduler keys, favouring times near changes of offset and the
// ends of months.
func randomSchedule(rng *rand.Rand) (*Settings, []string) {
	clock := func() string {
		h := rng.IntN(24)
		if rng.IntN(2) == 0 {
			h = rng.IntN(4)
		}
		return strconv.Itoa(100 + h)[1:] + ":" + strconv.Itoa(100 + pick(rng, 0, 30, rng.IntN(60)))[1:]
	}
	day := func() string { return strconv.Itoa(pick(rng, 28+rng.IntN(4), 1+rng.IntN(31))) }
	var days []string
	for _, d := range weekdays {
		if rng.IntN(3) == 0 {
			days = append(days, d)
		}
	}
	if len(days) == 0 {
		days = []string{pick(rng, weekdays...)}
	}
	n := func(hi int) string { return strconv.Itoa(1 + rng.IntN(pick(rng, hi, 3))) }
	set := pick(rng, never, hourly, daily(clock()), weekly(pick(rng, weekdays...), clock()),
		monthly(day(), clock()), everyHours(n(24)), everyDays(n(365), clock()),
		everyWeeks(n(52), strings.Join(days, ","), clock()), everyMonths(n(12), day(), clock()))
	s := New()
	for i := 0; i < len(set); i += 2 {
		if err := s.Set(set[i], set[i+1]); err != nil {
			panic(err)
		}
	}
	return s, set
}

// randomTime returns a time from 2026 to 2030, half of them within a day of a change of offset.
func randomTime(rng *rand.Rand, loc *time.Location) time.Time {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
	t := start.Add(time.Duration(rng.Int64N(int64(5 * 365 * 24 * time.Hour))))
	if rng.IntN(2) == 0 {
		if _, end := t.ZoneBounds(); !end.IsZero() && end.Year() < 2031 {
			t = end.Add(time.Duration(rng.Int64N(int64(48*time.Hour))) - 24*time.Hour)
		}
	}
	if rng.IntN(3) == 0 {
		t = t.Truncate(15 * time.Minute)
	}
	return t.In(loc)
}

// randomLast returns no last run, a scheduled run before now, or any time before now.
func randomLast(rng *rand.Rand, sc Schedule, now time.Time) time.Time {
	before := now.Add(-time.Duration(rng.Int64N(int64(400 * 24 * time.Hour))))
	switch rng.IntN(4) {
	case 0:
		return time.Time{}
	case 1:
		if r, ok := sc.Next(time.Time{}, before); ok && r.Before(now) {
			return r
		}
	}
	return before
}

// checkSchedule returns what is wrong with the runs of sc around now, or "".
func checkSchedule(sc Schedule, last, now time.Time) string {
	next, ok := sc.Next(last, now)
	if sc.Mode == ModeNever {
		if _, missed := sc.Missed(last, now); ok || missed {
			return "a run for mode never"
		}
		return ""
	}
	if !ok || !next.After(now) || !next.After(last) {
		return "Next " + next.String() + " is not after now and last"
	}
	before := next.Add(-time.Nanosecond)
	if again, _ := sc.Next(last, before); !again.Equal(next) && !cycleMoves(sc, last, now, before) {
		return "Next just before " + next.String() + " is " + again.String()
	}
	// Runs one after another, the last run kept, then moved to each run as the scheduler does.
	// With no last run, only the second makes sense: nothing tells Next that a run happened.
	for _, moving := range []bool{last.IsZero(), true} {
		prev := next
		for range 4 {
			if msg := onSchedule(sc, last, prev); msg != "" {
				return msg
			}
			base := last
			if moving {
				base = prev
			}
			r, _ := sc.Next(base, prev)
			if lo, hi := gapBounds(sc); r.Sub(prev) < lo || r.Sub(prev) > hi {
				return "runs " + prev.String() + " and " + r.String() + " are not " + lo.String() + " to " + hi.String() + " apart"
			}
			prev = r
		}
	}
	return checkMissed(sc, last, now)
}

// cycleMoves reports whether a custom schedule that never ran counts its weeks or months from a
// different week or month at a and at b: its runs then legitimately differ.
func cycleMoves(sc Schedule, last, a, b time.Time) bool {
	if !last.IsZero() || sc.Mode != ModeCustom {
		return false
	}
	switch sc.Unit {
	case UnitWeeks:
		ya, wa := a.ISOWeek()
		yb, wb := b.ISOWeek()
		return ya != yb || wa != wb
	case UnitMonths:
		return a.Year() != b.Year() || a.Month() != b.Month()
	}
	return false
}

// onSchedule checks that run r falls on the schedule's day and time as the wall clock shows them,
// or at the end of a gap that skipped that time.
func onSchedule(sc Schedule, last, r time.Time) string {
	unit, every := sc.unit()
	if unit == UnitHours {
		if sc.Mode == ModeCustom && !last.IsZero() && last.Before(r) {
			if r.Sub(last)%(time.Duration(every)*time.Hour) != 0 {
				return "run " + r.String() + " is not a whole number of intervals after the last run"
			}
		} else if r.Minute() != 0 || r.Second() != 0 || r.Nanosecond() != 0 {
			return "run " + r.String() + " is not on the hour"
		}
		return ""
	}
	day := dateOf(r)
	if r.Hour() != sc.Hour || r.Minute() != sc.Minute || r.Second() != 0 || r.Nanosecond() != 0 {
		// The gap may start on the day before r (a gap at midnight).
		start, _ := r.ZoneBounds()
		b := r.Add(-time.Nanosecond)
		inGap := func(d time.Time) bool {
			want := d.Add(time.Duration(sc.Hour)*time.Hour + time.Duration(sc.Minute)*time.Minute)
			return naive(b).Before(want) && want.Before(naive(r))
		}
		switch {
		case !start.Equal(r):
			return "run " + r.String() + " is not at the schedule's time nor at the end of a gap"
		case inGap(dateOf(b)):
			day = dateOf(b)
		case !inGap(day):
			return "run " + r.String() + " ends a gap that does not hold the schedule's time"
		}
	}
	switch unit {
	case UnitWeeks:
		if !slices.Contains(sc.Weekdays, day.Weekday()) {
			return "run " + r.String() + " is on a " + day.Weekday().String()
		}
	case UnitMonths:
		if want := monthDay(monthIndex(day), sc.Monthday); !want.Equal(day) {
			return "run " + r.String() + " is not on day " + strconv.Itoa(sc.Monthday)
		}
	}
	return ""
}

// naive is t's wall clock written as UTC.
func naive(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// gapBounds is the least and the most time between two consecutive runs.
func gapBounds(sc Schedule) (lo, hi time.Duration) {
	const day = 24 * time.Hour
	unit, every := sc.unit()
	n := time.Duration(every)
	switch unit {
	case UnitHours:
		return n * time.Hour, n * time.Hour
	case UnitDays:
		return n*day - time.Hour, n*day + time.Hour
	case UnitWeeks:
		if len(sc.Weekdays) > 1 {
			return day - time.Hour, 7*n*day + time.Hour
		}
		return 7*n*day - time.Hour, 7*n*day + time.Hour
	}
	return 28*n*day - time.Hour, 31*n*day + time.Hour
}

// checkMissed checks that Missed returns a run of the schedule in (last, now] and the latest.
func checkMissed(sc Schedule, last, now time.Time) string {
	m, ok := sc.Missed(last, now)
	switch {
	case last.IsZero():
		if ok {
			return "a missed run " + m.String() + " with no last run"
		}
	case ok:
		if !m.After(last) || m.After(now) {
			return "missed run " + m.String() + " is not in (last, now]"
		}
		if r, _ := sc.Next(last, m.Add(-time.Nanosecond)); !r.Equal(m) {
			return "missed run " + m.String() + " is not a run: Next gives " + r.String()
		}
		if r, _ := sc.Next(last, m); !r.After(now) {
			return "missed run " + m.String() + " is not the latest: " + r.String() + " is later"
		}
	default:
		if r, _ := sc.Next(last, last); !r.After(now) {
			return "no missed run, but " + r.String() + " was due"
		}
	}
	return ""
}
