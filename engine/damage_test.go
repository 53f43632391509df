package engine

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"holdfast/journal"
)

// filled makes a closed database whose table T holds records 1..n, written in one transaction
// (each about 80 bytes, so that they fill several leaf pages).
func filled(t *testing.T, n int64) (string, map[int64]string) {
	t.Helper()
	db, dir := newDB(t, Options{})
	want := map[int64]string{}
	_, err := db.NewProcess("").Update(func(tx *Tx) error {
		for i := int64(1); i <= n; i++ {
			name := fmt.Sprintf("record %04d %s", i, strings.Repeat("x", 50))
			want[i] = name
			if _, err := tx.Add("T", row(i, name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, want
}

// leafElements finds, in a bbolt file, the leaf page elements whose key is k: the file offsets
// of their 16-byte element headers (flags, pos, ksize, vsize). It reads the layout itself so
// that the tests do not depend on the engine's own reader.
func leafElements(t *testing.T, b []byte, k []byte) []int {
	t.Helper()
	ps := int(binary.LittleEndian.Uint32(b[16+8:]))
	var out []int
	for off := 2 * ps; off+ps <= len(b); off += ps {
		if binary.LittleEndian.Uint16(b[off+8:]) != 0x02 {
			continue
		}
		n := int(binary.LittleEndian.Uint16(b[off+10:]))
		for i := 0; i < n && 16+16*(i+1) <= ps; i++ {
			e := off + 16 + 16*i
			pos, ks := int(binary.LittleEndian.Uint32(b[e+4:])), int(binary.LittleEndian.Uint32(b[e+8:]))
			if s := e + pos; s+ks <= len(b) && bytes.Equal(b[s:s+ks], k) {
				out = append(out, e)
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("key %x is in no leaf page", k)
	}
	return out
}

func encKey(t *testing.T, id int64) []byte {
	t.Helper()
	k, err := journal.AppendKey(nil, key(id))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// hwmOf reads the high-water mark (in bytes) of the newest meta page of a bbolt file.
func hwmOf(b []byte) int64 {
	ps := int64(binary.LittleEndian.Uint32(b[16+8:]))
	m0, m1 := b[16:], b[ps+16:]
	m := m0
	if binary.LittleEndian.Uint64(m1[48:]) > binary.LittleEndian.Uint64(m0[48:]) {
		m = m1
	}
	return int64(binary.LittleEndian.Uint64(m[40:])) * ps
}

// One flipped bit, the "bucket" flag of the leaf element of a record, must not hide the record:
// reading it, scanning over it and adding its key again are 1433, and the next open knows the
// data file is damaged.
func TestBucketFlagHidesNoRecord(t *testing.T) {
	dir, _ := filled(t, 300)
	path := dataPath(dir, "Base")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range leafElements(t, b, encKey(t, 150)) {
		b[e] |= 0x01
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}

	db, err := Open(dir, Options{})
	if err == nil {
		_, found, gerr := db.Get("T", key(150))
		if CodeOf(gerr) != CodeDamaged {
			t.Errorf("get of the hidden record: found %v, error %v; want 1433", found, gerr)
		}
		recs, serr := db.Scan("T", nil, 1000)
		if CodeOf(serr) != CodeDamaged {
			t.Errorf("scan over the hidden record: %d records, error %v; want 1433", len(recs), serr)
		}
		tx := db.NewProcess("").Auto()
		_, aerr := tx.Add("T", row(150, "again"))
		if aerr == nil {
			_, aerr = tx.Commit()
		}
		if CodeOf(aerr) != CodeDamaged {
			t.Errorf("add of the hidden record's key: %v; want 1433", aerr)
		}
		db.Close()
	} else {
		wantCode(t, err, CodeDamaged)
	}
	_, err = Open(dir, Options{})
	wantCode(t, err, CodeDamaged)
}

// A data file cut short is 1433 at open, never a crash (bbolt reads it through a memory map:
// a page past the end of the file is a SIGBUS).
func TestTruncatedDataFile(t *testing.T) {
	dir, _ := filled(t, 300)
	path := dataPath(dir, "Base")
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hwm := hwmOf(orig)
	for _, size := range []int64{hwm - 1, hwm - 4096, hwm / 2, 3*4096 + 100, 4096 + 10, 100} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			if err := os.WriteFile(path, orig[:size], 0o600); err != nil {
				t.Fatal(err)
			}
			db, err := Open(dir, Options{})
			if err == nil {
				db.Close()
			}
			wantCode(t, err, CodeDamaged)
		})
	}
}

// pageOf returns the file offset of the page that holds the leaf element of key k.
func pageOf(t *testing.T, b []byte, k []byte) int {
	ps := int(binary.LittleEndian.Uint32(b[16+8:]))
	e := leafElements(t, b, k)
	return e[len(e)-1] / ps * ps
}

// Pages bbolt asserts on (a page that names another page, a zeroed page) are 1433 at open and at
// read, never a panic.
func TestDamagedPagesNoPanic(t *testing.T) {
	dir, _ := filled(t, 300)
	path := dataPath(dir, "Base")
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ps := int64(binary.LittleEndian.Uint32(orig[16+8:]))
	m := orig[16:]
	if binary.LittleEndian.Uint64(orig[ps+16+48:]) > binary.LittleEndian.Uint64(m[48:]) {
		m = orig[ps+16:]
	}
	root := int64(binary.LittleEndian.Uint64(m[16:]))
	cases := map[string]func(b []byte){
		"root page names another page": func(b []byte) { binary.LittleEndian.PutUint64(b[root*ps:], uint64(root+1)) },
		"root page zeroed":             func(b []byte) { clear(b[root*ps : (root+1)*ps]) },
		"record page zeroed": func(b []byte) {
			off := pageOf(t, b, encKey(t, 100))
			clear(b[off : off+int(ps)])
		},
		"record page names another page": func(b []byte) {
			off := pageOf(t, b, encKey(t, 100))
			binary.LittleEndian.PutUint64(b[off:], 7777)
		},
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			b := bytes.Clone(orig)
			damage(b)
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			db, err := Open(dir, Options{})
			if err != nil {
				wantCode(t, err, CodeDamaged)
				return
			}
			defer db.Close()
			_, _, gerr := db.Get("T", key(100))
			_, serr := db.Scan("T", nil, 1000)
			if CodeOf(gerr) != CodeDamaged && CodeOf(serr) != CodeDamaged {
				t.Errorf("get %v, scan %v: want 1433", gerr, serr)
			}
		})
	}
}

// A restored data file whose tree is damaged does not count as restored: OpenRestored checks
// the whole file first and says the backup cannot be used (1411).
func TestOpenRestoredChecksTheTree(t *testing.T) {
	dir, _ := filled(t, 300)
	path := dataPath(dir, "Base")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	off := pageOf(t, b, encKey(t, 100))
	binary.LittleEndian.PutUint64(b[off:], 7777)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "Data", "data.journal")); err != nil {
		t.Fatal(err)
	}
	db, _, err := OpenRestored(dir, Restored{Backup: 1, Operation: 1}, Options{})
	if err == nil {
		db.Close()
	}
	wantCode(t, err, CodeArchiveVerify)
}

// Damage inside a record found by a read is remembered: the next open says the data file is
// damaged (so that the repair at open runs), until it is repaired.
func TestReadDamageKnownAtNextOpen(t *testing.T) {
	dir, _ := filled(t, 300)
	path := dataPath(dir, "Base")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("record 0200"))
	b[i+3] ^= 0x20
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = db.Get("T", key(200))
	wantCode(t, err, CodeDamaged)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{})
	wantCode(t, err, CodeDamaged)
}

