// Package settings holds the backup settings of a database (SPEC S7): every key with its default
// and validation, and their XML file Data/Settings/Backup.4DSettings.
//
// The file is XML a person can read and edit:
//
//	<?xml version="1.0" encoding="UTF-8"?>
//	<BackupSettings version="1">
//	  <log>
//	    <use>true</use>
//	    <path>Data/data.journal</path>
//	  </log>
//	  <content>
//	    <attachments>
//	      <item>/home/ann/Invoices</item>
//	    </attachments>
//	  </content>
//	  ...
//	</BackupSettings>
//
// A dotted key (log.use) is a path of nested elements; a list key holds one <item> per value.
// Only keys that differ from their default need to be present. Elements Holdfast does not know
// (and comments) are kept as their bytes in the file and written back byte for byte, whatever
// they hold; the elements of keys are written anew, indented. Elements nest at most MaxDepth
// (64) levels, the root included: a deeper file is refused (ErrMalformed, error 2009 for the
// user) before more of it is read, so a hostile file costs neither memory nor disk.
//
// A bad value. One wrong value typed into the file must neither lock the user out of their data
// nor make Holdfast do with their files what they did not ask. So Parse refuses only a file it
// cannot read at all; a known key holding a value it does not accept is a Problem, named with
// its line, and reads as its default. Work that the key steers refuses to start while it is bad
// (Need with OpenKeys, BackupKeys, ScheduleKeys, FolderKeys: error 2009 naming the key, its line
// and what fixes it), because running it by the default could hurt: a mistyped keep.count read as 3
// would delete the backups the user meant to keep, a mistyped log.use or log.path could attach
// a log that is not the database's. Writes need the log keys: with one of them bad, a database
// opens read-only (its reads go on) rather than by a guess of where its log is. Work that does
// not use the key goes on by the default, with a warning; reading is never refused. The bad
// text stays in the file as it was until it is replaced (Set, or Remove for a list's value), so
// saving another key loses nothing the user wrote; CopyKeys carries it over as it is.
//
// The snapshot. Work reads the settings once, at its start, into Values: every key of Keys in a
// typed field (bools, ints, durations, lists, the Schedule), grouped as the keys are, each bad
// value as its default and the problems kept for Values.Need. It goes by that snapshot to its
// end, so settings saved meanwhile change the next run, never the half of one: a backup whose
// content.data is turned off while it writes still switches the log to the archive that holds
// the data. Outside this package nothing reads a key by its name; the Database Settings window,
// which edits every key, goes through Keys and Lookup (Get, Raw, Set), and the log keys change
// only with the log itself (SetLogUse, SetLogPath; LogKeys).
//
// ScheduleOf reads the scheduler.* keys into a Schedule, whose Next and Missed give the run times
// of SPEC S6.7 as a pure function of the schedule, the last run and now, in now's location: a time
// of day skipped by a spring-forward change runs at the end of the gap, one shown twice by a
// fall-back change runs at its first occurrence, and hour-based schedules count real hours.
//
// The package is a leaf: it reads and writes bytes, never files, so the caller decides how the
// file is replaced (atomically). A *Settings is not safe for concurrent use; callers copy it with
// Clone before handing it to another goroutine. Reading it (Values, Get, Problems) changes
// nothing, so one that is never changed again may be read from several goroutines. A Values
// shares nothing with the Settings it came from and is a plain value.
package settings
