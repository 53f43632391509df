package journal

import (
	"strconv"
	"time"
)

// Action is what an operation did. The numbers are part of the log format: never renumber them.
type Action uint8

// The actions of S3.3.
const (
	OpenData      Action = 1  // the data file was opened
	CloseData     Action = 2  // the data file was closed
	CreateContext Action = 3  // a process context was created
	CloseContext  Action = 4  // a process context was closed
	Add           Action = 5  // a record was added
	AddBlob       Action = 6  // a BLOB was stored in a record's field
	Delete        Action = 7  // a record was deleted
	Modify        Action = 8  // a record was modified
	StartTx       Action = 9  // a transaction started
	ValidateTx    Action = 10 // a transaction was validated
	CancelTx      Action = 11 // a transaction was cancelled
	UpdateContext Action = 12 // a context changed (its user name)
)

var actionNames = [...]string{
	OpenData:      "Opening of Data File",
	CloseData:     "Closing of Data File",
	CreateContext: "Creation of a Context",
	CloseContext:  "Closing of a Context",
	Add:           "Addition",
	AddBlob:       "Adding a BLOB",
	Delete:        "Deletion",
	Modify:        "Modification",
	StartTx:       "Start of Transaction",
	ValidateTx:    "Validation of Transaction",
	CancelTx:      "Cancellation of Transaction",
	UpdateContext: "Update context",
}

// String returns the name activity analysis shows for the action.
func (a Action) String() string {
	if a.Valid() {
		return actionNames[a]
	}
	return "Unknown action " + strconv.Itoa(int(a))
}

// Valid reports whether a is one of the actions the format knows.
func (a Action) Valid() bool { return a >= OpenData && a <= UpdateContext }

// Header is what a log file says about itself.
type Header struct {
	DBID      [16]byte  // identity of the database the log belongs to
	BackupNum uint32    // number of the backup the log follows, 0 for none
	FirstOp   uint64    // every record's operation number is at least FirstOp
	Created   time.Time // when the log was created (nanoseconds kept; the zero time is kept)
}

// Record is one logged operation.
//
// Key is the AppendKey encoding of the record's primary key and Values the AppendValues
// encoding of its field values; either may be empty. For AddBlob, Values holds two values: the
// field name (Text) and the bytes (Blob). The zero Time is stored and read back as the zero
// Time; other times are read back in the local zone.
type Record struct {
	Op         uint64 // operation number, strictly increasing through the log
	Time       time.Time
	Action     Action
	Process    uint32 // the process (context) that performed the operation
	SystemUser string // the operating system account
	User       string // the application user
	Table      string
	Key        []byte
	RecordNum  uint64 // internal record number in the table
	Size       uint64 // size of the record's data in bytes
	Values     []byte
}
