// Package bench measures the engine against its peers on the same data in the same run, so
// that the ratios it reports mean something on whatever machine runs them. It holds no code
// the application uses: everything is in its _test.go files.
//
// The workloads:
//
//	BenchmarkBulkLoad          200,000 records of ~200 bytes in transactions of 1,000:
//	                           holdfast (log on) against raw bbolt (same options as the engine,
//	                           synced) and the sqlite3 program (WAL, synchronous=FULL).
//	BenchmarkDurableCommit     3,000 single-record autocommit adds against a loop that appends
//	                           the same number of bytes to a file and fdatasyncs after each one.
//	BenchmarkConcurrentCommit  8 writers (one process each) against 1 writer, autocommit adds:
//	                           group commit should let the 8 share their fsyncs.
//	BenchmarkIntegrate         integration of a log of 200,000 additions into a blank data file
//	                           of the same database, beside the journal.Reader's raw decode speed.
//	BenchmarkBackupCommitWaits four writers and a loader adding records during a backup of the
//	                           1 GiB database: how long the writers wait at the backup's commit,
//	                           when the log written during the backup goes into the new log.
//	BenchmarkFyneStallDuringBackup  the real window under Xvfb during a backup of the 1 GiB
//	                           database started from it: the longest wait of the Fyne thread
//	                           (ui/stallprobe.go), against the same app idle for as long.
//
// Each benchmark does its whole workload once per iteration and reports its figures with
// b.ReportMetric (records/s, commits/s, ops/s, and ratio_* = holdfast / peer). Run them as
//
//	go test -run '^$' -bench . -benchtime 1x -count 3 ./bench/
//
// The files they write go under the test's temporary folder (os.TempDir, which must be on a
// real disk for the figures to mean anything); results.md holds the last measured figures.
package bench
