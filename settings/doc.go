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
// ScheduleOf reads the scheduler.* keys into a Schedule, whose Next and Missed give the run times
// of SPEC S6.7 as a pure function of the schedule, the last run and now, in now's location: a time
// of day skipped by a spring-forward change runs at the end of the gap, one shown twice by a
// fall-back change runs at its first occurrence, and hour-based schedules count real hours.
//
// The package is a leaf: it reads and writes bytes, never files, so the caller decides how the
// file is replaced (atomically). A *Settings is not safe for concurrent use; callers copy it with
// Clone before handing it to another goroutine.
package settings
