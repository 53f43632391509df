package engine

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// The data file is a bbolt file:
//
//	meta                 format, id, applied, lastChange, backupOp, backupNum, logPending,
//	                     logSegment (see newlog.go), seq:<table> (next record number),
//	                     count:<table>, sum:<table> (CRC-32C of seq and count, see counterSum;
//	                     absent in files written before it)
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

// loadMeta reads the data file's identity and counters, through checked pages (pages.go), and
// the last key of each table; the counters must match their checksums.
func (db *DB) loadMeta() (err error) {
	defer db.boltGuard("read data file", &err, debug.SetPanicOnFault(true))
	err = db.bolt.View(func(tx *bolt.Tx) error {
		rc, err := db.roots(tx)
		if err != nil {
			return err
		}
		if rc.meta == nil {
			return errors.New("no meta bucket: not a Holdfast data file")
		}
		m, err := rc.meta.values()
		if err != nil {
			return err
		}
		if len(m[string(keyID)]) != 16 {
			return errors.New("no identity: not a Holdfast data file")
		}
		if f := metaU64(m, string(keyFormat)); f != dataFormat {
			return fmt.Errorf("data format %d is not supported by this version", f)
		}
		copy(db.id[:], m[string(keyID)])
		db.ckptOp = metaU64(m, string(keyApplied))
		db.lastChange = metaU64(m, string(keyLastChange))
		if sum, ok := m[string(keyProgressSum)]; ok && !bytes.Equal(sum, counterSum(db.ckptOp, db.lastChange)) {
			return errors.New("the operations it holds (applied, last change) are damaged (checksum)")
		}
		db.catMu.RLock()
		defer db.catMu.RUnlock()
		for _, t := range db.cat.Tables {
			seq, count := metaU64(m, "seq:"+t.Name), metaU64(m, "count:"+t.Name)
			if sum, ok := m["sum:"+t.Name]; ok && !bytes.Equal(sum, counterSum(seq, count)) {
				return fmt.Errorf("table %s: its record count and number are damaged (checksum)", t.Name)
			}
			db.seq[t.Name], db.counts[t.Name] = seq, int64(count)
		}
		return db.loadDiskMax(tx)
	})
	if err != nil {
		return db.readError("read data file", err)
	}
	db.visibleOp = db.ckptOp
	db.nextOp = db.ckptOp + 1
	return nil
}

// writeEntries puts cached changes into the data file within tx, in key order: bbolt inserts
// in order cheaply, and at random at a cost that grows with the square of the batch.
//
// bbolt reads the pages on the way to each key through its memory map: a damaged one is a panic
// or a memory fault there, and a key held as a sub-bucket refuses the value. Both are 1433.
func writeEntries(tx *bolt.Tx, tables map[string]map[string]entry) (err error) {
	defer func(fault bool) {
		debug.SetPanicOnFault(fault)
		if r := recover(); r != nil {
			err = &Error{Code: CodeDamaged, Op: "write data file", Path: tx.DB().Path(), Err: fmt.Errorf("%v", r)}
		}
	}(debug.SetPanicOnFault(true))
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
			if errors.Is(err, berrors.ErrIncompatibleValue) {
				return &Error{Code: CodeDamaged, Op: "write data file", Path: tx.DB().Path(), Err: fmt.Errorf("table %s: key %s is held as a sub-bucket", table, keyString(k))}
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
	if err := putProgress(m, applied, lastChange); err != nil {
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
		if err := m.Put([]byte("sum:"+t), counterSum(seq[t], uint64(c))); err != nil {
			return err
		}
	}
	return nil
}

// loadDiskMax reads the last key of each table in the data file, when the cache is empty
// (at open, after an integration): it is then the last key written as well. A table whose last
// key cannot be read is taken to reach every key, so that reads and writes look into the data
// file and meet the damage.
func (db *DB) loadDiskMax(tx *bolt.Tx) error {
	clear(db.diskMax)
	rc, err := db.roots(tx)
	if err != nil {
		return err
	}
	var first error
	for table, t := range rc.tables {
		k, err := t.last()
		if err != nil {
			k = []byte(beyondEveryKey)
			first = cmp.Or(first, err)
		}
		if k != nil {
			db.diskMax[table] = string(k)
		}
	}
	for t, k := range db.diskMax {
		if k > db.keyMax[t] {
			db.keyMax[t] = k
		}
	}
	return first
}

// beyondEveryKey sorts after every key (a key starts with its first value's kind byte).
const beyondEveryKey = "\xff\xff\xff\xff\xff\xff\xff\xff"

// keyProgressSum is the checksum of applied and lastChange (see counterSum): a damaged one of
// them would make an open skip operations of the log (applied too high) or refuse a sound log
// (lastChange too high). A data file without it (older) is not checked.
var keyProgressSum = []byte("progressSum")

// putProgress stores the applied operation and the last change with their checksum.
func putProgress(m *bolt.Bucket, applied, lastChange uint64) error {
	if err := m.Put(keyApplied, u64(applied)); err != nil {
		return err
	}
	if err := m.Put(keyLastChange, u64(lastChange)); err != nil {
		return err
	}
	return m.Put(keyProgressSum, counterSum(applied, lastChange))
}
