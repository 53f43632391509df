// Package engine is Holdfast's record database: the structure (Project/catalog.json), the data
// file (Data/<Name>.4DD, a bbolt file), typed records found by primary key, BLOBs, transactions,
// process contexts, and the log file (package journal) that makes every acknowledged write
// survive a crash (SPEC S3).
//
// # Write path
//
//	Tx.Add/Modify/Delete/SetBlob   checked at once against the current data (early errors),
//	                               record numbers given
//	Tx.Commit  under wmu:          resolved again against the data as it is now, numbered with
//	                               operation numbers, appended to the log's buffer, queued as a
//	                               batch ("pending": seen by writers, not by readers)
//	           without wmu:        journal.Writer.Sync: group commit, one fdatasync shared by
//	                               every committer waiting at that moment
//	           then:               publish: durable batches enter the cache in operation order
//	                               and become visible; the answer is given
//	checkpoint (background, at 4 MiB of cache or every second, and at Close):
//	                               the cache is frozen and written into the data file in one
//	                               synced bbolt transaction with the operation number it
//	                               reaches ("applied"); readers see the frozen cache meanwhile
//
// A write is therefore visible only once durable, and the data file never holds an operation
// the log does not. When the log fails (write or fsync error, file deleted, disk full), the
// database enters the 1274 state: logged-but-not-durable changes are dropped (they were never
// visible nor acknowledged), every later write is refused, reads go on.
//
// With the log off, a commit writes straight into the data file (synced) before it answers.
// Tables whose Include in Log File is off are not logged; a commit that touches one waits for
// a checkpoint before it answers, so their acknowledged writes are on disk too. A transaction
// that mixes such a table with logged ones is atomic in the data file, but only its logged part
// can be integrated from the log after a crash.
//
// # Reads
//
// Get, Count and Scan read the cache over the data file under a read lock: the newest durable
// version of each key wins. Scan pages in primary key order (journal.AppendKey sorts like the
// values), merging the cache's keys of the table with the data file's. The data file's tree is
// read with plain reads, page by page, each page checked whole before it is used (pages.go);
// every record read is checked against its checksum and the key it is filed under. Damage a read
// finds is 1433: it is marked beside the data file (Data/<Name>.4DD.damaged-found), every write
// is refused from then on, Options.OnDamage is told, and the next open repairs it (damage.go).
//
// # Open (S3.5)
//
// Before bbolt maps the data file, its meta pages and the paths to each table's last key are
// checked with plain reads (check.go): a file cut short, a damaged page or a damage mark is
// 1433, never a crash. The current log is read through and checked before anything in it
// changes: it must carry the data file's identity (1416), must not start after it (1416), and
// must not end before what was already durable, the data file's last change or the durable
// end its last checkpoint recorded (1408: acknowledged operations are missing, logcheck.go).
// Only then is a torn tail cut (noted in the backup journal); a damaged middle is 1408.
// Options.WithoutLog opens a database whose log cannot be used (missing, damaged, refused):
// what can be read of it is integrated, writes wait for a backup, which starts a new log.
// A backup interrupted after its log switch is recorded in the data file, and a closed log
// that an interrupted switch did not cut is cut where the current log starts (closedlog.go).
// After 1274, the data file records the last operation the log held for certain: an open
// integrates nothing after it and refuses writes until a backup (logfail.go). Operations
// beyond the data file's applied operation are integrated (validated transactions and single
// operations only) when restore.autoIntegrateLog is on or Options.Integrate says so;
// otherwise the database stays read-only with 2011 until Integrate. Then an Opening of Data
// File is logged.
//
// # Backups
//
// BeginBackup takes a snapshot; Commit switches the log at it. What writers logged during the
// backup is copied into the new log (path.new) in rounds while they go on; under wmu, only what
// came during the last round is left to copy (a few hundred KiB at most, unless writers log
// faster than a round copies), so no write waits for the length of the backup (S3.7). The
// rename of the new log (one that follows the backup) is the point of no return: once it is
// done the backup counts (BackupSnapshot.Committed), and the data file records it next; the
// closed log is cut at the snapshot after wmu is let go. Restores leave out of their logs the
// ranges of operations a rollback undid (Restored.Skip, timeline.go).
//
// An integration holds wmu (and ckptMu) to its end: writers wait. Readers do not: vmu is taken
// only for a moment around each batch's commit. What a window asks often (LogStatus, Report,
// LastBackup, BackupRunning, Values, Catalog, Damaged) takes no lock that is held long: not
// wmu (LastBackup takes it only to record a backup whose switch the data file lacks).
//
// # Data file layout
//
//	bucket meta      format, id (16 bytes), applied, lastChange, backupOp, backupNum,
//	                 logPending, logSegment (New Log File's count since a backup),
//	                 logMark (first operation and creation time of the log a checkpoint saw,
//	                 its durable end, CRC-32C), logFailed (the last operation the log held
//	                 for certain when it failed), seq:<table> (last record number given),
//	                 count:<table>, sum:<table> (a checksum of the two)
//	bucket t:<table> encoded primary key -> stored record (see encodeRecord: CRC-32C,
//	                 version, record number, values)
//
// A *DB is safe for concurrent use. A *Process and its *Tx belong to one goroutine at a time.
package engine
