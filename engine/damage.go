package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"holdfast/journal"
)

// Damage found while the database is open.
//
// A read that meets damage (a page that fails its checks, a record that fails its checksum or is
// filed under another key, a panic or memory fault inside bbolt) answers 1433, and the damage
// is remembered three ways, once:
//
//   - durably, in a mark beside the data file (Data/<Name>.4DD.damaged-found, see DamageMark):
//     every later open fails with 1433 until the data file is replaced, so that the repair at
//     open (backup.OpenOrRepair, restore.autoRestoreIfDamaged) runs even when the damage lies
//     where no open looks;
//   - in the database: Damaged returns it, and every write is refused with it from then on (a
//     write into a damaged data file could fail half-way or be lost by the repair's rebuild;
//     what was acknowledged before is in the log, which the repair integrates);
//   - through Options.OnDamage, so that the window can repair at once.

// DamageMarkSuffix ends the name of the mark a read leaves beside a damaged data file.
const DamageMarkSuffix = ".damaged-found"

// DamageMark is the mark of the database folder dir: its data file's path with
// DamageMarkSuffix.
func DamageMark(dir string) string {
	return dataPath(dir, filepath.Base(dir)) + DamageMarkSuffix
}

// ClearDamageMark removes the mark of the database folder dir, once its data file has been
// replaced (a repair does it); a mark that is not there is no error.
func ClearDamageMark(dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.Remove(DamageMark(dir)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// errWrongKey: a stored record whose key fields do not give the key it is filed under.
var errWrongKey = errors.New("the record does not hold the key it is filed under")

// Damaged returns the damage a read or Check found in the data file since it was opened (a
// 1433 error), or nil.
func (db *DB) Damaged() error {
	if e := db.damage.Load(); e != nil {
		return e
	}
	return nil
}

// damaged is the 1433 error of op for damage err, noted (see noteDamage).
func (db *DB) damaged(op string, err error) *Error {
	e := &Error{Code: CodeDamaged, Op: op, Path: dataPath(db.dir, db.name), Err: err}
	db.noteDamage(e)
	return e
}

// readError is the error for what reading the data file met: 2010 for a failed read, 1433
// (noted) for damage.
func (db *DB) readError(op string, err error) error {
	var ioe *dataIOError
	if errors.As(err, &ioe) {
		return &Error{Code: CodeDataIO, Op: op, Path: dataPath(db.dir, db.name), Err: err}
	}
	var e *Error
	if errors.As(err, &e) && e.Code == CodeDamaged {
		db.noteDamage(e)
		return e
	}
	return db.damaged(op, err)
}

// noteDamage remembers the first damage found: the mark beside the data file, the backup
// journal, the state that refuses writes, and Options.OnDamage (from a goroutine of its own,
// as the caller may hold the database's locks; only once the database is open). It takes no
// lock.
func (db *DB) noteDamage(e *Error) {
	if !db.damage.CompareAndSwap(nil, e) {
		return
	}
	text := fmt.Sprintf("%s\n%s: %v\n", time.Now().Format(time.RFC3339), e.Op, e.Err)
	if err := journal.WriteFileAtomic(db.fs, DamageMark(db.dir), []byte(text), 0o600); err != nil {
		AppendBackupJournal(db.dir, fmt.Sprintf("Warning: the damage of the data file could not be marked in %s: %v", DamageMark(db.dir), err))
	}
	AppendBackupJournal(db.dir, fmt.Sprintf("The data file was found damaged while reading it (%s: %v); writes are refused, and the next open repairs it from the last backup (restore.autoRestoreIfDamaged) or says how.", e.Op, e.Err))
	if db.opts.OnDamage != nil && db.running.Load() {
		// (Damage met while opening makes the open fail with it instead.)
		go db.opts.OnDamage(e)
	}
}

// markedDamaged is the 1433 error of a data file a read found damaged earlier (its mark is
// there), or nil.
func markedDamaged(dir, name string) error {
	mark := dataPath(dir, name) + DamageMarkSuffix
	b, err := os.ReadFile(mark)
	if err != nil {
		return nil
	}
	when, what, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return &Error{Code: CodeDamaged, Op: "open", Path: dataPath(dir, name), Err: fmt.Errorf(
		"a read found the data file damaged at %s (%s); it stays marked damaged until it is repaired from a backup (with no backup to repair from, delete %s to open the data file as it is, its damaged records unreadable)",
		when, strings.TrimSpace(what), mark)}
}

// boltGuard turns a panic or a memory fault met inside bbolt into 1433: bbolt reads the data
// file through a memory map, panics on pages it cannot make sense of, and a page past the end of
// a file cut short is a SIGBUS, which only debug.SetPanicOnFault makes a panic. Use it as
//
//	defer db.boltGuard(op, &err, debug.SetPanicOnFault(true))
func (db *DB) boltGuard(op string, err *error, fault bool) {
	debug.SetPanicOnFault(fault)
	if r := recover(); r != nil {
		*err = db.damaged(op, fmt.Errorf("%v", r))
	}
}

// damagedOnPanic turns a panic of the data file's reader (bbolt panics on pages it cannot make
// sense of) into error 1433, so that a damaged data file is reported, not a crash.
func (db *DB) damagedOnPanic(err *error) {
	if r := recover(); r != nil {
		*err = db.damaged("read data file", fmt.Errorf("%v", r))
	}
}
