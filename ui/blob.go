package ui

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
	"github.com/dustin/go-humanize"

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

// ImportBlob asks for a file and puts its bytes in a BLOB field of the selected record. A
// field that already holds a BLOB is replaced only once the person said so (Cancel is the
// default); what was stored is said under the records.
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
			old, err := b.blobOf(t, key, field, "import")
			if err != nil {
				b.showError(err)
				return
			}
			in := blobImport{table: t.Name, key: key, field: field, name: filepath.Base(path), data: data}
			do(func() {
				if old.Kind == journal.KindBlob {
					b.confirmReplace(in, old.B)
				} else {
					b.storeBlob(in)
				}
			})
		})
	})
}

// blobImport is a file read for a BLOB field, waiting to be stored.
type blobImport struct {
	table string
	key   []journal.Value
	field string
	name  string // the file's name
	data  []byte
}

// where is the field and the record the BLOB goes to, for sentences.
func (in blobImport) where() string {
	return fmt.Sprintf("%s of %s %s", in.field, in.table, keyText(in.key))
}

// confirmReplace asks before a BLOB replaces the one the field holds. On the Fyne thread.
func (b *Browser) confirmReplace(in blobImport, old []byte) {
	msg := widget.NewLabel(fmt.Sprintf("The field %s already holds a BLOB (%s). Replace it with %s (%s)?",
		in.where(), blobSummary(old), in.name, blobSummary(in.data)))
	msg.Wrapping = fyne.TextWrapWord
	confirmDangerOr("Replace the BLOB?", "Replace", "Cancel", msg, func() { b.storeBlob(in) }, func() {
		b.info.SetText(fmt.Sprintf("Nothing imported: %s keeps its BLOB.", in.where()))
	}, b.win)
}

// storeBlob writes an imported BLOB, then says what was stored. On the Fyne thread.
func (b *Browser) storeBlob(in blobImport) {
	background(func() {
		b.writeThen(func(tx *engine.Tx) error { _, err := tx.SetBlob(in.table, in.key, in.field, in.data); return err }, func(err error) {
			if err != nil {
				alert(err, b.win)
				return
			}
			b.note = fmt.Sprintf("Stored %s in %s: %s.", in.name, in.where(), blobSummary(in.data))
		})
	})
}

// blobOf reads the value of a BLOB field of a record (null when empty). Off the Fyne thread.
func (b *Browser) blobOf(t *engine.Table, key []journal.Value, field, op string) (journal.Value, error) {
	rec, found, err := b.db.Get(t.Name, key)
	if err == nil && !found {
		err = &engine.Error{Code: engine.CodeNoRecord, Op: op, Err: fmt.Errorf("the record %s of %s is gone; show the page again", keyText(key), t.Name)}
	}
	if err != nil {
		return journal.Value{}, err
	}
	return rec.Values[t.FieldIndex(field)], nil
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
			v, err := b.blobOf(t, key, field, "export")
			if err != nil {
				b.showError(err)
				return
			}
			if v.Kind != journal.KindBlob {
				b.showError(&engine.Error{Code: engine.CodeBadValue, Op: "export", Err: fmt.Errorf("the field %s of this record is empty: there is nothing to export", field)})
				return
			}
			_, ext := blobKind(v.B)
			name := fmt.Sprintf("%s-%s-%s%s", t.Name, strings.ReplaceAll(keyText(key), ", ", "-"), field, ext)
			path, err := chooser.SaveFile(fmt.Sprintf("Export %s of %s %s", field, t.Name, keyText(key)), start, filepath.Base(name))
			if err != nil {
				if dialogFailed(err) {
					b.showError(err)
				}
				return
			}
			// Private to the user, as every file Holdfast writes (SPEC S2): the BLOB is their data.
			if err := journal.WriteFileAtomic(journal.OSFS{}, path, v.B, 0o600); err != nil {
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

// blobKinds name the kinds of BLOB that http.DetectContentType tells apart by their first
// bytes, with the extension an exported file gets.
var blobKinds = map[string]struct{ name, ext string }{
	"image/png":                    {"PNG image", ".png"},
	"image/jpeg":                   {"JPEG image", ".jpg"},
	"image/gif":                    {"GIF image", ".gif"},
	"image/webp":                   {"WebP image", ".webp"},
	"image/bmp":                    {"BMP image", ".bmp"},
	"application/pdf":              {"PDF document", ".pdf"},
	"application/zip":              {"ZIP archive", ".zip"},
	"application/x-gzip":           {"gzip archive", ".gz"},
	"application/x-rar-compressed": {"RAR archive", ".rar"},
	"audio/mpeg":                   {"MP3 audio", ".mp3"},
	"audio/wave":                   {"WAV audio", ".wav"},
	"video/mp4":                    {"MP4 video", ".mp4"},
	"video/webm":                   {"WebM video", ".webm"},
	"text/plain":                   {"text", ".txt"},
	"text/html":                    {"HTML", ".html"},
	"text/xml":                     {"XML", ".xml"},
}

// blobKind is what the first bytes of data say it is, and the extension to export it with;
// data of no known kind is "BLOB", exported as .bin.
func blobKind(data []byte) (name, ext string) {
	ct := http.DetectContentType(data[:min(len(data), 512)]) // the same cost for a BLOB of any size
	ct, _, _ = strings.Cut(ct, ";")
	if k, ok := blobKinds[ct]; ok {
		return k.name, k.ext
	}
	return "BLOB", ".bin"
}

// blobSummary is a BLOB as a person reads it in a list: its size and its kind.
func blobSummary(data []byte) string {
	if len(data) == 0 {
		return "empty BLOB"
	}
	name, _ := blobKind(data)
	return humanize.Bytes(uint64(len(data))) + ", " + name
}

// holdsBlob reports whether a BLOB field of rec holds a BLOB.
func holdsBlob(t *engine.Table, rec engine.Record) bool {
	for _, f := range blobFields(t) {
		if rec.Values[t.FieldIndex(f)].Kind == journal.KindBlob {
			return true
		}
	}
	return false
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
