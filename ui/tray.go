package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// With app.runInTray on, closing the main window hides it and the app keeps running in the
// system tray, so that the scheduled backups of the database open still happen; the tray's
// menu shows the window again, starts a backup, or quits. Without a tray (a desktop that has
// none, the test driver), closing the window quits as usual.

// applyTray follows app.runInTray of the database open. On the Fyne thread.
func (d *Desktop) applyTray() {
	on := false
	if db := d.DB(); db != nil {
		on = db.Values().App.RunInTray
	}
	if d.tray == nil {
		d.tray, _ = d.App.(desktop.App)
	}
	d.inTray = on && d.tray != nil
	if d.inTray && !d.trayMenu {
		d.tray.SetSystemTrayIcon(Icon())
		d.tray.SetSystemTrayMenu(fyne.NewMenu("Holdfast",
			fyne.NewMenuItem("Show Holdfast", d.showWindow),
			fyne.NewMenuItem("Back Up Now", func() {
				d.showWindow()
				d.Main.OpenBackup()
				if d.Main.backup != nil {
					d.Main.backup.Start()
				}
			}),
			fyne.NewMenuItem("Quit", d.Main.Quit)))
		d.trayMenu = true
	}
	d.Main.SetCloseIntercept(d.closeRequested)
}

func (d *Desktop) showWindow() {
	d.hidden = false
	d.Main.Show()
	d.Main.RequestFocus()
}

// closeRequested is what closing the main window does: hide it while the app runs in the
// tray (said once by a notification), else close it, which quits.
func (d *Desktop) closeRequested() {
	if !d.inTray {
		d.Main.confirmStop(nil, "quit", d.Main.Close)
		return
	}
	d.Main.Hide()
	d.hidden = true
	if !d.toldTray {
		d.toldTray = true
		name := "the database"
		if db := d.DB(); db != nil {
			name = db.Name()
		}
		notify := d.opts.Notify
		if notify == nil {
			notify = func(title, body string) { d.App.SendNotification(fyne.NewNotification(title, body)) }
		}
		notify("Holdfast keeps running", "Scheduled backups of "+name+" go on. Open the window or quit from the Holdfast icon in the system tray.")
	}
}

// Hidden reports whether the main window is hidden in the tray.
func (d *Desktop) Hidden() bool { return d.hidden }
