package engine

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"holdfast/journal"
)

// Record is one stored record: its record number and its field values in the table's field
// order (a record written before a field was added has fewer values; the rest read as null).
type Record struct {
	Num    uint64
	Values []journal.Value
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

const recordVersion = 1

// encodeRecord builds the stored form of a record:
//
//	+-----------+---------+-----------------+-------------------------------+
//	| CRC-32C   | version | record number   | values (journal.AppendValues) |
//	| 4 bytes LE| 1 byte  | uvarint         |                               |
//	+-----------+---------+-----------------+-------------------------------+
//
// The checksum covers everything after it.
func encodeRecord(num uint64, vals []journal.Value) []byte {
	size := 5 + 2*binary.MaxVarintLen64
	for _, v := range vals {
		size += 1 + binary.MaxVarintLen64 + len(v.S) + len(v.B)
	}
	b := make([]byte, 5, size)
	b[4] = recordVersion
	b = binary.AppendUvarint(b, num)
	b = journal.AppendValues(b, vals)
	binary.LittleEndian.PutUint32(b, crc32.Checksum(b[4:], castagnoli))
	return b
}

// encodeRecordRaw is encodeRecord with values already encoded (integration copies them from
// the log without decoding).
func encodeRecordRaw(num uint64, values []byte) []byte {
	return appendRecordRaw(make([]byte, 0, 5+binary.MaxVarintLen64+len(values)), num, values)
}

// appendRecordRaw appends the record to b, which must be empty.
func appendRecordRaw(b []byte, num uint64, values []byte) []byte {
	b = append(b, 0, 0, 0, 0, recordVersion)
	b = binary.AppendUvarint(b, num)
	b = append(b, values...)
	binary.LittleEndian.PutUint32(b, crc32.Checksum(b[4:], castagnoli))
	return b
}

// decodeRecord checks a stored record's checksum and decodes it. nfields pads short records
// with nulls.
func decodeRecord(b []byte, nfields int) (Record, error) {
	if len(b) < 6 {
		return Record{}, fmt.Errorf("%w: record of %d bytes", ErrChecksum, len(b))
	}
	if crc32.Checksum(b[4:], castagnoli) != binary.LittleEndian.Uint32(b) {
		return Record{}, ErrChecksum
	}
	if b[4] != recordVersion {
		return Record{}, fmt.Errorf("%w: record format %d", ErrChecksum, b[4])
	}
	num, n := binary.Uvarint(b[5:])
	if n <= 0 {
		return Record{}, fmt.Errorf("%w: bad record number", ErrChecksum)
	}
	vals, err := journal.DecodeValues(b[5+n:])
	if err != nil {
		return Record{}, fmt.Errorf("%w: %v", ErrChecksum, err)
	}
	for len(vals) < nfields {
		vals = append(vals, journal.Value{})
	}
	return Record{Num: num, Values: vals}, nil
}

// recordNum reads only the record number of a stored record (no checksum check).
func recordNum(b []byte) uint64 {
	if len(b) < 6 {
		return 0
	}
	n, _ := binary.Uvarint(b[5:])
	return n
}
