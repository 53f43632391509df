package backup

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"

	"holdfast/journal"
)

// SegmentName is the file name of segment s of backup n (S6.4).
func SegmentName(name string, n uint32, s int) string {
	return fmt.Sprintf("%s[%04d-%04d].4BK", name, n, s)
}

// output writes an archive to one file, or cut into segments of segSize bytes, under temporary
// names (".<final>.tmp") until commit renames them all.
type output struct {
	fsys    journal.FS
	dir     string
	name    string
	number  uint32
	segSize int64 // 0: one file
	cur     journal.File
	curN    int64
	curHash hash.Hash
	aside   *hashAside // hashes large writes while they are written
	kicked  int64      // bytes of the current file whose writeback was started
	tmps    []string
	finals  []string
	sums    []FileInfo // per file: size and SHA-256, computed as written
	size    int64
}

func (o *output) open() error {
	final := ArchiveName(o.name, o.number)
	if o.segSize > 0 {
		final = SegmentName(o.name, o.number, len(o.finals)+1)
	}
	tmp := filepath.Join(o.dir, "."+final+".tmp")
	f, err := o.fsys.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	o.cur, o.curN, o.curHash, o.kicked = f, 0, sha256.New(), 0
	o.tmps = append(o.tmps, tmp)
	o.finals = append(o.finals, filepath.Join(o.dir, final))
	return nil
}

// roll syncs and closes the current file.
func (o *output) roll() error {
	if o.cur == nil {
		return nil
	}
	o.sums = append(o.sums, FileInfo{Size: o.curN, SHA256: hex.EncodeToString(o.curHash.Sum(nil))})
	err := o.cur.Sync()
	if cerr := o.cur.Close(); err == nil {
		err = cerr
	}
	o.cur = nil
	return err
}

func (o *output) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		if o.cur == nil || (o.segSize > 0 && o.curN == o.segSize) {
			if err := o.roll(); err != nil {
				return written, err
			}
			if err := o.open(); err != nil {
				return written, err
			}
		}
		k := len(p)
		if o.segSize > 0 {
			k = int(min(int64(k), o.segSize-o.curN))
		}
		var n int
		var err error
		if k >= asideMin {
			if o.aside == nil {
				o.aside = newHashAside(1)
			}
			o.aside.give(o.curHash, p[:k])
			n, err = o.cur.Write(p[:k])
			o.aside.take() // on a short write the archive is abandoned: its hash does not matter
		} else {
			n, err = o.cur.Write(p[:k])
			o.curHash.Write(p[:n])
		}
		written += n
		o.curN += int64(n)
		o.size += int64(n)
		if err != nil {
			return written, err
		}
		o.writeback()
		p = p[k:]
	}
	return written, nil
}

// writeback starts writing each writebackStep bytes to disk as soon as they are written, and
// waits for the step before the last one: the disk works while the archive is being made, the
// final sync has little left, and no more than a few steps of dirty pages pile up to delay
// the database's own syncs.
func (o *output) writeback() {
	wb, ok := o.cur.(journal.Writeback)
	if !ok || o.curN-o.kicked < writebackStep {
		return
	}
	wb.StartWriteback(o.kicked, o.curN-o.kicked) // advice: errors surface at Sync
	if o.kicked >= 2*writebackStep {
		wb.WaitWriteback(o.kicked-2*writebackStep, writebackStep)
	}
	o.kicked = o.curN
}

const writebackStep = 8 << 20

// asideMin is the smallest write whose hashing is worth a hand-over to another goroutine.
const asideMin = 16 << 10

// stop ends the hashing goroutine.
func (o *output) stop() {
	if o.aside != nil {
		o.aside.close()
		o.aside = nil
	}
}

// finish syncs and closes every file, still under its temporary name; the sums are then known.
func (o *output) finish() error {
	if o.cur == nil && len(o.finals) == 0 {
		if err := o.open(); err != nil { // an empty archive is still a file
			return err
		}
	}
	o.stop()
	return o.roll()
}

// publish renames the finished files to their final names, in order, then syncs the folder. On
// failure the files renamed are removed again.
func (o *output) publish() error {
	for i, tmp := range o.tmps {
		if err := o.fsys.Rename(tmp, o.finals[i]); err != nil {
			for _, done := range o.finals[:i] {
				o.fsys.Remove(done)
			}
			o.abort()
			return err
		}
	}
	o.tmps = nil
	for i := range o.sums {
		o.sums[i].Path = o.finals[i]
	}
	return o.fsys.SyncDir(o.dir)
}

// abort removes every file written.
func (o *output) abort() {
	o.stop()
	if o.cur != nil {
		o.cur.Close()
		o.cur = nil
	}
	for _, t := range o.tmps {
		o.fsys.Remove(t)
	}
}

var segmentPattern = regexp.MustCompile(`^(.*)\[(\d{4,})-(\d{4,})\]\.4BK$`)

// archiveFiles returns the files an archive is made of: the file itself, or all the segments of
// its backup, in order. A gap in the segments is reported (1410 for the caller).
func archiveFiles(path string) ([]string, error) {
	base := filepath.Base(path)
	m := segmentPattern.FindStringSubmatch(base)
	if m == nil {
		return []string{path}, nil
	}
	dir := filepath.Dir(path)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	byNum := map[int]string{}
	for _, e := range ents {
		if sm := segmentPattern.FindStringSubmatch(e.Name()); sm != nil && sm[1] == m[1] && sm[2] == m[2] {
			n, _ := strconv.Atoi(sm[3])
			byNum[n] = filepath.Join(dir, e.Name())
		}
	}
	nums := make([]int, 0, len(byNum))
	for n := range byNum {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	var out []string
	for i, n := range nums {
		if n != i+1 {
			return nil, fmt.Errorf("%w: segment %04d of %s[%s] is missing", ErrSegmentMissing, i+1, m[1], m[2])
		}
		out = append(out, byNum[n])
	}
	return out, nil
}

// ErrSegmentMissing: a segmented archive lacks one of its segments.
var ErrSegmentMissing = errors.New("backup: archive segment missing")

// multiFile reads several files as one (segments joined).
type multiFile struct {
	files []*os.File
	ends  []int64 // cumulative end offset of each file
}

func openMulti(paths []string) (*multiFile, error) {
	m := &multiFile{}
	var end int64
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			m.Close()
			return nil, err
		}
		info, err := f.Stat()
		if err != nil {
			f.Close()
			m.Close()
			return nil, err
		}
		end += info.Size()
		m.files = append(m.files, f)
		m.ends = append(m.ends, end)
	}
	return m, nil
}

func (m *multiFile) Size() int64 {
	if len(m.ends) == 0 {
		return 0
	}
	return m.ends[len(m.ends)-1]
}

func (m *multiFile) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for len(p) > 0 {
		i := sort.Search(len(m.ends), func(i int) bool { return m.ends[i] > off })
		if i == len(m.ends) {
			return n, io.EOF
		}
		start := int64(0)
		if i > 0 {
			start = m.ends[i-1]
		}
		k := int(min(int64(len(p)), m.ends[i]-off))
		got, err := m.files[i].ReadAt(p[:k], off-start)
		n += got
		off += int64(got)
		p = p[got:]
		if err != nil && err != io.EOF {
			return n, err
		}
		if got < k {
			return n, io.ErrUnexpectedEOF
		}
	}
	return n, nil
}

func (m *multiFile) Close() error {
	for _, f := range m.files {
		f.Close()
	}
	return nil
}
