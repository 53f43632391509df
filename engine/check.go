package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"runtime/debug"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// How much of the data file a check reads.
//
// At each open only what bbolt and the engine will use at once is read (checkOpen): both meta
// pages, the file's size against their high-water marks, the freelist, the root bucket, the
// meta bucket, and the path from each table's root to its last key: a few pages, whatever the
// size of the file (bench/results.md: an open of a 2 GiB data file takes 0.02 s). The pages a
// read reaches later are checked as it reads them (pages.go). A restore checks the whole tree
// (checkTree), and verify also decodes every record (checkRecords).
type checkLevel int

const (
	checkOpen    checkLevel = iota // meta pages, size, freelist, root and meta buckets, last keys
	checkTree                      // every page, each used once or free, record checksums, counts
	checkRecords                   // checkTree, and every record decoded and filed under its key
)

// fileView is one version of the data file: its pages, its root bucket and its freelist page
// (0 when unknown: the free pages are then not checked). badMeta, when set, is what is wrong
// with the other meta page.
type fileView struct {
	r        *pageReader
	root     uint64
	freelist uint64
	badMeta  error
}

// metaPages are the two meta pages of a data file, each with what is wrong with it (nil: it is
// sound and the file holds every page it counts).
type metaPages struct {
	m   [2]boltMeta
	err [2]error
}

// readMetas reads and checks both meta pages of a data file of size bytes; the error is a read
// that failed.
func readMetas(f io.ReaderAt, size int64) (metaPages, error) {
	var mp metaPages
	buf := make([]byte, 4096)
	if mp.err[0] = readMetaPage(f, buf, 0, 0, size); mp.err[0] == nil {
		mp.m[0], mp.err[0] = parseMeta(buf, 0)
	}
	// Page 1 is one page in: where a valid page 0 says, or else (as bbolt looks for it) at
	// the first page size where a valid meta page lies.
	sizes := []int{mp.m[0].pageSize}
	if !mp.m[0].valid {
		sizes = sizes[:0]
		for ps := 1024; ps <= 1<<24 && int64(ps) < size; ps <<= 1 {
			sizes = append(sizes, ps)
		}
	}
	mp.err[1] = damagedPage(1, "(a meta page) is missing")
	for _, ps := range sizes {
		clear(buf)
		if mp.err[1] = readMetaPage(f, buf, 1, int64(ps), size); mp.err[1] == nil {
			mp.m[1], mp.err[1] = parseMeta(buf, 1)
		}
		if mp.m[1].valid {
			break
		}
	}
	if mp.m[0].valid && mp.m[1].valid && mp.m[1].pageSize != mp.m[0].pageSize && mp.err[1] == nil {
		mp.err[1] = damagedPage(1, "gives a page size of %d, page 0 one of %d", mp.m[1].pageSize, mp.m[0].pageSize)
	}
	for i, m := range mp.m {
		if need := int64(m.hwm) * int64(m.pageSize); m.valid && mp.err[i] == nil && size < need {
			mp.err[i] = damagedPage(uint64(i), "counts %d pages (%d bytes) but the file ends at %d bytes: it was cut short", m.hwm, need, size)
		}
	}
	for _, err := range mp.err {
		var ioe *dataIOError
		if errors.As(err, &ioe) {
			return mp, err
		}
	}
	return mp, nil
}

// readMetaPage reads the start of meta page slot at off (its end may lie past a short file).
func readMetaPage(f io.ReaderAt, buf []byte, slot uint64, off, size int64) error {
	n, err := f.ReadAt(buf, off)
	switch {
	case n >= pageHeaderSize+64:
		return nil
	case err != nil && !errors.Is(err, io.EOF):
		return &dataIOError{fmt.Errorf("read meta page: %w", err)}
	}
	return damagedPage(slot, "(a meta page) is missing: the file has %d bytes", size)
}

// newestView is the version of the file that bbolt will use: the one of the valid meta page
// with the higher txid, which must be sound in every other way too. When the other meta page
// is not valid (a write torn by a crash leaves it so, and bbolt then goes by the version
// before it), the view says what is wrong with it in badMeta.
func newestView(f io.ReaderAt, size int64) (*fileView, error) {
	mp, err := readMetas(f, size)
	if err != nil {
		return nil, err
	}
	i := 0
	switch {
	case !mp.m[0].valid && !mp.m[1].valid:
		return nil, mp.err[0]
	case !mp.m[0].valid, mp.m[1].valid && mp.m[1].txid > mp.m[0].txid:
		i = 1
	}
	if mp.err[i] != nil {
		return nil, mp.err[i]
	}
	m := mp.m[i]
	return &fileView{r: &pageReader{f: f, pageSize: m.pageSize, hwm: m.hwm}, root: m.root, freelist: m.freelist, badMeta: mp.err[1-i]}, nil
}

