// Package backup makes and checks the backups of a database (SPEC S5, S6): the archive
// <Name>[NNNN].4BK of the data (a snapshot taken without stopping writers), the Data/Settings
// folder and the structure, with a manifest.json; the log backup <Name>[NNNN].4BL of the log
// closed at the snapshot, after the segments <Name>[NNNN-SSSS].4BL that New Log File archived
// since backup NNNN (see NewLog); the backup journal (Logs/Backup Journal[NNN].txt) and
// backupHistory.json in the destination.
//
// # Archive
//
// An archive is a standard zip file (any unzip tool reads it) when redundancy is off:
//
//	Data/<Name>.4DD          the data file as of the snapshot's operation number
//	Data/Settings/...        the settings folder
//	Project/...              the structure
//	manifest.json            written last: backup number, time, database identity, snapshot
//	                         operation, Holdfast version, and each entry's size and SHA-256
//
// Entries are stored (compression none) or deflated (fast: level 1, compact: level 9). With
// redundancy on, the zip's bytes are wrapped in Reed-Solomon parity (redundancy.go).
//
// An archive is written under a temporary name in the destination, synced, renamed to its final
// name, and the folder synced: a failed or stopped backup never leaves a file that looks good.
// Then it is read back and checked against its manifest (archive.verify). Only then does the
// database switch its log at the snapshot (engine.BackupSnapshot.Commit), and the closed log is
// copied to the destination as the log backup numbered after the backup it follows.
//
// # Interrupted backups
//
// Before its archive gets its final name, a backup writes a record of itself in the database's
// Data folder (pending.go). Whatever ends it (a kill, a full disk, an I/O error), the next
// backup reads that record first: a backup whose log was switched counts, and is recorded in
// the history with its log backup; one whose log was not is undone, its files removed; both
// are said in the backup journal. After the switch, a failure to write the log backup leaves
// the backup standing (its error says so) and the closed log beside the log, which the next
// backup or New Log File archives, and which restores and repairs use meanwhile. Temporary
// files of killed backups, and the staging folders of killed restores, repairs and rollbacks
// in the destination and beside the database, are removed by the next backup.
//
// # Numbering
//
// The next backup number is one more than the highest successful backup in
// backupHistory.json. Deleting that file resets the numbering (as in the documented system);
// an existing archive of the same number is then never overwritten silently: the backup fails
// with 2012 unless Options.Overwrite is set.
//
// Run is safe to call from any goroutine; the engine allows one backup at a time (1415).
// Progress callbacks may be called from the goroutine running the backup.
package backup
