package backup

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"sync"
	"time"
)

// Progress is what a running backup reports, about ten times a second at most. A backup goes
// through steps (writing the archive, checking it, archiving the log): Done and Total count
// the bytes of them all, so that the bar and the time left count every step; StepDone and
// StepTotal count the step under way.
type Progress struct {
	Done, Total int64         // bytes handled so far, and in all, over every step
	Item        string        // the entry being written or read
	Speed       float64       // bytes per second since the start (of the step, for a backup)
	Left        time.Duration // estimated time left, every step counted (0 when unknown)

	Step                string // the step under way ("" for work of one step: a restore)
	StepNum, Steps      int    // its number from 1, and how many there are
	StepDone, StepTotal int64  // its bytes done and in all
}

// The steps of a backup, as Progress.Step names them.
const (
	StepWrite = "Writing the archive"
	StepCheck = "Checking the archive"
	StepLog   = "Archiving the log"
)

// meter counts bytes as they are read into the archive, stops them when the context is
// cancelled, and reports progress.
type meter struct {
	ctx      context.Context
	report   func(Progress)
	start    time.Time
	last     time.Time
	mu       sync.Mutex
	progress Progress
	// steps are the steps planned and the bytes of each (stepBytes), for a meter of a backup.
	steps       []string
	stepBytes   []int64
	stepStart   int64     // Done when the step under way began
	stepStarted time.Time // and when
}

// newStepMeter is the meter of work made of steps, each with its bytes.
func newStepMeter(ctx context.Context, report func(Progress), steps []string, bytes []int64) *meter {
	m := &meter{ctx: ctx, report: report, start: time.Now(), steps: steps, stepBytes: bytes}
	for _, b := range bytes {
		m.progress.Total += b
	}
	m.progress.Steps = len(steps)
	return m
}

// step begins the named step: what the steps before it left undone (an estimate larger than
// what came) counts as done, so that the bar never goes back. A step not planned is ignored.
func (m *meter) step(name string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	var before int64
	found := false
	for i, s := range m.steps {
		if s == name {
			m.progress.Step, m.progress.StepNum, m.progress.StepTotal = s, i+1, m.stepBytes[i]
			found = true
			break
		}
		before += m.stepBytes[i]
	}
	if found {
		if m.progress.Done < before {
			m.progress.Done = before
		}
		m.stepStart, m.stepStarted = m.progress.Done, time.Now()
		m.progress.StepDone = 0
		m.progress.Item = ""
	}
	m.mu.Unlock()
	if found {
		m.tick(true)
	}
}

func (m *meter) item(name string) {
	m.mu.Lock()
	m.progress.Item = name
	m.mu.Unlock()
	m.tick(true)
}

// add counts n bytes, or says the work was stopped.
func (m *meter) add(n int) error {
	if err := m.ctx.Err(); err != nil {
		return ErrStopped
	}
	m.count(int64(n))
	return nil
}

// count counts n bytes of work that cannot be stopped (the log archived after the switch).
func (m *meter) count(n int64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.progress.Done += n
	if m.progress.Steps > 0 {
		m.progress.StepDone = m.progress.Done - m.stepStart
		if m.progress.StepDone > m.progress.StepTotal {
			m.progress.StepTotal = m.progress.StepDone // more than estimated (the log grew)
		}
		if m.progress.Done > m.progress.Total {
			m.progress.Total = m.progress.Done
		}
	}
	m.mu.Unlock()
	m.tick(false)
}

func (m *meter) tick(force bool) {
	if m.report == nil {
		return
	}
	now := time.Now()
	m.mu.Lock()
	if !force && now.Sub(m.last) < 100*time.Millisecond {
		m.mu.Unlock()
		return
	}
	m.last = now
	p := m.progress
	stepStarted := m.stepStarted
	m.mu.Unlock()
	p.estimate(now.Sub(m.start))
	if p.Steps > 0 {
		p.Speed = 0
		if el := now.Sub(stepStarted).Seconds(); el > 0 {
			p.Speed = float64(p.StepDone) / el
		}
	}
	m.report(p)
}

// estimate sets the speed and the time left from the time taken so far.
func (p *Progress) estimate(elapsed time.Duration) {
	if el := elapsed.Seconds(); el > 0 {
		p.Speed = float64(p.Done) / el
		if p.Speed > 0 && p.Total > p.Done {
			p.Left = time.Duration(float64(p.Total-p.Done) / p.Speed * float64(time.Second))
		}
	}
}

// meteredWriter feeds what passes through it to a hash and the meter.
type meteredWriter struct {
	w io.Writer
	h hash.Hash
	n int64
	m *meter
}

