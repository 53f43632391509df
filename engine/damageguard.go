package engine

import (
	"errors"
	"runtime/debug"

	berrors "go.etcd.io/bbolt/errors"

	bolt "go.etcd.io/bbolt"
)

// updateData is db.bolt.Update for the writes of a checkpoint, a direct commit or an
// integration: damage met on the way is 1433 (noted, see noteDamage), not a crash and not a
// disk error. bbolt's commit reads the pages around the ones it rewrites through its map, so a
// damaged page can make it panic or fault; a damaged leaf can hold a key as a sub-bucket,
// which bbolt refuses to write; and writeEntries says 1433 itself. Other failures come back as
// bbolt gave them.
func (db *DB) updateData(op string, fn func(*bolt.Tx) error) (err error) {
	defer db.boltGuard(op, &err, debug.SetPanicOnFault(true))
	if err = db.bolt.Update(fn); err != nil {
		return db.asDamage(op, err)
	}
	return nil
}

// asDamage returns err as the 1433 it is when it says the data file is damaged (noted), or err.
func (db *DB) asDamage(op string, err error) error {
	var e *Error
	switch {
	case errors.As(err, &e) && e.Code == CodeDamaged:
		db.noteDamage(e)
		return e
	case errors.Is(err, berrors.ErrIncompatibleValue):
		return db.damaged(op, errors.New("a key is held as a sub-bucket in the data file"))
	}
	return err
}

// dataError is the error of a failed write of the data file: its 1433 when it found damage,
// otherwise 2010.
func dataError(op, path string, err error) error {
	if CodeOf(err) == CodeDamaged {
		return err
	}
	return &Error{Code: CodeDataIO, Op: op, Path: path, Err: err}
}
