package bench

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"holdfast/engine"
	"holdfast/journal"
)

// BenchmarkIntegrate integrates a log of 200,000 additions into a blank data file of the same
// database, as after the loss of a data file whose log survived.
//
// Setup (not timed): database A is created with its table and copied at once to a template
// (blank data file, same identity); A is then loaded (200 transactions of 1,000, lazy
// checkpoints) and closed, and its log is copied into the template as Data/full.journal. Each
// iteration copies the template, opens the copy normally and times Integrate of full.journal.
// The raw decode speed of journal.Reader on the same file is reported beside it.
func BenchmarkIntegrate(b *testing.B) {
	root := b.TempDir()
	template := filepath.Join(root, "template")
	full := buildLog(b, filepath.Join(root, "A"), template)
	logBytes := fileSize(b, full)
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		work := filepath.Join(root, "work", "Base")
		if err := copyDir(work, template); err != nil {
			b.Fatal(err)
		}
		settle()
		db, err := engine.Open(work, engine.Options{})
		if err != nil {
			b.Fatal(err)
		}
		logPath := filepath.Join(work, "Data", "full.journal")
		b.StartTimer()

		start := time.Now()
		n, err := db.Integrate([]string{logPath})
		d := time.Since(start)

		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if n != loadRows {
			b.Fatalf("integrated %d operations, want %d", n, loadRows)
		}
		if got, err := db.Count(tableName); err != nil || got != loadRows {
			b.Fatalf("%d records after integration (%v), want %d", got, err, loadRows)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		decode, dataOps := decodeLog(b, logPath)
		os.RemoveAll(filepath.Dir(work))
		b.StartTimer()

		ops, dec := perSec(n, d), perSec(dataOps, decode)
		b.ReportMetric(ops, "integrate_ops/s")
		b.ReportMetric(dec, "decode_ops/s")
		b.ReportMetric(float64(logBytes)/decode.Seconds()/1e6, "decode_MB/s")
		b.ReportMetric(ops/dec, "ratio_decode")
	}
}

// buildLog creates database a, copies its blank folder to template, loads it, closes it and
// copies its log into template/Data/full.journal, whose path it returns.
func buildLog(b *testing.B, a, template string) string {
	db := newEngine(b, a, engine.Options{CheckpointBytes: 1 << 40, CheckpointInterval: 1 << 40})
	base := filepath.Join(a, "Base")
	if err := copyDir(template, base); err != nil {
		b.Fatal(err)
	}
	maps := fieldMaps(rows())
	p := db.NewProcess("")
	addRows(b, p, maps)
	p.Close()
	logPath := db.LogPath()
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	full := filepath.Join(template, "Data", "full.journal")
	if err := copyFile(full, logPath); err != nil {
		b.Fatal(err)
	}
	return full
}

// decodeLog reads every record of a log with journal.Reader and returns the time it took and
// the number of data operations (additions) it holds.
func decodeLog(b *testing.B, path string) (time.Duration, int) {
	start := time.Now()
	r, err := journal.OpenReader(journal.OSFS{}, path)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		if rec.Action == journal.Add {
			n++
		}
	}
	return time.Since(start), n
}
