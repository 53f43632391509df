package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"holdfast/backup"
	"holdfast/engine"
)

// BenchmarkRestoreNone compares the restore of an uncompressed archive of the 1 GiB database
// (extracted, every entry checked against its size, CRC and SHA-256, synced, the database
// opened with a new log) with `cp` of the same archive followed by `sync` of the copy: the
// floor of writing the same bytes durably. Speeds are archive bytes per second; both sides read
// the archive from the page cache.
func BenchmarkRestoreNone(b *testing.B) {
	_, db := workingCopy(b, 0, true)
	setSettings(b, db, "archive.compression", "none", "archive.verify", "false")
	res, err := backup.Run(context.Background(), db, backup.Options{})
	if err != nil {
		b.Fatal(err)
	}
	records, err := db.Count(itemsName)
	if err != nil {
		b.Fatal(err)
	}
	archive := res.Archive
	size := fileSize(b, archive)
	out := b.TempDir()
	for b.Loop() {
		var hfTime, cpTime time.Duration
		checked := false
		hf := func() {
			to := filepath.Join(out, "Restored")
			settle()
			start := time.Now()
			if _, err := backup.Restore(context.Background(), archive, backup.RestoreOptions{To: to, NoIntegrate: true}); err != nil {
				b.Fatal(err)
			}
			hfTime += time.Since(start)
			if !checked {
				rdb, err := engine.Open(to, engine.Options{ReadOnly: true})
				if err != nil {
					b.Fatal(err)
				}
				if n, err := rdb.Count(itemsName); err != nil || n != records {
					b.Fatalf("the restored database holds %d records (%v), want %d", n, err, records)
				}
				rdb.Close()
				checked = true
			}
			os.RemoveAll(to)
		}
		cp := func() {
			dst := filepath.Join(out, "copy.4BK")
			cpTime += timedCommands(b, []string{"cp", archive, dst}, []string{"sync", dst})
			if got := fileSize(b, dst); got != size {
				b.Fatalf("cp wrote %d bytes of %d", got, size)
			}
			os.Remove(dst)
		}
		abba(hf, cp)
		hfRate, cpRate := mbps(2*size, hfTime), mbps(2*size, cpTime)
		b.ReportMetric(hfRate, "hf_MB/s")
		b.ReportMetric(cpRate, "cp_MB/s")
		b.ReportMetric(hfRate/cpRate, "ratio")
		b.ReportMetric(float64(size)/1e6, "archive_MB")
	}
	removeBackups(b, db)
}

// BenchmarkRestoreIntegrate restores a small backup with `--log` of the log backup that holds
// the 200,000 additions made after it (200 transactions of 1,000): the speed of integration
// through a restore, in data operations per second of the whole restore.
func BenchmarkRestoreIntegrate(b *testing.B) {
	root := b.TempDir()
	db := newEngine(b, root, engine.Options{})
	first, err := backup.Run(context.Background(), db, backup.Options{})
	if err != nil {
		b.Fatal(err)
	}
	p := db.NewProcess("")
	addRows(b, p, fieldMaps(rows()))
	p.Close()
	second, err := backup.Run(context.Background(), db, backup.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if len(second.LogBackups) != 1 {
		b.Fatalf("log backups %v, want one", second.LogBackups)
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		to := filepath.Join(root, "Restored")
		settle()
		start := time.Now()
		res, err := backup.Restore(context.Background(), first.Archive, backup.RestoreOptions{To: to, Logs: second.LogBackups})
		d := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if res.Integrated != loadRows {
			b.Fatalf("integrated %d operations, want %d", res.Integrated, loadRows)
		}
		rdb, err := engine.Open(to, engine.Options{ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		if n, err := rdb.Count(tableName); err != nil || n != loadRows {
			b.Fatalf("%d records after the restore (%v), want %d", n, err, loadRows)
		}
		rdb.Close()
		os.RemoveAll(to)
		b.ReportMetric(perSec(res.Integrated, d), "restore_ops/s")
	}
}
