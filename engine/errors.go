package engine

import (
	"errors"
	"fmt"
	"strings"
)

// Code is a Holdfast error code (SPEC S4). The codes below 2000 (and -9976) are those of the
// documented backup system; the 2000s are Holdfast's own, for errors that system has no number
// for. Codes is the only place that defines them.
type Code int

// The codes.
const (
	CodeLogUnavailable    Code = 1274
	CodeMaxAttempts       Code = 1401
	CodeNoLog             Code = 1403
	CodeBackupInterrupted Code = 1406
	CodeDestination       Code = 1407
	CodeLogIO             Code = 1408
	CodeArchiveWrite      Code = 1409
	CodeArchiveMissing    Code = 1410
	CodeArchiveVerify     Code = 1411
	CodeLogBackupMissing  Code = 1412
	CodeLogBackupVerify   Code = 1413
	CodeBusy              Code = 1415
	CodeForeignLog        Code = 1416
	CodeAttachmentMissing Code = 1430
	CodeStartupHook       Code = 1431
	CodeUnsafeEntry       Code = 1432
	CodeDamaged           Code = 1433
	CodeBackupInProgress  Code = -9976

	CodeUnexpected         Code = 2000
	CodeBadInput           Code = 2001
	CodeNoTable            Code = 2002
	CodeDuplicateKey       Code = 2003
	CodeNoRecord           Code = 2004
	CodeBadValue           Code = 2005
	CodeTxState            Code = 2006
	CodeInUse              Code = 2007
	CodeUsage              Code = 2008
	CodeBadSetting         Code = 2009
	CodeDataIO             Code = 2010
	CodeIncomplete         Code = 2011
	CodeExists             Code = 2012
	CodeNotDatabase        Code = 2013
	CodeClosed             Code = 2014
	CodeLogRequiresBkp     Code = 2015
	CodeReadOnly           Code = 2016
	CodeNoDisplay          Code = 2017
	CodeMissedBackup       Code = 2018
	CodeFileIO             Code = 2019
	CodeIntegrationStopped Code = 2020
)

// CodeInfo is one row of the code table.
type CodeInfo struct {
	Code     Code
	Name     string
	Sentence string // what happened and what to do, for people
	Window   string // Sentence as the window says it, where Sentence names a command to type; else ""
}

// WindowSentence is the sentence of the code as the window says it: what to click, where the
// command line's sentence says what to type.
func (ci CodeInfo) WindowSentence() string {
	if ci.Window != "" {
		return ci.Window
	}
	return ci.Sentence
}

// Codes is the table of every code a user or a script can see.
var Codes = []CodeInfo{
	{CodeLogUnavailable, "log unavailable", "The log file became unavailable while working; writes are refused until it is back and a backup has been made.", ""},
	{CodeMaxAttempts, "too many backup attempts", "The maximum number of backup attempts was reached; automatic backups are off until a restart or a successful manual backup.", ""},
	{CodeNoLog, "no log file", "The database has no log file; turn on the log (holdfast log DB create) to use this action.", "The database has no log file; turn on the log (File > Database Settings... > Configuration > Use Log) to use this action."},
	{CodeBackupInterrupted, "backup interrupted", "The backup was stopped by the user; nothing was written and the database is unchanged.", ""},
	{CodeDestination, "backup destination unusable", "The backup destination is missing, not a folder, or not writable; choose another one in the settings.", "The backup destination is missing, not a folder, or not writable; choose another one in File > Database Settings... > Configuration."},
	{CodeLogIO, "log file error", "The log file could not be read or written; check the disk and the file, then try again.", ""},
	{CodeArchiveWrite, "archive write error", "The backup archive could not be written (disk full or I/O error); free space or change the destination and back up again.", ""},
	{CodeArchiveMissing, "archive missing", "A backup archive or one of its segments is missing; put it back in the backup folder.", ""},
	{CodeArchiveVerify, "archive damaged", "The backup archive failed verification and cannot be repaired; use another backup.", ""},
	{CodeLogBackupMissing, "log backup missing", "A log backup is missing from the chain; put it back or integrate only up to the gap.", ""},
	{CodeLogBackupVerify, "log backup damaged", "The log backup failed verification; use another copy of it.", ""},
	{CodeBusy, "operation already running", "Another backup, restore or integration is running on this database; wait for it to end.", ""},
	{CodeForeignLog, "log of another database", "The log file belongs to another database or does not follow this data file; choose the log file of this database.", ""},
	{CodeAttachmentMissing, "attachment missing", "An attachment was not found; the backup is partial. Fix or remove the attachment in the settings.", "An attachment was not found; the backup is partial. Fix or remove the attachment in File > Database Settings... > Configuration."},
	{CodeStartupHook, "cancelled by startup hook", "The startup hook refused the backup; see what the hook command printed.", ""},
	{CodeUnsafeEntry, "unsafe archive entry", "The archive holds an entry that would land outside the destination or is abnormally large; nothing of it was extracted.", ""},
	{CodeDamaged, "data file damaged", "The data file is damaged; restore the last backup and integrate the log files that follow it.", ""},
	{CodeBackupInProgress, "backup in progress", "The operation cannot be done because a backup is in progress; try again when it ends.", ""},
	{CodeUnexpected, "unexpected error", "Something failed that Holdfast does not expect; the message says what. Please report it with the message.", ""},
	{CodeBadInput, "bad input", "The command could not be understood; check its syntax.", ""},
	{CodeNoTable, "no such table", "The table does not exist; check its name, or create it first (createTable).", "The table does not exist; check its name, or create it first (New Table...)."},
	{CodeDuplicateKey, "duplicate key", "A record with this primary key already exists; modify it instead, or use another key.", ""},
	{CodeNoRecord, "no such record", "No record has this primary key; check the key.", ""},
	{CodeBadValue, "bad value", "A value does not fit its field; check the field's type and the value.", ""},
	{CodeTxState, "transaction state", "The command does not fit the transaction state (commit without begin, begin twice).", ""},
	{CodeInUse, "database in use", "The database is open in another Holdfast process; close it there first.", ""},
	{CodeUsage, "usage", "The command line is not valid; run holdfast help.", "The request is not valid; check what was chosen, then try again."},
	{CodeBadSetting, "bad setting", "A setting key or value is not valid; fix it (holdfast settings DB get lists the keys).", "A setting key or value is not valid; fix it in File > Database Settings... (shown in red there)."},
	{CodeDataIO, "data file error", "The data file could not be read or written; check the disk, then reopen the database.", ""},
	{CodeIncomplete, "data file incomplete", "The log file holds operations the data file lacks; integrate them (holdfast integrate DB) or turn on restore.autoIntegrateLog.", "The log file holds operations the data file lacks; integrate them (the Integrate button over the records) or tick Integrate last log file if database is incomplete in File > Database Settings... > Backup & Restore."},
	{CodeExists, "already exists", "Something already exists at this place; choose another name or folder.", ""},
	{CodeNotDatabase, "not a database", "The folder is not a Holdfast database; create one with holdfast create DB.", "The folder is not a Holdfast database; choose a database folder in File > Open Database..., or create one with File > New Database... first."},
	{CodeClosed, "database closed", "The database is closed; open it again.", ""},
	{CodeReadOnly, "read-only", "The database is open read-only; open it normally to write.", ""},
	{CodeNoDisplay, "no display", "The window needs a display; use the command-line subcommands, or start it under Xvfb.", ""},
	{CodeMissedBackup, "scheduled backup missed", "A scheduled backup did not run because Holdfast was not running then; it counts as a failed attempt and is retried.", ""},
	{CodeFileIO, "file error", "A file could not be read or written; check the file, its folder and the disk's free space, or choose another place.", ""},
	{CodeIntegrationStopped, "integration stopped", "The integration was stopped by the user; what it integrated stays in the data file, and the rest of the log can be integrated later (holdfast integrate DB).", "The integration was stopped by the user; what it integrated stays in the data file, and the rest of the log can be integrated later (the Integrate button over the records)."},
	{CodeLogRequiresBkp, "backup required for the log", "The data changed since the last backup: the log file will start right after the next backup (holdfast backup DB).", "The data changed since the last backup: the log file will start right after the next backup (File > Backup...)."},
}

