package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"sort"
	"sync"
)

// The data file's pages, read with plain reads and checked before anything in them is used.
//
// bbolt reads its file through a memory map and trusts what it finds: a damaged page makes it
// panic on an assertion, give a wrong answer (a record whose element is flagged as a
// sub-bucket reads as absent), or touch memory past the end of a file cut short (a SIGBUS,
// which kills the process). So Holdfast reads the tree of the data file itself for every
// lookup and scan, with ReadAt, inside a bbolt read transaction that keeps the pages it
// reaches from being reused; writes stay bbolt's. Each page is checked whole before it is
// used: its header names it and has a branch or leaf type, its elements and their keys and
// values lie inside it one after the other as bbolt writes them, its keys are in order and
// within the range its parent gives it, and its elements have the flags their bucket allows.
//
// The layout (bbolt v1.5 on a little-endian machine, as bbolt itself writes it):
//
//	page header   id u64 | flags u16 | count u16 | overflow u32                (16 bytes)
//	branch elem   pos u32 | ksize u32 | child page u64                        (16 bytes each)
//	leaf elem     flags u32 | pos u32 | ksize u32 | vsize u32                 (16 bytes each)
//	data          the key (and value) of each element, in element order, right after the
//	              element array; pos counts from the element's own first byte
//	meta          pages 0 and 1, after the header: magic u32 | version u32 | page size u32 |
//	              flags u32 | root page u64 | sequence u64 | freelist page u64 |
//	              high-water mark u64 | txid u64 | checksum u64 (FNV-1a 64 of the 56 bytes
//	              before it)
//	freelist      count u16 in the header (0xFFFF: the count is the first u64), then page ids
//	bucket value  root page u64 | sequence u64, then, when root is 0 (an inline bucket), a
//	              leaf page that ends with the value
const (
	pageHeaderSize = 16
	elementSize    = 16
	bucketHeader   = 16

	pageBranch   = 0x01
	pageLeaf     = 0x02
	pageMeta     = 0x04
	pageFreelist = 0x10
	elemBucket   = 0x01

	boltMagic   = 0xED0CDAED
	boltVersion = 2

	maxTreeDepth = 32 // far beyond any real tree; a loop of pages stops here
)

var le = binary.LittleEndian

// pageError is damage found in a page: the data file is damaged (1433).
type pageError struct {
	page uint64
	what string
}

func (e *pageError) Error() string { return fmt.Sprintf("page %d %s", e.page, e.what) }

func damagedPage(id uint64, format string, args ...any) error {
	return &pageError{page: id, what: fmt.Sprintf(format, args...)}
}

// dataIOError is a read of the data file that failed (2010), not damage in it.
type dataIOError struct{ err error }

func (e *dataIOError) Error() string { return e.err.Error() }
func (e *dataIOError) Unwrap() error { return e.err }

// pageReader reads the pages of one version of the tree: hwm is its high-water mark (pages
// 0 to hwm-1 belong to the file). branches, when set, keeps the branch pages it has read;
// ahead, when set, reads the file in chunks (a check of the whole file, in one goroutine).
type pageReader struct {
	f        io.ReaderAt
	pageSize int
	hwm      uint64
	branches *branchCache
	ahead    *readAhead
	mapped   []byte // the file mapped in memory (a check of the whole file), or nil
}

// mappedPage is raw for a mapped file: the page and its overflow pages, in place. The mapping
// covers the file as it was when mapped; a page beyond it is damage.
func (r *pageReader) mappedPage(id uint64) ([]byte, error) {
	ps := uint64(r.pageSize)
	if (id+1)*ps > uint64(len(r.mapped)) {
		return nil, damagedPage(id, "lies past the end of the file")
	}
	over := uint64(le.Uint32(r.mapped[id*ps+12:]))
	if over >= r.hwm-id || (id+over+1)*ps > uint64(len(r.mapped)) {
		return nil, damagedPage(id, "claims %d overflow pages, past the end of the file", over)
	}
	return r.mapped[id*ps : (id+over+1)*ps : (id+over+1)*ps], nil
}

// readAhead holds a chunk of consecutive pages: a tree written in key order lies mostly in
// consecutive pages, and one read of 64 of them costs about what one read of one does.
type readAhead struct {
	start uint64 // the chunk's first page
	buf   []byte
}

const aheadPages = 64

