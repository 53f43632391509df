package engine

import (
	"maps"
	"time"

	bolt "go.etcd.io/bbolt"

	"holdfast/journal"
)

// A batch is what one commit (or one marker) appended to the log: it becomes visible once the
// log is durable up to maxOp, in operation order.
type batch struct {
	maxOp   uint64 // its last operation (some may belong to tables outside the log)
	syncOp  uint64 // the log operation that must be durable before it is visible
	changes []*change
	state   map[tkey][]byte // the stored record of each key it wrote (nil: deleted), for writers
}

// publish moves every batch whose log records are durable into the visible cache.
func (db *DB) publish() {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	db.publishLocked()
}

// publishLocked is publish with wmu held.
func (db *DB) publishLocked() {
	if db.log == nil {
		return
	}
	durable := db.log.Durable()
	n := 0
	for n < len(db.batches) && db.batches[n].syncOp <= durable {
		n++
	}
	if n == 0 {
		return
	}
	ready := db.batches[:n]
	db.batches = append([]*batch(nil), db.batches[n:]...)
	db.vmu.Lock()
	for _, b := range ready {
		for _, c := range b.changes {
			db.applyVisible(c)
		}
		db.visibleOp = b.maxOp
	}
	db.lastWrite.Store(time.Now().UnixNano())
	big := db.overBytes >= db.opts.CheckpointBytes
	db.vmu.Unlock()
	if big {
		select {
		case db.ckptKick <- struct{}{}:
		default:
		}
	}
}

// applyVisible puts a durable change into the cache; vmu is held.
func (db *DB) applyVisible(c *change) {
	t := db.overlay[c.table.Name]
	if t == nil {
		t = map[string]entry{}
		db.overlay[c.table.Name] = t
	}
	if old, ok := t[c.key]; ok {
		db.overBytes -= int64(len(old.val) + len(c.key))
	}
	t[c.key] = entry{op: c.op, val: c.val}
	db.overBytes += int64(len(c.val) + len(c.key))
	db.counts[c.table.Name] += c.countDelta()
	db.lastChange = c.op
}

// checkpoint writes the visible cache into the data file in one bbolt transaction (synced), with
// the operation number it reaches. Readers go on meanwhile: they see the frozen cache until the
// data file holds it.
func (db *DB) checkpoint() error {
	db.ckptMu.Lock()
	defer db.ckptMu.Unlock()
	db.publish()
	db.wmu.Lock()
	seq, mark := maps.Clone(db.seq), db.logMarkLocked()
	db.wmu.Unlock()
	return db.checkpointCore(seq, mark)
}

// checkpointLocked is checkpoint with ckptMu and wmu held: no write can slip in between.
func (db *DB) checkpointLocked() error {
	db.publishLocked()
	return db.checkpointCore(maps.Clone(db.seq), db.logMarkLocked())
}

// checkpointCore writes the frozen cache, the counters and how far the log was on disk.
func (db *DB) checkpointCore(seq map[string]uint64, mark logMark) error {
	db.vmu.Lock()
	if len(db.overlay) == 0 && db.visibleOp == db.ckptOp {
		db.vmu.Unlock()
		return nil
	}
	db.frozen, db.overlay = db.overlay, map[string]map[string]entry{}
	db.overBytes = 0
	op, last, counts := db.visibleOp, db.lastChange, maps.Clone(db.counts)
	frozen := db.frozen
	db.vmu.Unlock()

	err := db.updateData("checkpoint", func(tx *bolt.Tx) error {
		if err := writeEntries(tx, frozen); err != nil {
			return err
		}
		if err := writeCounters(tx, op, last, seq, counts); err != nil {
			return err
		}
		return putLogMark(tx, mark)
	})

	db.vmu.Lock()
	defer db.vmu.Unlock()
	db.frozen = nil
	if err != nil {
		// Put the changes back under whatever came since, and try again later.
		for table, ents := range frozen {
			t := db.overlay[table]
			if t == nil {
				db.overlay[table] = ents
				continue
			}
			for k, e := range ents {
				if _, newer := t[k]; !newer {
					t[k] = e
					db.overBytes += int64(len(e.val) + len(k))
				}
			}
		}
		db.ckptErr = dataError("checkpoint", dataPath(db.dir, db.name), err)
		return db.ckptErr
	}
	db.ckptOp, db.ckptErr = op, nil
	for table, ents := range frozen {
		for k, e := range ents {
			if e.val != nil && k > db.diskMax[table] {
				db.diskMax[table] = k
			}
		}
	}
	return nil
}

// checkpointLoop checkpoints when the cache is big (kicked by publish) or at least every
// CheckpointInterval.
func (db *DB) checkpointLoop() {
	defer db.wg.Done()
	tick := time.NewTicker(db.opts.CheckpointInterval)
	defer tick.Stop()
	for {
		select {
		case <-db.stop:
			return
		case <-db.ckptKick:
		case <-tick.C:
		}
		db.wmu.Lock()
		backingUp := db.backup != nil
		db.wmu.Unlock()
		if backingUp {
			// A checkpoint that grows the data file would wait for the backup's snapshot (a
			// remap waits for every reader) and stall every reader meanwhile: the cache holds
			// the writes, safe in the log, until the backup ends.
			continue
		}
		db.checkpoint()
	}
}

// failLog puts the database in the 1274 state: the log cannot be written, so nothing more is
// acknowledged. Changes that were logged but not durable are dropped: they were never visible
// and never acknowledged. Reads go on.
func (db *DB) failLog(cause error) error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	return db.failLogLocked(cause)
}

// failLogLocked is failLog with wmu held.
func (db *DB) failLogLocked(cause error) error {
	db.publishLocked()
	if db.logErr == nil {
		db.infoMu.Lock()
		db.logErr = &Error{Code: CodeLogUnavailable, Op: "write log", Path: db.LogPath(), Err: cause}
		db.infoMu.Unlock()
		db.batches = nil
		db.epoch++
		if db.log != nil {
			db.recordLogFailure(db.log.Durable())
		}
	}
	return db.logErr
}

// appendMarker logs operations that change no data (open, close, contexts, a cancelled
// transaction); they become durable with the next commit or at close.
func (db *DB) appendMarker(recs ...*journal.Record) {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.log == nil || db.logErr != nil {
		return
	}
	now := time.Now()
	for _, r := range recs {
		r.Op, r.Time, r.SystemUser = db.nextOp, now, db.opts.SystemUser
		if r.User == "" {
			r.User = db.opts.User
		}
		db.nextOp++
	}
	if err := db.log.Append(recs...); err != nil {
		db.nextOp -= uint64(len(recs))
		return // the next commit meets the same error and reports it
	}
	last := recs[len(recs)-1].Op
	db.batches = append(db.batches, &batch{maxOp: last, syncOp: last})
}
