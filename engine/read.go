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
// (through btx, a read transaction) for a key that can be in it, through checked pages, and
// the record found is checked before it is returned.
func (db *DB) visible(btx func() (*bolt.Tx, error), t *Table, key string) ([]byte, error) {
	if e, ok := db.cached(t, key); ok {
		return e.val, nil
	}
	if key > db.diskMax[t.Name] {
		return nil, nil
	}
	tx, err := btx()
	if err != nil {
		return nil, &Error{Code: CodeDataIO, Op: "read " + t.Name, Path: dataPath(db.dir, db.name), Err: err}
	}
	v, _, err := db.stored(tx, t, key)
	return v, err
}

// cached returns the cache's entry of a key, if it has one; vmu is held (read).
func (db *DB) cached(t *Table, key string) (entry, bool) {
	if e, ok := db.overlay[t.Name][key]; ok {
		return e, true
	}
	e, ok := db.frozen[t.Name][key]
	return e, ok
}

// stored reads a record from the data file as btx sees it: found through checked pages, its
// checksum right and its key fields giving its key (1433 otherwise). v is nil when there is
// none.
func (db *DB) stored(btx *bolt.Tx, t *Table, key string) (v []byte, rec Record, err error) {
	tr, err := db.tableTree(btx, t.Name)
	if err != nil || tr == nil {
		return nil, Record{}, err
	}
	v, found, err := tr.get([]byte(key))
	if err != nil {
		return nil, Record{}, db.readError("read "+t.Name, err)
	}
	if !found {
		return nil, Record{}, nil
	}
	if rec, err = db.decodeStored(t, key, v); err != nil {
		return nil, Record{}, err
	}
	return v, rec, nil
}

// decodeStored decodes a record of the data file and checks that it holds its key.
func (db *DB) decodeStored(t *Table, key string, v []byte) (Record, error) {
	rec, err := decodeRecord(v, len(t.Fields))
	if err == nil && !t.keyMatches(key, rec) {
		err = errWrongKey
	}
	if err != nil {
		return Record{}, db.damaged("read "+t.Name, fmt.Errorf("key %s: %w", keyString(key), err))
	}
	return rec, nil
}

// keyMatches reports whether the key fields of rec give the encoded key: a record filed under
// a damaged key is not shown as right.
func (t *Table) keyMatches(key string, rec Record) bool {
	var buf [64]byte
	b := buf[:0]
	for _, fi := range t.keyIdx {
		if fi >= len(rec.Values) {
			return false
		}
		var err error
		if b, err = journal.AppendKey(b, rec.Values[fi:fi+1]); err != nil {
			return false
		}
	}
	if string(b) == key {
		return true
	}
	// Equal values may still encode apart (NaNs of other bits): compare the values.
	vals, err := journal.DecodeKey([]byte(key))
	if err != nil || len(vals) != len(t.keyIdx) {
		return false
	}
	for i, fi := range t.keyIdx {
		if !vals[i].Equal(rec.Values[fi]) {
			return false
		}
	}
	return true
}

// rootCache is the root bucket of one version of the data file (a bbolt transaction id): its
// meta bucket and the bucket of each table. A version's pages never change while a transaction
// reads it, so the cache serves every read of that version.
type rootCache struct {
	txid   int
	meta   *tree
	tables map[string]*tree
}

// roots returns the root bucket of the version btx (a read transaction) sees.
func (db *DB) roots(btx *bolt.Tx) (*rootCache, error) {
	if rc := db.rootsOf.Load(); rc != nil && rc.txid == btx.ID() {
		return rc, nil
	}
	r := db.reader(btx)
	r.branches = &branchCache{pages: map[uint64]*page{}}
	root := &tree{r: r, name: "(root)", root: uint64(btx.Cursor().Bucket().Root()), kind: kindRoot}
	c, err := root.seek(nil)
	if err != nil {
		return nil, err
	}
	rc := &rootCache{txid: btx.ID(), tables: map[string]*tree{}}
	for {
		k, v, _, err := c.next()
		if err != nil {
			return nil, err
		}
		if k == nil {
			break
		}
		name := string(k)
		table, isTable := strings.CutPrefix(name, "t:")
		if !isTable && name != string(bucketMeta) {
			continue
		}
		sub, err := r.subtree(v, name, kindValues)
		if err != nil {
			return nil, err
		}
		if isTable {
			rc.tables[table] = sub
		} else {
			rc.meta = sub
		}
	}
	db.rootsOf.Store(rc)
	return rc, nil
}

// tableTree returns the bucket of a table in the version btx sees (nil: none yet).
func (db *DB) tableTree(btx *bolt.Tx, table string) (*tree, error) {
	rc, err := db.roots(btx)
	if err != nil {
		return nil, db.readError("read "+table, err)
	}
	return rc.tables[table], nil
}

