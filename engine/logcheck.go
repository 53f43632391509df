package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	bolt "go.etcd.io/bbolt"

	"holdfast/journal"
)

// keyLogMark is where each checkpoint records how far the log was on disk: the log's first
// operation and creation time (which log it was) and its last durable operation. A crash can
// only tear what was not yet synced, so a log that ends before that mark, or before the
// operation the data file holds, lost acknowledged operations: it is damaged (1408), never a
// torn tail to cut.
var keyLogMark = []byte("logMark")

// logMark is the log's position that a checkpoint records.
type logMark struct {
	firstOp uint64
	created int64 // the header's creation time, in nanoseconds
	durable uint64
}

// logMarkLocked reads the current log's mark; zero when no healthy log is on. wmu is held.
func (db *DB) logMarkLocked() logMark {
	if db.log == nil || db.logErr != nil {
		return logMark{}
	}
	h := db.log.Header()
	return logMark{firstOp: h.FirstOp, created: h.Created.UnixNano(), durable: db.log.Durable()}
}

// bytes encodes the mark with a CRC-32C of it: a damaged mark is damage of the data file
// (1433, repaired from a backup), never taken for a log that lost operations.
func (m logMark) bytes() []byte {
	b := binary.BigEndian.AppendUint64(nil, m.firstOp)
	b = binary.BigEndian.AppendUint64(b, uint64(m.created))
	b = binary.BigEndian.AppendUint64(b, m.durable)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// putLogMark records m in a checkpoint's transaction (nothing without a log).
func putLogMark(tx *bolt.Tx, m logMark) error {
	if m.firstOp == 0 {
		return nil
	}
	return tx.Bucket(bucketMeta).Put(keyLogMark, m.bytes())
}

// readLogMark returns the mark the last checkpoint recorded (zero when none), or the 1433 of
// a mark that fails its checksum.
func (db *DB) readLogMark() (logMark, error) {
	var b []byte
	db.bolt.View(func(tx *bolt.Tx) error {
		b = append(b, tx.Bucket(bucketMeta).Get(keyLogMark)...)
		return nil
	})
	switch {
	case len(b) == 0:
		return logMark{}, nil
	case len(b) != 28 || crc32.Checksum(b[:24], castagnoli) != binary.BigEndian.Uint32(b[24:]):
		return logMark{}, db.damaged("open", errors.New("the record of how far the log was on disk fails its checksum"))
	}
	return logMark{firstOp: binary.BigEndian.Uint64(b), created: int64(binary.BigEndian.Uint64(b[8:])), durable: binary.BigEndian.Uint64(b[16:])}, nil
}

// checkLogEnd refuses a log that ends before what was already durable in it: the durable end
// the last checkpoint recorded for this very log (a checkpoint holds only operations that
// were durable, so its mark is at least the last logged change it wrote). The data file's own
// last change is not the measure: a write to a table outside the log, or the markers a repair
// or a restore applied from a log of its own, are in the data file and in no log.
func (db *DB) checkLogEnd(path string, info journal.AppendInfo) error {
	m, err := db.readLogMark()
	if err != nil {
		return err
	}
	if m.firstOp != info.Header.FirstOp || m.created != info.Header.Created.UnixNano() {
		return nil // another log than the one the last checkpoint saw: nothing to measure by
	}
	need, why := m.durable, "operations up to it had been written to disk, up to"
	if info.LastOp >= need || need < info.Header.FirstOp {
		return nil
	}
	lost := ""
	if info.Torn != nil {
		lost = fmt.Sprintf(" (its last %d bytes at offset %d were cut too)", info.Torn.Bytes, info.Torn.Offset)
	}
	return &Error{Code: CodeLogIO, Op: "open log", Path: path,
		Err: fmt.Errorf("the log ends at operation %d but %s %d: operations %d to %d are missing%s, so it was cut or damaged after they were written; %w", info.LastOp, why, need, info.LastOp+1, need, lost,
			Advice{Command: "put back a whole copy of the log if you have one, or open the database without its log (holdfast log DB stop) and make a backup",
				Window: "put back a whole copy of the log if you have one, or open the database without its log (Open Without the Log) and make a backup (File > Backup...)"})}
}
