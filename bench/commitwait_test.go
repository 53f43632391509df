package bench

import (
	"compress/flate"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// commitWriters is how many writers BenchmarkBackupCommitWaits times, a process each; its
// loader adds loaderTx records a transaction.
const (
	commitWriters = 4
	loaderTx      = 1000
)

// BenchmarkBackupCommitWaits measures how long writers wait at the commit of a backup of the
// 1 GiB database (S3.7: no write waits for a backup). Four writers add records one at a time
// and a loader (an import) adds them in transactions of loaderTx, all without a pause
// (itemValues: about half compressible), from a second before the snapshot to a second after
// the commit. The backup writes its snapshot compressed (deflate, level 1) to a file and
// syncs it, as an archive with compression does, then commits: the log is switched at the
// snapshot, and what was logged meanwhile (tail_MB) goes into the new log.
//
// A writer's wait is the latency of one autocommit add. Those in flight while Commit ran are
// the waits at the commit (commit_max_ms, commit_p99_ms); those during the rest of the backup
// (backup_max_ms, backup_p99_ms) are the floor the same writers see on this disk meanwhile.
func BenchmarkBackupCommitWaits(b *testing.B) {
	_, db := workingCopy(b, 0, true)
	for b.Loop() {
		base, err := db.Count(itemsName)
		if err != nil {
			b.Fatal(err)
		}
		number, _, err := db.LastBackup()
		if err != nil {
			b.Fatal(err)
		}
		settle()
		type span struct{ start, end time.Time }
		var (
			mu    sync.Mutex
			spans []span
			werr  error
			next  atomic.Int64
			wg    sync.WaitGroup
		)
		next.Store(base)
		stop := make(chan struct{})
		var loaded atomic.Int64
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := db.NewProcess("")
			defer p.Close()
			for {
				select {
				case <-stop:
					return
				default:
				}
				tx := p.Begin()
				for range loaderTx {
					if _, err := tx.Add(itemsName, itemValues(next.Add(1)-1)); err != nil {
						tx.Rollback()
						mu.Lock()
						werr = err
						mu.Unlock()
						return
					}
				}
				if _, err := tx.Commit(); err != nil {
					mu.Lock()
					werr = err
					mu.Unlock()
					return
				}
				loaded.Add(loaderTx)
			}
		}()
		for range commitWriters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := db.NewProcess("")
				defer p.Close()
				var mine []span
				defer func() {
					mu.Lock()
					spans = append(spans, mine...)
					mu.Unlock()
				}()
				for {
					select {
					case <-stop:
						return
					default:
					}
					vals := itemValues(next.Add(1) - 1)
					start := time.Now()
					if err := autoAddTo(p, itemsName, vals); err != nil {
						mu.Lock()
						werr = err
						mu.Unlock()
						return
					}
					mine = append(mine, span{start, time.Now()})
				}
			}()
		}
		fail := func(err error) {
			close(stop)
			wg.Wait()
			b.Fatal(err)
		}
		time.Sleep(time.Second)
		snap, err := db.BeginBackup(number + 1)
		if err != nil {
			fail(err)
		}
		bs := time.Now()
		logAtSnapshot := db.LogStatus().Size
		f, err := os.Create(filepath.Join(b.TempDir(), "snapshot.4DD"))
		if err != nil {
			fail(err)
		}
		zw, _ := flate.NewWriter(f, flate.BestSpeed)
		if _, err := snap.WriteTo(zw); err != nil {
			fail(err)
		}
		if err := zw.Close(); err != nil {
			fail(err)
		}
		if err := f.Sync(); err != nil {
			fail(err)
		}
		f.Close()
		os.Remove(f.Name())
		tail := db.LogStatus().Size - logAtSnapshot
		cs := time.Now()
		closed, err := snap.Commit()
		ce := time.Now()
		if err != nil {
			fail(err)
		}
		time.Sleep(time.Second)
		close(stop)
		wg.Wait()
		if werr != nil {
			b.Fatal(werr)
		}
		os.Remove(closed) // the log backup is not archived here: the next switch needs the name

		var atCommit, during []time.Duration
		for _, s := range spans {
			switch {
			case s.start.Before(ce) && s.end.After(cs):
				atCommit = append(atCommit, s.end.Sub(s.start))
			case s.start.After(bs) && s.end.Before(cs):
				during = append(during, s.end.Sub(s.start))
			}
		}
		if total, err := db.Count(itemsName); err != nil || total != base+int64(len(spans))+loaded.Load() {
			b.Fatalf("%d records (%v), want %d + %d commits + %d loaded", total, err, base, len(spans), loaded.Load())
		}
		b.Logf("backup %.1f s, %.1f MB logged during it, commit %.0f ms; %d adds at the commit, %d during the rest of the backup",
			cs.Sub(bs).Seconds(), float64(tail)/1e6, ms(ce.Sub(cs)), len(atCommit), len(during))
		b.ReportMetric(ms(slices.Max(append(atCommit, 0))), "commit_max_ms")
		b.ReportMetric(ms(percentile(atCommit, 0.99)), "commit_p99_ms")
		b.ReportMetric(ms(slices.Max(append(during, 0))), "backup_max_ms")
		b.ReportMetric(ms(percentile(during, 0.99)), "backup_p99_ms")
		b.ReportMetric(ms(ce.Sub(cs)), "commit_ms")
		b.ReportMetric(float64(tail)/1e6, "tail_MB")
		b.ReportMetric(cs.Sub(bs).Seconds(), "backup_s")
	}
}
