package backup

import (
	"errors"

	"holdfast/engine"
)

var (
	// ErrBadManifest: a manifest that does not parse or lies about its shape.
	ErrBadManifest = errors.New("backup: bad manifest")
	// ErrMismatch: an entry whose size or checksum differs from the manifest.
	ErrMismatch = errors.New("backup: entry does not match the manifest")
	// ErrStopped: the backup was stopped (its context was cancelled).
	ErrStopped = errors.New("backup: stopped by the user")
	// errInUse: a data file is locked by a process that has the database open.
	errInUse = errors.New("backup: the database is open in another process")
)

// coded wraps err with a user-facing code, keeping a code the error already carries.
func coded(code engine.Code, op, path string, err error) error {
	if engine.CodeOf(err) != 0 {
		return err
	}
	return &engine.Error{Code: code, Op: op, Path: path, Err: err}
}