// A read that finds damage tells the window at once (Options.OnDamage, Damaged), refuses writes
// from then on with the same 1433, and leaves the mark that the next open finds.
func TestOnDamage(t *testing.T) {
	dir, want := filled(t, 300)
	path := dataPath(dir, "Base")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("record 0042"))
	b[i+5] ^= 0x01
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	told := make(chan error, 2)
	db, err := Open(dir, Options{OnDamage: func(err error) { told <- err }})
	if err != nil {
		t.Fatal(err)
	}
	if db.Damaged() != nil {
		t.Fatalf("damaged before any read: %v", db.Damaged())
	}
	rec, found, err := db.Get("T", key(41))
	if err != nil || !found || rec.Values[1].S != want[41] {
		t.Fatalf("a sound record: %v %v %v", rec, found, err)
	}
	_, _, err = db.Get("T", key(42))
	wantCode(t, err, CodeDamaged)
	select {
	case got := <-told:
		wantCode(t, got, CodeDamaged)
	case <-time.After(5 * time.Second):
		t.Fatal("OnDamage was not called")
	}
	wantCode(t, db.Damaged(), CodeDamaged)
	tx := db.NewProcess("").Auto()
	_, err = tx.Add("T", row(1000, "new"))
	wantCode(t, err, CodeDamaged)
	if _, err := os.Stat(DamageMark(dir)); err != nil {
		t.Fatalf("no mark beside the data file: %v", err)
	}
	_, _, err = db.Get("T", key(42))
	wantCode(t, err, CodeDamaged)
	db.Close()
	select {
	case got := <-told:
		t.Fatalf("OnDamage called twice (%v)", got)
	default:
	}
	_, err = Open(dir, Options{})
	wantCode(t, err, CodeDamaged)
	if !strings.Contains(err.Error(), DamageMark(dir)) {
		t.Errorf("the open's error does not name the mark: %v", err)
	}
	// Once the data file is replaced (a repair clears the mark), it opens again.
	if err := ClearDamageMark(dir); err != nil {
		t.Fatal(err)
	}
	b[i+5] ^= 0x01
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db = reopen(t, nil, dir, Options{})
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
}

