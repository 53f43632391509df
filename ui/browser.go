package ui

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"holdfast/dialogs"
	"holdfast/engine"
	"holdfast/journal"
)

// PageSize is how many records the browser shows at a time.
const PageSize = 100

// Browser shows the records of one table a page at a time, in primary key order. A page is
// read on a goroutine of its own (the engine never runs on the Fyne thread) and shown with
// fyne.Do; a page asked for while another is being read replaces it. Going back uses the keys
// the pages started after, so every page costs one key-ordered read whatever the table's size.
type Browser struct {
	db *engine.DB

	// OnLoaded, when set, is called on the Fyne thread after each page is shown (or its error).
	OnLoaded func()

	mu sync.Mutex // guards gen (the newest request wins); the Fyne thread takes it
	// procMu guards proc, made at the first write: making it logs an operation, which waits
	// while an integration runs, so only the writes' goroutines take procMu, never the Fyne
	// thread.
	procMu sync.Mutex
	shown  string // the table and page last shown ("Customers/2")
	gen    int
	table  *engine.Table
	// starts[i] is the key page i starts after (nil for the first page).
	starts [][]journal.Value
	rows   []engine.Record
	more   bool

	grid       *widget.Table
	info       *widget.Label
	prev, next *widget.Button
	root       fyne.CanvasObject
	// The buttons that act on the table or the record selected, and the hint that says why
	// those that cannot act are off.
	add, edit, del, imp, exp *widget.Button
	hint                     *widget.Label
	// note, when set, is what the next page shown says in place of its position (what a write
	// just did).
	note string

	// Editing: the window its forms show over, the process its writes go through, the row
	// selected, the form open last and the last write's error.
	win      fyne.Window
	proc     *engine.Process
	selected int
	form     *recordForm
	writeErr error
	// chooser gives the file dialogs of BLOB import and export.
	chooser func() dialogs.Chooser
}

// NewBrowser makes an empty browser for db; call Show to choose a table. On the Fyne thread.
func NewBrowser(db *engine.DB) *Browser {
	b := &Browser{db: db}
	b.grid = widget.NewTable(b.size, func() fyne.CanvasObject {
		l := widget.NewLabel("")
		l.Truncation = fyne.TextTruncateEllipsis
		return l
	}, b.cell)
	b.grid.ShowHeaderRow = true
	b.grid.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	b.grid.UpdateHeader = b.header
	// Long texts are cut, never widen the window: the page's position, what a write did.
	b.info = widget.NewLabel("Choose a table.")
	b.info.Truncation = fyne.TextTruncateEllipsis
	b.prev = widget.NewButton("Previous", func() { b.turn(-1) })
	b.next = widget.NewButton("Next", func() { b.turn(+1) })
	b.prev.Disable()
	b.next.Disable()
	b.selected = -1
	b.grid.OnSelected = func(id widget.TableCellID) { b.selected = id.Row; b.updateButtons() }
	b.grid.OnUnselected = func(widget.TableCellID) { b.selected = -1; b.updateButtons() }
	b.add = widget.NewButton("Add...", b.AddRecord)
	b.edit = widget.NewButton("Edit...", b.EditRecord)
	b.del = widget.NewButton("Delete", b.DeleteRecord)
	b.imp = widget.NewButton("Import BLOB...", b.ImportBlob)
	b.exp = widget.NewButton("Export BLOB...", b.ExportBlob)
	b.hint = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	b.hint.Truncation = fyne.TextTruncateEllipsis
	b.updateButtons()
	bar := container.NewVBox(
		container.NewBorder(nil, nil, container.NewHBox(b.add, b.edit, b.del, b.imp, b.exp), nil, b.hint),
		container.NewBorder(nil, nil, nil, container.NewHBox(b.prev, b.next), b.info))
	b.root = container.NewBorder(nil, bar, nil, nil, b.grid)
	return b
}

// updateButtons turns on the buttons that can act on the table shown and the record selected,
// and the hint says why the others are off. On the Fyne thread.
func (b *Browser) updateButtons() {
	t := b.table
	selected := t != nil && b.selected >= 0 && b.selected < len(b.rows)
	blobs := t != nil && len(blobFields(t)) > 0
	stored := selected && blobs && holdsBlob(t, b.rows[b.selected])
	enable(b.add, t != nil)
	enable(b.edit, selected)
	enable(b.del, selected)
	enable(b.imp, selected && blobs)
	enable(b.exp, stored)
	var why []string
	switch {
	case t == nil:
		why = append(why, "Choose a table on the left (New Table... makes one).")
	case !selected && blobs:
		why = append(why, "Click a record to edit or delete it, or for its BLOB.")
	case !selected:
		why = append(why, "Click a record to edit or delete it.")
	case blobs && !stored:
		why = append(why, "This record holds no BLOB yet: Import BLOB... stores one.")
	}
	if t != nil && !blobs {
		why = append(why, t.Name+" has no BLOB field.")
	}
	b.hint.SetText(strings.Join(why, " "))
}

