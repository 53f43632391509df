package settings

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// keyFields maps each key named by a tag of Values to its field in v.
func keyFields(t *testing.T, v reflect.Value) map[string]reflect.Value {
	t.Helper()
	out := map[string]reflect.Value{}
	var walk func(st reflect.Value)
	walk = func(st reflect.Value) {
		for i := range st.NumField() {
			sf := st.Type().Field(i)
			name, tagged := sf.Tag.Lookup("key")
			switch {
			case tagged && name != "-":
				if _, twice := out[name]; twice {
					t.Errorf("%s is read into two fields of Values", name)
				}
				out[name] = st.Field(i)
			case !tagged && sf.IsExported() && sf.Type.Kind() == reflect.Struct:
				walk(st.Field(i))
			}
		}
	}
	walk(v)
	return out
}

// Every key of Keys has its field in Values and every tag names a key: a key added to the table
// cannot be forgotten by the work that reads the snapshot.
func TestValuesHoldEveryKey(t *testing.T) {
	fields := keyFields(t, reflect.ValueOf(&Values{}).Elem())
	for _, k := range Keys {
		if _, ok := fields[k.Name]; !ok {
			t.Errorf("%s has no field in Values", k.Name)
		}
	}
	for name := range fields {
		if _, err := Lookup(name); err != nil {
			t.Errorf("Values reads %s, which is not a key", name)
		}
	}
}

// Each key, set to a value other than its default, lands in its own field with its type, and in
// no other field.
func TestValuesReadEachKey(t *testing.T) {
	cases := map[string]struct {
		val  string
		want any
	}{
		"scheduler.mode":               {"weekly", ModeWeekly},
		"scheduler.time":               {"07:05", TimeOfDay{7, 5}},
		"scheduler.weekday":            {"sun", time.Sunday},
		"scheduler.monthday":           {"31", 31},
		"scheduler.custom.hours":       {"6", 6},
		"scheduler.custom.days":        {"2", 2},
		"scheduler.custom.daysTime":    {"00:30", TimeOfDay{0, 30}},
		"scheduler.custom.weeks":       {"3", 3},
		"scheduler.custom.weekdays":    {"sun,wed,fri", []time.Weekday{time.Wednesday, time.Friday, time.Sunday}},
		"scheduler.custom.weeksTime":   {"08:15", TimeOfDay{8, 15}},
		"scheduler.custom.months":      {"4", 4},
		"scheduler.custom.monthday":    {"15", 15},
		"scheduler.custom.monthsTime":  {"23:59", TimeOfDay{23, 59}},
		"content.data":                 {"false", false},
		"content.structure":            {"false", false},
		"content.attachments":          {"/home/ann/Invoices", []string{"/home/ann/Invoices"}},
		"destination":                  {"/mnt/backups", "/mnt/backups"},
		"log.use":                      {"false", false},
		"log.path":                     {"/mnt/log/data.journal", "/mnt/log/data.journal"},
		"keep.enabled":                 {"false", false},
		"keep.count":                   {"12", 12},
		"keep.deleteOldest":            {"before", DeleteBefore},
		"backupOnlyIfModified":         {"true", true},
		"failure.mode":                 {"nextScheduled", FailureNextScheduled},
		"failure.retryAfter":           {"90s", 90 * time.Second},
		"failure.maxAttemptsEnabled":   {"true", true},
		"failure.maxAttempts":          {"7", 7},
		"archive.compression":          {"compact", "compact"},
		"archive.segmentMB":            {"512", 512},
		"archive.redundancy":           {"high", "high"},
		"archive.interlacing":          {"low", "low"},
		"archive.verify":               {"false", false},
		"restore.autoRestoreIfDamaged": {"false", false},
		"restore.autoIntegrateLog":     {"false", false},
		"journal.verbose":              {"false", false},
		"hooks.onStartup":              {"/usr/bin/true start", "/usr/bin/true start"},
		"hooks.onShutdown":             {"/usr/bin/true end", "/usr/bin/true end"},
		"app.runInTray":                {"true", true},
	}
	def := New().Values()
	defFields := keyFields(t, reflect.ValueOf(&def).Elem())
	for _, k := range Keys {
		c, ok := cases[k.Name]
		if !ok {
			t.Errorf("no case for %s: add one here", k.Name)
			continue
		}
		s := New()
		if err := s.Set(k.Name, c.val); err != nil {
			t.Fatalf("set %s: %v", k.Name, err)
		}
		v := s.Values()
		got := keyFields(t, reflect.ValueOf(&v).Elem())
		if !reflect.DeepEqual(got[k.Name].Interface(), c.want) {
			t.Errorf("%s = %q reads %#v, want %#v", k.Name, c.val, got[k.Name].Interface(), c.want)
		}
		for name, f := range got {
			if name != k.Name && !reflect.DeepEqual(f.Interface(), defFields[name].Interface()) {
				t.Errorf("setting %s changed %s to %#v", k.Name, name, f.Interface())
			}
		}
	}
}