// wholeFile prepares r to read every page of the file: mapped in memory where it can be (no
// copy of each page), else read in chunks of consecutive pages. The function it returns undoes
// it; no page read meanwhile may be used after it.
func (r *pageReader) wholeFile() func() {
	if f, ok := r.f.(*os.File); ok {
		// Only the pages below the high-water mark are read: bbolt grows its files 16 MiB
		// ahead.
		if info, err := f.Stat(); err == nil {
			if data, unmap := mapFile(f, min(info.Size(), int64(r.hwm)*int64(r.pageSize))); data != nil {
				r.mapped = data
				return func() { r.mapped = nil; unmap() }
			}
		}
	}
	r.ahead = &readAhead{}
	return func() { r.ahead = nil }
}

// checker walks a version of the data file.
type checker struct {
	v      *fileView
	cat    *Catalog
	level  checkLevel
	used   []bool                 // checkTree: pages already met (nil at checkOpen)
	meta   map[string][]byte      // the meta bucket
	tables map[string]*tableCheck // what was found of each table
}

// tableCheck is what a check found in a table's bucket.
type tableCheck struct {
	name   string
	t      *Table // its structure, nil when the catalog has none
	count  uint64 // records
	maxNum uint64 // highest record number
}

// check checks the version v of the data file at level; cat, when set, gives the tables'
// fields for checkRecords.
func (v *fileView) check(cat *Catalog, level checkLevel) (err error) {
	if level >= checkTree {
		defer v.r.wholeFile()()
		// The file is read in place: a fault (a file cut short meanwhile) is damage.
		defer func(fault bool) {
			debug.SetPanicOnFault(fault)
			if r := recover(); r != nil {
				if _, isFault := r.(interface{ Addr() uintptr }); !isFault {
					panic(r)
				}
				err = damagedPage(0, "(the file) could not be read: %v", r)
			}
		}(debug.SetPanicOnFault(true))
	}
	return v.walkAll(cat, level)
}

// walkAll is check.
func (v *fileView) walkAll(cat *Catalog, level checkLevel) error {
	c := &checker{v: v, cat: cat, level: level, meta: map[string][]byte{}, tables: map[string]*tableCheck{}}
	if level >= checkTree {
		c.used = make([]bool, v.r.hwm)
		c.used[0], c.used[1] = true, true
	}
	if v.freelist != 0 {
		if err := c.freePages(); err != nil {
			return err
		}
	}
	root := &tree{r: v.r, name: "(root)", root: v.root, kind: kindRoot}
	if err := c.walk(root); err != nil {
		return err
	}
	if err := c.counters(); err != nil {
		return err
	}
	if c.used != nil && v.freelist != 0 {
		for id, u := range c.used {
			if !u {
				return damagedPage(uint64(id), "is neither used nor free")
			}
		}
	}
	return nil
}

// freePages checks the freelist and, at checkTree, counts its pages and the free ones as met.
func (c *checker) freePages() error {
	ids, over, err := c.v.r.freelistIDs(c.v.freelist)
	if err != nil || c.used == nil {
		return err
	}
	for id := c.v.freelist; id <= c.v.freelist+over; id++ {
		if err := c.met(id); err != nil {
			return err
		}
	}
	for _, id := range ids {
		if err := c.met(id); err != nil {
			return err
		}
	}
	return nil
}

// met counts page id as met: a page used twice, or used and free, is damage.
func (c *checker) met(id uint64) error {
	if id >= uint64(len(c.used)) {
		return damagedPage(id, "lies outside the file")
	}
	if c.used[id] {
		return damagedPage(id, "is reached twice (or is both used and free)")
	}
	c.used[id] = true
	return nil
}

// walk checks a bucket: at checkOpen, the root and meta buckets whole and the path to each
// table's last key; at checkTree, every page.
func (c *checker) walk(t *tree) error {
	if c.level == checkOpen && t.kind == kindValues && t.name != string(bucketMeta) {
		_, err := t.last()
		return err
	}
	p, err := t.open(0, nil, nil, 0)
	if err != nil {
		return err
	}
	var tc *tableCheck
	if table, ok := strings.CutPrefix(t.name, "t:"); ok && t.kind == kindValues {
		tc = &tableCheck{name: table}
		if c.cat != nil {
			tc.t = c.cat.Table(table)
		}
		c.tables[table] = tc
	}
	return c.walkFrom(t, tc, frame{p: p}, 0)
}

