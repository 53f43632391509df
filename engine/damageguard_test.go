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
	b, _ := os.ReadFile(path)
	i := bytes.Index(b, []byte("record 0100"))
	b[i+4] ^= 0x02
	os.WriteFile(path, b, 0o600)
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
	path := dataPath(dir, "Base")
	b, _ := os.ReadFile(path)
	n := 0
	for off := 0; ; {
		i := bytes.Index(b[off:], keyLogMark)
		if i < 0 {
			break
		}
		b[off+i+len(keyLogMark)+17] ^= 0x10 // in the durable operation
		off += i + len(keyLogMark)
		n++
	}
	if n == 0 {
		t.Fatal("no mark in the data file")
	}
	os.WriteFile(path, b, 0o600)
	_, err := Open(dir, Options{})
	wantCode(t, err, CodeDamaged)
}

// A damaged record of the operations the data file holds (applied, last change) is damage of
// the data file (1433): read as it is, it would make the open skip operations of the log, or
// refuse a sound log as cut short.
func TestDamagedProgressIsDataDamage(t *testing.T) {
	for _, k := range [][]byte{keyApplied, keyLastChange} {
		dir, _ := filled(t, 300)
		path := dataPath(dir, "Base")
		b, _ := os.ReadFile(path)
		n := 0
		for off := 0; ; {
			i := bytes.Index(b[off:], k)
			if i < 0 {
				break
			}
			if end := off + i + len(k) + 8; end <= len(b) {
				b[end-4] ^= 0x08
				n++
			}
			off += i + len(k)
		}
		if n == 0 {
			t.Fatalf("no %s in the data file", k)
		}
		os.WriteFile(path, b, 0o600)
		_, err := Open(dir, Options{})
		wantCode(t, err, CodeDamaged)
	}
}
