package journal

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
)

// Row is one operation as activity analysis shows it (S3.6).
type Row struct {
	Operation  uint64
	Action     string
	Table      string
	PrimaryKey string // key values separated by ";"; for a BLOB, followed by " / " and the field
	Process    uint32
	Size       uint64
	Time       time.Time
	SystemUser string
	User       string
	Values     string // values separated by ";"; for a BLOB, "<blob N bytes>"
	Record     uint64
}

// undecodable stands in for a key or values that do not decode.
const undecodable = "?"

// ReadRows reads a whole log file as activity analysis rows, one record at a time: only the
// rows are kept, not the records' bytes. A torn tail is not an error: the rows before it are
// returned with tail describing it. Any other failure returns the rows read before it.
func ReadRows(fsys FS, path string) ([]Row, *TornTailError, error) {
	r, err := OpenReader(fsys, path)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	var rows []Row
	for {
		rec, err := r.Next()
		if err == nil {
			rows = append(rows, RowOf(rec))
			continue
		}
		var torn *TornTailError
		switch {
		case err == io.EOF:
			return rows, nil, nil
		case errors.As(err, &torn):
			return rows, torn, nil
		}
		return rows, nil, err
	}
}

// RowOf renders a record for activity analysis. A key or values that do not decode show as
// "?"; it never fails.
func RowOf(rec Record) Row {
	row := Row{
		Operation:  rec.Op,
		Action:     rec.Action.String(),
		Table:      rec.Table,
		PrimaryKey: keyText(rec.Key),
		Process:    rec.Process,
		Size:       rec.Size,
		Time:       rec.Time,
		SystemUser: rec.SystemUser,
		User:       rec.User,
		Values:     valuesText(rec.Values),
		Record:     rec.RecordNum,
	}
	if rec.Action == AddBlob {
		field, blob := undecodable, undecodable
		vals, err := DecodeValues(rec.Values)
		if err == nil && len(vals) == 2 && vals[0].Kind == KindText && vals[1].Kind == KindBlob {
			field, blob = vals[0].S, vals[1].String()
		}
		row.PrimaryKey += " / " + field
		row.Values = blob
	}
	return row
}

func keyText(key []byte) string {
	if len(key) == 0 {
		return ""
	}
	vals, err := DecodeKey(key)
	if err != nil {
		return undecodable
	}
	return JoinValues(vals)
}

func valuesText(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	vals, err := DecodeValues(b)
	if err != nil {
		return undecodable
	}
	return JoinValues(vals)
}

// Columns are the names of the analysis columns (S3.6), in order.
var Columns = []string{"Operation", "Action", "Table", "Primary Key/BLOB", "Process", "Size",
	"Date and Hour", "System User", "User", "Values", "Record"}

// DateLayout is how the "Date and Hour" column shows a time, in the local zone.
const DateLayout = "2006-01-02 15:04:05"

// Fields returns a row's columns as text, in the order of Columns.
func (r *Row) Fields() []string {
	date := ""
	if !r.Time.IsZero() {
		date = r.Time.Local().Format(DateLayout)
	}
	return []string{
		strconv.FormatUint(r.Operation, 10), r.Action, r.Table, r.PrimaryKey,
		strconv.FormatUint(uint64(r.Process), 10), strconv.FormatUint(r.Size, 10), date,
		r.SystemUser, r.User, r.Values, strconv.FormatUint(r.Record, 10),
	}
}

// cleanText keeps a field on its line and in its column: control characters (tabs, line
// breaks, NUL...) become spaces.
func cleanText(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] < 0x20 || b[j] == 0x7f {
					b[j] = ' '
				}
			}
			return string(b)
		}
	}
	return s
}

// WriteText writes rows tab-separated, one per line, after a line of column names. Control
// characters inside a field (tabs, line breaks) become spaces.
func WriteText(w io.Writer, rows []Row) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(strings.Join(Columns, "\t"))
	bw.WriteByte('\n')
	for i := range rows {
		for j, f := range rows[i].Fields() {
			if j > 0 {
				bw.WriteByte('\t')
			}
			bw.WriteString(cleanText(f))
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// WriteCSV writes rows as CSV (RFC 4180) after a line of column names.
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	cw.Write(Columns)
	for i := range rows {
		cw.Write(rows[i].Fields())
	}
	cw.Flush()
	return cw.Error()
}

// jsonRow is the JSON shape of a row (S9 analyze --format json).
type jsonRow struct {
	Operation  uint64 `json:"operation"`
	Action     string `json:"action"`
	Table      string `json:"table"`
	PrimaryKey string `json:"primaryKey"`
	Process    uint32 `json:"process"`
	Size       uint64 `json:"size"`
	Time       string `json:"time"`
	SystemUser string `json:"systemUser"`
	User       string `json:"user"`
	Values     string `json:"values"`
	Record     uint64 `json:"record"`
}

// WriteJSON writes one JSON object per row and line. The time is RFC 3339 in the local zone
// with as many fraction digits as needed ("" for the zero time).
func WriteJSON(w io.Writer, rows []Row) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, r := range rows {
		t := ""
		if !r.Time.IsZero() {
			t = r.Time.Local().Format(time.RFC3339Nano)
		}
		err := enc.Encode(jsonRow{r.Operation, r.Action, r.Table, r.PrimaryKey, r.Process, r.Size, t,
			r.SystemUser, r.User, r.Values, r.Record})
		if err != nil {
			return err
		}
	}
	return bw.Flush()
}
