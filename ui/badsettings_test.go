package ui

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"holdfast/dialogs"
	"holdfast/engine"
	"holdfast/journal"
	"holdfast/settings"
)

// spoil replaces, in the settings file of the database folder dir, each old text (an element
// as Marshal writes it) with the bad one after it.
func spoil(t *testing.T, dir string, pairs ...string) {
	t.Helper()
	path := filepath.Join(dir, settings.FileName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("no %s in\n%s", pairs[i], s)
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// errorAt is the error the settings window shows at key's field ("" when none).
func errorAt(sw *SettingsWindow, key string) string {
	var out string
	onUI(func() {
		for _, e := range sw.Errors() {
			if rest, ok := strings.CutPrefix(e, key+": "); ok {
				out = rest
			}
		}
	})
	return out
}

// A database whose settings file holds a bad value where its log is opens read-only, with a
// dialog that names each bad value with its line and says what to click; the banner says it is
// read-only. Once Database Settings... has replaced the values, it opens again for writing.
func TestOpenWithBadLogSettingIsReadOnly(t *testing.T) {
	dir := filepath.Join(uiTempDir(t), "Shop")
	shopDB(t, dir, 3)
	spoil(t, dir, "<use>true</use>", "<use>maybe</use>", "<count>3</count>", "<count>ten</count>")
	d, w := newDesktop(t, &dialogs.Fake{}, "")
	d.Open(dir)
	waitFor(t, w, "the database open with the dialog", func() bool {
		return openedName(d) == "Shop" && overlayButton(d.Main.Window, "Database Settings...") != nil
	})
	first := d.DB()
	text := overlayWords(d.Main.Window)
	for _, want := range []string{"2009", `log.use, line`, `"maybe"`, "keep.count, line", `"ten"`, "read-only", "File > Database Settings...", "click OK"} {
		if !strings.Contains(text, want) {
			t.Errorf("the dialog %q does not say %s", text, want)
		}
	}
	if strings.Contains(text, "holdfast settings") {
		t.Errorf("the dialog sends the person to a command: %q", text)
	}
	_, err := first.NewProcess("").Update(func(tx *engine.Tx) error {
		_, err := tx.Add("Customers", map[string]journal.Value{"id": journal.Int(99), "name": journal.Text("x")})
		return err
	})
	if err == nil {
		t.Fatal("a write went through with the log's setting unknown")
	}
	waitFor(t, w, "the banner", func() bool { return strings.Contains(d.Main.Banner(), "read-only (error 2009)") })

	pressOverlay(t, d.Main.Window, "Database Settings...")
	var sw *SettingsWindow
	waitFor(t, w, "the settings window", func() bool { sw = d.Main.SettingsWindow(); return sw != nil })
	waitFor(t, w, "the log state", func() bool { return sw.LogState() != "" })
	if e := errorAt(sw, "log.use"); !strings.Contains(e, `"maybe"`) || !strings.Contains(e, "line") {
		t.Errorf("the error at Use Log is %q", e)
	}
	if e := errorAt(sw, "keep.count"); !strings.Contains(e, "settings file holds") {
		t.Errorf("the error at keep.count is %q", e)
	}
	// Use Log clicked twice keeps it ticked: the database keeps its log where it was.
	onUI(func() {
		test.Tap(sw.logCheck)
		test.Tap(sw.logCheck)
		entryOf(t, sw, "keep.count").SetText("5")
		test.Tap(sw.ok)
	})
	waitFor(t, w, "the database open again for writing", func() bool {
		db := d.DB()
		return db != nil && db != first && openedName(d) == "Shop" && db.LogStatus().Open
	})
	v := d.DB().Values()
	if len(v.Problems()) != 0 || !v.Log.Use || v.Keep.Count != 5 {
		t.Errorf("settings after the fix: problems %v, log.use %v, keep.count %d", v.Problems(), v.Log.Use, v.Keep.Count)
	}
	addCustomers(t, d.DB(), 100, 101)
	waitFor(t, w, "the banner gone", func() bool { return d.Main.Banner() == "" })
}

// openSpoiled opens a database whose settings file holds bad values (pairs as spoil takes).
func openSpoiled(t *testing.T, attachments []string, pairs ...string) *engine.DB {
	t.Helper()
	dir := filepath.Join(uiTempDir(t), "Shop")
	shopDB(t, dir, 3)
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := db.Settings()
	if err := s.Set("content.attachments", attachments...); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateSettings(s); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	spoil(t, dir, pairs...)
	if db, err = engine.Open(dir, engine.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// The settings window shows each bad value of the file at its field, with its line, and OK
// saves nothing until each is replaced there: no default is written over one unseen. Once
// replaced, OK saves them and keeps the rest as it was.
func TestSettingsWindowShowsBadValues(t *testing.T) {
	keepDir := uiTempDir(t)
	db := openSpoiled(t, []string{keepDir, "/was/here"},
		"<count>3</count>", "<count>ten</count>", "<data>true</data>", "<data>yes</data>",
		"<compression>fast</compression>", "<compression>zip</compression>", "<item>/was/here</item>", "<item>relative</item>",
		"<use>true</use>", "<use>maybe</use>")
	sw, w := openSettings(t, db, &dialogs.Fake{})
	if e := entryOf(t, sw, "keep.count"); e.Text != "ten" {
		t.Errorf("keep.count shows %q, want the file's %q", e.Text, "ten")
	}
	for key, want := range map[string]string{
		"keep.count":          "This is what the settings file holds, on line",
		"content.data":        `holds "yes" here, on line`,
		"archive.compression": `holds "zip" here, on line`,
		"content.attachments": `"relative" (line`,
		"log.use":             `holds "maybe" here, on line`,
	} {
		if e := errorAt(sw, key); !strings.Contains(e, want) {
			t.Errorf("the error at %s is %q, want it to say %s", key, e, want)
		}
	}
	before := settingsFile(t, db)
	onUI(func() { test.Tap(sw.ok) })
	if !bytes.Equal(settingsFile(t, db), before) {
		t.Fatal("OK wrote over the bad values of the file")
	}
	if s := sw.Summary(); !strings.Contains(s, "5 value(s) need a fix") {
		t.Errorf("summary %q", s)
	}
	// The check's first click replaces the bad value and its error goes: the second click, to
	// keep what it shows, must land on the same check, so nothing under it moves.
	structureAt := func() (p fyne.Position) {
		sw.Content().Refresh() // laid out as the next frame of a real window
		return fyne.CurrentApp().Driver().AbsolutePositionForObject(checkOf(sw, "content.structure"))
	}
	onUI(func() {
		sw.tabs.Select(sw.pages[pageConfiguration])
		before := structureAt()
		test.Tap(checkOf(sw, "content.data"))
		if after := structureAt(); after != before {
			t.Errorf("the error of content.data went and the check below moved from %v to %v", before, after)
		}
	})
	onUI(func() {
		entryOf(t, sw, "keep.count").SetText("4")
		test.Tap(checkOf(sw, "content.data")) // twice: it keeps what it shows
		selectOf(sw, "archive.compression").SetSelected("Compact")
		sw.attachList.Select(1)
		test.Tap(sw.attachDel)
		test.Tap(sw.logCheck)
		test.Tap(sw.logCheck)
	})
	if errs := sw.Errors(); len(errs) != 0 {
		t.Fatalf("errors left after each fix: %q", errs)
	}
	onUI(func() { test.Tap(sw.ok) })
	waitFor(t, w, "the settings saved", func() bool { return sw.closed })
	v := db.Values()
	if len(v.Problems()) != 0 || v.Keep.Count != 4 || !v.Content.Data || v.Archive.Compression != "compact" || !v.Log.Use ||
		!slices.Equal(v.Content.Attachments, []string{keepDir}) {
		t.Errorf("saved: problems %v, %+v %+v %+v", v.Problems(), v.Keep, v.Content, v.Archive)
	}
}

// The status bar says why the settings schedule no backup: the keys that do not hold
// together, or the bad value with its line, and where to fix it.
func TestStatusSaysWhyNothingIsScheduled(t *testing.T) {
	db := browsedDB(t, 1)
	s := db.Settings()
	for _, kv := range [][2]string{{"scheduler.mode", "custom"}, {"scheduler.custom.hours", "3"}, {"scheduler.custom.days", "2"}} {
		if err := s.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.UpdateSettings(s); err != nil {
		t.Fatal(err)
	}
	line := statusLine(db, time.Now(), nil)
	for _, want := range []string{"error 2009", "scheduler.custom.hours (3) and scheduler.custom.days (2) are both set", "File > Database Settings..., page Scheduler"} {
		if !strings.Contains(line, want) {
			t.Errorf("status %q does not say %s", line, want)
		}
	}
	bad := openSpoiled(t, nil, "<count>3</count>", "<count>ten</count>")
	line = statusLine(bad, time.Now(), nil)
	for _, want := range []string{"error 2009", "keep.count on line", `"ten"`, "File > Database Settings..."} {
		if !strings.Contains(line, want) {
			t.Errorf("status %q does not say %s", line, want)
		}
	}
}
