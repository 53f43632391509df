package bench

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"holdfast/engine"
)

// BenchmarkExecLoad loads the 200,000 rows through exec's JSON lines (engine.Exec, as
// `holdfast exec` runs it: log on, begin / 1,000 adds / commit) and through the sqlite3
// program on the same rows, and reports both records/s and their ratio. The JSON input is built
// before the timer starts, as sqlite3's script is; the time runs to the end of Close.
func BenchmarkExecLoad(b *testing.B) {
	rs := rows()
	in := execScript(b, rs)
	script := sqliteScript(b, rs)
	sqlite, err := exec.LookPath("sqlite3")
	if err != nil {
		b.Skip("the sqlite3 program is not installed")
	}
	for b.Loop() {
		dir := b.TempDir()
		settle()
		db := newEngine(b, filepath.Join(dir, "holdfast"), engine.Options{})
		start := time.Now()
		if err := engine.Exec(db, bytes.NewReader(in), io.Discard); err != nil {
			b.Fatal(err)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		hf := perSec(len(rs), time.Since(start))
		settle()
		sq := perSec(len(rs), loadSQLite(b, sqlite, filepath.Join(dir, "sqlite"), script))
		b.ReportMetric(hf, "hf_exec_rec/s")
		b.ReportMetric(sq, "sqlite_rec/s")
		b.ReportMetric(hf/sq, "ratio_sqlite")
	}
}

// execScript is the exec input that loads rs in transactions of txRows.
func execScript(b *testing.B, rs []person) []byte {
	var buf bytes.Buffer
	type add struct {
		Op     string         `json:"op"`
		Table  string         `json:"table"`
		Values map[string]any `json:"values"`
	}
	enc := json.NewEncoder(&buf)
	for lo := 0; lo < len(rs); lo += txRows {
		buf.WriteString(`{"op":"begin"}` + "\n")
		for _, p := range rs[lo:min(lo+txRows, len(rs))] {
			err := enc.Encode(add{Op: "add", Table: tableName, Values: map[string]any{"id": p.id, "name": p.name,
				"email": p.email, "city": p.city, "address": p.address, "remark": p.remark}})
			if err != nil {
				b.Fatal(err)
			}
		}
		buf.WriteString(`{"op":"commit"}` + "\n")
	}
	return buf.Bytes()
}
