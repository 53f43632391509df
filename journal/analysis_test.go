package journal

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestRowOf(t *testing.T) {
	key := mustKey(t, Int(7), Text("x"))
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		name         string
		rec          Record
		key, values  string
		action       string
		wantDecoding bool
	}{
		{"add", Record{Action: Add, Key: key, Values: AppendValues(nil, []Value{Text("a"), Int(2)})},
			"7;x", "a;2", "Addition", true},
		{"no key or values", Record{Action: StartTx}, "", "", "Start of Transaction", true},
		{"bad key", Record{Action: Delete, Key: []byte{0xEE}}, "?", "", "Deletion", false},
		{"bad values", Record{Action: Modify, Key: key, Values: []byte{5, 1}}, "7;x", "?", "Modification", false},
		{"blob", Record{Action: AddBlob, Key: key,
			Values: AppendValues(nil, []Value{Text("photo"), Blob(make([]byte, 2048))})},
			"7;x / photo", "<blob 2048 bytes>", "Adding a BLOB", true},
		{"blob with bad values", Record{Action: AddBlob, Key: key, Values: []byte{1}},
			"7;x / ?", "?", "Adding a BLOB", false},
		{"blob of the wrong shape", Record{Action: AddBlob, Key: key, Values: AppendValues(nil, []Value{Int(1)})},
			"7;x / ?", "?", "Adding a BLOB", false},
		{"unknown action", Record{Action: 99}, "", "", "Unknown action 99", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.rec.Op, c.rec.Time, c.rec.RecordNum, c.rec.Process = 42, at, 9, 3
			row := RowOf(c.rec)
			if row.PrimaryKey != c.key || row.Values != c.values || row.Action != c.action {
				t.Fatalf("got key %q values %q action %q, want %q %q %q", row.PrimaryKey, row.Values,
					row.Action, c.key, c.values, c.action)
			}
			if row.Operation != 42 || row.Record != 9 || row.Process != 3 || !row.Time.Equal(at) {
				t.Fatalf("row %+v", row)
			}
		})
	}
}

// TestTextStaysInColumns puts tabs and line breaks in every text field.
func TestTextStaysInColumns(t *testing.T) {
	nasty := "a\tb\nc\r\nd\x00e"
	rec := Record{Op: 1, Action: Add, SystemUser: nasty, User: nasty, Table: nasty,
		Key: mustKey(t, Text(nasty)), Values: AppendValues(nil, []Value{Text(nasty), Text(nasty)})}
	rows := []Row{RowOf(rec), RowOf(rec)}

	var b bytes.Buffer
	if err := WriteText(&b, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), b.String())
	}
	for _, l := range lines {
		if n := strings.Count(l, "\t"); n != 10 {
			t.Fatalf("%d tabs in %q, want 10", n, l)
		}
	}
	if !strings.Contains(lines[1], "a b c  d e") {
		t.Fatalf("line %q", lines[1])
	}

	b.Reset()
	if err := WriteCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	all, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(all) != 3 || len(all[1]) != 11 || all[1][2] != strings.ReplaceAll(nasty, "\r\n", "\n") {
		t.Fatalf("CSV read back: %v, %q", err, all)
	}

	b.Reset()
	if err := WriteJSON(&b, rows); err != nil {
		t.Fatal(err)
	}
	lines = strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d JSON lines, want 2", len(lines))
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil || m["table"] != nasty || m["time"] != "" {
		t.Fatalf("JSON read back: %v, %v", err, m)
	}
	for _, k := range []string{"operation", "action", "table", "primaryKey", "process", "size", "time",
		"systemUser", "user", "values", "record"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON row has no %q", k)
		}
	}
}

func TestAnalysisLocalTime(t *testing.T) {
	defer func(l *time.Location) { time.Local = l }(time.Local)
	time.Local = time.FixedZone("UTC+2", 2*3600)
	rows := []Row{{Operation: 1, Time: time.Date(2024, 3, 9, 23, 30, 0, 5e8, time.UTC)}}
	var b bytes.Buffer
	if err := WriteText(&b, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\t2024-03-10 01:30:00\t") {
		t.Fatalf("text shows %q", b.String())
	}
	b.Reset()
	if err := WriteJSON(&b, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"time":"2024-03-10T01:30:00.5+02:00"`) {
		t.Fatalf("JSON shows %q", b.String())
	}
}

// ReadRows gives one row per record, in order, as RowOf renders them; a torn tail is reported,
// not an error; a missing file is an error.
func TestReadRows(t *testing.T) {
	data, offs, recs := fiveRecords(t)
	path := logPath(t)
	writeFile(t, path, data[:offs[4]+3]) // the last record cut
	rows, torn, err := ReadRows(OSFS{}, path)
	if err != nil || torn == nil || torn.Offset != offs[4] {
		t.Fatalf("ReadRows = %d rows, torn %v, %v", len(rows), torn, err)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4", len(rows))
	}
	for i, row := range rows {
		if want := RowOf(recs[i]); row != want {
			t.Errorf("row %d = %+v, want %+v", i, row, want)
		}
	}
	if _, _, err := ReadRows(OSFS{}, path+".missing"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing log: %v", err)
	}
}
