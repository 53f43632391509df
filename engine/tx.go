package engine

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"holdfast/journal"
)

// Process is a process context (S1): a unit of work whose operations are logged under one
// process id, between a Creation of a Context and a Closing of a Context. A Process is used by
// one goroutine at a time; a DB serves many processes at once.
type Process struct {
	db     *DB
	id     uint32
	user   string
	closed bool
}

// NewProcess opens a process context for user ("" = the database's user).
func (db *DB) NewProcess(user string) *Process {
	if user == "" {
		user = db.opts.User
	}
	db.wmu.Lock()
	p := &Process{db: db, id: newProcessID(db), user: user}
	db.wmu.Unlock()
	db.appendMarker(&journal.Record{Action: journal.CreateContext, Process: p.id, User: user})
	return p
}

// ID is the process id written in the log.
func (p *Process) ID() uint32 { return p.id }

// SetUser changes the application user of the context (logged as Update context).
func (p *Process) SetUser(user string) {
	p.user = user
	p.db.appendMarker(&journal.Record{Action: journal.UpdateContext, Process: p.id, User: user})
}

// Close ends the context (logged as Closing of a Context).
func (p *Process) Close() {
	if !p.closed {
		p.closed = true
		p.db.appendMarker(&journal.Record{Action: journal.CloseContext, Process: p.id, User: p.user})
	}
}

// Begin starts a transaction: its writes are all applied, or none, after a crash too.
func (p *Process) Begin() *Tx { return &Tx{p: p, explicit: true, state: map[tkey][]byte{}} }

// Auto returns a transaction for one autocommit write: a single change is logged on its own,
// without Start and Validation of Transaction.
func (p *Process) Auto() *Tx { return &Tx{p: p, state: map[tkey][]byte{}} }

