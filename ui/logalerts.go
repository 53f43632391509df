package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"holdfast/backup"
	"holdfast/dialogs"
	"holdfast/engine"
)

// The log management of the Configuration page (S3.4). Turning Use Log on asks where to create
// the log file; when the data changed since the last backup, an alert says a backup is needed
// first (OK backs up now and the log starts after it, Cancel starts it after the next backup).
// Turning it off asks to confirm (Stop stops it at once, Cancel keeps it). Both act at once:
// the settings file says what the log is at every moment, whatever OK or Cancel do after.

// showLog reads the log's state on a goroutine and shows it: the check as the database says,
// and a sentence.
func (w *SettingsWindow) showLog() {
	background(func() {
		st := w.db.LogStatus()
		var text string
		switch {
		case st.Failed != nil:
			text = fmt.Sprintf("The log file %s is unavailable (error 1274): once its disk is back, click Back up now; "+
				"the backup starts a new log.", st.Path)
		case st.Open:
			text = fmt.Sprintf("On: %s, at operation %d.", st.Path, st.LastOp)
		case st.Pending:
			text = fmt.Sprintf("Requested: %s starts right after the next backup.", st.Path)
		case st.Incomplete != nil:
			text = fmt.Sprintf("%s holds operations not integrated yet: integrate them from the main window.", st.Path)
		default:
			text = "Off: operations are not logged, so what changed since the last backup cannot be recovered."
		}
		on := st.Open || st.Pending || st.Failed != nil || st.Incomplete != nil
		fixing := w.logFixing()
		if fixing {
			text = "The log settings of the file are not valid, so the database is open read-only: tick Use Log if this " +
				"database keeps a log file and give its place below (untick it if it keeps none), then OK; the database then opens again for writing."
		}
		do(func() {
			if !fixing {
				w.logQuiet = true
				w.logCheck.SetChecked(on)
				w.logQuiet = false
			}
			w.logState.SetText(text)
			if st.Failed != nil {
				w.logBackup.Show()
			} else {
				w.logBackup.Hide()
			}
			w.opts.Updated()
		})
	})
}

// LogState is the sentence shown about the log.
func (w *SettingsWindow) LogState() string { return w.logState.Text }

// SetUseLog is what a click on the Use Log check does.
func (w *SettingsWindow) SetUseLog(on bool) { w.logCheck.SetChecked(on) }

func (w *SettingsWindow) logChanged(on bool) {
	if w.logQuiet {
		return
	}
	if w.logFixing() {
		// Not a request to start or stop the log: the value that replaces the bad one.
		w.replaced(w.fieldOf("log.use"))
		return
	}
	if on {
		w.startLog()
	} else {
		w.askStopLog()
	}
}

// startLog asks where to create the log file and starts it. The name proposed is free: the
// log stopped last is still there under its own name, and the log cannot start on a file.
func (w *SettingsWindow) startLog() {
	last := w.db.LogPath()
	background(func() {
		folder := filepath.Dir(last)
		path, err := w.opts.Chooser.SaveFile("Create the log file (another disk than the data is safer)", folder, freeName(folder, filepath.Base(last)),
			dialogs.Filter{Desc: "Log files", Extensions: []string{"journal"}})
		if err != nil {
			if dialogFailed(err) {
				do(func() { alert(err, w.Window) })
			}
			w.showLog()
			return
		}
		err = w.db.StartLog(path)
		do(func() {
			switch engine.CodeOf(err) {
			case 0:
				dialog.NewInformation("Log file on", "Every operation is now written to "+path+" before it is acknowledged.", w.Window).Show()
			case engine.CodeLogRequiresBkp:
				w.askBackupFirst(path)
			default:
				dialog.NewError(codedError(err), w.Window).Show()
			}
		})
		w.showLog()
	})
}

// askBackupFirst is the alert of a log asked for while the data changed since the last backup:
// the log must start from a backup. The request is recorded already (the log starts after the
// next backup); OK runs that backup now.
func (w *SettingsWindow) askBackupFirst(path string) {
	msg := widget.NewLabel(fmt.Sprintf("The data changed since the last backup, so the log cannot start yet: "+
		"a log replays operations onto a backup. OK backs up now and starts %s right after. "+
		"Cancel keeps the request: the log starts after the next backup.", path))
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("A backup is required", "OK", "Cancel", msg, func(ok bool) {
		if !ok {
			w.showLog()
			return
		}
		StartBackup(w.Window, "Backup before the log starts", w.opts.Backup, func(res *backup.Result, err error) {
			w.showLog()
		})
	}, w.Window)
	d.Resize(fyne.NewSize(520, 220))
	d.Show()
}

// askStopLog is the alert before the log stops: what protection is lost. The check shows the
// log on until Stop is chosen, so any other answer leaves all as it was.
func (w *SettingsWindow) askStopLog() {
	w.logQuiet = true
	w.logCheck.SetChecked(true)
	w.logQuiet = false
	msg := widget.NewLabel("Without the log, the operations made after the last backup cannot be recovered if the data file " +
		"is damaged, and rollback and activity analysis stop here. Stop closes the log now; Cancel keeps it.")
	msg.Wrapping = fyne.TextWrapWord
	confirmDanger("Stop the log?", "Stop", "Cancel", msg, func() {
		background(func() {
			err := w.db.StopLog()
			if err != nil {
				do(func() {
					dialog.NewError(codedError(err), w.Window).Show()
				})
			}
			w.showLog()
		})
	}, w.Window)
}

// backUpForLog is the Back up now shown while the log is unavailable (1274): the backup starts
// a new log.
func (w *SettingsWindow) backUpForLog() {
	StartBackup(w.Window, "Backup to start a new log", w.opts.Backup, func(*backup.Result, error) { w.showLog() })
}

// newLogFile closes the current log, archives it and starts a new one (New Log File).
func (w *SettingsWindow) newLogFile() { newLogFile(w.db, w.Window, w.opts.Updated, w.showLog) }

// freeName is name if no file of folder has it, else the first of "stem-2.ext", "stem-3.ext"...
// that none has (a folder that cannot be read gives name: the dialog then says why). It reads
// the folder: off the Fyne thread.
func freeName(folder, name string) string {
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 2; ; i++ {
		if _, err := os.Lstat(filepath.Join(folder, name)); err != nil {
			return name
		}
		name = fmt.Sprintf("%s-%d%s", stem, i, ext)
	}
}
