package engine

import (
	"sync"

	"holdfast/journal"
)

// prefetchChunk is how many records the reading goroutine hands over at a time.
const prefetchChunk = 1024

// prefetched is a chunk of records read ahead, the error that ended the reading (or nil),
// and the reader's offset after them.
type prefetched struct {
	recs []journal.Record
	err  error
	off  int64
}

// prefetch reads a log on a goroutine of its own while the records read before are applied:
// decoding and the data file's writes use two cores instead of one. A journal.Reader's records
// stay valid after the next ones are read, so they can be handed over. Close it before the
// reader.
type prefetch struct {
	ch   chan prefetched
	done chan struct{}
	wg   sync.WaitGroup
	cur  []journal.Record
	i    int
	err  error
	off  int64
}

func newPrefetch(r *journal.Reader) *prefetch {
	p := &prefetch{ch: make(chan prefetched, 4), done: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			select {
			case <-p.done:
				return // closed: read no further
			default:
			}
			c := prefetched{recs: make([]journal.Record, 0, prefetchChunk)}
			for len(c.recs) < prefetchChunk && c.err == nil {
				rec, err := r.Next()
				if err != nil {
					c.err = err
					break
				}
				c.recs = append(c.recs, rec)
			}
			c.off = r.Offset()
			select {
			case p.ch <- c:
			case <-p.done:
				return
			}
			if c.err != nil {
				return
			}
		}
	}()
	return p
}

// Next returns the records in the reader's order, then the error that ended it.
func (p *prefetch) Next() (journal.Record, error) {
	for p.i == len(p.cur) {
		if p.err != nil {
			return journal.Record{}, p.err
		}
		c := <-p.ch
		p.cur, p.i, p.err, p.off = c.recs, 0, c.err, c.off
	}
	rec := p.cur[p.i]
	p.cur[p.i] = journal.Record{} // handed over: the chunk no longer keeps it
	p.i++
	return rec, nil
}

// Offset is how far the reader has read: at most a chunk beyond the last record returned.
func (p *prefetch) Offset() int64 { return p.off }

// Close stops the reading goroutine and waits for it.
func (p *prefetch) Close() {
	close(p.done)
	p.wg.Wait()
}
