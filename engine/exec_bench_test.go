package engine

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"holdfast/journal"
)

// ingestInput is what a script loading n records through exec sends: the rows in transactions
// of 1,000 (begin, adds, commit), each add line about 200 bytes with an accented name.
func ingestInput(first, n int) []byte {
	var b bytes.Buffer
	for i := first; i < first+n; i++ {
		if (i-first)%1000 == 0 {
			b.WriteString(`{"op":"begin"}` + "\n")
		}
		fmt.Fprintf(&b, `{"op":"add","table":"T","values":{"id":%d,"name":"Zoë Müller-Lüdenscheidt %d, 12 rue de l'Église, 75001 Paris, France \u00e9t\u00e9 2024","n":%d}}`+"\n", i, i, i*7)
		if (i-first)%1000 == 999 || i == first+n-1 {
			b.WriteString(`{"op":"commit"}` + "\n")
		}
	}
	return b.Bytes()
}

// BenchmarkExecIngest loads 20,000 records per iteration through Exec, as `holdfast exec` does
// (log on, a commit every 1,000 records), and reports records/s and input MB/s.
func BenchmarkExecIngest(b *testing.B) {
	db := benchDB(b)
	defer db.Close()
	const n = 20000
	next := 0
	var size int64
	for b.Loop() {
		b.StopTimer()
		in := ingestInput(next, n)
		next += n
		size = int64(len(in))
		b.StartTimer()
		if err := Exec(db, bytes.NewReader(in), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(size)
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rec/s")
}

// BenchmarkExecBlobLine adds records whose 1 MiB blob is inline base64 text, in transactions of
// 16: the cost per byte of reading and checking a long line.
func BenchmarkExecBlobLine(b *testing.B) {
	db := benchDB(b)
	defer db.Close()
	blob := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("holdfast"), 1<<17))
	next := 0
	var size int64
	for b.Loop() {
		b.StopTimer()
		var in bytes.Buffer
		in.WriteString(`{"op":"begin"}` + "\n")
		for i := 0; i < 16; i++ {
			fmt.Fprintf(&in, `{"op":"add","table":"T","values":{"id":%d,"pic":"%s"}}`+"\n", next, blob)
			next++
		}
		in.WriteString(`{"op":"commit"}` + "\n")
		size = int64(in.Len())
		b.StartTimer()
		if err := Exec(db, &in, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(size)
}

// benchDB creates a database with the table T of newDB.
func benchDB(b *testing.B) *DB {
	db, err := Create(b.TempDir()+"/Base", Options{})
	if err != nil {
		b.Fatal(err)
	}
	err = db.CreateTable(Table{Name: "T", Journaled: true, PrimaryKey: []string{"id"}, Fields: []Field{
		{"id", journal.KindInt}, {"name", journal.KindText}, {"n", journal.KindInt}, {"pic", journal.KindBlob}}})
	if err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkExecParse reads a typical add line into a command and its values: with jsonScan
// and its checks (UTF-8, surrogates, keys given twice), and with encoding/json as exec did
// before them (which has none of those checks), for comparison.
func BenchmarkExecParse(b *testing.B) {
	line := bytes.TrimSpace(ingestInput(7, 1)[len(`{"op":"begin"}`)+1:])
	line = line[:bytes.IndexByte(line, '\n')]
	t := &Table{Name: "T", PrimaryKey: []string{"id"}, Fields: []Field{
		{"id", journal.KindInt}, {"name", journal.KindText}, {"n", journal.KindInt}, {"pic", journal.KindBlob}}}
	if err := t.validate(); err != nil {
		b.Fatal(err)
	}
	b.Run("jsonscan", func(b *testing.B) {
		var p jsonScan
		b.SetBytes(int64(len(line)))
		for b.Loop() {
			var c command
			if err := c.parse(&p, line); err != nil {
				b.Fatal(err)
			}
			if _, err := t.valuesFromJSON(c.Values); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(line)))
		for b.Loop() {
			var c struct {
				Op, Table string
				Values    map[string]json.RawMessage
			}
			if err := json.Unmarshal(line, &c); err != nil {
				b.Fatal(err)
			}
			for name, raw := range c.Values {
				var s string
				if raw[0] == '"' {
					json.Unmarshal(raw, &s)
				}
				_ = name
			}
		}
	})
}