// enable turns a widget on or off.
func enable(w fyne.Disableable, on bool) {
	if on {
		w.Enable()
	} else {
		w.Disable()
	}
}

// SetWindow is the window the browser's forms and alerts show over.
func (b *Browser) SetWindow(w fyne.Window) { b.win = w }

// Select marks row i of the page (what a click does).
func (b *Browser) Select(i int) { b.grid.Select(widget.TableCellID{Row: i, Col: 0}) }

// AddRecord opens the form of a new record.
func (b *Browser) AddRecord() {
	if b.table == nil || b.win == nil {
		return
	}
	t := b.table
	b.form = openRecordForm(b.win, t, nil, func(vals map[string]journal.Value, done func(error)) {
		b.writeThen(func(tx *engine.Tx) error { _, err := tx.Add(t.Name, vals); return err }, done)
	})
}

// EditRecord opens the form of the selected record.
func (b *Browser) EditRecord() {
	if b.table == nil || b.win == nil || b.selected < 0 || b.selected >= len(b.rows) {
		return
	}
	t, rec := b.table, b.rows[b.selected]
	key := b.keyOf(rec)
	b.form = openRecordForm(b.win, t, &rec, func(vals map[string]journal.Value, done func(error)) {
		b.writeThen(func(tx *engine.Tx) error { _, err := tx.Modify(t.Name, key, vals); return err }, done)
	})
}

// DeleteRecord asks, then deletes the selected record.
func (b *Browser) DeleteRecord() {
	if b.table == nil || b.win == nil || b.selected < 0 || b.selected >= len(b.rows) {
		return
	}
	t, rec := b.table, b.rows[b.selected]
	key := b.keyOf(rec)
	msg := widget.NewLabel(fmt.Sprintf("Delete the record %s of %s? The log keeps it: a rollback can bring it back.", keyText(key), t.Name))
	msg.Wrapping = fyne.TextWrapWord
	confirmDanger("Delete the record", "Delete", "Cancel", msg, func() {
		background(func() { b.write(func(tx *engine.Tx) error { _, err := tx.Delete(t.Name, key); return err }) })
	}, b.win)
}

func keyText(key []journal.Value) string {
	parts := make([]string, len(key))
	for i, v := range key {
		parts[i] = v.String()
	}
	return strings.Join(parts, ", ")
}

// write runs one change as its own transaction (off the Fyne thread), then shows the page
// again, or the error in a sentence.
func (b *Browser) write(change func(tx *engine.Tx) error) { b.writeThen(change, nil) }

// writeThen is write that hands the result to done on the Fyne thread (a form shows an error
// at its field), before the page is shown again; with done nil an error is shown in an alert.
func (b *Browser) writeThen(change func(tx *engine.Tx) error, done func(error)) {
	b.procMu.Lock()
	if b.proc == nil {
		b.proc = b.db.NewProcess("")
	}
	proc := b.proc
	b.procMu.Unlock()
	tx := proc.Auto()
	err := change(tx)
	if err == nil {
		_, err = tx.Commit()
	} else {
		tx.Rollback()
	}
	do(func() {
		b.writeErr = err
		if done != nil {
			done(err)
		} else if err != nil {
			alert(err, b.win)
		}
		if err != nil {
			if b.OnLoaded != nil {
				b.OnLoaded()
			}
			return
		}
		b.load()
	})
}

// WriteErr is the error of the last change made through a form, or nil.
func (b *Browser) WriteErr() error { return b.writeErr }

// Object is the browser's widget tree.
func (b *Browser) Object() fyne.CanvasObject { return b.root }

func (b *Browser) size() (int, int) {
	if b.table == nil {
		return 0, 0
	}
	return len(b.rows), len(b.table.Fields)
}

func (b *Browser) cell(id widget.TableCellID, o fyne.CanvasObject) {
	l := o.(*widget.Label)
	if id.Row < len(b.rows) && id.Col < len(b.rows[id.Row].Values) {
		l.SetText(cellText(b.rows[id.Row].Values[id.Col]))
		return
	}
	l.SetText("")
}

