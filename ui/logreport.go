package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"holdfast/engine"
)

// logReport is the page shown when a database does not open because its log file cannot be
// used (missing, damaged, cut short, another database's): what is wrong, and the ways out of
// S3.4. Open Without the Log integrates what can be read of the log and opens the database
// with writes refused until a backup, which the banner offers and which starts a new log;
// Open Read-Only changes nothing.
func (d *Desktop) logReport(dir string, err error) fyne.CanvasObject {
	title := widget.NewLabelWithStyle(fmt.Sprintf("The log file of %s cannot be used (error %d)", dir, engine.CodeOf(err)), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	what := widget.NewLabel(logProblem(err))
	what.Wrapping = fyne.TextWrapWord
	steps := widget.NewLabel("If you have the log file, put it back where the settings say it is, then open the database again.\n" +
		"Otherwise, Open Without the Log opens it with what the data file and the readable part of the log hold: " +
		"the operations the log held beyond that are lost. Writes then wait for a backup: click Back up now " +
		"in the banner, and the backup starts a new log.\n" +
		"Open Read-Only lets you look at the data without changing anything.")
	steps.Wrapping = fyne.TextWrapWord
	without := widget.NewButton("Open Without the Log", func() { d.openWith(dir, engine.Options{WithoutLog: true}) })
	without.Importance = widget.HighImportance
	readOnly := widget.NewButton("Open Read-Only", func() { d.openWith(dir, engine.Options{ReadOnly: true}) })
	buttons := container.NewHBox(without, readOnly, widget.NewButton("Open Another Database...", d.OpenDatabase))
	return container.NewVScroll(container.NewVBox(title, what, widget.NewSeparator(), steps, buttons))
}

// logProblem is what the engine said is wrong with the log, without the advice meant for the
// command line (the page says what to click instead).
func logProblem(err error) string {
	text := err.Error()
	for _, cut := range []string{": put it back", "; put back a whole copy", "; or, to go on"} {
		if i := strings.Index(text, cut); i >= 0 {
			text = text[:i]
		}
	}
	if info := engine.CodeOf(err).Info(); info.Sentence != "" {
		text = strings.TrimSuffix(strings.TrimSpace(strings.TrimSuffix(text, info.Sentence)), ".")
	}
	return text + "."
}

// openWith opens dir, once, with the way chosen for its log.
func (d *Desktop) openWith(dir string, opts engine.Options) {
	d.mu.Lock()
	if d.logWay == nil {
		d.logWay = map[string]engine.Options{}
	}
	d.logWay[dir] = opts
	d.mu.Unlock()
	d.Open(dir)
}

// takeLogWay returns the options chosen for the next open of dir (zero when none) and forgets
// them.
func (d *Desktop) takeLogWay(dir string) engine.Options {
	d.mu.Lock()
	defer d.mu.Unlock()
	opts := d.logWay[dir]
	delete(d.logWay, dir)
	return opts
}