// Info returns the table row of a code.
func (c Code) Info() CodeInfo {
	for _, ci := range Codes {
		if ci.Code == c {
			return ci
		}
	}
	return CodeInfo{Code: c, Name: "unknown", Sentence: "Unexpected error."}
}

// Error is an error a user or a script can see: a code, the operation, the file concerned, and
// the cause.
type Error struct {
	Code Code
	Op   string // what was being done, such as "open log" or "add"
	Path string // the file concerned, if any
	Err  error  // the cause, if any
}

func (e *Error) Error() string {
	cause := ""
	if e.Err != nil {
		cause = e.Err.Error()
	}
	return e.text(cause, e.Code.Info().Sentence)
}

// WindowText is the error as the window says it: its cause's and its code's window sentences.
func (e *Error) WindowText() string {
	return e.text(WindowText(e.Err), e.Code.Info().WindowSentence())
}

// text is the error's message: what was done, on what, its cause and the sentence of its code.
func (e *Error) text(cause, sentence string) string {
	msg := e.Op
	if e.Path != "" {
		msg += " " + e.Path
	}
	if cause != "" {
		if msg != "" {
			msg += ": "
		}
		msg += cause
	}
	if msg == "" {
		return sentence
	}
	return msg + ". " + sentence
}

func (e *Error) Unwrap() error { return e.Err }

// Advice is what to do about an error, in the words of where it is read: Command for the
// command line (commands and flags to type), Window for the window (menus, windows and buttons
// to click). A cause wraps it with %w: its text reads as Command, and WindowText reads it as
// Window.
type Advice struct{ Command, Window string }

func (a Advice) Error() string { return a.Command }

// WindowText is the advice as the window says it.
func (a Advice) WindowText() string { return a.Window }

// WindowText is err as the window says it: what to click where err.Error(), for the command
// line, says what to type. An error that says itself otherwise in the window has a WindowText
// method (*Error, Advice, settings.Problem); an error that wraps one reads with the window's
// words of what it wraps in place of the command line's.
func WindowText(err error) string {
	if err == nil {
		return ""
	}
	if w, ok := err.(interface{ WindowText() string }); ok {
		return w.WindowText()
	}
	text := err.Error()
	var wrapped []error
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		wrapped = []error{u.Unwrap()}
	case interface{ Unwrap() []error }:
		wrapped = u.Unwrap()
	}
	for _, in := range wrapped {
		if in != nil && in.Error() != "" {
			text = strings.Replace(text, in.Error(), WindowText(in), 1)
		}
	}
	return text
}

// Errorf makes an *Error with a formatted cause.
func Errorf(code Code, op string, format string, args ...any) *Error {
	return &Error{Code: code, Op: op, Err: fmt.Errorf(format, args...)}
}

// CodeOf returns the code carried by err, or 0 if it carries none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// Sentinels matched with errors.Is.
var (
	// ErrReadOnly: a write on a database opened read-only.
	ErrReadOnly = errors.New("engine: database is read-only")
	// ErrChecksum: a stored record whose checksum does not match.
	ErrChecksum = errors.New("engine: record checksum mismatch")
)
