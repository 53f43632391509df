package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"holdfast/backup"
	"holdfast/dialogs"
	"holdfast/engine"
	"holdfast/journal"
)

// openEmpty opens a new database without tables in a desktop.
func openEmpty(t *testing.T) (*Desktop, *watcher) {
	t.Helper()
	dir := filepath.Join(uiTempDir(t), "Invoices")
	db, err := engine.Create(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	d, w := newDesktop(t, &dialogs.Fake{}, "")
	d.Open(dir)
	waitFor(t, w, "the database open", func() bool { return openedName(d) == "Invoices" })
	return d, w
}

// pressNewTable presses New Table... under the list of tables and returns its form.
func pressNewTable(t *testing.T, d *Desktop) *tableForm {
	t.Helper()
	var f *tableForm
	onUI(func() {
		b := findButton(d.Main.Content(), "New Table...")
		if b == nil {
			t.Fatal("no New Table... button")
		}
		test.Tap(b)
		f = d.Main.NewTableForm()
	})
	if f == nil {
		t.Fatal("New Table... showed no form")
	}
	return f
}

// A new database says it has no tables and how to make one. New Table... shows every mistake
// at its field and creates nothing until all are right; then the table is created, listed and
// shown, with its fields, its key and Include in Log File.
func TestNewTable(t *testing.T) {
	d, w := openEmpty(t)
	onUI(func() {
		if v := d.Main.view; !v.noTables.Visible() || !strings.Contains(v.noTables.Text, "New Table...") || !strings.Contains(v.browser.info.Text, "No tables") {
			t.Errorf("an empty database says %q (shown %v) and %q", v.noTables.Text, v.noTables.Visible(), v.browser.info.Text)
		}
	})
	f := pressNewTable(t, d)
	onUI(func() {
		if f.create.Disabled() == false || !f.nameErr.Visible() {
			t.Errorf("a table without a name: Create enabled %v, error %q", !f.create.Disabled(), f.nameErr.Text)
		}
		test.Type(f.name, "9 lives")
		if !strings.Contains(f.nameErr.Text, "starting with a letter") {
			t.Errorf("a name starting with a digit: %q", f.nameErr.Text)
		}
		f.name.SetText("Invoices")
		f.rows[1].name.SetText("id") // the same name twice
		f.rows[0].key.SetChecked(false)
	})
	saveCapture(t, d.Main.Window, filepath.Join("testdata", "ui", "new_table_errors.png"))
	onUI(func() {
		if f.nameErr.Visible() {
			t.Errorf("a right name still shows %q", f.nameErr.Text)
		}
		if !strings.Contains(f.rows[1].err.Text, "another field is named id") {
			t.Errorf("a field named twice: %q", f.rows[1].err.Text)
		}
		if !strings.Contains(f.keyErr.Text, "Primary key") {
			t.Errorf("no key: %q", f.keyErr.Text)
		}
		if !f.create.Disabled() {
			t.Error("Create is enabled with mistakes in the form")
		}
		f.submit() // what a press would do if it got through: nothing
	})
	if len(d.DB().Catalog().Tables) != 0 {
		t.Fatal("a table was created from a form with mistakes")
	}
	onUI(func() {
		f.rows[1].name.SetText("photo")
		f.rows[1].kind.SetSelected("blob")
		f.rows[1].key.SetChecked(true)
		if !strings.Contains(f.rows[1].err.Text, "blob") {
			t.Errorf("a blob in the key: %q", f.rows[1].err.Text)
		}
		f.rows[1].key.SetChecked(false)
		f.rows[0].key.SetChecked(true)
		test.Tap(f.add)
		f.rows[2].name.SetText("issued")
		f.rows[2].kind.SetSelected("date")
		f.journaled.SetChecked(false)
		if !f.check() || f.create.Disabled() {
			t.Errorf("a right form: Create disabled %v, errors %q %q %q", f.create.Disabled(), f.nameErr.Text, f.keyErr.Text, f.rows[2].err.Text)
		}
	})
	saveCapture(t, d.Main.Window, filepath.Join("testdata", "ui", "new_table.png"))
	pressOverlay(t, d.Main.Window, "Create")
	waitFor(t, w, "the table created and shown", func() bool {
		b := d.Main.view.browser
		return b.table != nil && b.table.Name == "Invoices" && overlayButton(d.Main.Window, "Create") == nil
	})
	tb := d.DB().Catalog().Table("Invoices")
	if tb == nil {
		t.Fatal("the table is not in the structure")
	}
	want := []engine.Field{{Name: "id", Type: journal.KindInt}, {Name: "photo", Type: journal.KindBlob}, {Name: "issued", Type: journal.KindDate}}
	if len(tb.Fields) != len(want) || tb.Journaled || strings.Join(tb.PrimaryKey, ",") != "id" {
		t.Fatalf("the table created: %+v", tb)
	}
	for i := range want {
		if tb.Fields[i] != want[i] {
			t.Errorf("field %d: %+v, want %+v", i, tb.Fields[i], want[i])
		}
	}
	onUI(func() {
		if d.Main.view.journaled.Checked {
			t.Error("Include in Log File is checked for a table created without it")
		}
		if d.Main.view.noTables.Visible() {
			t.Error("the window still says there are no tables")
		}
	})
	// Records can be added to it at once.
	tx := d.DB().NewProcess("").Auto()
	if _, err := tx.Add("Invoices", map[string]journal.Value{"id": journal.Int(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// A second table of the same name is refused at its field.
	f = pressNewTable(t, d)
	onUI(func() {
		f.name.SetText("Invoices")
		if !strings.Contains(f.nameErr.Text, "exists") || !f.create.Disabled() {
			t.Errorf("a table name taken: %q, Create disabled %v", f.nameErr.Text, f.create.Disabled())
		}
		f.dlg.Hide()
	})
}

// A structure change during a backup waits for its end and says so, with Cancel operation:
// cancelled, it ends with -9976 and changes nothing; not cancelled, it is done when the backup
// ends. Include in Log File waits the same way.
func TestStructureWaitsForBackup(t *testing.T) {
	defer func(d time.Duration) { waitShownAfter = d }(waitShownAfter)
	waitShownAfter = time.Millisecond
	d, w := openEmpty(t)
	snap, err := d.DB().BeginBackup(1)
	if err != nil {
		t.Fatal(err)
	}
	f := pressNewTable(t, d)
	onUI(func() { f.name.SetText("Orders") })
	pressOverlay(t, d.Main.Window, "Create")
	waitFor(t, w, "the wait", func() bool { return overlayButton(d.Main.Window, "Cancel operation") != nil })
	if words := overlayWords(d.Main.Window); !strings.Contains(words, "waits for the backup") {
		t.Errorf("the wait says %q", words)
	}
	saveCapture(t, d.Main.Window, filepath.Join("testdata", "ui", "structure_waits.png"))
	pressOverlay(t, d.Main.Window, "Cancel operation")
	waitFor(t, w, "the -9976 alert", func() bool { return strings.Contains(strings.Join(overlayText(d.Main.Window), " "), "-9976") })
	if d.DB().Catalog().Table("Orders") != nil {
		t.Fatal("a cancelled change created the table")
	}
	pressOverlay(t, d.Main.Window, "OK")
	// Asked again, it is done once the backup ends.
	onUI(func() {
		if overlayButton(d.Main.Window, "Create") == nil {
			t.Fatal("the form closed after the cancel")
		}
	})
	pressOverlay(t, d.Main.Window, "Create")
	waitFor(t, w, "the second wait", func() bool { return overlayButton(d.Main.Window, "Cancel operation") != nil })
	snap.Abort()
	waitFor(t, w, "the table created after the backup", func() bool {
		return d.DB().Catalog().Table("Orders") != nil && overlayButton(d.Main.Window, "Cancel operation") == nil
	})
	waitFor(t, w, "the new table shown", func() bool {
		b := d.Main.view.browser
		return b.table != nil && b.table.Name == "Orders"
	})
	// Include in Log File, off during a backup: cancelled, the check goes back on.
	if !d.DB().Catalog().Table("Orders").Journaled {
		t.Fatal("a new table is not in the log by default")
	}
	if snap, err = d.DB().BeginBackup(2); err != nil {
		t.Fatal(err)
	}
	onUI(func() { d.Main.view.journaled.SetChecked(false) })
	pressOverlay(t, d.Main.Window, "Stop")
	waitFor(t, w, "the wait of Include in Log File", func() bool { return overlayButton(d.Main.Window, "Cancel operation") != nil })
	pressOverlay(t, d.Main.Window, "Cancel operation")
	waitFor(t, w, "the check back on", func() bool {
		return d.Main.view.journaled.Checked && !d.Main.view.journaled.Disabled() && strings.Contains(strings.Join(overlayText(d.Main.Window), " "), "-9976")
	})
	snap.Abort()
	onUI(func() { d.Main.view.journaled.SetChecked(false) })
	pressOverlay(t, d.Main.Window, "Stop")
	waitFor(t, w, "the table out of the log", func() bool { return !d.DB().Catalog().Table("Orders").Journaled })
}

// Cancel operation acts at once, even while the engine does not answer (its wait for the
// backup held up, as by a backup switching its log): the wait closes and -9976 is said as it is
// pressed. Should the change still be made, the window says it was made after all. The wait
// draws no animation, which would repaint the window without pause during the backup.
func TestStructureCancelActsAtOnce(t *testing.T) {
	defer func(d time.Duration) { waitShownAfter = d }(waitShownAfter)
	waitShownAfter = time.Millisecond
	d, w := openEmpty(t)
	snap, err := d.DB().BeginBackup(1)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Abort()
	engineAnswer := make(chan error)
	results := make(chan error, 2)
	onUI(func() {
		structureChange(d.Main.Window, d.DB(), "Creating the table Orders", func(context.Context) error {
			return <-engineAnswer // cancelled or not, the engine answers when it can
		}, func(err error) { results <- err })
	})
	waitFor(t, w, "the wait", func() bool { return overlayButton(d.Main.Window, "Cancel operation") != nil })
	onUI(func() {
		for _, o := range d.Main.Window.Canvas().Overlays().List() {
			if animated := findInfinite(o); animated != nil {
				t.Errorf("the wait shows an endless progress bar, repainted without pause")
			}
		}
	})
	saveCapture(t, d.Main.Window, filepath.Join("testdata", "ui", "structure_waits_still.png"))
	pressOverlay(t, d.Main.Window, "Cancel operation")
	select {
	case err := <-results:
		if engine.CodeOf(err) != engine.CodeBackupInProgress {
			t.Errorf("Cancel operation gave %v, want -9976", err)
		}
	default:
		t.Fatal("Cancel operation waits for the engine to answer")
	}
	if overlayButton(d.Main.Window, "Cancel operation") != nil {
		t.Error("the wait is still shown after Cancel operation")
	}
	engineAnswer <- nil // made all the same
	waitFor(t, w, "the change said made after all", func() bool {
		return strings.Contains(strings.Join(overlayText(d.Main.Window), " "), "was done after all")
	})
	if err := <-results; err != nil {
		t.Errorf("the change made after all gave %v, want its result (nil)", err)
	}
}

// findInfinite finds an endless progress bar in o.
func findInfinite(o fyne.CanvasObject) *widget.ProgressBarInfinite {
	switch x := o.(type) {
	case *widget.ProgressBarInfinite:
		return x
	case *fyne.Container:
		for _, c := range x.Objects {
			if f := findInfinite(c); f != nil {
				return f
			}
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			if f := findInfinite(c); f != nil {
				return f
			}
		}
	}
	return nil
}

// Work started with its progress (a restore, an integration, a backup), or a structure change
// (which may wait for a backup), takes the focus from the field that has it: a focused field's
// cursor fades in and out, repainting the whole window several times a second, each frame
// slow while the work takes the processors. (Pressing Create with the mouse leaves the focus
// in the form's field: the change is started here as Create does, the field focused.)
func TestWorkTakesFocus(t *testing.T) {
	defer func(d time.Duration) { waitShownAfter = d }(waitShownAfter)
	waitShownAfter = time.Hour // the form stays on top: its focus is the canvas's
	d, _ := openEmpty(t)
	snap, err := d.DB().BeginBackup(1)
	if err != nil {
		t.Fatal(err)
	}
	f := pressNewTable(t, d)
	results := make(chan error, 1)
	onUI(func() {
		d.Main.Canvas().Focus(f.name)
		test.Type(f.name, "Orders")
		structureChange(d.Main.Window, d.DB(), "Creating the table Orders", func(ctx context.Context) error {
			return d.DB().CreateTableContext(ctx, f.table())
		}, func(err error) { results <- err })
		if fo := d.Main.Canvas().Focused(); fo != nil {
			t.Errorf("%T keeps the focus (its cursor blinking) while the change waits for the backup", fo)
		}
	})
	snap.Abort()
	if err := <-results; err != nil {
		t.Fatal(err)
	}

	entry := &focusEntry{}
	entry.ExtendBaseWidget(entry)
	released := make(chan struct{})
	onUI(func() {
		win := test.NewTempWindow(t, entry)
		win.Canvas().Focus(entry)
		startWork(win, "Some work", false, func(context.Context, func(backup.Progress)) (string, error) {
			<-released
			return "done", nil
		}, func() {})
		if !entry.lost {
			t.Error("the field keeps the focus while the work runs")
		}
	})
	close(released)
}

// focusEntry is an entry that says when it lost the focus.
type focusEntry struct {
	widget.Entry
	lost bool
}

func (e *focusEntry) FocusLost() {
	e.lost = true
	e.Entry.FocusLost()
}
