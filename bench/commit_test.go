package bench

import (
	"context"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"holdfast/engine"
	"holdfast/journal"
)

const (
	durableCommits = 3_000
	writers        = 8
	perWriter      = 1_000
)

// BenchmarkDurableCommit compares single-record autocommit adds with the floor under them: a
// loop appending as many bytes to a plain file as one add puts in the log (measured from the
// log's growth in the same run), with an fdatasync after each append. The disk's speed drifts
// by a factor of two or more within a minute here, so the two run interleaved: rounds of
// durableRound commits each, holdfast first in even rounds (the first is round 0) and the raw
// loop first in odd ones.
func BenchmarkDurableCommit(b *testing.B) {
	maps := fieldMaps(rows()[:durableCommits])
	for b.Loop() {
		dir := b.TempDir()
		settle()
		db := newEngine(b, filepath.Join(dir, "holdfast"), engine.Options{})
		p := db.NewProcess("")
		// The first commit also makes the open and process markers durable: it is not
		// timed, and the log's size after it is the base for the bytes per commit.
		if err := autoAdd(p, maps[0]); err != nil {
			b.Fatal(err)
		}
		base := db.LogStatus().Size // bytes of records: the file itself runs ahead with reserved zeros
		raw := newRawLog(b, filepath.Join(dir, "raw.log"))
		var hfTime, rawTime time.Duration
		for round, lo := 0, 1; lo < len(maps); round, lo = round+1, lo+durableRound {
			batch := maps[lo:min(lo+durableRound, len(maps))]
			if round%2 == 1 {
				rawTime += raw.commits(b, len(batch))
			}
			hfTime += engineCommits(b, p, batch)
			if round == 0 {
				// From now on the raw loop writes what one add wrote to the log.
				raw.buf = make([]byte, (int(db.LogStatus().Size-base)+len(batch)/2)/len(batch))
			}
			if round%2 == 0 {
				rawTime += raw.commits(b, len(batch))
			}
		}
		n := len(maps) - 1
		perCommit := int(db.LogStatus().Size-base) / n
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		raw.f.Close()
		os.RemoveAll(dir)

		hf, rr := perSec(n, hfTime), perSec(n, rawTime)
		b.ReportMetric(hf, "hf_commits/s")
		b.ReportMetric(rr, "raw_commits/s")
		b.ReportMetric(hf/rr, "ratio")
		b.ReportMetric(float64(perCommit), "log_B/commit")
		b.ReportMetric(float64(len(raw.buf)), "raw_B/commit")
	}
}

const durableRound = 500

// engineCommits times one autocommit add per record.
func engineCommits(b *testing.B, p *engine.Process, maps []map[string]journal.Value) time.Duration {
	start := time.Now()
	for _, m := range maps {
		if err := autoAdd(p, m); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

// rawLog is the floor: a plain file appended to and fdatasynced after each append.
type rawLog struct {
	f   *os.File
	buf []byte
}

// newRawLog creates the file; buf is sized once the engine's bytes per commit are known.
func newRawLog(b *testing.B, path string) *rawLog {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	return &rawLog{f: f}
}

// commits times n appends of buf, each followed by an fdatasync.
func (r *rawLog) commits(b *testing.B, n int) time.Duration {
	for i := range r.buf {
		r.buf[i] = byte(i*31 + 7)
	}
	fd := int(r.f.Fd())
	start := time.Now()
	for range n {
		if _, err := r.f.Write(r.buf); err != nil {
			b.Fatal(err)
		}
		if err := syscall.Fdatasync(fd); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

// BenchmarkConcurrentCommit compares 8 writers, each with its own process doing autocommit
// adds, with one writer doing the same adds, each on its own database. Both get the same 8,000
// records; they run interleaved in rounds (as in BenchmarkDurableCommit) so that the disk's
// drift does not favour either.
func BenchmarkConcurrentCommit(b *testing.B) {
	maps := fieldMaps(rows()[:writers*perWriter])
	for b.Loop() {
		dir := b.TempDir()
		settle()
		one := newEngine(b, filepath.Join(dir, "one"), engine.Options{})
		many := newEngine(b, filepath.Join(dir, "eight"), engine.Options{})
		oneProcs := []*engine.Process{one.NewProcess("")}
		manyProcs := make([]*engine.Process, writers)
		for i := range manyProcs {
			manyProcs[i] = many.NewProcess("")
		}
		var oneTime, manyTime time.Duration
		for round, lo := 0, 0; lo < len(maps); round, lo = round+1, lo+concurrentRound {
			batch := maps[lo:min(lo+concurrentRound, len(maps))]
			if round%2 == 1 {
				manyTime += concurrentCommits(b, manyProcs, batch)
			}
			oneTime += concurrentCommits(b, oneProcs, batch)
			if round%2 == 0 {
				manyTime += concurrentCommits(b, manyProcs, batch)
			}
		}
		for _, db := range []*engine.DB{one, many} {
			if got, err := db.Count(tableName); err != nil || got != int64(len(maps)) {
				b.Fatalf("%d records after the adds (%v), want %d", got, err, len(maps))
			}
			if err := db.Close(); err != nil {
				b.Fatal(err)
			}
		}
		os.RemoveAll(dir)

		r1, r8 := perSec(len(maps), oneTime), perSec(len(maps), manyTime)
		b.ReportMetric(r1, "1w_commits/s")
		b.ReportMetric(r8, "8w_commits/s")
		b.ReportMetric(r8/r1, "ratio")
	}
}

const concurrentRound = 2_000

// concurrentCommits adds every record of maps, split evenly among the processes, each in its
// own goroutine, one autocommit transaction per record, and returns the time until the last
// one is durable.
func concurrentCommits(b *testing.B, procs []*engine.Process, maps []map[string]journal.Value) time.Duration {
	share := len(maps) / len(procs)
	errs := make(chan error, len(procs))
	var wg sync.WaitGroup
	start := time.Now()
	// The label tells the two sides apart in a CPU profile (go tool pprof -tagfocus writers=8).
	pprof.Do(context.Background(), pprof.Labels("writers", strconv.Itoa(len(procs))), func(context.Context) {
		for i, p := range procs {
			wg.Go(func() {
				for _, m := range maps[i*share : (i+1)*share] {
					if err := autoAdd(p, m); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
	})
	d := time.Since(start)
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return d
}
