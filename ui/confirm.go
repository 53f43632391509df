package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// confirmDanger asks before something that loses data or protection (stop the log, delete a
// record, roll back, stop a backup). The safe answer is the default: highlighted, focused, and
// pressed by Return or Enter as the dialog opens (Fyne's own dialogs answer no key, and their
// highlighted button is the one that acts). The danger button is red; Tab reaches it, and
// Return, Enter or Space press it then. Escape is the safe answer from either button.
//
// Any answer but the danger button only closes the dialog: a caller with something to undo
// does it before asking (a check put back as it was). onDanger runs once the dialog is
// closed, after any SetOnClosed function of the dialog returned. The dialog is shown 520 wide;
// Resize it for a message that needs another size. On the Fyne thread.
func confirmDanger(title, danger, safe string, msg fyne.CanvasObject, onDanger func(), win fyne.Window) dialog.Dialog {
	return confirmDangerOr(title, danger, safe, msg, onDanger, nil, win)
}

// confirmDangerOr is confirmDanger that runs onSafe (when set) once the safe answer closed the
// dialog: the window then says what was kept.
func confirmDangerOr(title, danger, safe string, msg fyne.CanvasObject, onDanger, onSafe func(), win fyne.Window) dialog.Dialog {
	d := dialog.NewCustomWithoutButtons(title, msg, win)
	safeAnswer := func() {
		d.Hide()
		if onSafe != nil {
			onSafe()
		}
	}
	safeButton := newKeyButton(safe, theme.CancelIcon(), safeAnswer, safeAnswer)
	safeButton.Importance = widget.HighImportance
	dangerButton := newKeyButton(danger, theme.ConfirmIcon(), func() {
		d.Hide()
		onDanger()
	}, safeAnswer)
	dangerButton.Importance = widget.DangerImportance
	d.SetButtons([]fyne.CanvasObject{safeButton, dangerButton})
	// A wrapped message knows its height once laid out at a width: give it one before it shows.
	d.Resize(fyne.NewSize(520, 200))
	d.Show()
	win.Canvas().Focus(safeButton)
	return d
}

// keyButton is a dialog button that Return and Enter press while it has the focus (Fyne's
// buttons answer Space only), and that Escape answers with esc.
type keyButton struct {
	widget.Button
	esc func()
}

func newKeyButton(label string, icon fyne.Resource, tapped, esc func()) *keyButton {
	b := &keyButton{esc: esc}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

// TypedKey presses the button on Return or Enter, answers esc on Escape, and does what a
// button does with any other key.
func (b *keyButton) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		b.Tapped(nil)
	case fyne.KeyEscape:
		b.esc()
	default:
		b.Button.TypedKey(ev)
	}
}
