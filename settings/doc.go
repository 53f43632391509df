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
// are kept as they are when the file is written again.
//
// The package is a leaf: it reads and writes bytes, never files, so the caller decides how the
// file is replaced (atomically). A *Settings is not safe for concurrent use; callers copy it with
// Clone before handing it to another goroutine.
package settings
