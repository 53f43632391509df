package engine

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"holdfast/journal"
	"holdfast/settings"
)

// command is one line of `holdfast exec` (SPEC S9). Its values are slices of the line.
type command struct {
	Op, Table, Field, Path string
	Fields                 []Field
	PrimaryKey             []string
	Journaled              *bool
	Values                 []jsonField
	Key, After             []json.RawMessage
	Limit                  int
}

// commandKeys are the keys of a command. Keys are matched to them as encoding/json matches
// keys to the fields of a struct, regardless of case; other keys are ignored.
var commandKeys = []string{"op", "table", "field", "path", "fields", "primaryKey", "journaled", "values", "key", "after", "limit"}

// commandKey is the key of a command that key stands for, or "".
func commandKey(key []byte) string {
	for _, k := range commandKeys {
		if string(key) == k {
			return k
		}
	}
	for _, k := range commandKeys {
		if bytes.EqualFold(key, []byte(k)) {
			return k
		}
	}
	return ""
}

// member reads the value of the member key of a command.
func (c *command) member(p *jsonScan, key []byte) error {
	switch name := commandKey(key); name {
	case "op":
		return p.stringInto(&c.Op, name)
	case "table":
		return p.stringInto(&c.Table, name)
	case "field":
		return p.stringInto(&c.Field, name)
	case "path":
		return p.stringInto(&c.Path, name)
	case "values":
		return p.fieldValues(&c.Values)
	case "key":
		return p.rawList(&c.Key, name)
	case "after":
		return p.rawList(&c.After, name)
	case "fields":
		return p.decode(&c.Fields)
	case "primaryKey":
		return p.decode(&c.PrimaryKey)
	case "journaled":
		return p.decode(&c.Journaled)
	case "limit":
		return p.decode(&c.Limit)
	}
	return p.value()
}

// parse reads one line into c. What encoding/json refuses is said in its words; what it would
// accept but change (see jsonScan) is refused in ours.
func (c *command) parse(p *jsonScan, line []byte) error {
	err := checkUTF8(line)
	if err == nil {
		err = c.object(p, line)
	}
	p.reset(nil)
	var se *scanError
	if errors.As(err, &se) && se.syntax {
		if jerr := json.Unmarshal(line, new(struct{})); jerr != nil {
			err = jerr
		}
	}
	return err
}

func (c *command) object(p *jsonScan, line []byte) error {
	p.reset(line)
	p.ws()
	if p.i < len(line) && line[p.i] == '{' {
		if err := p.object(true, func(key []byte) error { return c.member(p, key) }); err != nil {
			return err
		}
	} else if err := p.value(); err != nil {
		return err
	} else {
		return &scanError{off: 0, msg: `a command is a JSON object, such as {"op":"count","table":"T"}`}
	}
	if p.ws(); p.i < len(line) {
		return p.fail(true, "more follows the command's closing }")
	}
	return nil
}

// MaxLine is the longest line Exec reads, newline aside: 64 MiB, room for a blob of 48 MiB
// written inline as base64 text. A longer line is read to its end without being kept, answered
// with 2001, and the session goes on with the next line; a larger blob goes in with the blob
// command, which reads it from a file (up to the 256 MiB a blob can hold).
const MaxLine = 64 << 20