// values reads a whole bucket of values (the meta bucket).
func (t *tree) values() (map[string][]byte, error) {
	c, err := t.seek(nil)
	if err != nil {
		return nil, err
	}
	m := map[string][]byte{}
	for {
		k, v, _, err := c.next()
		if err != nil || k == nil {
			return m, err
		}
		m[string(k)] = v
	}
}

// get reads a record as readers see it.
func (db *DB) get(t *Table, key string) (rec Record, found bool, err error) {
	defer db.damagedOnPanic(&err)
	db.vmu.RLock()
	defer db.vmu.RUnlock()
	if e, ok := db.cached(t, key); ok {
		if e.val == nil {
			return Record{}, false, nil
		}
		rec, err = decodeRecord(e.val, len(t.Fields))
		if err != nil {
			return Record{}, false, db.damaged("read "+t.Name, fmt.Errorf("key %s: %w", keyString(key), err))
		}
		return rec, true, nil
	}
	if key > db.diskMax[t.Name] {
		return Record{}, false, nil
	}
	btx, err := db.bolt.Begin(false)
	if err != nil {
		return Record{}, false, &Error{Code: CodeDataIO, Op: "read", Err: err}
	}
	defer btx.Rollback()
	v, rec, err := db.stored(btx, t, key)
	return rec, v != nil, err
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
	var from []byte
	if after != nil {
		k, err := t.encodeKey(after)
		if err != nil {
			return nil, err
		}
		from = []byte(k)
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
	ckeys, cached := db.cachedAfter(t, from)
	disk, err := db.scanData(btx, t, from)
	if err != nil {
		return nil, err
	}
	bk, bv, err := disk.next()
	for ci := 0; err == nil && len(out) < limit && (bk != nil || ci < len(ckeys)); {
		var rec Record
		have := true
		switch {
		case bk == nil || (ci < len(ckeys) && ckeys[ci] <= string(bk)):
			// The cache wins over the data file.
			k := ckeys[ci]
			ci++
			if bk != nil && k == string(bk) {
				bk, bv, err = disk.next()
			}
			if have = cached[k] != nil; have && err == nil {
				if rec, err = decodeRecord(cached[k], len(t.Fields)); err != nil {
					err = db.damaged("read "+t.Name, fmt.Errorf("key %s: %w", keyString(k), err))
				}
			}
		default:
			if rec, err = db.decodeStored(t, string(bk), bytes.Clone(bv)); err == nil {
				bk, bv, err = disk.next()
			}
		}
		if err == nil && have {
			out = append(out, rec)
		}
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// cachedAfter returns the cache's keys of a table after from (nil: all), in order, and their
// stored records (nil: deleted); vmu is held (read).
func (db *DB) cachedAfter(t *Table, from []byte) ([]string, map[string][]byte) {
	cached := map[string][]byte{}
	for _, layer := range []map[string]entry{db.frozen[t.Name], db.overlay[t.Name]} {
		for k, e := range layer {
			if from == nil || k > string(from) {
				cached[k] = e.val
			}
		}
	}
	ckeys := make([]string, 0, len(cached))
	for k := range cached {
		ckeys = append(ckeys, k)
	}
	slices.Sort(ckeys)
	return ckeys, cached
}

// dataScan walks a table's records in the data file, in key order, through checked pages.
type dataScan struct {
	db    *DB
	table string
	c     *cursor // nil: the table has no bucket yet
	prev  []byte
}

// scanData starts a dataScan after the key from (nil: at the first key).
func (db *DB) scanData(btx *bolt.Tx, t *Table, from []byte) (*dataScan, error) {
	s := &dataScan{db: db, table: t.Name, prev: from}
	tr, err := db.tableTree(btx, t.Name)
	if err != nil || tr == nil {
		return s, err
	}
	if s.c, err = tr.seek(from); err != nil {
		return nil, db.readError("read "+t.Name, err)
	}
	return s, nil
}

// next returns the next record after the last one (k nil at the end); keys must grow.
func (s *dataScan) next() (k, v []byte, err error) {
	if s.c == nil {
		return nil, nil, nil
	}
	for {
		k, v, _, err = s.c.next()
		if err != nil {
			return nil, nil, s.db.readError("read "+s.table, err)
		}
		if k == nil || s.prev == nil || bytes.Compare(k, s.prev) > 0 {
			break
		}
		if !bytes.Equal(k, s.prev) {
			return nil, nil, s.db.damaged("read "+s.table, fmt.Errorf("key %s comes after %s", keyString(string(k)), keyString(string(s.prev))))
		}
	}
	s.prev = k
	return k, v, nil
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