// walkFrom checks the page of frame f and, below it, its children; tc is the table the bucket
// holds, if any.
func (c *checker) walkFrom(t *tree, tc *tableCheck, f frame, depth int) error {
	if c.used != nil && f.p.id != 0 {
		for i := 0; i < len(f.p.buf)/c.v.r.pageSize; i++ {
			if err := c.met(f.p.id + uint64(i)); err != nil {
				return err
			}
		}
	}
	if f.p.leaf {
		for i := 0; i < f.p.n; i++ {
			var err error
			if tc != nil {
				err = c.record(tc, f.p.key(i), f.p.value(i))
			} else {
				err = c.element(t, f.p, i)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	for i := 0; i < f.p.n; i++ {
		f.i = i
		child, err := t.childFrame(f, depth+1)
		if err != nil {
			return err
		}
		if err := c.walkFrom(t, tc, child, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// element checks leaf element i of bucket t (not a table's): a sub-bucket is walked, a value
// of the meta bucket kept.
func (c *checker) element(t *tree, p *page, i int) error {
	k, v := p.key(i), p.value(i)
	if p.isBucket(i) {
		kind := kindAny
		if name := string(k); name == string(bucketMeta) || strings.HasPrefix(name, "t:") {
			kind = kindValues
		}
		sub, err := c.v.r.subtree(v, string(k), kind)
		if err != nil {
			return err
		}
		return c.walk(sub)
	}
	if t.name == string(bucketMeta) {
		c.meta[string(k)] = v
	}
	return nil
}

// record checks a stored record: its checksum (checkTree) and, at checkRecords, its values and
// that they give the key it is filed under.
func (c *checker) record(tc *tableCheck, k, v []byte) error {
	tc.count++
	if len(v) < 6 || crc32.Checksum(v[4:], castagnoli) != binary.LittleEndian.Uint32(v) {
		return fmt.Errorf("table %s: key %s: %w", tc.name, keyString(string(k)), ErrChecksum)
	}
	tc.maxNum = max(tc.maxNum, recordNum(v))
	if c.level < checkRecords || tc.t == nil {
		return nil
	}
	rec, err := decodeRecord(v, len(tc.t.Fields))
	if err == nil && !tc.t.keyMatches(string(k), rec) {
		err = errWrongKey
	}
	if err != nil {
		return fmt.Errorf("table %s: key %s: %w", tc.name, keyString(string(k)), err)
	}
	return nil
}

// counters checks the meta bucket: its identity, each table's counters against their
// checksum and, when every record was read, the count against the records found.
func (c *checker) counters() error {
	if len(c.meta[string(keyID)]) != 16 {
		return damagedPage(0, "(the meta bucket) holds no data file identity")
	}
	for name := range c.meta {
		table, ok := strings.CutPrefix(name, "count:")
		if !ok {
			continue
		}
		seq, count := metaU64(c.meta, "seq:"+table), metaU64(c.meta, name)
		if sum, ok := c.meta["sum:"+table]; ok && !bytes.Equal(sum, counterSum(seq, count)) {
			return fmt.Errorf("table %s: its record count and number are damaged (checksum)", table)
		}
		found := c.tables[table]
		if found == nil {
			found = &tableCheck{}
		}
		if c.level >= checkTree && found.count != count {
			return fmt.Errorf("table %s: the data file counts %d records and holds %d", table, count, found.count)
		}
		if c.level >= checkTree && found.maxNum > seq {
			return fmt.Errorf("table %s: record number %d is above the last one given (%d)", table, found.maxNum, seq)
		}
	}
	return nil
}

func metaU64(m map[string][]byte, k string) uint64 {
	if v := m[k]; len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// counterSum is the checksum kept beside a table's counters ("sum:<table>"): a damaged count
// would otherwise be shown as right.
func counterSum(seq, count uint64) []byte {
	b := binary.BigEndian.AppendUint64(u64(seq), count)
	return binary.BigEndian.AppendUint32(nil, crc32.Checksum(b, castagnoli))
}

// Check reads the whole data file: every page (each used once or free, in order, inside the
// file), every record's checksum and values, and the counters. It is what "its checks pass"
// means in S3.5 in full; it reads the whole file, so it runs on demand (verify), not at each
// open. Damage it finds is remembered like damage found by a read (see Damaged).
func (db *DB) Check() (err error) {
	defer db.boltGuard("check data file", &err, debug.SetPanicOnFault(true))
	btx, err := db.bolt.Begin(false)
	if err != nil {
		return &Error{Code: CodeDataIO, Op: "check data file", Path: dataPath(db.dir, db.name), Err: err}
	}
	defer btx.Rollback()
	v := &fileView{r: db.reader(btx), root: uint64(btx.Cursor().Bucket().Root())}
	if info, serr := db.dataFile.Stat(); serr == nil {
		// The freelist of this version, from the meta page that still describes it (a writer
		// may have reused that meta page since: then the free pages are not checked).
		if mp, merr := readMetas(db.dataFile, info.Size()); merr == nil {
			for i, m := range mp.m {
				if mp.err[i] == nil && m.txid == uint64(btx.ID()) && m.root == v.root {
					v.freelist = m.freelist
				}
			}
		}
	}
	db.catMu.RLock()
	cat := db.cat
	db.catMu.RUnlock()
	if err := v.check(cat, checkRecords); err != nil {
		return db.readError("check data file", err)
	}
	return nil
}

// reader reads the version of the data file a bbolt read transaction sees.
func (db *DB) reader(btx *bolt.Tx) *pageReader {
	return &pageReader{f: db.dataFile, pageSize: db.pageSize, hwm: uint64(btx.Size()) / uint64(db.pageSize)}
}
