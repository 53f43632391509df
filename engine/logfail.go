package engine

import (
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// keyLogFailed records in the data file that the log became unavailable (1274) and the last
// operation it held on disk for certain then. It stays until a backup starts a new log (S3.4):
// an open that finds it refuses writes again, and integrates nothing after that operation, so
// that a write refused with 1274 (its record written, its sync failed) never shows up later.
var keyLogFailed = []byte("logFailed")

// recordLogFailure writes the mark, when the log fails for the first time; wmu is held. While
// a backup holds its snapshot, a write that grew the data file would wait for the backup (and
// the backup for wmu): the mark is then written once wmu is let go.
func (db *DB) recordLogFailure(durable uint64) {
	if db.opts.ReadOnly || db.bolt == nil {
		return
	}
	put := func() error {
		return db.bolt.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMeta).Put(keyLogFailed, u64(durable))
		})
	}
	if db.backup != nil {
		go func() {
			db.wmu.Lock()
			defer db.wmu.Unlock()
			if !db.closed {
				put()
			}
		}()
		return
	}
	put()
}

// logFailure reads the mark: whether the log failed in an earlier run, and the last operation
// it held for certain then.
func (db *DB) logFailure() (bool, uint64) {
	var b []byte
	db.bolt.View(func(tx *bolt.Tx) error {
		b = append(b, tx.Bucket(bucketMeta).Get(keyLogFailed)...)
		return nil
	})
	if len(b) != 8 {
		return false, 0
	}
	return true, binary.BigEndian.Uint64(b)
}

// clearLogFailure removes the mark, in a backup's transaction that starts a new log.
func clearLogFailure(tx *bolt.Tx) error {
	return tx.Bucket(bucketMeta).Delete(keyLogFailed)
}

// errFailedBefore is the 1274 of a database whose log failed in an earlier run.
func errFailedBefore(path string, durable uint64) error {
	return &Error{Code: CodeLogUnavailable, Op: "write", Path: path,
		Err: fmt.Errorf("the log failed while the database was last used (it holds every write up to operation %d; the writes refused then are not in the data); %w", durable, errBackupFirst)}
}

var errBackupFirst = errors.New("writes are refused until a backup is made")