func TestValuesDefaults(t *testing.T) {
	v := New().Values()
	if !v.Content.Data || !v.Content.Structure || len(v.Content.Attachments) != 0 || !v.Log.Use ||
		v.Log.Path != "Data/data.journal" || v.KeepCount() != 3 || v.Keep.DeleteOldest != DeleteAfter ||
		v.Failure.Mode != FailureRetry || v.Failure.RetryAfter != 10*time.Minute || v.Archive.Compression != "fast" ||
		v.Scheduler.Time != (TimeOfDay{23, 0}) || v.Scheduler.Custom.Weekdays[0] != time.Monday {
		t.Errorf("defaults read as %+v", v)
	}
	if v.Schedule.Mode != ModeNever || v.ScheduleErr != nil {
		t.Errorf("default schedule %+v, %v", v.Schedule, v.ScheduleErr)
	}
	if v.Log.File("/db/Shop") != "/db/Shop/Data/data.journal" || v.DestinationFor("/db/Shop") != "/db/Shop Backups" {
		t.Errorf("log file %s, destination %s", v.Log.File("/db/Shop"), v.DestinationFor("/db/Shop"))
	}
}

// The snapshot is the settings when it was taken, whatever is set afterwards.
func TestValuesSnapshot(t *testing.T) {
	s := New()
	if err := s.Set("content.attachments", "/a", "/b"); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("keep.enabled", "false"); err != nil {
		t.Fatal(err)
	}
	v := s.Values()
	if err := s.Set("content.attachments", "/c"); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("content.data", "false"); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("keep.enabled", "true"); err != nil {
		t.Fatal(err)
	}
	if !v.Content.Data || !slices.Equal(v.Content.Attachments, []string{"/a", "/b"}) || v.KeepCount() != 0 {
		t.Errorf("the snapshot changed with the settings: %+v", v)
	}
	v.Content.Attachments[0] = "/x"
	if again := s.Values(); again.Content.Attachments[0] != "/c" {
		t.Errorf("changing a snapshot changed the settings: %v", again.Content.Attachments)
	}
}

// A bad value reads as its default in the snapshot, which names it for the work that needs it.
func TestValuesBadValue(t *testing.T) {
	in := "<BackupSettings version=\"1\">\n<keep>\n<count>ten</count>\n</keep>\n<log><path></path></log>\n</BackupSettings>\n"
	s, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	v := s.Values()
	if v.Keep.Count != 3 || v.Log.Path != "Data/data.journal" {
		t.Errorf("bad values read as %d, %q, want the defaults", v.Keep.Count, v.Log.Path)
	}
	err = v.Need(BackupKeys...)
	var bad BadValues
	if !errors.As(err, &bad) || len(bad) != 2 || !strings.Contains(err.Error(), "keep.count on line 3") {
		t.Errorf("Need(BackupKeys) = %v", err)
	}
	if err := v.Need("journal.verbose"); err != nil {
		t.Errorf("Need of a key that is fine: %v", err)
	}
	if len(v.Problems()) != 2 || !errors.As(v.ScheduleErr, &bad) {
		t.Errorf("problems %v, schedule error %v", v.Problems(), v.ScheduleErr)
	}
}

// CopyKeys copies a key as the file holds it, a bad value included, so that saving the other
// settings never writes a default over it; SameKeys compares the text.
func TestCopyKeys(t *testing.T) {
	from, err := Parse([]byte("<BackupSettings version=\"1\"><log><use>maybe</use><path>/l/x.journal</path></log></BackupSettings>"))
	if err != nil {
		t.Fatal(err)
	}
	to := New()
	if err := to.Set("keep.count", "9"); err != nil {
		t.Fatal(err)
	}
	if to.SameKeys(from, LogKeys...) {
		t.Error("SameKeys: different log keys compare equal")
	}
	to.CopyKeys(from, LogKeys...)
	if !to.SameKeys(from, LogKeys...) {
		t.Error("SameKeys after CopyKeys is false")
	}
	back, err := Parse(to.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if ps := back.Problems(); len(ps) != 1 || ps[0].Key != "log.use" || ps[0].Value != "maybe" {
		t.Errorf("after CopyKeys and a round trip, problems %v", ps)
	}
	if v := back.Values(); v.Log.Path != "/l/x.journal" || v.Keep.Count != 9 {
		t.Errorf("after CopyKeys: %+v", v)
	}
	// A key the source lacks is removed: it reads as its default, as in the source.
	to.CopyKeys(New(), "log.path")
	if p := to.Values().Log.Path; p != "Data/data.journal" {
		t.Errorf("log.path after copying an absent key: %q", p)
	}
}

func TestClearHooks(t *testing.T) {
	s, err := Parse([]byte("<BackupSettings version=\"1\"><hooks><onStartup>/bin/x&#10;y</onStartup><onShutdown>/bin/end</onShutdown></hooks></BackupSettings>"))
	if err != nil {
		t.Fatal(err)
	}
	was := s.ClearHooks()
	if len(was) != 2 || was[0] != (Hook{"hooks.onStartup", "/bin/x\ny"}) || was[1] != (Hook{"hooks.onShutdown", "/bin/end"}) {
		t.Errorf("ClearHooks = %q", was)
	}
	if v := s.Values(); v.Hooks != (HooksValues{}) || len(s.Problems()) != 0 {
		t.Errorf("after ClearHooks: %+v, problems %v", v.Hooks, s.Problems())
	}
}
