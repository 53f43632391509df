package bench

import (
	"os"
	"path/filepath"
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
// log's growth in the same run), with an fdatasync after each append.
func BenchmarkDurableCommit(b *testing.B) {
	maps := fieldMaps(rows()[:durableCommits])
	for b.Loop() {
		dir := b.TempDir()
		settle()
		hfTime, perCommit := engineCommits(b, filepath.Join(dir, "holdfast"), maps)
		settle()
		rawTime := rawCommits(b, filepath.Join(dir, "raw.log"), durableCommits, perCommit)
		os.RemoveAll(dir)

		hf, raw := perSec(durableCommits, hfTime), perSec(durableCommits, rawTime)
		b.ReportMetric(hf, "hf_commits/s")
		b.ReportMetric(raw, "raw_commits/s")
		b.ReportMetric(hf/raw, "ratio")
		b.ReportMetric(float64(perCommit), "log_B/commit")
	}
}

// engineCommits times one autocommit add per record and returns the log bytes one add wrote.
func engineCommits(b *testing.B, dir string, maps []map[string]journal.Value) (time.Duration, int) {
	db := newEngine(b, dir, engine.Options{})
	defer db.Close()
	p := db.NewProcess("")
	start := time.Now()
	if err := autoAdd(p, maps[0]); err != nil {
		b.Fatal(err)
	}
	// The first commit also makes the open and process markers durable: size the rest.
	base := fileSize(b, db.LogPath())
	for _, m := range maps[1:] {
		if err := autoAdd(p, m); err != nil {
			b.Fatal(err)
		}
	}
	d := time.Since(start)
	return d, int(fileSize(b, db.LogPath())-base) / (len(maps) - 1)
}

// rawCommits appends n buffers of size bytes to a new file, fdatasyncing after each.
func rawCommits(b *testing.B, path string, n, size int) time.Duration {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = byte(i*31 + 7)
	}
	fd := int(f.Fd())
	start := time.Now()
	for range n {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
		if err := syscall.Fdatasync(fd); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

// BenchmarkConcurrentCommit compares 8 writers, each with its own process doing 1,000
// autocommit adds, with one writer doing all 8,000, each on a fresh database.
func BenchmarkConcurrentCommit(b *testing.B) {
	maps := fieldMaps(rows()[:writers*perWriter])
	for b.Loop() {
		dir := b.TempDir()
		settle()
		one := concurrentCommits(b, filepath.Join(dir, "one"), maps, 1)
		settle()
		many := concurrentCommits(b, filepath.Join(dir, "eight"), maps, writers)
		os.RemoveAll(dir)

		r1, r8 := perSec(len(maps), one), perSec(len(maps), many)
		b.ReportMetric(r1, "1w_commits/s")
		b.ReportMetric(r8, "8w_commits/s")
		b.ReportMetric(r8/r1, "ratio")
	}
}

// concurrentCommits adds every record of maps, split evenly among n goroutines, one
// autocommit transaction per record, and returns the time until the last one is durable.
func concurrentCommits(b *testing.B, dir string, maps []map[string]journal.Value, n int) time.Duration {
	db := newEngine(b, dir, engine.Options{})
	defer db.Close()
	procs := make([]*engine.Process, n)
	for i := range procs {
		procs[i] = db.NewProcess("")
	}
	share := len(maps) / n
	errs := make(chan error, n)
	var wg sync.WaitGroup
	start := time.Now()
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
	d := time.Since(start)
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	if got, err := db.Count(tableName); err != nil || got != int64(n*share) {
		b.Fatalf("%d records after the adds (%v), want %d", got, err, n*share)
	}
	return d
}
