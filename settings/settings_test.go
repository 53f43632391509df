package settings

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

func TestDefaults(t *testing.T) {
	s := New()
	for _, c := range []struct{ key, want string }{
		{"log.use", "true"}, {"log.path", "Data/data.journal"}, {"restore.autoIntegrateLog", "true"},
		{"keep.count", "3"}, {"archive.compression", "fast"}, {"scheduler.mode", "never"},
	} {
		if got := s.Get(mustLookup(c.key)); got != c.want {
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
			if got := s.Get(mustLookup(c.key)); got == c.val {
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
	got := back.Values().Content.Attachments
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
	if s.Values().Log.Use {
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
	for _, in := range []string{"", "<x/>", "<BackupSettings>", "not xml", "<BackupSettings></BackupSettings><BackupSettings/>"} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q) accepted", in)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(New().Marshal())
	f.Add([]byte(`<BackupSettings><content><attachments><item>/a</item></attachments></content></BackupSettings>`))
	f.Add([]byte("<!-- c --><BackupSettings v='1'><log><use/><x a='1'>t<![CDATA[&]]></x>y</log>z<?pi x?><!-- d --></BackupSettings><!-- e -->"))
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
		if again := back.Marshal(); !bytes.Equal(again, out) {
			t.Fatalf("marshal is not stable across a round trip:\n%s\n%s", out, again)
		}
		for _, k := range Keys {
			a := s.Get(k)
			b := back.Get(k)
			if a != b {
				t.Fatalf("%s changed across a round trip: %q -> %q", k.Name, a, b)
			}
		}
	})
}

// nested is n levels of <name> around inner.
func nested(name string, n int, inner string) string {
	return strings.Repeat("<"+name+">", n) + inner + strings.Repeat("</"+name+">", n)
}

func TestUnknownElementsKeptByteForByte(t *testing.T) {
	vendor := `<vendor  id='a' ><deep/><![CDATA[<x> & y]]>&#233;<n:z xmlns:n="urn:n" n:a="1"/>
	    <!-- inside --></vendor>`
	// 500 elements nested as deep as a file may nest them (the root is the first level): once
	// written back with an indent per level, they made the file many times its size.
	var deep strings.Builder
	for i := 0; i < 500; i++ {
		deep.WriteString(nested("x", MaxDepth-1, "v") + "\n")
	}
	in := "<?xml version=\"1.0\"?>\n<!-- before -->\n<BackupSettings version=\"1\">\n  " + vendor +
		"\n  <log><use>false</use><colour/></log>\n" + deep.String() + "</BackupSettings>\n"
	s, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set("log.path", "/j/data.journal"); err != nil {
		t.Fatal(err)
	}
	out := s.Marshal()
	for _, want := range []string{vendor, "<colour/>", nested("x", MaxDepth-1, "v"), "<!-- before -->", "<use>false</use>", "<path>/j/data.journal</path>"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("the file written lacks %.80q", want)
		}
	}
	if len(out) > len(in)+4096 {
		t.Errorf("a file of %d bytes was written back as %d bytes", len(in), len(out))
	}
	again, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Marshal(), out) {
		t.Error("marshal is not stable across a round trip")
	}
}

func TestParseDepthLimit(t *testing.T) {
	at := "<BackupSettings>" + nested("x", MaxDepth-1, "") + "</BackupSettings>"
	if _, err := Parse([]byte(at)); err != nil {
		t.Fatalf("a file nested %d deep was refused: %v", MaxDepth, err)
	}
	for _, levels := range []int{MaxDepth, 100_000} {
		in := []byte("<BackupSettings><log>" + nested("x", levels, "") + "</log></BackupSettings>")
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Parse(in)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), fmt.Sprintf("more than %d levels", MaxDepth)) {
			t.Errorf("%d levels: %v, want the depth limit named", levels, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
			t.Errorf("%d levels: refusing them allocated %d bytes", levels, alloc)
		}
	}
}

func TestBadValueIsAProblem(t *testing.T) {
	in := `<?xml version="1.0"?>
<BackupSettings version="1">
  <keep>
    <enabled>true</enabled>
    <count>1O</count>
  </keep>
  <content><attachments><item>/ok</item>
    <item>relative</item></attachments></content>
  <journal><verbose>loud</verbose></journal>
</BackupSettings>`
	s, err := Parse([]byte(in))
	if err != nil {
		t.Fatalf("one bad value made the whole file unreadable: %v", err)
	}
	got := s.Problems()
	want := []struct {
		key, value string
		line       int
	}{{"keep.count", "1O", 5}, {"content.attachments", "relative", 8}, {"journal.verbose", "loud", 9}}
	if len(got) != len(want) {
		t.Fatalf("problems %v, want %v", got, want)
	}
	for i, w := range want {
		if got[i].Key != w.key || got[i].Value != w.value || got[i].Line != w.line {
			t.Errorf("problem %d = %+v, want %v", i, got[i], w)
		}
	}
	if v := s.Values(); v.Keep.Count != 3 || !v.Keep.Enabled {
		t.Errorf("keep.count reads %d, want its default 3 (keep.enabled %v)", v.Keep.Count, v.Keep.Enabled)
	}
	if l := s.Values().Content.Attachments; len(l) != 0 {
		t.Errorf("a list holding a bad value reads %v, want none", l)
	}
	err = s.Need(BackupKeys...)
	if !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("Need(BackupKeys) = %v", err)
	}
	for _, w := range []string{"keep.count on line 5", `"1O"`, "content.attachments on line 8", "holdfast settings DB set"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q does not say %s", err, w)
		}
	}
	if strings.Contains(err.Error(), "journal.verbose") {
		t.Errorf("a backup is refused for a key it does not need: %v", err)
	}
	if err := s.Need(OpenKeys...); err != nil {
		t.Errorf("Need(OpenKeys) = %v, want nil", err)
	}
	if _, err := ScheduleOf(s); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("the scheduler would plan backups by the defaults of keep.count: %v", err)
	}

	// Saving another key keeps the bad text as the user wrote it.
	if err := s.Set("archive.compression", "none"); err != nil {
		t.Fatal(err)
	}
	out := string(s.Marshal())
	for _, w := range []string{"<count>1O</count>", "<item>relative</item>", "<verbose>loud</verbose>"} {
		if !strings.Contains(out, w) {
			t.Errorf("saving another key lost %s:\n%s", w, out)
		}
	}
	// Replacing the bad values ends the problems.
	if err := s.Set("keep.count", "10"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove("content.attachments", "relative"); err != nil {
		t.Fatal(err)
	}
	if err := s.Need(BackupKeys...); err != nil {
		t.Errorf("after the fix: %v", err)
	}
	if l := s.Values().Content.Attachments; strings.Join(l, ",") != "/ok" {
		t.Errorf("attachments after the fix: %v", l)
	}
	back, err := Parse(s.Marshal())
	if err != nil || back.Values().Keep.Count != 10 || len(back.Problems()) != 1 {
		t.Errorf("after the fix and a round trip: %v, keep.count %d, problems %v", err, back.Values().Keep.Count, back.Problems())
	}
}