// page returns page id (its first page only) from the chunk, reading the chunk that starts at
// id when id is not in it.
func (a *readAhead) page(r *pageReader, id uint64) ([]byte, error) {
	ps := uint64(r.pageSize)
	if id < a.start || id >= a.start+uint64(len(a.buf))/ps {
		// A new chunk each time: the pages handed out of the last one may still be in use.
		buf := make([]byte, min(uint64(aheadPages), r.hwm-id)*ps)
		if err := r.readAt(buf, id); err != nil {
			return nil, err
		}
		a.buf, a.start = buf, id
	}
	off := (id - a.start) * ps
	return a.buf[off : off+ps : off+ps], nil
}

// branchCache keeps checked branch pages of one version of the tree: a version's pages do not
// change while a transaction reads it, and the few branch pages are on the way to every key.
type branchCache struct {
	mu    sync.Mutex
	pages map[uint64]*page
}

// maxCachedBranches bounds the cache (4 MiB of 4 KiB pages): the upper levels of any tree.
const maxCachedBranches = 1024

// page is a branch or leaf page whose elements were checked.
type page struct {
	id   uint64 // 0 for the inline page of a bucket
	leaf bool
	n    int
	buf  []byte
}

// raw reads page id with its overflow pages, checking only that they lie below the high-water
// mark and that the file holds them.
func (r *pageReader) raw(id uint64) ([]byte, error) {
	if id < 2 || id >= r.hwm {
		return nil, damagedPage(id, "is referred to but lies outside the file's %d pages", r.hwm)
	}
	var buf []byte
	if r.mapped != nil {
		return r.mappedPage(id)
	}
	if r.ahead != nil {
		var err error
		if buf, err = r.ahead.page(r, id); err != nil {
			return nil, err
		}
	} else {
		buf = newPageBuf(r.pageSize)
		if err := r.readAt(buf, id); err != nil {
			return nil, err
		}
	}
	if over := uint64(le.Uint32(buf[12:])); over > 0 {
		if over >= r.hwm-id {
			return nil, damagedPage(id, "claims %d overflow pages, past the end of the file", over)
		}
		big := make([]byte, int(over+1)*r.pageSize)
		copy(big, buf)
		if err := r.readAt(big[r.pageSize:], id+1); err != nil {
			return nil, err
		}
		buf = big
	}
	return buf, nil
}

// pageBufs holds page buffers for reuse: a lookup reads one leaf page per key and keeps only
// a copy of the value it finds.
var pageBufs sync.Pool

func newPageBuf(size int) []byte {
	if b, ok := pageBufs.Get().(*[]byte); ok && len(*b) == size {
		return *b
	}
	return make([]byte, size)
}

// release gives back the buffer of a leaf page that r read (one page, not a chunk or a
// mapping) and nothing refers to any more. Branch pages stay in the branch cache.
func (r *pageReader) release(p *page) {
	if p.leaf && p.id != 0 && r.mapped == nil && r.ahead == nil && len(p.buf) == r.pageSize {
		pageBufs.Put(&p.buf)
	}
}

func (r *pageReader) readAt(buf []byte, id uint64) error {
	n, err := r.f.ReadAt(buf, int64(id)*int64(r.pageSize))
	if n == len(buf) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return damagedPage(id, "lies past the end of the file")
	}
	return &dataIOError{fmt.Errorf("read page %d: %w", id, err)}
}

// read reads and checks a branch or leaf page.
func (r *pageReader) read(id uint64) (*page, error) {
	c := r.branches
	if c != nil {
		c.mu.Lock()
		p := c.pages[id]
		c.mu.Unlock()
		if p != nil {
			return p, nil
		}
	}
	buf, err := r.raw(id)
	if err != nil {
		return nil, err
	}
	p, err := parsePage(buf, id, false, r.pageSize)
	if err == nil && c != nil && !p.leaf {
		c.mu.Lock()
		if len(c.pages) < maxCachedBranches {
			c.pages[id] = p
		}
		c.mu.Unlock()
	}
	return p, err
}

