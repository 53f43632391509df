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
// values), merging the cache's keys of the table with a bbolt cursor.
//
// # Open (S3.5)
//
// The data file must open (bbolt) and hold its identity; otherwise it is damaged (1433). The
// current log is opened for appending (a torn tail is cut and noted in the backup journal; a
// damaged middle is 1408), must carry the data file's identity (1416) and must not start after
// it. Operations beyond the data file's applied operation are integrated (validated
// transactions and single operations only) when restore.autoIntegrateLog is on or
// Options.Integrate says so; otherwise the database stays read-only with 2011 until Integrate.
// Then an Opening of Data File is logged.
//
// # Data file layout
//
//	bucket meta      format, id (16 bytes), applied, lastChange, backupOp, backupNum,
//	                 logPending, logSegment (New Log File's count since a backup),
//	                 seq:<table> (last record number given), count:<table>
//	bucket t:<table> encoded primary key -> stored record (see encodeRecord: CRC-32C,
//	                 version, record number, values)
//
// A *DB is safe for concurrent use. A *Process and its *Tx belong to one goroutine at a time.
package engine
