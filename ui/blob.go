package ui

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"holdfast/engine"
	"holdfast/journal"
)

// BLOB fields are imported from a file and exported to one through the file dialogs: a picture
// or a document is not typed into a form.

// blobFields are the names of t's BLOB fields.
func blobFields(t *engine.Table) []string {
	var out []string
	for _, f := range t.Fields {
		if f.Type == journal.KindBlob {
			out = append(out, f.Name)
		}
	}
	return out
}

// withBlobField runs fn with the BLOB field to use: the table's only one, or the one the person
// picks when there are several.
func (b *Browser) withBlobField(action string, fn func(field string)) {
	fields := blobFields(b.table)
	switch len(fields) {
	case 0:
		dialog.ShowInformation(action, fmt.Sprintf("The table %s has no BLOB field.", b.table.Name), b.win)
	case 1:
		fn(fields[0])
	default:
		pick := widget.NewSelect(fields, nil)
		pick.SetSelected(fields[0])
		dialog.ShowCustomConfirm(action, "Continue", "Cancel", pick, func(ok bool) {
			if ok && pick.Selected != "" {
				fn(pick.Selected)
			}
		}, b.win)
	}
}

// selectedKey is the table and the key of the record selected, or ok false.
func (b *Browser) selectedKey() (*engine.Table, []journal.Value, bool) {
	if b.table == nil || b.win == nil || b.selected < 0 || b.selected >= len(b.rows) {
		return nil, nil, false
	}
	return b.table, b.keyOf(b.rows[b.selected]), true
}

// ImportBlob asks for a file and puts its bytes in a BLOB field of the selected record.
func (b *Browser) ImportBlob() {
	t, key, ok := b.selectedKey()
	if !ok || b.chooser == nil {
		return
	}
	b.withBlobField("Import a BLOB", func(field string) {
		start, _ := os.UserHomeDir()
		chooser := b.chooser()
		background(func() {
			path, err := chooser.OpenFile(fmt.Sprintf("Import into %s of %s %s", field, t.Name, keyText(key)), start)
			if err != nil {
				if dialogFailed(err) {
					b.showError(err)
				}
				return
			}
			data, err := engine.ReadBlobFile(path)
			if err != nil {
				b.showError(err)
				return
			}
			b.write(func(tx *engine.Tx) error { _, err := tx.SetBlob(t.Name, key, field, data); return err })
		})
	})
}

// ExportBlob asks where to save the BLOB of the selected record and writes it there.
func (b *Browser) ExportBlob() {
	t, key, ok := b.selectedKey()
	if !ok || b.chooser == nil {
		return
	}
	b.withBlobField("Export a BLOB", func(field string) {
		start, _ := os.UserHomeDir()
		chooser := b.chooser()
		background(func() {
			rec, found, err := b.db.Get(t.Name, key)
			if err == nil && !found {
				err = &engine.Error{Code: engine.CodeNoRecord, Op: "export", Err: fmt.Errorf("the record %s of %s is gone; show the page again", keyText(key), t.Name)}
			}
			if err != nil {
				b.showError(err)
				return
			}
			v := rec.Values[t.FieldIndex(field)]
			if v.Kind != journal.KindBlob {
				b.showError(&engine.Error{Code: engine.CodeBadValue, Op: "export", Err: fmt.Errorf("the field %s of this record is empty: there is nothing to export", field)})
				return
			}
			name := fmt.Sprintf("%s-%s-%s%s", t.Name, strings.ReplaceAll(keyText(key), ", ", "-"), field, extensionOf(v.B))
			path, err := chooser.SaveFile(fmt.Sprintf("Export %s of %s %s", field, t.Name, keyText(key)), start, filepath.Base(name))
			if err != nil {
				if dialogFailed(err) {
					b.showError(err)
				}
				return
			}
			if err := journal.WriteFileAtomic(journal.OSFS{}, path, v.B, 0o644); err != nil {
				b.showError(&engine.Error{Code: engine.CodeFileIO, Op: "export", Path: path, Err: fmt.Errorf("%v; choose another folder", err)})
				return
			}
			do(func() {
				b.info.SetText(fmt.Sprintf("%s of %s %s exported to %s.", field, t.Name, keyText(key), path))
				if b.OnLoaded != nil {
					b.OnLoaded()
				}
			})
		})
	})
}

// extensionOf guesses a file extension from the first bytes of data.
func extensionOf(data []byte) string {
	switch ct := http.DetectContentType(data); {
	case ct == "image/png":
		return ".png"
	case ct == "image/jpeg":
		return ".jpg"
	case ct == "image/gif":
		return ".gif"
	case ct == "application/pdf":
		return ".pdf"
	case strings.HasPrefix(ct, "text/plain"):
		return ".txt"
	}
	return ".bin"
}

func (b *Browser) showError(err error) {
	do(func() {
		b.writeErr = err
		alert(err, b.win)
		if b.OnLoaded != nil {
			b.OnLoaded()
		}
	})
}