// cellText is how a value reads in the browser and in its forms: a real as the shortest
// decimals that read back as the same number (no exponent in the usual range), a BLOB as its
// size and kind.
func cellText(v journal.Value) string {
	switch v.Kind {
	case journal.KindReal:
		if a := math.Abs(v.F); a == 0 || (a >= 1e-6 && a < 1e15) {
			return strconv.FormatFloat(v.F, 'f', -1, 64)
		}
	case journal.KindBlob:
		return blobSummary(v.B)
	}
	return v.String()
}

func (b *Browser) header(id widget.TableCellID, o fyne.CanvasObject) {
	l := o.(*widget.Label)
	if b.table != nil && id.Col >= 0 && id.Col < len(b.table.Fields) {
		l.SetText(b.table.Fields[id.Col].Name)
		return
	}
	l.SetText("")
}

// Show starts browsing table at its first page. On the Fyne thread.
func (b *Browser) Show(table string) {
	t := b.db.Catalog().Table(table)
	if t == nil {
		b.info.SetText(fmt.Sprintf("The table %s does not exist.", table))
		return
	}
	b.grid.UnselectAll()
	b.table, b.starts, b.rows = t, [][]journal.Value{nil}, nil
	for i := range t.Fields {
		b.grid.SetColumnWidth(i, 160)
	}
	b.load()
}

// Page is the number of the page shown, from 1.
func (b *Browser) Page() int { return len(b.starts) }

// Rows returns the records of the page shown. On the Fyne thread.
func (b *Browser) Rows() []engine.Record { return b.rows }

// turn goes to the next (+1) or previous (-1) page.
func (b *Browser) turn(dir int) {
	if b.table == nil {
		return
	}
	switch {
	case dir > 0 && b.more && len(b.rows) > 0:
		b.starts = append(b.starts, b.keyOf(b.rows[len(b.rows)-1]))
	case dir < 0 && len(b.starts) > 1:
		b.starts = b.starts[:len(b.starts)-1]
	default:
		return
	}
	b.grid.UnselectAll()
	b.load()
}

// Next and Previous turn the page (what the buttons do).
func (b *Browser) Next()     { b.turn(+1) }
func (b *Browser) Previous() { b.turn(-1) }

// keyOf is the primary key of a record, in the table's key order.
func (b *Browser) keyOf(r engine.Record) []journal.Value {
	key := make([]journal.Value, 0, len(b.table.PrimaryKey))
	for _, name := range b.table.PrimaryKey {
		key = append(key, r.Values[b.table.FieldIndex(name)])
	}
	return key
}

// load reads the current page on a goroutine and shows it.
func (b *Browser) load() {
	b.mu.Lock()
	b.gen++
	gen := b.gen
	b.mu.Unlock()
	table, after, page := b.table.Name, b.starts[len(b.starts)-1], len(b.starts)
	b.prev.Disable()
	b.next.Disable()
	b.updateButtons()
	b.info.SetText(fmt.Sprintf("%s: page %d, reading...", table, page))
	background(func() {
		rows, err := b.db.Scan(table, after, PageSize+1)
		total, cerr := b.db.Count(table)
		do(func() {
			b.mu.Lock()
			stale := gen != b.gen
			b.mu.Unlock()
			if stale {
				return // a newer page was asked for meanwhile
			}
			if err == nil {
				err = cerr
			}
			if err != nil {
				b.rows, b.more = nil, false
				b.info.SetText(fmt.Sprintf("%s: the records could not be read: %s", table, engine.WindowText(err)))
			} else {
				b.more = len(rows) > PageSize
				b.rows = rows[:min(len(rows), PageSize)]
				first := (page-1)*PageSize + 1
				switch {
				case b.note != "":
					b.info.SetText(b.note)
				case len(b.rows) == 0:
					b.info.SetText(fmt.Sprintf("%s: no records", table))
				default:
					b.info.SetText(fmt.Sprintf("%s: records %d to %d of %d (page %d)", table, first, first+len(b.rows)-1, total, page))
				}
			}
			b.note = ""
			if b.selected >= len(b.rows) {
				b.grid.UnselectAll() // the record selected is gone from the page
			}
			b.updateButtons()
			if page > 1 {
				b.prev.Enable()
			}
			if b.more {
				b.next.Enable()
			}
			b.grid.Refresh()
			// A new page starts at its top; the page shown read again (after a write, an
			// integration) stays where it is: scrolling lays the whole grid out again.
			if shown := fmt.Sprintf("%s/%d", table, page); shown != b.shown {
				b.shown = shown
				b.grid.ScrollToTop()
			}
			if b.OnLoaded != nil {
				b.OnLoaded()
			}
		})
	})
}
