package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"holdfast/engine"
	"holdfast/settings"
)

// A settings file holding a value Holdfast does not accept (settings.Problem) is opened all the
// same, so that the data stays within reach. While a key the open for writing needs
// (settings.OpenKeys: where the log is, what the open may do on its own) is one of them, the
// database opens read-only rather than by a guess of where its log is; a banner says so. A
// dialog names every bad value with its line and what to click to fix it; once Database
// Settings... has replaced those the open needs, the database opens again for writing.

// settingsProblems reads the settings of the folder dir before it opens: the values of its file
// that are not valid and, when one of them is a key the open for writing needs, the error 2009
// that opens it read-only. A file that is missing or cannot be read at all gives nothing: the
// open says what is wrong with it.
func settingsProblems(dir string) ([]settings.Problem, error) {
	path := filepath.Join(dir, settings.FileName)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil
	}
	s, err := settings.Parse(data)
	if err != nil {
		return nil, nil
	}
	if err := s.Need(settings.OpenKeys...); err != nil {
		return s.Problems(), &engine.Error{Code: engine.CodeBadSetting, Op: "open", Path: path, Err: err}
	}
	return s.Problems(), nil
}

// openOptions are the options of the next open of dir: the way chosen for a log it could not
// use, and read-only while its settings do not say where its log is (readOnlyFor, 2009); and
// the settings problems to show once it is open.
func (d *Desktop) openOptions(dir string) (opts engine.Options, problems []settings.Problem, readOnlyFor error) {
	opts = d.takeLogWay(dir)
	problems, readOnlyFor = settingsProblems(dir)
	if readOnlyFor != nil {
		opts.ReadOnly = true
	}
	return opts, problems, readOnlyFor
}

// problemsText says which values of the settings file are not valid, what each must be, what
// they do meanwhile and what to click to fix them.
func problemsText(dir string, ps []settings.Problem, readOnly bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The settings file of %s (%s) holds values Holdfast does not accept (error %d):\n", dir, settings.FileName, engine.CodeBadSetting)
	for _, p := range ps {
		fmt.Fprintf(&b, "- %s, line %d: %q, but it must be %s.\n", p.Key, p.Line, p.Value, p.Want)
	}
	if readOnly {
		b.WriteString("Where the log file is, or what opening may do on its own, cannot be told from them, so the database is open " +
			"read-only: reading goes on, writing waits until they are fixed.\n")
	} else {
		b.WriteString("Until they are fixed, the work that uses one of them (a backup, the scheduled backups) refuses to start.\n")
	}
	b.WriteString("To fix them, open File > Database Settings...: each is shown in red at its field. Replace it there " +
		"(an attachment: select it and click Delete), then click OK.")
	if readOnly {
		b.WriteString(" The database then opens again for writing.")
	}
	return b.String()
}

// showSettingsProblems shows problemsText over the window, with Database Settings.... On the
// Fyne thread.
func (m *MainWindow) showSettingsProblems(dir string, ps []settings.Problem, readOnly bool) {
	text := widget.NewLabel(problemsText(dir, ps, readOnly))
	text.Wrapping = fyne.TextWrapWord
	var d *dialog.CustomDialog
	open := widget.NewButton("Database Settings...", func() {
		d.Hide()
		m.OpenSettings()
	})
	open.Importance = widget.HighImportance
	later := widget.NewButton("Later", func() { d.Hide() })
	d = dialog.NewCustomWithoutButtons("Settings to fix", container.NewVBox(text, container.NewHBox(open, later)), m.Window)
	d.Resize(fyne.NewSize(600, 320))
	d.Show()
}

// reopenFixed opens again the database of v, opened read-only for its settings, once they no
// longer keep it so. On the Fyne thread; the work is done on a goroutine.
func (d *Desktop) reopenFixed(v *databaseView) {
	if v.readOnlyFor == nil || v.db.Values().Need(settings.OpenKeys...) != nil {
		return
	}
	dir := v.db.Dir()
	background(func() {
		d.showReport("reopening", func() fyne.CanvasObject {
			return container.NewCenter(widget.NewLabel("The settings are fixed: opening " + dir + " again for writing..."))
		})
		d.Open(dir)
	})
}