// ReadFrom copies r into the entry in pieces of copyPiece bytes; the entry's SHA-256 of one
// piece runs on another goroutine while the next one is read and written (a content that fits
// in one piece is hashed here). io.Copy and bbolt's Tx.WriteTo come through here.
func (w *meteredWriter) ReadFrom(r io.Reader) (int64, error) {
	var aside *hashAside
	defer func() {
		if aside != nil {
			aside.close()
		}
	}()
	var total int64
	for i := 0; ; i++ {
		var buf []byte
		if i < copyPieces {
			buf = make([]byte, copyPiece)
		} else {
			buf = aside.take()[:copyPiece]
		}
		n, rerr := io.ReadFull(r, buf)
		last := rerr == io.EOF || rerr == io.ErrUnexpectedEOF
		if n > 0 {
			if err := w.m.add(n); err != nil {
				return total, err
			}
			if aside == nil && !last {
				aside = newHashAside(copyPieces)
			}
			if aside != nil {
				aside.give(w.h, buf[:n])
			} else {
				w.h.Write(buf[:n])
			}
			k, werr := w.w.Write(buf[:n])
			w.n += int64(k)
			total += int64(k)
			if werr != nil {
				return total, werr
			}
		}
		switch {
		case last:
			return total, nil
		case rerr != nil:
			return total, rerr
		}
	}
}

// copyPiece and copyPieces: the size of the pieces a copy reads and how many are in flight.
// Four pieces of 1 MiB measured best here (256 KiB and 128 KiB were no faster).
const (
	copyPiece  = 1024 << 10
	copyPieces = 4
)

func (w *meteredWriter) Write(p []byte) (int, error) {
	if err := w.m.add(len(p)); err != nil {
		return 0, err
	}
	n, err := w.w.Write(p)
	w.h.Write(p[:n])
	w.n += int64(n)
	return n, err
}

// archiveWriter writes the zip of a backup, entry by entry, and collects the manifest entries.
type archiveWriter struct {
	zw      *zip.Writer
	method  uint16
	entries []Entry
	meter   *meter
	streams []*pdeflate // the compressed entries' streams, whose goroutines write to the archive
}

// compressionLevel maps archive.compression to a zip method and deflate level.
func compressionLevel(s string) (uint16, int, error) {
	switch s {
	case "none":
		return zip.Store, 0, nil
	case "fast":
		return zip.Deflate, 2, nil
	case "compact":
		return zip.Deflate, 9, nil
	}
	return 0, 0, fmt.Errorf("unknown compression %q", s)
}

// newArchiveWriter starts an archive; busy (may be nil) says whether the database is being
// written to, for the compression to leave it a processor.
func newArchiveWriter(w io.Writer, compression string, m *meter, busy func() bool) (*archiveWriter, error) {
	method, level, err := compressionLevel(compression)
	if err != nil {
		return nil, err
	}
	zw := zip.NewWriter(w)
	a := &archiveWriter{zw: zw, method: method, meter: m}
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		d := newPDeflate(out, level, busy)
		a.streams = append(a.streams, d)
		return d, nil
	})
	return a, nil
}

// abort ends an archive that will not be finished: once it returns, nothing writes to the
// archive's files any more (a compressed entry's goroutines could otherwise go on writing
// while the files are removed).
func (a *archiveWriter) abort() {
	for _, d := range a.streams {
		d.abort()
	}
	a.streams = nil
}

// add writes one entry whose content fill writes.
func (a *archiveWriter) add(name string, modified time.Time, fill func(io.Writer) error) error {
	a.meter.item(name)
	hdr := &zip.FileHeader{Name: name, Method: a.method, Modified: modified}
	hdr.SetMode(0o600)
	zf, err := a.zw.CreateHeader(hdr)
	if err != nil {
		return err
	}
	mw := &meteredWriter{w: zf, h: sha256.New(), m: a.meter}
	if err := fill(mw); err != nil {
		return err
	}
	a.entries = append(a.entries, Entry{Path: name, Size: mw.n, SHA256: hex.EncodeToString(mw.h.Sum(nil))})
	return nil
}

// finish writes the manifest (last) and the zip's directory.
func (a *archiveWriter) finish(m *Manifest) error {
	m.Entries = a.entries
	hdr := &zip.FileHeader{Name: ManifestName, Method: zip.Deflate, Modified: m.Time}
	hdr.SetMode(0o600)
	zf, err := a.zw.CreateHeader(hdr)
	if err != nil {
		return err
	}
	if _, err := zf.Write(m.Marshal()); err != nil {
		return err
	}
	return a.zw.Close()
}
