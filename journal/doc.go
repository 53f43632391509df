// Package journal owns the log file (data.journal, SPEC S3.3): its binary format, a writer that
// makes records durable with group commit, a reader that tells a torn tail from corruption, the
// value and key encodings records carry, and the rows of activity analysis (S3.6).
//
// # Format
//
// All integers are little endian. A log is a 64-byte header followed by records:
//
//	header (64 bytes)
//	+--------+---------+--------+---------+---------+---------+---------+----------+--------+
//	| magic  | version | hdrlen | DB id   | backup  | first   | created | reserved | CRC-32C|
//	| 8      | u16 = 1 | u16=64 | 16      | u32     | op u64  | i64 ns  | 12 zero  | u32    |
//	+--------+---------+--------+---------+---------+---------+---------+----------+--------+
//	 0        8         10       12        28        32        40        48         60
//	magic = "HFJRNL\x00\x01"; the CRC covers bytes 0..59.
//
//	record
//	+---------+---------+-------------------------------------------------+
//	| L u32   | CRC u32 | body, L bytes                                   |
//	+---------+---------+-------------------------------------------------+
//	body: op uv | time v | action u8 | process uv | system user s | user s |
//	      table s | key s | record number uv | size uv | values s
//	uv = uvarint; v = zig-zag varint (Unix nanoseconds, 0 for the zero time);
//	s = uvarint length, then that many bytes.
//	The CRC-32C (Castagnoli) covers the 4 length bytes followed by the body.
//	11 <= L <= MaxRecordSize (512 MiB), and the body must be consumed exactly.
//
// The Writer only appends. It does not reserve zero-filled space ahead of the last record,
// although syncs would then flush data only: after a power loss, the pages of an unsynced write
// into reserved space can persist out of order, leaving zeros before a later record, which
// could not be told from damage. Zeros where a record would start, to the end of the file, are
// still read as the clean end of the log (a write that never reached the disk).
//
// Key is an AppendKey encoding (comparable with bytes.Compare), Values an AppendValues encoding;
// both may be empty. Operation numbers strictly increase through a log (gaps are allowed) and
// are never below the header's first operation.
//
// # Torn tail or corruption
//
// A crash can leave the last records of a log incomplete: that torn tail is the normal end of
// the log, not an error to the user. Damage in the middle is. The Reader decides which one a
// bad record (cut short, wrong checksum, body that does not decode) is by looking at what
// follows it: when no valid record (sane length
// inside the log, body that decodes, operation number in order, correct checksum) starts at
// any byte offset after the bad record's start, it is a torn tail (*TornTailError, ErrTornTail)
// at the bad record's offset. When a valid record follows, it is corruption (*CorruptError,
// ErrCorrupt) naming the bad record's offset; records are never skipped. A record with a
// correct checksum whose operation number does not increase is corruption wherever it is.
// OpenAppend cuts a torn tail off and refuses a corrupt log without changing it.
//
// # Concurrency
//
// A Writer is safe for concurrent use: Append from any goroutine, and Sync from many, which
// then share one write and one fdatasync (group commit). After a sync that served several
// committers, the next leader yields briefly so that those it released can append again and
// share the next sync too. A Reader is not safe for concurrent
// use. Values, Records, Headers and Rows are plain values.
package journal
