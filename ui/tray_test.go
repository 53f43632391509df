package ui

import (
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"holdfast/dialogs"
	"holdfast/engine"
)

// fakeTray records what the app puts in the system tray.
type fakeTray struct {
	menu *fyne.Menu
	icon fyne.Resource
}

func (f *fakeTray) SetSystemTrayMenu(m *fyne.Menu)    { f.menu = m }
func (f *fakeTray) SetSystemTrayIcon(r fyne.Resource) { f.icon = r }
func (f *fakeTray) SetSystemTrayWindow(fyne.Window)   {}

// With app.runInTray on, closing the window hides it, the database stays open (its scheduled
// backups go on) and a notification says so once; the tray's menu shows the window again.
// With it off, closing the window closes it.
func TestRunInTray(t *testing.T) {
	dir := trayDB(t)

	var n notes
	d, w := newDesktop(t, &dialogs.Fake{}, "")
	d.opts.Notify = n.add
	tray := &fakeTray{}
	d.tray = tray
	d.Open(dir)
	waitFor(t, w, "the database open", func() bool { return openedName(d) == "Shop" && tray.menu != nil })
	if tray.icon == nil || len(tray.menu.Items) < 2 || tray.menu.Items[0].Label != "Show Holdfast" {
		t.Fatalf("tray menu %+v", tray.menu)
	}
	onUI(d.closeRequested)
	onUI(d.closeRequested)
	if !d.Hidden() || d.Main.view == nil || d.DB() == nil {
		t.Fatal("closing the window with the tray on did not keep the app running")
	}
	if all := n.all(); strings.Count(all, "keeps running") != 1 {
		t.Errorf("notifications: %q", all)
	}
	if _, err := d.DB().Count("Customers"); err != nil {
		t.Fatalf("the database is not open any more: %v", err)
	}
	onUI(tray.menu.Items[0].Action)
	if d.Hidden() {
		t.Error("Show Holdfast left the window hidden")
	}

	// Off: closing the window closes it (and so quits the app).
	s := d.DB().Settings()
	if err := s.Set("app.runInTray", "false"); err != nil {
		t.Fatal(err)
	}
	if err := d.DB().UpdateSettings(s); err != nil {
		t.Fatal(err)
	}
	onUI(d.applyTray)
	v := d.Main.view
	onUI(d.closeRequested)
	select {
	case <-v.stop:
	default:
		t.Fatal("closing the window with the tray off did not close it")
	}
}

// The tray's Quit while a backup runs and the window is hidden shows the window with the
// question, instead of asking in a window nobody sees.
func TestTrayQuitDuringBackupShowsWindow(t *testing.T) {
	dir := trayDB(t)
	d, w := newDesktop(t, &dialogs.Fake{}, "")
	d.opts.Notify = (&notes{}).add
	tray := &fakeTray{}
	d.tray = tray
	d.Open(dir)
	waitFor(t, w, "the database open", func() bool { return openedName(d) == "Shop" && tray.menu != nil })
	onUI(d.closeRequested)
	if !d.Hidden() {
		t.Fatal("the window is not in the tray")
	}
	snap, err := d.DB().BeginBackup(1)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Abort()
	quit := tray.menu.Items[len(tray.menu.Items)-1]
	if quit.Label != "Quit" {
		t.Fatalf("the tray's last item is %q", quit.Label)
	}
	onUI(quit.Action)
	if d.Hidden() {
		t.Error("the tray's Quit asked in a hidden window")
	}
	var asked bool
	onUI(func() { asked = overlayButton(d.Main.Window, "Keep running") != nil })
	if !asked {
		t.Fatalf("no question over the window: %q", overlayWords(d.Main.Window))
	}
	checkSafeDefault(t, d.Main.Window, "Keep running", "Stop and quit")
	pressOverlay(t, d.Main.Window, "Keep running")
}

// trayDB makes a database with app.runInTray on.
func trayDB(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(uiTempDir(t), "Shop")
	shopDB(t, dir, 3)
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := db.Settings()
	if err := s.Set("app.runInTray", "true"); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateSettings(s); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}
