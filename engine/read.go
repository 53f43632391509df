package engine

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"holdfast/journal"
)

// lookup reads the current stored records for the write path: changes logged but not yet
// durable first, then what readers see. It holds vmu's read lock and a bbolt read transaction
// until close; wmu is held by the caller.
type lookup struct {
	db  *DB
	btx *bolt.Tx // begun at the first key that needs the data file
	err error
}

func (db *DB) lookup() *lookup {
	db.vmu.RLock()
	return &lookup{db: db}
}

func (l *lookup) close() {
	if l.btx != nil {
		l.btx.Rollback()
	}
	l.db.vmu.RUnlock()
}

func (l *lookup) tx() (*bolt.Tx, error) {
	if l.btx == nil && l.err == nil {
		l.btx, l.err = l.db.bolt.Begin(false)
	}
	return l.btx, l.err
}

// get returns the stored record (nil if there is none).
func (l *lookup) get(t *Table, key string) ([]byte, error) {
	if key > l.db.keyMax[t.Name] {
		return nil, nil // past every key ever written: the common case of appends
	}
	k := tkey{t.Name, key}
	for i := len(l.db.batches) - 1; i >= 0; i-- {
		if v, ok := l.db.batches[i].state[k]; ok {
			return v, nil
		}
	}
	return l.db.visible(l.tx, t, key)
}

// visible returns what readers see of a key; vmu is held (read). The data file is only read
// (through btx) for a key that can be in it.
func (db *DB) visible(btx func() (*bolt.Tx, error), t *Table, key string) ([]byte, error) {
	if e, ok := db.overlay[t.Name][key]; ok {
		return e.val, nil
	}
	if e, ok := db.frozen[t.Name][key]; ok {
		return e.val, nil
	}
	if key > db.diskMax[t.Name] {
		return nil, nil
	}
	tx, err := btx()
	if err != nil {
		return nil, &Error{Code: CodeDataIO, Op: "read " + t.Name, Path: dataPath(db.dir, db.name), Err: err}
	}
	b := tx.Bucket(tableBucket(t.Name))
	if b == nil {
		return nil, nil
	}
	v := b.Get([]byte(key))
	if v == nil {
		return nil, nil
	}
	return bytes.Clone(v), nil
}

// damagedOnPanic turns a panic of the data file's reader (bbolt panics on pages it cannot make
// sense of) into error 1433, so that a damaged data file is reported, not a crash.
func (db *DB) damagedOnPanic(err *error) {
	if r := recover(); r != nil {
		*err = &Error{Code: CodeDamaged, Op: "read data file", Path: dataPath(db.dir, db.name), Err: fmt.Errorf("%v", r)}
	}
}

// get reads a record as readers see it.
func (db *DB) get(t *Table, key string) (rec Record, found bool, err error) {
	defer db.damagedOnPanic(&err)
	db.vmu.RLock()
	defer db.vmu.RUnlock()
	btx, err := db.bolt.Begin(false)
	if err != nil {
		return Record{}, false, &Error{Code: CodeDataIO, Op: "read", Err: err}
	}
	defer btx.Rollback()
	val, err := db.visible(func() (*bolt.Tx, error) { return btx, nil }, t, key)
	if err != nil || val == nil {
		return Record{}, false, err
	}
	rec, err = decodeRecord(val, len(t.Fields))
	if err != nil {
		return Record{}, false, &Error{Code: CodeDamaged, Op: "read " + t.Name, Path: dataPath(db.dir, db.name), Err: fmt.Errorf("key %s: %w", keyString(key), err)}
	}
	return rec, true, nil
}

// Get reads the record with this primary key.
func (db *DB) Get(table string, key []journal.Value) (Record, bool, error) {
	t, k, err := db.tableKey(table, key)
	if err != nil {
		return Record{}, false, err
	}
	return db.get(t, k)
}

// Count returns the number of records of a table.
func (db *DB) Count(table string) (int64, error) {
	if _, err := db.table(table); err != nil {
		return 0, err
	}
	db.vmu.RLock()
	defer db.vmu.RUnlock()
	return db.counts[table], nil
}