// parsePage checks a branch or leaf page held in buf: a page of the file (id), or the inline
// page of a bucket (inline: buf is exactly that page).
func parsePage(buf []byte, id uint64, inline bool, pageSize int) (*page, error) {
	if len(buf) < pageHeaderSize {
		return nil, damagedPage(id, "is too short for a page header")
	}
	hid, flags, n, over := le.Uint64(buf), le.Uint16(buf[8:]), int(le.Uint16(buf[10:])), int(le.Uint32(buf[12:]))
	switch {
	case inline && (hid != 0 || over != 0 || flags != pageLeaf):
		return nil, damagedPage(id, "holds an inline bucket whose page header is wrong (id %d, type %#x, overflow %d)", hid, flags, over)
	case !inline && hid != id:
		return nil, damagedPage(id, "identifies itself as page %d", hid)
	case flags != pageBranch && flags != pageLeaf:
		return nil, damagedPage(id, "has type %#x where a branch or leaf page belongs", flags)
	case flags == pageBranch && n == 0:
		return nil, damagedPage(id, "is a branch page without entries")
	}
	p := &page{id: id, leaf: flags == pageLeaf, n: n, buf: buf}
	end, err := p.checkElements()
	if err != nil {
		return nil, err
	}
	if inline && end != len(buf) {
		return nil, damagedPage(id, "holds an inline bucket of %d bytes whose elements end at %d", len(buf), end)
	}
	if !inline && over > 0 && end <= over*pageSize {
		return nil, damagedPage(id, "claims %d overflow pages its elements do not use", over)
	}
	return p, nil
}

// checkElements checks that the elements lie inside the page, their data one after the other
// right after the element array as bbolt writes them, with keys in increasing order. It
// returns where the data ends.
func (p *page) checkElements() (int, error) {
	off := pageHeaderSize + p.n*elementSize
	if off > len(p.buf) {
		return 0, damagedPage(p.id, "claims %d elements, more than it can hold", p.n)
	}
	var prev []byte
	for i := 0; i < p.n; i++ {
		e := pageHeaderSize + i*elementSize
		var start, size, ksize int
		if p.leaf {
			if f := le.Uint32(p.buf[e:]); f&^elemBucket != 0 {
				return 0, damagedPage(p.id, "element %d has flags %#x", i, f)
			}
			start, ksize = e+int(le.Uint32(p.buf[e+4:])), int(le.Uint32(p.buf[e+8:]))
			size = ksize + int(le.Uint32(p.buf[e+12:]))
		} else {
			start, ksize = e+int(le.Uint32(p.buf[e:])), int(le.Uint32(p.buf[e+4:]))
			size = ksize
		}
		if start != off || ksize == 0 || size < ksize || size > len(p.buf)-off {
			return 0, damagedPage(p.id, "element %d does not lie where its data belongs", i)
		}
		k := p.buf[start : start+ksize]
		if prev != nil && bytes.Compare(prev, k) >= 0 {
			return 0, damagedPage(p.id, "has its keys out of order at element %d", i)
		}
		prev, off = k, off+size
	}
	return off, nil
}

// key is the key of element i.
func (p *page) key(i int) []byte {
	e := pageHeaderSize + i*elementSize
	if p.leaf {
		s := e + int(le.Uint32(p.buf[e+4:]))
		return p.buf[s : s+int(le.Uint32(p.buf[e+8:]))]
	}
	s := e + int(le.Uint32(p.buf[e:]))
	return p.buf[s : s+int(le.Uint32(p.buf[e+4:]))]
}

// value is the value of leaf element i.
func (p *page) value(i int) []byte {
	e := pageHeaderSize + i*elementSize
	s := e + int(le.Uint32(p.buf[e+4:])) + int(le.Uint32(p.buf[e+8:]))
	return p.buf[s : s+int(le.Uint32(p.buf[e+12:]))]
}

// isBucket reports whether leaf element i is a bucket.
func (p *page) isBucket(i int) bool {
	return le.Uint32(p.buf[pageHeaderSize+i*elementSize:])&elemBucket != 0
}

// child is the page branch element i points to.
func (p *page) child(i int) uint64 { return le.Uint64(p.buf[pageHeaderSize+i*elementSize+8:]) }

// boltMeta is one of the two meta pages. valid says whether bbolt takes it as one (its mark,
// version and checksum): bbolt goes by the valid meta page with the higher txid, whatever
// else is wrong with it.
type boltMeta struct {
	valid    bool
	pageSize int
	root     uint64
	freelist uint64
	hwm      uint64
	txid     uint64
}

