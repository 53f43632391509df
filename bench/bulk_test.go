package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"holdfast/engine"
	"holdfast/journal"
)

// BenchmarkBulkLoad loads the 200,000 rows in 200 transactions of 1,000 into holdfast, raw
// bbolt and the sqlite3 program, one after the other on the same rows (which one goes first
// rotates from one run to the next), and reports each one's records/s and holdfast's ratio to
// each peer. Only the loading is timed: holdfast from the
// first transaction to the end of Close (its checkpoint included; hf_noclose stops at the last
// commit), bbolt from the first transaction to Close, sqlite3 the whole run of the program on
// a script written beforehand (it checkpoints its WAL when it exits).
func BenchmarkBulkLoad(b *testing.B) {
	rs := rows()
	maps := fieldMaps(rs)
	script := sqliteScript(b, rs)
	sqlite, err := exec.LookPath("sqlite3")
	if err != nil {
		b.Skip("the sqlite3 program is not installed")
	}
	for b.Loop() {
		dir := filepath.Join(b.TempDir(), "load")
		var withClose, noClose, boltTime, sqliteTime time.Duration
		phases := []func(){
			func() { withClose, noClose = loadEngine(b, filepath.Join(dir, "holdfast"), maps) },
			func() { boltTime = loadBolt(b, filepath.Join(dir, "bbolt"), rs) },
			func() { sqliteTime = loadSQLite(b, sqlite, filepath.Join(dir, "sqlite"), script) },
		}
		// The peers take turns at going first, from one iteration (or -count) to the next.
		turn := bulkTurn.Add(1)
		for i := range phases {
			settle()
			phases[(int(turn)+i)%len(phases)]()
		}
		checkLoaded(b, sqlite, dir, len(rs))
		os.RemoveAll(dir)

		hf, hfNoClose := perSec(len(rs), withClose), perSec(len(rs), noClose)
		bb, sq := perSec(len(rs), boltTime), perSec(len(rs), sqliteTime)
		b.ReportMetric(hf, "hf_rec/s")
		b.ReportMetric(hfNoClose, "hf_noclose_rec/s")
		b.ReportMetric(bb, "bbolt_rec/s")
		b.ReportMetric(sq, "sqlite_rec/s")
		b.ReportMetric(hf/bb, "ratio_bbolt")
		b.ReportMetric(hf/sq, "ratio_sqlite")
		b.ReportMetric(hfNoClose/bb, "ratio_noclose_bbolt")
	}
}

var bulkTurn atomic.Int32

// checkLoaded makes sure every peer holds all n rows (after the timing).
func checkLoaded(b *testing.B, sqlite, dir string, n int) {
	db, err := engine.Open(filepath.Join(dir, "holdfast", "Base"), engine.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	got, err := db.Count(tableName)
	db.Close()
	if err != nil || got != int64(n) {
		b.Fatalf("holdfast holds %d records (%v), want %d", got, err, n)
	}
	bdb, err := bolt.Open(filepath.Join(dir, "bbolt", "data.db"), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	if err := bdb.View(func(tx *bolt.Tx) error { got = int64(tx.Bucket([]byte("people")).Stats().KeyN); return nil }); err != nil {
		b.Fatal(err)
	}
	bdb.Close()
	if got != int64(n) {
		b.Fatalf("bbolt holds %d records, want %d", got, n)
	}
	out, err := exec.Command(sqlite, filepath.Join(dir, "sqlite", "load.db"), "SELECT count(*) FROM people;").Output()
	if err != nil || strings.TrimSpace(string(out)) != strconv.Itoa(n) {
		b.Fatalf("sqlite3 holds %q rows (%v), want %d", out, err, n)
	}
}

// loadEngine returns the time to load and close, and the time to the last commit.
func loadEngine(b *testing.B, dir string, maps []map[string]journal.Value) (withClose, noClose time.Duration) {
	db := newEngine(b, dir, engine.Options{})
	p := db.NewProcess("")
	start := time.Now()
	addRows(b, p, maps)
	noClose = time.Since(start)
	p.Close()
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	return time.Since(start), noClose
}

// loadBolt puts the same rows straight into bbolt, opened as the engine opens its data file.
func loadBolt(b *testing.B, dir string, rs []person) time.Duration {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	keys, vals := make([][]byte, len(rs)), make([][]byte, len(rs))
	for i := range rs {
		keys[i], vals[i] = rs[i].bboltKey(), rs[i].values()
	}
	// The engine's own bbolt settings (engine/store.go), so that only the engine differs.
	db, err := bolt.Open(filepath.Join(dir, "data.db"), 0o600, &bolt.Options{
		Timeout: time.Second, FreelistType: bolt.FreelistMapType, InitialMmapSize: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	bucket := []byte("people")
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(bucket); return err }); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for lo := 0; lo < len(rs); lo += txRows {
		err := db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket(bucket)
			bk.FillPercent = 0.9 // as the engine's checkpoints
			for i := lo; i < min(lo+txRows, len(rs)); i++ {
				if err := bk.Put(keys[i], vals[i]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// sqliteScript writes the SQL that loads rs in transactions of txRows and returns its path.
func sqliteScript(b *testing.B, rs []person) string {
	var sb strings.Builder
	sb.Grow(len(rs) * 260)
	sb.WriteString("PRAGMA journal_mode=WAL;\nPRAGMA synchronous=FULL;\n")
	sb.WriteString(sqlSchema)
	for lo := 0; lo < len(rs); lo += txRows {
		sb.WriteString("BEGIN;\n")
		for i := lo; i < min(lo+txRows, len(rs)); i++ {
			rs[i].insert(&sb)
		}
		sb.WriteString("COMMIT;\n")
	}
	path := filepath.Join(b.TempDir(), "load.sql")
	if err := os.WriteFile(path, []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// loadSQLite times `sqlite3 file.db < script`.
func loadSQLite(b *testing.B, sqlite, dir, script string) time.Duration {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	in, err := os.Open(script)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	cmd := exec.Command(sqlite, filepath.Join(dir, "load.db"))
	cmd.Stdin = in
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	d := time.Since(start)
	if err != nil {
		b.Fatalf("sqlite3: %v: %s", err, out.String())
	}
	if strings.TrimSpace(out.String()) != "wal" {
		b.Fatalf("sqlite3 said %q, want only the journal mode (wal)", out.String())
	}
	return d
}

// addRows adds the rows in transactions of txRows.
func addRows(b *testing.B, p *engine.Process, maps []map[string]journal.Value) {
	for lo := 0; lo < len(maps); lo += txRows {
		_, err := p.Update(func(tx *engine.Tx) error {
			for _, m := range maps[lo:min(lo+txRows, len(maps))] {
				if _, err := tx.Add(tableName, m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