// longLine is the length from which a line's memory is given back as soon as it is no longer
// needed (a garbage collection after it is gathered, and after its values are decoded): so
// that the memory of a session stays near the size of one value, not the several copies that
// reading, decoding and writing make one after the other. Next to the work of such a line, a
// collection costs little.
const longLine = 4 << 20

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
	lines := &lineReader{r: bufio.NewReaderSize(in, 256<<10), max: MaxLine}
	for {
		line, skipped, err := lines.next()
		var ans map[string]any
		durable := false
		switch {
		case skipped > 0:
			ans = failure(Errorf(CodeBadInput, "read command", "the line holds %d bytes, more than the %d MiB a line may hold; it was skipped: put a larger blob in with the blob command, which reads a file", skipped, MaxLine>>20))
		case len(line) > 0 && !blank(line):
			if s.long = len(line) > longLine; s.long {
				runtime.GC() // the fragments it was gathered from
			}
			ans, durable = s.run(line)
		}
		if ans != nil {
			if werr := s.answer(ans, durable || lines.r.Buffered() == 0); werr != nil {
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

// lineReader reads the lines of exec's input, each up to max bytes.
type lineReader struct {
	r      *bufio.Reader
	max    int
	chunks [][]byte // the fragments read so far of a line longer than r's buffer
	n      int      // their length
}

// next returns the next line: most lines are read in place, in r's buffer, valid until the next
// call; a longer one is gathered in fragments and joined once its length is known. A line
// longer than max is read to its end and dropped: skipped is its length (0 when it holds only
// spaces, which need no answer).
func (l *lineReader) next() (line []byte, skipped int, err error) {
	spaces := true
	for {
		frag, rerr := l.r.ReadSlice('\n')
		switch {
		case skipped > 0:
			skipped += len(frag)
			spaces = spaces && blank(frag)
		case l.over(frag, rerr != bufio.ErrBufferFull):
			skipped = l.n + len(frag)
			spaces = blank(frag)
			for _, c := range l.chunks {
				spaces = spaces && blank(c)
			}
			l.drop()
		case rerr == nil && l.n == 0:
			return frag, 0, nil
		default:
			l.chunks = append(l.chunks, bytes.Clone(frag))
			l.n += len(frag)
		}
		if rerr == bufio.ErrBufferFull {
			continue
		}
		if skipped > 0 && spaces {
			skipped = 0
		}
		return l.join(), skipped, rerr
	}
}

// over tells whether the line read so far, frag included, is longer than max without its line
// ending (\n or \r\n); before the last fragment, a \r at the end may be part of that ending.
func (l *lineReader) over(frag []byte, last bool) bool {
	n := l.n + len(frag)
	if !last {
		return n > l.max+1
	}
	before := byte(0) // the byte before frag's last one
	switch {
	case len(frag) >= 2:
		before = frag[len(frag)-2]
	case len(frag) == 1 && len(l.chunks) > 0:
		c := l.chunks[len(l.chunks)-1]
		before = c[len(c)-1]
	}
	if len(frag) > 0 && frag[len(frag)-1] == '\n' {
		if n--; before == '\r' {
			n--
		}
	}
	return n > l.max
}

// join returns the fragments gathered as one line (nil when there are none) and forgets them.
func (l *lineReader) join() []byte {
	var line []byte
	if len(l.chunks) == 1 {
		line = l.chunks[0]
	} else if len(l.chunks) > 1 {
		line = make([]byte, 0, l.n)
		for _, c := range l.chunks {
			line = append(line, c...)
		}
	}
	l.drop()
	return line
}

func (l *lineReader) drop() {
	clear(l.chunks)
	l.chunks, l.n = l.chunks[:0], 0
}

type session struct {
	db          *DB
	p           *Process
	tx          *Tx
	out         *bufio.Writer
	badSettings error // why writes are refused, or nil
	scan        jsonScan
	long        bool // the line being served is longer than longLine
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
	if err := c.parse(&s.scan, line); err != nil {
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
	var vals map[string]journal.Value
	var key []journal.Value
	if c.Op == "add" || c.Op == "modify" {
		if vals, err = t.valuesFromJSON(c.Values); err != nil {
			return nil, &Error{Code: CodeBadValue, Op: c.Op, Err: err}
		}
	}
	if c.Op != "add" {
		if key, err = t.KeyFromJSON(c.Key); err != nil {
			return nil, &Error{Code: CodeBadValue, Op: c.Op, Err: err}
		}
	}
	// The values are decoded: nothing refers to the line any more, so that a long one can be
	// collected while the write goes on.
	c.Values, c.Key = nil, nil
	if s.long {
		runtime.GC() // the line, before the write makes its own copies of the values
	}
	tx := s.tx
	if tx == nil {
		tx = s.p.Auto()
	}
	var num uint64
	switch c.Op {
	case "add":
		num, err = tx.Add(c.Table, vals)
	case "modify":
		num, err = tx.Modify(c.Table, key, vals)
	case "delete":
		num, err = tx.Delete(c.Table, key)
	case "blob":
		var data []byte
		if data, err = ReadBlobFile(c.Path); err == nil {
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