// A data file that went through many checkpoints, splits, deletes (pages merged and freed),
// BLOBs on overflow pages and a table of its own passes every check: the checks never call a
// sound file damaged.
func TestSoundFilePassesChecks(t *testing.T) {
	db, dir := newDB(t, Options{CheckpointBytes: 64 << 10})
	err := db.CreateTable(Table{Name: "U", Journaled: false, PrimaryKey: []string{"k"}, Fields: []Field{{"k", journal.KindText}, {"v", journal.KindInt}}})
	if err != nil {
		t.Fatal(err)
	}
	p := db.NewProcess("")
	for round := int64(0); round < 6; round++ {
		_, err := p.Update(func(tx *Tx) error {
			for i := int64(0); i < 400; i++ {
				id := (i*7919 + round*131) % 1500
				_, found, err := tx.Get("T", key(id))
				if err != nil {
					return err
				}
				if found {
					if i%3 == 0 {
						_, err := tx.Delete("T", key(id))
						if err != nil {
							return err
						}
						continue
					}
					if _, err := tx.Modify("T", key(id), map[string]journal.Value{"name": journal.Text(strings.Repeat("m", int(i%90)))}); err != nil {
						return err
					}
					continue
				}
				if _, err := tx.Add("T", row(id, strings.Repeat("a", int(i%70)))); err != nil {
					return err
				}
			}
			if _, err := tx.SetBlob("T", key(round), "pic", bytes.Repeat([]byte{byte(round)}, 9000)); err != nil && CodeOf(err) != CodeNoRecord {
				return err
			}
			_, err := tx.Add("U", map[string]journal.Value{"k": journal.Text(fmt.Sprint("u", round)), "v": journal.Int(round)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.checkpoint(); err != nil {
			t.Fatal(err)
		}
		if err := db.Check(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
	want := names(t, db)
	db = reopen(t, db, dir, Options{})
	same(t, names(t, db), want)
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(dataPath(dir, "Base"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	v, err := newestView(f, info.Size())
	if err == nil {
		err = v.check(nil, checkTree)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// An operation of the log on a record whose element got the bucket flag, met by the integration
// at open, is 1433 (the data file is damaged, which the repair mends), not 2010.
func TestIntegrationMeetsHiddenRecord(t *testing.T) {
	dir, _ := filled(t, 300)
	db := reopen(t, nil, dir, lazy)
	tx := db.NewProcess("").Auto()
	if _, err := tx.Modify("T", key(150), map[string]journal.Value{"name": journal.Text("changed")}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	abandon(db)
	path := dataPath(dir, "Base")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range leafElements(t, b, encKey(t, 150)) {
		b[e] |= 0x01
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{})
	wantCode(t, err, CodeDamaged)
}

// A meta page that fails its checksum, as a write torn by a power loss leaves it, makes bbolt
// go by the other one, the version before: the open uses it once its whole tree is checked,
// and the log brings back what came after it. Both meta pages damaged is 1433.
func TestTornMetaPage(t *testing.T) {
	dir, want := filled(t, 300)
	path := dataPath(dir, "Base")
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ps := int(binary.LittleEndian.Uint32(orig[16+8:]))
	newer := 0
	if binary.LittleEndian.Uint64(orig[ps+16+48:]) > binary.LittleEndian.Uint64(orig[16+48:]) {
		newer = ps
	}
	b := bytes.Clone(orig)
	b[newer+16+40] ^= 0x10 // the high-water mark: the checksum no longer matches
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	same(t, names(t, db), want)
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	j, err := os.ReadFile(BackupJournalPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(j), "fails its checksum") {
		t.Errorf("the backup journal does not tell of the meta page:\n%s", j)
	}

	b = bytes.Clone(orig)
	b[16+40] ^= 0x10
	b[ps+16+40] ^= 0x10
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{})
	wantCode(t, err, CodeDamaged)
}
