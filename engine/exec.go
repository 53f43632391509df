package engine

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"holdfast/journal"
	"holdfast/settings"
)

// command is one line of `holdfast exec` (SPEC S9).
type command struct {
	Op         string                     `json:"op"`
	Table      string                     `json:"table"`
	Fields     []Field                    `json:"fields"`
	PrimaryKey []string                   `json:"primaryKey"`
	Journaled  *bool                      `json:"journaled"`
	Values     map[string]json.RawMessage `json:"values"`
	Key        []json.RawMessage          `json:"key"`
	After      []json.RawMessage          `json:"after"`
	Limit      int                        `json:"limit"`
	Field      string                     `json:"field"`
	Path       string                     `json:"path"`
}

// Exec serves `holdfast exec`: one JSON command per line of in, one JSON answer per line of out,
// in order. An autocommit write's answer and a commit's answer are written and flushed only once
// the write is durable. A bad line gets an error answer and the session goes on. At the end of
// in, an open transaction is rolled back (nothing of it is committed). While a key that
// writing needs (settings.OpenKeys) holds a bad value in the settings file, reads are served
// and writes answer 2009 naming the key, its line and how to fix it.
func Exec(db *DB, in io.Reader, out io.Writer) error {
	s := &session{db: db, p: db.NewProcess(""), out: bufio.NewWriterSize(out, 64<<10),
		badSettings: db.Settings().Need(settings.OpenKeys...)}
	defer s.p.Close()
	r := bufio.NewReaderSize(in, 256<<10)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && !blank(line) {
			ans, durable := s.run(line)
			if werr := s.answer(ans, durable || r.Buffered() == 0); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if s.tx != nil {
		s.tx.Rollback()
	}
	return s.out.Flush()
}

type session struct {
	db          *DB
	p           *Process
	tx          *Tx
	out         *bufio.Writer
	badSettings error // why writes are refused, or nil
}

func blank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

func (s *session) answer(ans map[string]any, flush bool) error {
	b, err := json.Marshal(ans)
	if err != nil {
		b, _ = json.Marshal(failure(err))
	}
	s.out.Write(b)
	s.out.WriteByte('\n')
	if flush {
		return s.out.Flush()
	}
	return nil
}

func failure(err error) map[string]any {
	code := CodeOf(err)
	if code == 0 {
		code = CodeBadInput
		err = &Error{Code: code, Err: err}
	}
	return map[string]any{"ok": false, "code": int(code), "error": err.Error()}
}

// run executes one line; durable tells whether the answer reports a durable write.
func (s *session) run(line []byte) (map[string]any, bool) {
	var c command
	if err := json.Unmarshal(line, &c); err != nil {
		return failure(&Error{Code: CodeBadInput, Op: "read command", Err: err}), false
	}
	ans, err := s.do(&c)
	if err != nil {
		return failure(err), false
	}
	ans["ok"] = true
	_, durable := ans["op"]
	return ans, durable
}

func (s *session) do(c *command) (map[string]any, error) {
	switch c.Op {
	case "createTable", "add", "modify", "delete", "blob":
		if s.badSettings != nil {
			return nil, &Error{Code: CodeBadSetting, Op: c.Op, Err: fmt.Errorf("writes are refused until the settings file is fixed: %w", s.badSettings)}
		}
	}
	switch c.Op {
	case "createTable":
		t := Table{Name: c.Table, Fields: c.Fields, PrimaryKey: c.PrimaryKey, Journaled: c.Journaled == nil || *c.Journaled}
		return map[string]any{}, s.db.CreateTable(t)
	case "begin":
		if s.tx != nil {
			return nil, &Error{Code: CodeTxState, Op: "begin", Err: errors.New("a transaction is already open; commit or roll it back first")}
		}
		s.tx = s.p.Begin()
		return map[string]any{}, nil
	case "commit", "rollback":
		if s.tx == nil {
			return nil, &Error{Code: CodeTxState, Op: c.Op, Err: errors.New("no transaction is open; send begin first")}
		}
		tx := s.tx
		s.tx = nil
		if c.Op == "rollback" {
			tx.Rollback()
			return map[string]any{}, nil
		}
		op, err := tx.Commit()
		if err != nil {
			return nil, err
		}
		return map[string]any{"op": op}, nil
	case "add", "modify", "delete", "blob":
		return s.write(c)
	case "get", "count", "scan":
		return s.read(c)
	case "":
		return nil, &Error{Code: CodeBadInput, Op: "command", Err: errors.New(`the line has no "op"`)}
	}
	return nil, &Error{Code: CodeBadInput, Op: "command", Err: fmt.Errorf("unknown op %q (createTable, add, modify, delete, get, count, scan, blob, begin, commit, rollback)", c.Op)}
}

func (s *session) write(c *command) (map[string]any, error) {
	t, err := s.db.table(c.Table)
	if err != nil {
		return nil, err
	}
	tx := s.tx
	if tx == nil {
		tx = s.p.Auto()
	}
	var num uint64
	switch c.Op {
	case "add", "modify":
		vals, verr := t.ValuesFromJSON(c.Values)
		if verr != nil {
			return nil, &Error{Code: CodeBadValue, Op: c.Op, Err: verr}
		}
		if c.Op == "add" {
			num, err = tx.Add(c.Table, vals)
		} else {
			key, kerr := t.KeyFromJSON(c.Key)
			if kerr != nil {
				return nil, &Error{Code: CodeBadValue, Op: c.Op, Err: kerr}
			}
			num, err = tx.Modify(c.Table, key, vals)
		}
	case "delete", "blob":
		key, kerr := t.KeyFromJSON(c.Key)
		if kerr != nil {
			return nil, &Error{Code: CodeBadValue, Op: c.Op, Err: kerr}
		}
		if c.Op == "delete" {
			num, err = tx.Delete(c.Table, key)
		} else {
			data, rerr := ReadBlobFile(c.Path)
			if rerr != nil {
				return nil, rerr
			}
			num, err = tx.SetBlob(c.Table, key, c.Field, data)
		}
	}
	if err != nil {
		if tx != s.tx {
			tx.Rollback()
		}
		return nil, err
	}
	if tx == s.tx {
		return map[string]any{"record": num}, nil
	}
	op, err := tx.Commit()
	if err != nil {
		return nil, err
	}
	return map[string]any{"op": op, "record": num}, nil
}

func (s *session) read(c *command) (map[string]any, error) {
	t, err := s.db.table(c.Table)
	if err != nil {
		return nil, err
	}
	switch c.Op {
	case "count":
		n, err := s.db.Count(c.Table)
		return map[string]any{"count": n}, err
	case "get":
		key, err := t.KeyFromJSON(c.Key)
		if err != nil {
			return nil, &Error{Code: CodeBadValue, Op: "get", Err: err}
		}
		var rec Record
		var found bool
		if s.tx != nil {
			rec, found, err = s.tx.Get(c.Table, key)
		} else {
			rec, found, err = s.db.Get(c.Table, key)
		}
		if err != nil || !found {
			return map[string]any{"found": false}, err
		}
		return map[string]any{"found": true, "record": rec.Num, "values": t.RecordToJSON(rec)}, nil
	}
	limit := c.Limit
	if limit <= 0 {
		limit = 100
	}
	if limit > 10000 {
		return nil, Errorf(CodeBadValue, "scan", "limit %d is over 10000; page with \"after\"", limit)
	}
	var after []journal.Value
	if c.After != nil {
		if after, err = t.KeyFromJSON(c.After); err != nil {
			return nil, &Error{Code: CodeBadValue, Op: "scan", Err: err}
		}
	}
	recs, err := s.db.Scan(c.Table, after, limit+1)
	if err != nil {
		return nil, err
	}
	var next any
	if len(recs) > limit {
		recs = recs[:limit]
		key := t.KeyOf(recs[limit-1])
		nk := make([]any, len(key))
		for i, v := range key {
			nk[i] = ValueToJSON(v)
		}
		next = nk
	}
	rows := make([]map[string]any, len(recs))
	for i, r := range recs {
		rows[i] = t.RecordToJSON(r)
	}
	return map[string]any{"rows": rows, "next": next}, nil
}

// ReadBlobFile reads a file for a blob field: a regular file no larger than a blob can be.
func ReadBlobFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, &Error{Code: CodeBadInput, Op: "blob", Path: path, Err: err}
	}
	if !info.Mode().IsRegular() {
		return nil, &Error{Code: CodeBadInput, Op: "blob", Path: path, Err: errors.New("not a regular file")}
	}
	if info.Size() > maxBlob {
		return nil, Errorf(CodeBadValue, "blob", "%s holds %d bytes, more than the %d MiB a blob can hold", path, info.Size(), maxBlob>>20)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Code: CodeBadInput, Op: "blob", Path: path, Err: err}
	}
	return data, nil
}