// parseMeta checks the meta page in slot (0 or 1) held at the start of buf.
func parseMeta(buf []byte, slot uint64) (boltMeta, error) {
	if len(buf) < pageHeaderSize+64 {
		return boltMeta{}, damagedPage(slot, "(a meta page) is cut short")
	}
	m := buf[pageHeaderSize:]
	h := fnv.New64a()
	h.Write(m[:56])
	switch {
	case le.Uint32(m) != boltMagic || le.Uint32(m[4:]) != boltVersion:
		return boltMeta{}, damagedPage(slot, "(a meta page) has no bbolt mark of version 2")
	case le.Uint64(m[56:]) != h.Sum64():
		return boltMeta{}, damagedPage(slot, "(a meta page) fails its checksum")
	}
	bm := boltMeta{valid: true, pageSize: int(le.Uint32(m[8:])), root: le.Uint64(m[16:]), freelist: le.Uint64(m[32:]), hwm: le.Uint64(m[40:]), txid: le.Uint64(m[48:])}
	ps := bm.pageSize
	switch {
	case le.Uint16(buf[8:]) != pageMeta || le.Uint64(buf) != slot:
		return bm, damagedPage(slot, "is not a meta page")
	case ps < 1024 || ps > 1<<24 || ps&(ps-1) != 0:
		return bm, damagedPage(slot, "(a meta page) gives a page size of %d", ps)
	case bm.hwm < 4 || bm.hwm > 1<<40:
		return bm, damagedPage(slot, "(a meta page) gives %d pages", bm.hwm)
	case bm.root < 2 || bm.root >= bm.hwm || bm.freelist < 2 || bm.freelist >= bm.hwm:
		return bm, damagedPage(slot, "(a meta page) points outside the file (root %d, freelist %d, %d pages)", bm.root, bm.freelist, bm.hwm)
	}
	return bm, nil
}

// freelistIDs reads and checks the freelist page: increasing ids of pages inside the file. It
// also returns the freelist's own overflow pages.
func (r *pageReader) freelistIDs(id uint64) ([]uint64, uint64, error) {
	buf, err := r.raw(id)
	if err != nil {
		return nil, 0, err
	}
	if le.Uint64(buf) != id || le.Uint16(buf[8:]) != pageFreelist {
		return nil, 0, damagedPage(id, "is not the freelist page the meta page names")
	}
	start, count := pageHeaderSize, uint64(le.Uint16(buf[10:]))
	if count == 0xFFFF {
		start, count = pageHeaderSize+8, le.Uint64(buf[pageHeaderSize:])
	}
	if count > uint64(len(buf)-start)/8 {
		return nil, 0, damagedPage(id, "lists %d free pages, more than it can hold", count)
	}
	ids := make([]uint64, count)
	for i := range ids {
		ids[i] = le.Uint64(buf[start+8*i:])
		if ids[i] < 2 || ids[i] >= r.hwm || (i > 0 && ids[i] <= ids[i-1]) {
			return nil, 0, damagedPage(id, "lists free page %d out of order or outside the file", ids[i])
		}
	}
	return ids, uint64(le.Uint32(buf[12:])), nil
}

// bucketKind says what a bucket's leaf elements may be.
type bucketKind int

const (
	kindAny    bucketKind = iota // values and buckets
	kindRoot                     // buckets only: meta and the tables
	kindValues                   // values only: the meta bucket, a table
)

// tree is one bucket of a version of the data file.
type tree struct {
	r      *pageReader
	name   string
	root   uint64 // 0: inline
	inline []byte // the inline page when root is 0
	kind   bucketKind
}

// subtree reads the bucket whose value (header and inline page) is v.
func (r *pageReader) subtree(v []byte, name string, kind bucketKind) (*tree, error) {
	if len(v) < bucketHeader {
		return nil, damagedPage(0, "holds bucket %q with a value of %d bytes", name, len(v))
	}
	t := &tree{r: r, name: name, root: le.Uint64(v), kind: kind}
	if t.root == 0 {
		t.inline = v[bucketHeader:]
	} else if t.root < 2 || t.root >= r.hwm {
		return nil, damagedPage(t.root, "is the root of bucket %q but lies outside the file", name)
	}
	return t, nil
}

// frame is a page on the path of a cursor: its keys lie in [lo, hi) (nil: no bound), i is
// the element the cursor is at.
type frame struct {
	p      *page
	i      int
	lo, hi []byte
}

