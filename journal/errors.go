package journal

import (
	"errors"
	"fmt"
)

// Errors of the value and key encodings.
var (
	// ErrBadValues: encoded values that do not decode (a damaged record).
	ErrBadValues = errors.New("journal: malformed values")
	// ErrBadKey: an encoded primary key that does not decode, or a value that cannot be a key.
	ErrBadKey = errors.New("journal: malformed key")
)

// Errors of the log file. Match them with errors.Is; the typed errors below carry the details.
var (
	// ErrCorrupt: a record in the middle of the log (something valid follows it) fails its
	// checksum, does not decode, or breaks the order of operation numbers. Every *CorruptError
	// matches it.
	ErrCorrupt = errors.New("journal: corrupt log")
	// ErrTornTail: the log ends with an incomplete or damaged record that nothing valid follows,
	// the normal end of a log after a crash. Every *TornTailError matches it.
	ErrTornTail = errors.New("journal: torn record at the end of the log")
	// ErrNotLog: the file is not a log file of this format (too short, wrong magic, unknown
	// version, header checksum mismatch). A *CorruptError whose offset lies in the header
	// matches it.
	ErrNotLog = errors.New("journal: not a log file")
	// ErrUnavailable: the log cannot be written any more (write or sync error, disk full, the
	// file deleted or replaced). Every *IOError matches it.
	ErrUnavailable = errors.New("journal: log file unavailable")
	// ErrOrder: an appended operation number is not greater than every one before it.
	ErrOrder = errors.New("journal: operation numbers out of order")
	// ErrTooLarge: an encoded record would be longer than MaxRecordSize.
	ErrTooLarge = errors.New("journal: record too large")
	// ErrExists: Create found a file already at the log's path.
	ErrExists = errors.New("journal: log file already exists")
	// ErrBadRecord: Append was given a record the format cannot hold (an unknown action).
	ErrBadRecord = errors.New("journal: invalid record")
	// ErrClosed: the Writer or Reader was closed.
	ErrClosed = errors.New("journal: log closed")
)

// CorruptError is damage inside a log: at Offset starts a header or record that is not valid
// while something valid follows it. Nothing at or after Offset can be trusted.
type CorruptError struct {
	Path   string // the log file, "" when read from a stream
	Offset int64  // where the bad header or record starts
	Reason string // what is wrong, in words
}

func (e *CorruptError) Error() string {
	what := "log"
	if e.Path != "" {
		what = "log " + e.Path
	}
	if e.Offset < HeaderSize {
		return fmt.Sprintf("journal: %s is not a log file: %s", what, e.Reason)
	}
	return fmt.Sprintf("journal: %s is corrupt at offset %d: %s", what, e.Offset, e.Reason)
}

// Is matches ErrCorrupt, and ErrNotLog when the damage is in the header.
func (e *CorruptError) Is(target error) bool {
	return target == ErrCorrupt || (target == ErrNotLog && e.Offset < HeaderSize)
}

// TornTailError is the end of a log cut short, normally by a crash during a write: Bytes bytes
// from Offset on hold no complete valid record. Every record before Offset is good. Opening the
// log for append truncates it at Offset.
type TornTailError struct {
	Path   string // the log file, "" when read from a stream
	Offset int64  // the end of the last good record
	Bytes  int64  // how many bytes follow it
}

func (e *TornTailError) Error() string {
	what := "log"
	if e.Path != "" {
		what = "log " + e.Path
	}
	return fmt.Sprintf("journal: %s has a torn tail: %d bytes at offset %d hold no complete record",
		what, e.Bytes, e.Offset)
}

// Is matches ErrTornTail.
func (e *TornTailError) Is(target error) bool { return target == ErrTornTail }

// IOError is a failed operation on the log file: an open, read, write, sync or check of the
// file. Once a Writer returns one it refuses all further work with it.
type IOError struct {
	Op   string // "write", "sync", "check", "read", ...
	Path string
	Err  error // the cause
}

func (e *IOError) Error() string {
	return fmt.Sprintf("journal: %s log %s: %v", e.Op, e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *IOError) Unwrap() error { return e.Err }

// Is matches ErrUnavailable.
func (e *IOError) Is(target error) bool { return target == ErrUnavailable }
