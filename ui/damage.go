package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"holdfast/engine"
)

// damageFound is told, from a goroutine of the engine's, that a read found the data file of
// the database open from dir damaged (1433). The repair does not wait for the next start: the
// window says so in plain words, closes the database (its background work ends first), and
// opens it again, which repairs it from the backups (restore.autoRestoreIfDamaged) or shows
// the damaged-database report with its Repair now button.
func (d *Desktop) damageFound(dir string, err error) {
	db := d.DB()
	if db == nil || !sameDir(db.Dir(), dir) {
		return // another database is shown now
	}
	d.showReport("repairing", func() fyne.CanvasObject {
		l := widget.NewLabel(fmt.Sprintf("Part of the data file of %s was found damaged while reading it (error %d). "+
			"Holdfast closes it and opens it again, which rebuilds it from the last backup and the log files (or, with the automatic repair off, says how).", dir, engine.CodeOf(err)))
		l.Wrapping = fyne.TextWrapWord
		return container.NewVBox(widget.NewLabelWithStyle("Repairing the database", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), l)
	})
	d.Open(dir)
}