// Update runs fn in a transaction and commits it, or rolls it back if fn fails or panics.
func (p *Process) Update(fn func(tx *Tx) error) (op uint64, err error) {
	tx := p.Begin()
	defer func() {
		if !tx.done {
			tx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return 0, err
	}
	return tx.Commit()
}

// An intent is one write of a transaction, resolved against the current data at commit.
type intent struct {
	action journal.Action // Add, Modify, Delete, AddBlob
	table  *Table
	key    string
	num    uint64          // Add: the record number given at the call
	vals   []journal.Value // Add: every field; Modify: the fields in set
	set    []bool          // Modify: which fields change
	field  int             // AddBlob
	blob   journal.Value   // AddBlob: a blob or null (cleared)
}

// A change is an intent resolved: the stored record after it, and its operation number.
type change struct {
	intent
	op  uint64
	val []byte // stored record after the change; nil after a delete
}

func (c *change) countDelta() int64 {
	switch c.action {
	case journal.Add:
		return 1
	case journal.Delete:
		return -1
	}
	return 0
}

// Tx is a transaction. It is used by one goroutine.
type Tx struct {
	p        *Process
	explicit bool
	staged   []*change       // the writes, as resolved when called
	epoch    uint64          // DB.epoch at the first call: unchanged at commit, staged holds
	state    map[tkey][]byte // the transaction's own view of the records it wrote (nil: deleted)
	done     bool
}

var errTxDone = &Error{Code: CodeTxState, Op: "transaction", Err: errors.New("the transaction is already committed or rolled back")}

// Add adds a record; vals maps field names to values (missing fields are null). It returns the
// record number.
func (tx *Tx) Add(table string, vals map[string]journal.Value) (uint64, error) {
	t, err := tx.p.db.table(table)
	if err != nil {
		return 0, err
	}
	row, _, err := t.row(vals, true)
	if err != nil {
		return 0, &Error{Code: CodeBadValue, Op: "add to " + table, Err: err}
	}
	key, err := t.keyOf(row)
	if err != nil {
		return 0, err
	}
	in := intent{action: journal.Add, table: t, key: key, vals: row}
	return tx.stage(in)
}

// Modify changes the given fields of the record with this primary key.
func (tx *Tx) Modify(table string, key []journal.Value, vals map[string]journal.Value) (uint64, error) {
	t, k, err := tx.p.db.tableKey(table, key)
	if err != nil {
		return 0, err
	}
	row, set, err := t.row(vals, false)
	if err != nil {
		return 0, &Error{Code: CodeBadValue, Op: "modify " + table, Err: err}
	}
	for _, i := range t.keyIdx {
		if set[i] && !row[i].Equal(key[indexOf(t.keyIdx, i)]) {
			return 0, Errorf(CodeBadValue, "modify "+table, "field %s is part of the primary key and cannot change: delete the record and add it again", t.Fields[i].Name)
		}
	}
	return tx.stage(intent{action: journal.Modify, table: t, key: k, vals: row, set: set})
}

// Delete deletes the record with this primary key.
func (tx *Tx) Delete(table string, key []journal.Value) (uint64, error) {
	t, k, err := tx.p.db.tableKey(table, key)
	if err != nil {
		return 0, err
	}
	return tx.stage(intent{action: journal.Delete, table: t, key: k})
}

// SetBlob stores data in a blob field of the record (nil data clears it). It is logged as
// Adding a BLOB.
func (tx *Tx) SetBlob(table string, key []journal.Value, field string, data []byte) (uint64, error) {
	t, k, err := tx.p.db.tableKey(table, key)
	if err != nil {
		return 0, err
	}
	i := t.FieldIndex(field)
	if i < 0 || t.Fields[i].Type != journal.KindBlob {
		return 0, Errorf(CodeBadValue, "blob", "table %s has no blob field %q", table, field)
	}
	if len(data) > maxBlob {
		return 0, Errorf(CodeBadValue, "blob", "a blob of %d bytes is larger than the %d MiB a record can hold", len(data), maxBlob>>20)
	}
	v := journal.Value{}
	if data != nil {
		v = journal.Blob(data)
	}
	return tx.stage(intent{action: journal.AddBlob, table: t, key: k, field: i, blob: v})
}

const maxBlob = 256 << 20

// maxLogged bounds what one logged operation holds, below the log's record limit.
const maxLogged = journal.MaxRecordSize - 1<<20

// stage checks an intent against the current data and the transaction's own writes, and keeps
// it for the commit. Record numbers of additions are given here.
func (tx *Tx) stage(in intent) (num uint64, err error) {
	if tx.done {
		return 0, errTxDone
	}
	db := tx.p.db
	defer db.damagedOnPanic(&err)
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if err := db.writableLocked(); err != nil {
		return 0, err
	}
	if in.action == journal.Add {
		db.seq[in.table.Name]++
		in.num = db.seq[in.table.Name]
	}
	look := db.lookup()
	defer look.close()
	val, err := resolve(&in, tx.state, look)
	if err != nil {
		return 0, err
	}
	if size := len(val) + len(in.key) + len(in.blob.B); size > maxLogged {
		return 0, Errorf(CodeBadValue, in.action.String(), "the record would take %d MiB, more than the %d MiB one operation can hold; store less in it", size>>20, maxLogged>>20)
	}
	if len(tx.staged) == 0 {
		tx.epoch = db.epoch
	}
	tx.state[tkey{in.table.Name, in.key}] = val
	tx.staged = append(tx.staged, &change{intent: in, val: val})
	return in.num, nil
}

// resolve applies an intent to the current stored record (from state, then the database) and
// returns the stored record after it. It sets in.num to the record's number.
func resolve(in *intent, state map[tkey][]byte, look *lookup) ([]byte, error) {
	k := tkey{in.table.Name, in.key}
	cur, ok := state[k]
	if !ok {
		var err error
		if cur, err = look.get(in.table, in.key); err != nil {
			return nil, err
		}
	}
	op := in.action.String()
	if in.action == journal.Add {
		if cur != nil {
			return nil, &Error{Code: CodeDuplicateKey, Op: "add to " + in.table.Name, Err: fmt.Errorf("key %s", keyString(in.key))}
		}
		return encodeRecord(in.num, in.vals), nil
	}
	if cur == nil {
		return nil, &Error{Code: CodeNoRecord, Op: op + " in " + in.table.Name, Err: fmt.Errorf("key %s", keyString(in.key))}
	}
	in.num = recordNum(cur)
	if in.action == journal.Delete {
		return nil, nil
	}
	rec, err := decodeRecord(cur, len(in.table.Fields))
	if err != nil {
		return nil, &Error{Code: CodeDamaged, Op: "read " + in.table.Name, Err: err}
	}
	if in.action == journal.Modify {
		for i, s := range in.set {
			if s {
				rec.Values[i] = in.vals[i]
			}
		}
	} else {
		rec.Values[in.field] = in.blob
	}
	return encodeRecord(rec.Num, rec.Values), nil
}

// Commit makes the transaction's writes durable and visible, all or none, and returns the
// operation number that validates them.
func (tx *Tx) Commit() (uint64, error) {
	if tx.done {
		return 0, errTxDone
	}
	tx.done = true
	db := tx.p.db
	db.wmu.Lock()
	if err := db.writableLocked(); err != nil {
		db.wmu.Unlock()
		return 0, err
	}
	changes, state, err := tx.resolveAll()
	if err != nil {
		db.wmu.Unlock()
		return 0, err
	}
	if db.log == nil {
		defer db.wmu.Unlock()
		return db.commitDirect(changes)
	}
	op, syncOp, cold, err := tx.logChanges(changes, state)
	log := db.log // a backup may switch the log once wmu is released; this one holds the records
	db.wmu.Unlock()
	if err != nil {
		return 0, db.failLog(err)
	}
	if err := log.Sync(syncOp); err != nil {
		return 0, db.failLog(err)
	}
	db.publish()
	if cold {
		// Tables outside the log are only safe once in the data file.
		if err := db.checkpoint(); err != nil {
			return 0, err
		}
	}
	return op, nil
}

// resolveAll resolves every intent again against the data as it is now (another process may
// have written since the calls); wmu is held.
func (tx *Tx) resolveAll() (_ []*change, _ map[tkey][]byte, err error) {
	if tx.p.db.epoch == tx.epoch {
		// No commit since the calls: they were resolved against the data as it still is.
		return tx.staged, tx.state, nil
	}
	defer tx.p.db.damagedOnPanic(&err)
	look := tx.p.db.lookup()
	defer look.close()
	state := make(map[tkey][]byte, len(tx.staged))
	changes := make([]*change, 0, len(tx.staged))
	for _, c := range tx.staged {
		in := c.intent
		val, err := resolve(&in, state, look)
		if err != nil {
			return nil, nil, err
		}
		state[tkey{in.table.Name, in.key}] = val
		changes = append(changes, &change{intent: in, val: val})
	}
	return changes, state, nil
}

// logChanges numbers the changes, appends their log records and queues them for publication;
// wmu is held. It returns the operation to report, the one to wait for, and whether a table
// outside the log was written.
func (tx *Tx) logChanges(changes []*change, state map[tkey][]byte) (op, syncOp uint64, cold bool, err error) {
	db := tx.p.db
	now := time.Now()
	store := make([]journal.Record, 0, len(changes)+2)
	mk := func(a journal.Action) *journal.Record {
		store = append(store, journal.Record{Op: db.nextOp, Time: now, Action: a, Process: tx.p.id, SystemUser: db.opts.SystemUser, User: tx.p.user})
		db.nextOp++
		return &store[len(store)-1]
	}
	recs := make([]*journal.Record, 0, len(changes)+2)
	journaled := 0
	for _, c := range changes {
		if c.table.Journaled {
			journaled++
		} else {
			cold = true
		}
	}
	wrap := journaled > 0 && (tx.explicit || len(changes) > 1)
	if wrap {
		recs = append(recs, mk(journal.StartTx))
	}
	for _, c := range changes {
		if !c.table.Journaled {
			c.op = db.nextOp
			db.nextOp++
			continue
		}
		r := mk(c.action)
		c.op = r.Op
		r.Table, r.Key, r.RecordNum = c.table.Name, []byte(c.key), c.num
		switch c.action {
		case journal.Add, journal.Modify:
			r.Values = c.val[5+uvarintLen(c.num):]
			r.Size = uint64(len(r.Values))
		case journal.AddBlob:
			r.Values = journal.AppendValues(nil, []journal.Value{journal.Text(c.table.Fields[c.field].Name), c.blob})
			r.Size = uint64(len(c.blob.B))
		}
		recs = append(recs, r)
	}
	if wrap {
		recs = append(recs, mk(journal.ValidateTx))
	}
	op = db.nextOp - 1
	if len(recs) > 0 {
		if err := db.log.Append(recs...); err != nil {
			return 0, 0, false, err
		}
	}
	syncOp = db.log.LastOp()
	if len(changes) > 0 {
		db.epoch++
		db.raiseKeyMax(changes)
	}
	db.batches = append(db.batches, &batch{maxOp: op, syncOp: syncOp, changes: changes, state: state})
	return op, syncOp, cold, nil
}

// commitDirect writes the changes straight into the data file, synced: the log is off. wmu is
// held.
func (db *DB) commitDirect(changes []*change) (uint64, error) {
	ents := map[string]map[string]entry{}
	counts := map[string]int64{}
	db.vmu.RLock()
	for t, n := range db.counts {
		counts[t] = n
	}
	db.vmu.RUnlock()
	for _, c := range changes {
		c.op = db.nextOp
		db.nextOp++
		if ents[c.table.Name] == nil {
			ents[c.table.Name] = map[string]entry{}
		}
		ents[c.table.Name][c.key] = entry{op: c.op, val: c.val}
		counts[c.table.Name] += c.countDelta()
	}
	op := db.nextOp - 1
	last := db.lastChange
	if len(changes) > 0 {
		last = op
	}
	err := db.updateData("commit", func(btx *bolt.Tx) error {
		if err := writeEntries(btx, ents); err != nil {
			return err
		}
		return writeCounters(btx, op, last, db.seq, counts)
	})
	if err != nil {
		db.nextOp = op + 1 - uint64(len(changes))
		return 0, dataError("commit", dataPath(db.dir, db.name), err)
	}
	db.epoch++
	db.raiseKeyMax(changes)
	db.vmu.Lock()
	db.counts, db.visibleOp, db.lastChange, db.ckptOp = counts, op, last, op
	db.lastWrite.Store(time.Now().UnixNano())
	for _, c := range changes {
		if c.val != nil && c.key > db.diskMax[c.table.Name] {
			db.diskMax[c.table.Name] = c.key
		}
	}
	db.vmu.Unlock()
	return op, nil
}

// Rollback drops the transaction. One that had written something leaves a Start and a
// Cancellation of Transaction in the log, so that activity analysis shows it.
func (tx *Tx) Rollback() {
	if tx.done {
		return
	}
	tx.done = true
	if !tx.explicit || len(tx.staged) == 0 {
		return
	}
	db := tx.p.db
	db.appendMarker(&journal.Record{Action: journal.StartTx, Process: tx.p.id, User: tx.p.user},
		&journal.Record{Action: journal.CancelTx, Process: tx.p.id, User: tx.p.user})
}

// Get reads a record as the transaction sees it (its own writes included).
func (tx *Tx) Get(table string, key []journal.Value) (Record, bool, error) {
	t, k, err := tx.p.db.tableKey(table, key)
	if err != nil {
		return Record{}, false, err
	}
	val, ok := tx.state[tkey{t.Name, k}]
	if !ok {
		return tx.p.db.get(t, k)
	}
	if val == nil {
		return Record{}, false, nil
	}
	rec, err := decodeRecord(val, len(t.Fields))
	return rec, err == nil, err
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

func indexOf(s []int, v int) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// raiseKeyMax keeps keyMax above every key written; wmu is held.
func (db *DB) raiseKeyMax(changes []*change) {
	for _, c := range changes {
		if c.key > db.keyMax[c.table.Name] {
			db.keyMax[c.table.Name] = c.key
		}
	}
}
