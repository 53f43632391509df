package settings

import (
	"errors"
	"strings"
	"testing"
)

func TestDefaults(t *testing.T) {
	s := New()
	for _, c := range []struct{ key, want string }{
		{"log.use", "true"}, {"log.path", "Data/data.journal"}, {"restore.autoIntegrateLog", "true"},
		{"keep.count", "3"}, {"archive.compression", "fast"}, {"scheduler.mode", "never"},
	} {
		if got := s.String(c.key); got != c.want {
			t.Errorf("%s = %q, want %q", c.key, got, c.want)
		}
	}
}

func TestValidation(t *testing.T) {
	cases := []struct {
		key, val string
		ok       bool
	}{
		{"log.use", "false", true}, {"log.use", "yes", false}, {"log.use", "", false},
		{"scheduler.time", "07:05", true}, {"scheduler.time", "24:00", false}, {"scheduler.time", "7:05", false},
		{"scheduler.monthday", "31", true}, {"scheduler.monthday", "32", false}, {"scheduler.monthday", "01", false},
		{"scheduler.custom.hours", "0", true}, {"scheduler.custom.hours", "25", false},
		{"scheduler.custom.weekdays", "wed,fri", true}, {"scheduler.custom.weekdays", "wed,wed", false}, {"scheduler.custom.weekdays", "funday", false},
		{"keep.count", "9999", true}, {"keep.count", "0", false}, {"keep.deleteOldest", "before", true}, {"keep.deleteOldest", "now", false},
		{"failure.retryAfter", "30s", true}, {"failure.retryAfter", "10", false}, {"failure.retryAfter", "0s", false},
		{"archive.segmentMB", "2048", true}, {"archive.segmentMB", "2049", false}, {"archive.segmentMB", "-1", false},
		{"archive.redundancy", "medium", true}, {"archive.redundancy", "max", false},
		{"log.path", "/mnt/other/data.journal", true}, {"log.path", "", false},
		{"hooks.onStartup", "/usr/bin/true --x", true}, {"hooks.onStartup", "a\nb", false},
	}
	for _, c := range cases {
		s := New()
		err := s.Set(c.key, c.val)
		if (err == nil) != c.ok {
			t.Errorf("Set(%s, %q) = %v, want ok=%v", c.key, c.val, err, c.ok)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidValue) || !strings.Contains(err.Error(), c.key) {
				t.Errorf("Set(%s, %q) error %q does not name the key", c.key, c.val, err)
			}
			if got := s.String(c.key); got == c.val {
				t.Errorf("invalid value %q was stored", c.val)
			}
		}
	}
	if err := New().Set("no.such", "1"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unknown key: %v", err)
	}
}

func TestListKey(t *testing.T) {
	s := New()
	if err := s.Add("content.attachments", "relative/path"); err == nil {
		t.Error("relative attachment accepted")
	}
	for _, p := range []string{"/a/b", "/c", "/a/b"} {
		if err := s.Add("content.attachments", p); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Remove("content.attachments", "/nope"); err == nil {
		t.Error("removing a missing value succeeded")
	}
	if err := s.Remove("content.attachments", "/a/b"); err != nil {
		t.Fatal(err)
	}
	back, err := Parse(s.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	got, _ := back.List("content.attachments")
	if strings.Join(got, ",") != "/c" {
		t.Errorf("attachments after round trip = %v", got)
	}
}

func TestUnknownElementsPreserved(t *testing.T) {
	in := `<?xml version="1.0"?>
<BackupSettings version="1">
  <!-- kept by hand -->
  <log><use>false</use><colour shade="dark">blue</colour></log>
  <vendor><thing a="1">x &amp; y</thing></vendor>
</BackupSettings>`
	s, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if s.Bool("log.use") {
		t.Error("log.use should be false")
	}
	if err := s.Set("log.path", "/j/data.journal"); err != nil {
		t.Fatal(err)
	}
	out := string(s.Marshal())
	for _, want := range []string{`<colour shade="dark">blue</colour>`, `<thing a="1">x &amp; y</thing>`, "<!-- kept by hand -->", "<path>/j/data.journal</path>", "<use>false</use>", "<count>3</count>"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	again, err := Parse([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if string(again.Marshal()) != out {
		t.Error("marshal is not stable across a round trip")
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{"", "<x/>", "<BackupSettings><log><use>maybe</use></log></BackupSettings>", "<BackupSettings>", "not xml"} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q) accepted", in)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(New().Marshal())
	f.Add([]byte(`<BackupSettings><content><attachments><item>/a</item></attachments></content></BackupSettings>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		out := s.Marshal()
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of own output failed: %v\n%s", err, out)
		}
		for _, k := range Keys {
			a, _ := s.Get(k.Name)
			b, _ := back.Get(k.Name)
			if a != b {
				t.Fatalf("%s changed across a round trip: %q -> %q", k.Name, a, b)
			}
		}
	})
}
