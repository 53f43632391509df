package engine

import (
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"holdfast/journal"
)

// countingFS counts the log's syncs.
type countingFS struct {
	journal.OSFS
	syncs atomic.Int64
}

func (c *countingFS) OpenFile(name string, flag int, perm fs.FileMode) (journal.File, error) {
	f, err := c.OSFS.OpenFile(name, flag, perm)
	if err != nil || !strings.HasSuffix(name, "data.journal") {
		return f, err
	}
	return &countingFile{File: f, n: &c.syncs}, nil
}

type countingFile struct {
	journal.File
	n *atomic.Int64
}

func (f *countingFile) Sync() error { f.n.Add(1); return f.File.Sync() }

// Writers, readers and checkpoints at once: every write lands, counts stay exact, concurrent
// committers share fsyncs, and a reopened database holds the same records.
func TestConcurrentWritersAndReaders(t *testing.T) {
	cfs := &countingFS{}
	db, dir := newDB(t, Options{FS: cfs, CheckpointBytes: 4 << 10})
	const writers, each = 8, 150
	want := map[int64]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	stop := make(chan struct{})
	before := cfs.syncs.Load()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			p := db.NewProcess(fmt.Sprintf("writer%d", w))
			defer p.Close()
			for i := 0; i < each; i++ {
				id := int64(w*each + i)
				if i%10 == 9 {
					// A small transaction: modify the previous record and add this one.
					_, err := p.Update(func(tx *Tx) error {
						if _, err := tx.Modify("T", key(id-1), map[string]journal.Value{"name": journal.Text("changed")}); err != nil {
							return err
						}
						_, err := tx.Add("T", row(id, "tx"))
						return err
					})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					want[id-1], want[id] = "changed", "tx"
					mu.Unlock()
					continue
				}
				tx := p.Auto()
				if _, err := tx.Add("T", row(id, "auto")); err != nil {
					t.Error(err)
					return
				}
				if _, err := tx.Commit(); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				want[id] = "auto"
				mu.Unlock()
			}
		}(w)
	}
	var rwg sync.WaitGroup
	for r := 0; r < 2; r++ {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				recs, err := db.Scan("T", nil, 50)
				if err != nil {
					t.Error(err)
					return
				}
				for i := 1; i < len(recs); i++ {
					if recs[i].Values[0].I <= recs[i-1].Values[0].I {
						t.Error("scan out of order during writes")
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	rwg.Wait()
	commits := int64(writers * each)
	syncs := cfs.syncs.Load() - before
	t.Logf("%d commits, %d log syncs", commits, syncs)
	if syncs >= commits {
		t.Errorf("%d syncs for %d commits: concurrent commits do not share fsyncs", syncs, commits)
	}
	same(t, names(t, db), want)
	db = reopen(t, db, dir, Options{})
	same(t, names(t, db), want)
	db.Close()
}

func TestSecondOpenRefused(t *testing.T) {
	db, dir := newDB(t, Options{})
	defer db.Close()
	_, err := Open(dir, Options{})
	wantCode(t, err, CodeInUse)
}