// open reads a page of the tree (0: the root) and checks it against its place: keys within
// [lo, hi), elements of the kind the bucket allows, no empty page below the root.
func (t *tree) open(id uint64, lo, hi []byte, depth int) (*page, error) {
	if depth >= maxTreeDepth {
		return nil, damagedPage(id, "is deeper than any tree of bucket %q can be", t.name)
	}
	var p *page
	var err error
	if depth == 0 && t.root == 0 {
		p, err = parsePage(t.inline, 0, true, t.r.pageSize)
	} else {
		if depth == 0 {
			id = t.root
		}
		p, err = t.r.read(id)
	}
	if err != nil {
		return nil, err
	}
	switch {
	case p.n == 0 && depth > 0:
		return nil, damagedPage(id, "is an empty page inside bucket %q", t.name)
	case p.n > 0 && lo != nil && bytes.Compare(p.key(0), lo) < 0,
		p.n > 0 && hi != nil && bytes.Compare(p.key(p.n-1), hi) >= 0:
		return nil, damagedPage(id, "holds keys outside the range its parent gives it in bucket %q", t.name)
	}
	if p.leaf && t.kind != kindAny {
		for i := 0; i < p.n; i++ {
			if p.isBucket(i) != (t.kind == kindRoot) {
				return nil, damagedPage(id, "element %d of bucket %q has the wrong bucket flag", i, t.name)
			}
		}
	}
	return p, nil
}

// childFrame opens child i of the branch frame f.
func (t *tree) childFrame(f frame, depth int) (frame, error) {
	lo, hi := f.p.key(f.i), f.hi
	if f.i+1 < f.p.n {
		hi = f.p.key(f.i + 1)
	}
	p, err := t.open(f.p.child(f.i), lo, hi, depth)
	return frame{p: p, lo: lo, hi: hi}, err
}

// cursor walks the leaf elements of a tree in key order.
type cursor struct {
	t     *tree
	stack []frame
}

// seek places a cursor at the first key at or after key (nil: the first key).
func (t *tree) seek(key []byte) (*cursor, error) {
	p, err := t.open(0, nil, nil, 0)
	if err != nil {
		return nil, err
	}
	c := &cursor{t: t, stack: []frame{{p: p}}}
	for {
		f := &c.stack[len(c.stack)-1]
		if f.p.leaf {
			f.i = sort.Search(f.p.n, func(i int) bool { return bytes.Compare(f.p.key(i), key) >= 0 })
			return c, nil
		}
		// The last child whose first key is at or before key (or the first child).
		f.i = max(0, sort.Search(f.p.n, func(i int) bool { return bytes.Compare(f.p.key(i), key) > 0 })-1)
		next, err := t.childFrame(*f, len(c.stack))
		if err != nil {
			return nil, err
		}
		c.stack = append(c.stack, next)
	}
}

// next returns the element the cursor is at and moves past it; k is nil at the end.
func (c *cursor) next() (k, v []byte, bucket bool, err error) {
	for len(c.stack) > 0 {
		f := &c.stack[len(c.stack)-1]
		if f.p.leaf {
			if f.i < f.p.n {
				i := f.i
				f.i++
				return f.p.key(i), f.p.value(i), f.p.isBucket(i), nil
			}
			c.stack = c.stack[:len(c.stack)-1]
			continue
		}
		if f.i+1 >= f.p.n {
			c.stack = c.stack[:len(c.stack)-1]
			continue
		}
		f.i++
		// Down to the first leaf of the next child.
		for top := c.stack[len(c.stack)-1]; !top.p.leaf; top = c.stack[len(c.stack)-1] {
			child, err := c.t.childFrame(top, len(c.stack))
			if err != nil {
				return nil, nil, false, err
			}
			c.stack = append(c.stack, child)
		}
	}
	return nil, nil, false, nil
}

// get returns a copy of the value of key and whether it is there; a key held as a sub-bucket
// in a bucket of values is damage (open refuses the page).
func (t *tree) get(key []byte) ([]byte, bool, error) {
	c, err := t.seek(key)
	if err != nil {
		return nil, false, err
	}
	f := c.stack[len(c.stack)-1]
	defer t.r.release(f.p)
	if f.i < f.p.n && bytes.Equal(f.p.key(f.i), key) {
		return bytes.Clone(f.p.value(f.i)), true, nil
	}
	return nil, false, nil
}

// last returns the last key of the tree (nil when it is empty).
func (t *tree) last() ([]byte, error) {
	p, err := t.open(0, nil, nil, 0)
	if err != nil {
		return nil, err
	}
	f := frame{p: p}
	for depth := 1; !f.p.leaf; depth++ {
		f.i = f.p.n - 1
		if f, err = t.childFrame(f, depth); err != nil {
			return nil, err
		}
	}
	if f.p.n == 0 {
		return nil, nil
	}
	return f.p.key(f.p.n - 1), nil
}
