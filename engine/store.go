package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The data file is a bbolt file:
//
//	meta                 format, id, applied, lastChange, backupOp, backupNum, logPending,
//	                     logSegment (see newlog.go), seq:<table> (next record number),
//	                     count:<table>
//	t:<table>            primary key (journal.AppendKey) -> stored record (encodeRecord)
var (
	bucketMeta    = []byte("meta")
	keyFormat     = []byte("format")
	keyID         = []byte("id")
	keyApplied    = []byte("applied")
	keyLastChange = []byte("lastChange")
	keyBackupOp   = []byte("backupOp")
	keyLogPending = []byte("logPending")
	keyBackupNum  = []byte("backupNum")
)

const dataFormat = 1

func tableBucket(name string) []byte { return []byte("t:" + name) }

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func getU64(b *bolt.Bucket, k []byte) uint64 {
	v := b.Get(k)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func openBolt(path string, readOnly bool) (*bolt.DB, error) {
	return bolt.Open(path, 0o600, &bolt.Options{
		Timeout:  time.Second,
		ReadOnly: readOnly,
		// The free list is written with each commit: without it, every open walks every page
		// of the file (2.3 s and 2.2 GB of mapped pages for a 2 GiB data file, against 0.02 s).
		FreelistType: bolt.FreelistMapType,
		// Address space only: growing the file up to this size needs no remap, and a remap
		// waits for every reader.
		InitialMmapSize: 1 << 30,
	})
}

// loadMeta reads the data file's identity and counters and checks its pages.
func (db *DB) loadMeta() error {
	err := db.bolt.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if m == nil || len(m.Get(keyID)) != 16 {
			return errors.New("no identity: not a Holdfast data file")
		}
		if f := getU64(m, keyFormat); f != dataFormat {
			return fmt.Errorf("data format %d is not supported by this version", f)
		}
		copy(db.id[:], m.Get(keyID))
		db.ckptOp = getU64(m, keyApplied)
		db.lastChange = getU64(m, keyLastChange)
		db.catMu.RLock()
		defer db.catMu.RUnlock()
		for _, t := range db.cat.Tables {
			db.seq[t.Name] = getU64(m, []byte("seq:"+t.Name))
			db.counts[t.Name] = int64(getU64(m, []byte("count:"+t.Name)))
		}
		db.loadDiskMax(tx)
		return nil
	})
	if err != nil {
		return &Error{Code: CodeDamaged, Op: "read data file", Path: dataPath(db.dir, db.name), Err: err}
	}
	db.visibleOp = db.ckptOp
	db.nextOp = db.ckptOp + 1
	return nil
}

// Check walks every page of the data file and every record's checksum. It is what "its checks
// pass" means in S3.5; it reads the whole file, so it is run on demand (verify), not at each open.
func (db *DB) Check() error {
	err := db.bolt.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		db.catMu.RLock()
		defer db.catMu.RUnlock()
		for _, t := range db.cat.Tables {
			b := tx.Bucket(tableBucket(t.Name))
			if b == nil {
				continue
			}
			err := b.ForEach(func(k, v []byte) error {
				if _, err := decodeRecord(v, len(t.Fields)); err != nil {
					return fmt.Errorf("table %s: %w", t.Name, err)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return &Error{Code: CodeDamaged, Op: "check data file", Path: dataPath(db.dir, db.name), Err: err}
	}
	return nil
}

// writeEntries puts cached changes into the data file within tx, in key order: bbolt inserts
// in order cheaply, and at random at a cost that grows with the square of the batch.
func writeEntries(tx *bolt.Tx, tables map[string]map[string]entry) error {
	for table, ents := range tables {
		b, err := tx.CreateBucketIfNotExists(tableBucket(table))
		if err != nil {
			return err
		}
		// Keys come in order, mostly past the end: fill pages well (bbolt's 50 % default
		// suits random inserts and doubles the file for appends).
		b.FillPercent = 0.9
		keys := make([]string, 0, len(ents))
		for k := range ents {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			e := ents[k]
			if e.val == nil {
				err = b.Delete([]byte(k))
			} else {
				err = b.Put([]byte(k), e.val)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// writeCounters stores the applied operation and the per-table counters within tx.
func writeCounters(tx *bolt.Tx, applied, lastChange uint64, seq map[string]uint64, counts map[string]int64) error {
	m := tx.Bucket(bucketMeta)
	if err := m.Put(keyApplied, u64(applied)); err != nil {
		return err
	}
	if err := m.Put(keyLastChange, u64(lastChange)); err != nil {
		return err
	}
	for t, s := range seq {
		if err := m.Put([]byte("seq:"+t), u64(s)); err != nil {
			return err
		}
	}
	for t, c := range counts {
		if err := m.Put([]byte("count:"+t), u64(uint64(c))); err != nil {
			return err
		}
	}
	return nil
}

// loadDiskMax reads the last key of each table in the data file, when the cache is empty
// (at open, after an integration): it is then the last key written as well.
func (db *DB) loadDiskMax(tx *bolt.Tx) {
	clear(db.diskMax)
	tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		if table, ok := strings.CutPrefix(string(name), "t:"); ok {
			if k, _ := b.Cursor().Last(); k != nil {
				db.diskMax[table] = string(k)
			}
		}
		return nil
	})
	for t, k := range db.diskMax {
		if k > db.keyMax[t] {
			db.keyMax[t] = k
		}
	}
}