// Scan returns up to limit records of a table in primary key order, starting after the key
// after (nil: from the first). The browser pages with the last record's key.
func (db *DB) Scan(table string, after []journal.Value, limit int) (out []Record, err error) {
	defer db.damagedOnPanic(&err)
	t, err := db.table(table)
	if err != nil {
		return nil, err
	}
	var from string
	if after != nil {
		if from, err = t.encodeKey(after); err != nil {
			return nil, err
		}
	}
	if limit <= 0 {
		return nil, nil
	}
	db.vmu.RLock()
	defer db.vmu.RUnlock()
	btx, err := db.bolt.Begin(false)
	if err != nil {
		return nil, &Error{Code: CodeDataIO, Op: "read", Err: err}
	}
	defer btx.Rollback()

	// Cached keys after from, in order; the cache wins over the data file.
	cached := map[string][]byte{}
	for _, layer := range []map[string]entry{db.frozen[t.Name], db.overlay[t.Name]} {
		for k, e := range layer {
			if after == nil || k > from {
				cached[k] = e.val
			}
		}
	}
	ckeys := make([]string, 0, len(cached))
	for k := range cached {
		ckeys = append(ckeys, k)
	}
	slices.Sort(ckeys)

	var cur *bolt.Cursor
	var bk, bv []byte
	if b := btx.Bucket(tableBucket(t.Name)); b != nil {
		cur = b.Cursor()
		if after == nil {
			bk, bv = cur.First()
		} else {
			bk, bv = cur.Seek([]byte(from))
			if bk != nil && string(bk) == from {
				bk, bv = cur.Next()
			}
		}
	}
	add := func(k string, v []byte) error {
		if v == nil {
			return nil
		}
		rec, err := decodeRecord(v, len(t.Fields))
		if err != nil {
			return &Error{Code: CodeDamaged, Op: "read " + t.Name, Path: dataPath(db.dir, db.name), Err: fmt.Errorf("key %s: %w", keyString(k), err)}
		}
		out = append(out, rec)
		return nil
	}
	ci := 0
	for len(out) < limit && (bk != nil || ci < len(ckeys)) {
		var err error
		switch {
		case bk == nil || (ci < len(ckeys) && ckeys[ci] <= string(bk)):
			k := ckeys[ci]
			ci++
			if bk != nil && k == string(bk) {
				bk, bv = cur.Next()
			}
			err = add(k, cached[k])
		default:
			err = add(string(bk), bytes.Clone(bv))
			bk, bv = cur.Next()
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// KeyOf returns the primary key values of a record of the table.
func (t *Table) KeyOf(rec Record) []journal.Value {
	key := make([]journal.Value, len(t.keyIdx))
	for i, fi := range t.keyIdx {
		key[i] = rec.Values[fi]
	}
	return key
}

// tableKey finds a table and encodes a primary key for it.
func (db *DB) tableKey(table string, key []journal.Value) (*Table, string, error) {
	t, err := db.table(table)
	if err != nil {
		return nil, "", err
	}
	k, err := t.encodeKey(key)
	return t, k, err
}

// encodeKey checks key values against the primary key's fields and encodes them.
func (t *Table) encodeKey(key []journal.Value) (string, error) {
	if len(key) != len(t.keyIdx) {
		return "", Errorf(CodeBadValue, "key of "+t.Name, "the primary key has %d field(s) (%s), %d value(s) given", len(t.keyIdx), strings.Join(t.PrimaryKey, ", "), len(key))
	}
	for i, fi := range t.keyIdx {
		if key[i].Kind != t.Fields[fi].Type {
			return "", Errorf(CodeBadValue, "key of "+t.Name, "field %s is %s, the key gives %s", t.Fields[fi].Name, t.Fields[fi].Type, key[i].Kind)
		}
	}
	b, err := journal.AppendKey(nil, key)
	if err != nil {
		return "", &Error{Code: CodeBadValue, Op: "key of " + t.Name, Err: err}
	}
	return string(b), nil
}

// keyOf encodes the primary key of a full row.
func (t *Table) keyOf(row []journal.Value) (string, error) {
	return t.encodeKey(t.KeyOf(Record{Values: row}))
}

// row turns named values into a row in field order, checking names and types. With full, key
// fields must be given (other missing fields are null); set tells which fields were given.
func (t *Table) row(vals map[string]journal.Value, full bool) ([]journal.Value, []bool, error) {
	row := make([]journal.Value, len(t.Fields))
	set := make([]bool, len(t.Fields))
	for name, v := range vals {
		i := t.FieldIndex(name)
		if i < 0 {
			return nil, nil, fmt.Errorf("table %s has no field %q", t.Name, name)
		}
		if v.Kind != journal.KindNull && v.Kind != t.Fields[i].Type {
			return nil, nil, fmt.Errorf("field %s is %s, not %s", name, t.Fields[i].Type, v.Kind)
		}
		if v.Kind == journal.KindBlob && len(v.B) > maxBlob {
			return nil, nil, fmt.Errorf("field %s: a blob of %d bytes is larger than %d MiB", name, len(v.B), maxBlob>>20)
		}
		row[i], set[i] = v, true
	}
	for _, i := range t.keyIdx {
		if (full || set[i]) && row[i].IsNull() {
			return nil, nil, fmt.Errorf("field %s is part of the primary key and needs a value", t.Fields[i].Name)
		}
	}
	return row, set, nil
}

// keyString renders an encoded key for messages.
func keyString(k string) string {
	vals, err := journal.DecodeKey([]byte(k))
	if err != nil {
		return fmt.Sprintf("%x", k)
	}
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = v.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
