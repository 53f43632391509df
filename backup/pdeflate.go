package backup

import (
	"bytes"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/flate"
)

// pdeflate compresses one deflate stream on every core, as pigz does: the input is cut into
// chunks compressed independently (each primed with the last 32 KiB of the chunk before it, so
// the ratio stays that of one stream), every chunk but the last ends with a sync flush, and the
// pieces are written in order. Any inflater reads the result as one stream. It is an
// io.WriteCloser for zip.RegisterCompressor: Close ends the stream, not the underlying writer.
type pdeflate struct {
	w       io.Writer
	level   int
	busy    func() bool
	closing atomic.Bool // set by Close and abort: waiting workers stop waiting
	dropped atomic.Bool // set by abort: nothing more is written
	buf     []byte
	dict    []byte
	queue   chan *pchunk // in order, to the goroutine that writes
	done    chan error   // the writing goroutine's result
	work    chan *pchunk
	wg      sync.WaitGroup
	err     error
}

type pchunk struct {
	data, dict []byte
	final      bool
	out        bytes.Buffer
	err        error
	ready      chan struct{}
}

const (
	pchunkSize = 1 << 20
	pdictSize  = 32 << 10
	// pyield: how recent a database write keeps all compressing workers but the first one
	// waiting, and how often they look again.
	pyield = 100 * time.Millisecond
)

// newPDeflate starts the workers. busy, when not nil, says whether the database is being
// written to just now.
func newPDeflate(w io.Writer, level int, busy func() bool) *pdeflate {
	workers := max(1, min(runtime.GOMAXPROCS(0), runtime.NumCPU()))
	d := &pdeflate{w: w, level: level, busy: busy, queue: make(chan *pchunk, 2*workers), done: make(chan error, 1), work: make(chan *pchunk, 2*workers)}
	for i := range workers {
		d.wg.Add(1)
		go d.compress(i == 0)
	}
	go d.write()
	return d
}

// compress is one worker. Workers run at a lower priority than the database's writers, and
// while the database is being written to, only the first worker compresses: the others leave
// their processor to the writers (on two cores a backup that kept both busy cut a writer's
// commit rate to a third).
func (d *pdeflate) compress(first bool) {
	defer d.wg.Done()
	background()
	var fw *flate.Writer // one per worker, reset for each chunk: its tables are large
	for {
		for !first && d.busy != nil && d.busy() && !d.closing.Load() {
			time.Sleep(pyield / 4)
		}
		c, ok := <-d.work
		if !ok {
			return
		}
		var err error
		if fw == nil {
			fw, err = flate.NewWriterDict(&c.out, d.level, c.dict)
		} else {
			fw.ResetDict(&c.out, c.dict)
		}
		if err == nil {
			_, err = fw.Write(c.data)
		}
		if err == nil {
			if c.final {
				err = fw.Close()
			} else {
				err = fw.Flush()
			}
		}
		c.err = err
		close(c.ready)
	}
}

func (d *pdeflate) write() {
	var err error
	for c := range d.queue {
		<-c.ready
		if err == nil {
			err = c.err
		}
		if err == nil && !d.dropped.Load() {
			_, err = d.w.Write(c.out.Bytes())
		}
	}
	d.done <- err
}

func (d *pdeflate) Write(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n := len(p)
	for len(p) > 0 {
		if d.buf == nil {
			d.buf = make([]byte, 0, pchunkSize)
		}
		k := min(len(p), pchunkSize-len(d.buf))
		d.buf = append(d.buf, p[:k]...)
		p = p[k:]
		if len(d.buf) == pchunkSize {
			d.send(false)
		}
	}
	return n, nil
}

// send hands the buffered chunk to the workers, in order.
func (d *pdeflate) send(final bool) {
	c := &pchunk{data: d.buf, dict: d.dict, final: final, ready: make(chan struct{})}
	if len(d.buf) >= pdictSize {
		d.dict = d.buf[len(d.buf)-pdictSize:]
	} else {
		d.dict = append(append([]byte(nil), d.dict...), d.buf...)
		if len(d.dict) > pdictSize {
			d.dict = d.dict[len(d.dict)-pdictSize:]
		}
	}
	d.buf = nil
	d.queue <- c
	d.work <- c
}

// Close compresses what is left, ends the stream and waits until everything is written.
func (d *pdeflate) Close() error {
	if d.err != nil {
		return d.err
	}
	d.send(true)
	d.closing.Store(true)
	close(d.work)
	close(d.queue)
	d.wg.Wait()
	err := <-d.done
	d.err = io.ErrClosedPipe // a closed stream takes no more
	return err
}

// abort ends a stream that will not be finished (the backup failed or was stopped): the
// workers stop, nothing more reaches the underlying writer, and abort returns only once every
// goroutine has ended, so that the caller may remove what they wrote to. A closed or aborted
// stream is left as it is.
func (d *pdeflate) abort() {
	if d.err != nil {
		return
	}
	d.dropped.Store(true)
	d.closing.Store(true)
	close(d.work)
	close(d.queue)
	d.wg.Wait()
	<-d.done
	d.err = io.ErrClosedPipe
}
