package engine

import (
	"bytes"
	"os"
	"testing"
)

// A data file known damaged (a read found it) is not backed up: the backup would restore to
// nothing (1411) and could push good backups out of those kept.
func TestNoBackupOfADamagedDataFile(t *testing.T) {
	dir, _ := filled(t, 300)
	path := dataPath(dir, "Base")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("record 0100"))
	b[i+4] ^= 0x02
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, _, err = db.Get("T", key(100))
	wantCode(t, err, CodeDamaged)
	_, err = db.BeginBackup(1)
	wantCode(t, err, CodeDamaged)
}

// A damaged record of how far the log was on disk (a checkpoint's mark) is damage of the data
// file (1433, which a repair mends), never a log said to have lost operations (1408, which
// nothing mends).
func TestDamagedLogMarkIsDataDamage(t *testing.T) {
	dir, _ := filled(t, 300)
	flipAfterEvery(t, dataPath(dir, "Base"), keyLogMark, 17, 0x10) // in the durable operation
	_, err := Open(dir, Options{})
	wantCode(t, err, CodeDamaged)
}

// A damaged record of the operations the data file holds (applied, last change) is damage of
// the data file (1433): read as it is, it would make the open skip operations of the log, or
// refuse a sound log as cut short.
func TestDamagedProgressIsDataDamage(t *testing.T) {
	for _, k := range [][]byte{keyApplied, keyLastChange} {
		dir, _ := filled(t, 300)
		flipAfterEvery(t, dataPath(dir, "Base"), k, 4, 0x08) // in the value after the key
		_, err := Open(dir, Options{})
		wantCode(t, err, CodeDamaged)
	}
}

// flipAfterEvery flips bits mask of the byte at offset after the end of every copy of marker in
// the file at path (bbolt keeps freed pages, so a value can be there more than once).
func flipAfterEvery(t *testing.T, path string, marker []byte, offset int, mask byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for off := 0; ; {
		i := bytes.Index(b[off:], marker)
		if i < 0 {
			break
		}
		if at := off + i + len(marker) + offset; at < len(b) {
			b[at] ^= mask
			n++
		}
		off += i + len(marker)
	}
	if n == 0 {
		t.Fatalf("no %q in %s", marker, path)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
