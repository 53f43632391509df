package ui

import (
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"holdfast/dialogs"
)

// checkSafeDefault checks that the question over win makes safe the default: highlighted and
// focused, so that Return presses it, with danger in red beside it.
func checkSafeDefault(t *testing.T, win fyne.Window, safe, danger string) {
	t.Helper()
	onUI(func() {
		s, d := overlayButton(win, safe), overlayButton(win, danger)
		if s == nil || d == nil {
			t.Fatalf("no %q and %q buttons over the window; it shows %q", safe, danger, strings.Join(overlayText(win), " "))
		}
		if s.Importance != widget.HighImportance || d.Importance != widget.DangerImportance {
			t.Errorf("%q importance %v, %q importance %v: want the safe answer highlighted and the other in red", safe, s.Importance, danger, d.Importance)
		}
		focused, ok := win.Canvas().Focused().(*keyButton)
		if !ok || focused.Text != safe {
			t.Errorf("the focused object is %#v, want the %q button (Return presses it)", win.Canvas().Focused(), safe)
		}
	})
}

// pressKey types key to what has the focus in win.
func pressKey(t *testing.T, win fyne.Window, key fyne.KeyName) {
	t.Helper()
	onUI(func() {
		f := win.Canvas().Focused()
		if f == nil {
			t.Fatalf("nothing has the focus to press %s", key)
		}
		f.TypedKey(&fyne.KeyEvent{Name: key})
	})
}

// The danger button of a question acts; Return and Escape give the safe answer; Tab then
// Return presses the danger button.
func TestConfirmDangerKeys(t *testing.T) {
	a := newApp(t)
	var win fyne.Window
	dangers := 0
	ask := func() {
		onUI(func() {
			confirmDanger("Delete it?", "Delete", "Keep", widget.NewLabel("It cannot be undone."), func() { dangers++ }, win)
		})
	}
	onUI(func() {
		win = a.NewWindow("confirm")
		win.Resize(fyne.NewSize(500, 300))
		win.Show()
	})
	defer win.Close()
	for _, key := range []fyne.KeyName{fyne.KeyReturn, fyne.KeyEnter, fyne.KeyEscape} {
		ask()
		checkSafeDefault(t, win, "Keep", "Delete")
		pressKey(t, win, key)
		if n := len(win.Canvas().Overlays().List()); n != 0 || dangers != 0 {
			t.Fatalf("after %s: %d dialog(s) open, the danger done %d time(s)", key, n, dangers)
		}
	}
	ask()
	onUI(win.Canvas().FocusNext)
	pressKey(t, win, fyne.KeyReturn)
	if dangers != 1 {
		t.Fatalf("Tab then Return: the danger done %d time(s), want once", dangers)
	}
	ask()
	pressOverlay(t, win, "Delete")
	if dangers != 2 {
		t.Fatalf("the Delete button: the danger done %d time(s) in all, want 2", dangers)
	}
}

// Unticking Include in Log File says what protection is lost and asks: the check stays ticked
// while it asks, Cancel (the default: Return) changes nothing, Stop leaves the table out.
func TestLeaveTableOutOfLogAsks(t *testing.T) {
	dir := filepath.Join(uiTempDir(t), "Shop")
	shopDB(t, dir, 3)
	d, w := newDesktop(t, &dialogs.Fake{}, "")
	d.Open(dir)
	waitFor(t, w, "the table shown", func() bool {
		v := d.Main.view
		return openedName(d) == "Shop" && v.browser.table != nil && v.journaled.Checked && !v.journaled.Disabled()
	})
	v := d.Main.view
	onUI(func() { v.journaled.SetChecked(false) })
	words := overlayWords(d.Main.Window)
	for _, want := range []string{"Customers", "cannot be recovered", "rollback"} {
		if !strings.Contains(words, want) {
			t.Errorf("the question does not say %q: %q", want, words)
		}
	}
	onUI(func() {
		if !v.journaled.Checked {
			t.Error("the check is unticked while the question is asked")
		}
	})
	checkSafeDefault(t, d.Main.Window, "Cancel", "Stop")
	saveCapture(t, d.Main.Window, filepath.Join("testdata", "ui", "table_out_of_log.png"))
	pressKey(t, d.Main.Window, fyne.KeyReturn)
	onUI(func() {
		if !v.journaled.Checked || len(d.Main.Canvas().Overlays().List()) != 0 {
			t.Errorf("after Cancel: check ticked %v, %d dialog(s) open", v.journaled.Checked, len(d.Main.Canvas().Overlays().List()))
		}
	})
	if !d.DB().Catalog().Table("Customers").Journaled {
		t.Fatal("Cancel left the table out of the log")
	}
	onUI(func() { v.journaled.SetChecked(false) })
	pressOverlay(t, d.Main.Window, "Stop")
	waitFor(t, w, "the table out of the log", func() bool {
		return !d.DB().Catalog().Table("Customers").Journaled && !v.journaled.Checked && !v.journaled.Disabled()
	})
	// Back in the log: nothing is lost, nothing is asked.
	onUI(func() { v.journaled.SetChecked(true) })
	waitFor(t, w, "the table in the log again", func() bool { return d.DB().Catalog().Table("Customers").Journaled })
	if words := overlayWords(d.Main.Window); words != "" {
		t.Errorf("ticking the check asked %q", words)
	}
}
