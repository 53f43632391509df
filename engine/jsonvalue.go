package engine

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"holdfast/journal"
)

// ValueFromJSON converts a JSON value to a value of the given type: text a string, integer a
// whole number, real a number, boolean true/false, date "YYYY-MM-DD", time "HH:MM[:SS]", blob
// base64 text. null is the null value. A string without escapes is taken from raw as it is
// (raw must be valid UTF-8, as exec's lines are), so that a long blob is decoded in one copy.
func ValueFromJSON(k journal.Kind, raw json.RawMessage) (journal.Value, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return journal.Value{}, nil
	}
	bad := func() (journal.Value, error) {
		return journal.Value{}, fmt.Errorf("%s is not a valid %s (%s)", short(raw), k, kindHint[k])
	}
	isString := raw[0] == '"'
	var body []byte // the string's bytes, escapes decoded
	if isString && (len(raw) < 2 || raw[len(raw)-1] != '"') {
		return bad()
	}
	if isString {
		body = raw[1 : len(raw)-1]
		if bytes.IndexByte(body, '\\') >= 0 {
			var err error
			if body, err = unescape(body); err != nil {
				return journal.Value{}, err
			}
		}
	}
	switch k {
	case journal.KindText:
		if !isString {
			return bad()
		}
		return journal.Text(string(body)), nil
	case journal.KindInt:
		i, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return bad()
		}
		return journal.Int(i), nil
	case journal.KindReal:
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil || isString || math.IsInf(f, 0) {
			return bad()
		}
		return journal.Real(f), nil
	case journal.KindBool:
		switch string(raw) {
		case "true":
			return journal.Bool(true), nil
		case "false":
			return journal.Bool(false), nil
		}
		return bad()
	case journal.KindDate:
		d, err := time.Parse("2006-01-02", string(body))
		if !isString || err != nil {
			return bad()
		}
		return journal.Date(d.Unix() / 86400), nil
	case journal.KindTime:
		if !isString {
			return bad()
		}
		return ParseTimeOfDay(string(body))
	case journal.KindBlob:
		if !isString {
			return bad()
		}
		b := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
		n, err := base64.StdEncoding.Decode(b, body)
		if err != nil {
			return bad()
		}
		return journal.Blob(b[:n]), nil
	}
	return bad()
}

var kindHint = map[journal.Kind]string{
	journal.KindText: "a string", journal.KindInt: "a whole number", journal.KindReal: "a number",
	journal.KindBool: "true or false", journal.KindDate: `"YYYY-MM-DD"`, journal.KindTime: `"HH:MM:SS"`,
	journal.KindBlob: "base64 text",
}

// ParseTimeOfDay reads "HH:MM" or "HH:MM:SS".
func ParseTimeOfDay(s string) (journal.Value, error) {
	for _, layout := range []string{"15:04:05", "15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return journal.TimeOfDay(int64(t.Hour()*3600000 + t.Minute()*60000 + t.Second()*1000)), nil
		}
	}
	return journal.Value{}, fmt.Errorf("%q is not a valid time (HH:MM or HH:MM:SS)", s)
}

// ValueToJSON is the inverse of ValueFromJSON.
func ValueToJSON(v journal.Value) any {
	switch v.Kind {
	case journal.KindText, journal.KindDate, journal.KindTime:
		return v.String()
	case journal.KindInt:
		return v.I
	case journal.KindReal:
		return v.F
	case journal.KindBool:
		return v.I != 0
	case journal.KindBlob:
		return base64.StdEncoding.EncodeToString(v.B)
	}
	return nil
}

// valuesFromJSON converts the field values of a command for a table. A field named twice is
// refused (jsonScan refuses it earlier, in the words of the line).
func (t *Table) valuesFromJSON(fields []jsonField) (map[string]journal.Value, error) {
	vals := make(map[string]journal.Value, len(fields))
	for _, f := range fields {
		i := t.fieldIndex(f.name)
		if i < 0 {
			return nil, fmt.Errorf("table %s has no field %q", t.Name, f.name)
		}
		name := t.Fields[i].Name
		if _, twice := vals[name]; twice {
			return nil, fmt.Errorf("field %s is given twice", name)
		}
		v, err := ValueFromJSON(t.Fields[i].Type, f.raw)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", name, err)
		}
		vals[name] = v
	}
	return vals, nil
}

// fieldIndex is FieldIndex for a name in bytes.
func (t *Table) fieldIndex(name []byte) int {
	for i, f := range t.Fields {
		if f.Name == string(name) {
			return i
		}
	}
	return -1
}

// KeyFromJSON converts a JSON list of primary key values for a table.
func (t *Table) KeyFromJSON(raw []json.RawMessage) ([]journal.Value, error) {
	if len(raw) != len(t.keyIdx) {
		return nil, fmt.Errorf("the primary key of %s has %d field(s), %d value(s) given", t.Name, len(t.keyIdx), len(raw))
	}
	key := make([]journal.Value, len(raw))
	for i, fi := range t.keyIdx {
		v, err := ValueFromJSON(t.Fields[fi].Type, raw[i])
		if err != nil {
			return nil, fmt.Errorf("key field %s: %w", t.Fields[fi].Name, err)
		}
		key[i] = v
	}
	return key, nil
}

// RecordToJSON returns a record's values as a JSON object by field name.
func (t *Table) RecordToJSON(rec Record) map[string]any {
	m := make(map[string]any, len(t.Fields))
	for i, f := range t.Fields {
		if i < len(rec.Values) {
			m[f.Name] = ValueToJSON(rec.Values[i])
		}
	}
	return m
}

// An exec line is read by jsonScan rather than by encoding/json alone, which accepts input it
// then changes without a word: invalid UTF-8 and an escaped half of a surrogate pair become
// U+FFFD, and of a key given twice in one object the last wins. jsonScan refuses all three,
// checks the rest of the JSON grammar as encoding/json does (its nesting limit included), and
// hands out the command's values as slices of the line, so that a long value is not copied on
// its way to its field.

// maxNesting is how deep objects and arrays may nest in a line, as in encoding/json.
const maxNesting = 10000

// jsonScan reads one line of JSON. Its methods leave i just past what they read.
type jsonScan struct {
	b     []byte
	i     int
	depth int
	keys  [][]byte // the keys of the objects being read, innermost last
}

// scanError is input that jsonScan refuses: syntax (JSON that encoding/json refuses too, whose
// message is then used), or something encoding/json would have changed.
type scanError struct {
	off    int
	msg    string
	syntax bool
}

func (e *scanError) Error() string { return fmt.Sprintf("byte %d: %s", e.off+1, e.msg) }

func (p *jsonScan) fail(syntax bool, format string, args ...any) error {
	return &scanError{off: p.i, msg: fmt.Sprintf(format, args...), syntax: syntax}
}

func (p *jsonScan) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// value reads any JSON value.
func (p *jsonScan) value() error {
	if p.i >= len(p.b) {
		return p.fail(true, "a value is missing")
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(false, func([]byte) error { return p.value() })
	case c == '[':
		return p.array(p.value)
	case c == '"':
		_, err := p.str()
		return err
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	for _, lit := range []string{"true", "false", "null"} {
		if bytes.HasPrefix(p.b[p.i:], []byte(lit)) {
			p.i += len(lit)
			return nil
		}
	}
	return p.fail(true, "%q cannot start a value", p.b[p.i])
}

// str reads a string and tells whether it holds escapes.
func (p *jsonScan) str() (escaped bool, err error) {
	j := p.i + 1
	for j < len(p.b) {
		switch c := p.b[j]; {
		case c == '"':
			p.i = j + 1
			return escaped, nil
		case c == '\\':
			escaped = true
			n, err := p.escape(j)
			if err != nil {
				return false, err
			}
			j += n
		case c < 0x20:
			p.i = j
			return false, p.fail(true, "a control character in a string")
		default:
			j++
		}
	}
	p.i = j
	return false, p.fail(true, "a string is not closed")
}

// escape checks the escape at j and returns its length. A \u escape of a UTF-16 surrogate must
// be the first half of a pair followed by the second.
func (p *jsonScan) escape(j int) (int, error) {
	if j+1 < len(p.b) && bytes.IndexByte([]byte(`"\/bfnrt`), p.b[j+1]) >= 0 {
		return 2, nil
	}
	r, ok := hex4(p.b, j)
	if !ok {
		p.i = j
		return 0, p.fail(true, "a backslash starts no valid escape")
	}
	switch {
	case r < 0xD800 || r >= 0xE000:
		return 6, nil
	case r < 0xDC00:
		if r2, ok := hex4(p.b, j+6); ok && r2 >= 0xDC00 && r2 < 0xE000 {
			return 12, nil
		}
	}
	p.i = j
	return 0, p.fail(false, `the escape %s is half of a UTF-16 surrogate pair, which stands for no character: send the whole character (as UTF-8, or as both halves, such as \ud83d\ude00)`, p.b[j:j+6])
}

// hex4 reads the \uXXXX escape at j.
func hex4(b []byte, j int) (rune, bool) {
	if j+6 > len(b) || b[j] != '\\' || b[j+1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range b[j+2 : j+6] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number reads a number of the JSON grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *jsonScan) number() error {
	start := p.i
	if p.b[p.i] == '-' {
		p.i++
	}
	if p.i < len(p.b) && p.b[p.i] == '0' {
		p.i++
	} else if !p.digits() {
		return p.fail(true, "a number without digits")
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if !p.digits() {
			return p.fail(true, "no digit after the decimal point of %s", p.b[start:p.i])
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if !p.digits() {
			return p.fail(true, "no digit in the exponent of %s", p.b[start:p.i])
		}
	}
	return nil
}

func (p *jsonScan) digits() bool {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}

func (p *jsonScan) nest() error {
	if p.depth++; p.depth > maxNesting {
		return p.fail(true, "objects and arrays nest more than %d deep", maxNesting)
	}
	return nil
}

// array reads an array, each element with elem.
func (p *jsonScan) array(elem func() error) error {
	if err := p.nest(); err != nil {
		return err
	}
	p.i++
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		p.depth--
		return nil
	}
	for {
		p.ws()
		if err := elem(); err != nil {
			return err
		}
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ',' && p.b[p.i] != ']' {
			return p.fail(true, "an array needs a comma or a closing ]")
		}
		if p.i++; p.b[p.i-1] == ']' {
			p.depth--
			return nil
		}
	}
}

// object reads an object, each member's value with member, called with the member's key (its
// bytes between the quotes, escapes decoded). A key given twice is refused; fold compares keys
// as encoding/json matches them to the fields of a struct, regardless of case.
func (p *jsonScan) object(fold bool, member func(key []byte) error) error {
	if err := p.nest(); err != nil {
		return err
	}
	first := len(p.keys)
	defer func() { p.keys = p.keys[:first] }()
	var set map[string]bool // the keys, once there are many
	p.i++
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		p.depth--
		return nil
	}
	for {
		p.ws()
		key, err := p.key()
		if err != nil {
			return err
		}
		if set == nil && len(p.keys)-first < 32 {
			if err := p.once(key, p.keys[first:], fold); err != nil {
				return err
			}
			p.keys = append(p.keys, key)
		} else if set, err = p.onceMany(set, key, p.keys[first:], fold); err != nil {
			return err
		}
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return p.fail(true, "a key needs a colon after it")
		}
		p.i++
		p.ws()
		if err := member(key); err != nil {
			return err
		}
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ',' && p.b[p.i] != '}' {
			return p.fail(true, "an object needs a comma or a closing }")
		}
		if p.i++; p.b[p.i-1] == '}' {
			p.depth--
			return nil
		}
	}
}

// key reads the key of an object member.
func (p *jsonScan) key() ([]byte, error) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, p.fail(true, "a key must be a string")
	}
	start := p.i
	escaped, err := p.str()
	if err != nil {
		return nil, err
	}
	if !escaped {
		return p.b[start+1 : p.i-1], nil
	}
	return unescape(p.b[start+1 : p.i-1])
}

// once refuses a key already among seen.
func (p *jsonScan) once(key []byte, seen [][]byte, fold bool) error {
	for _, k := range seen {
		if bytes.Equal(k, key) || fold && bytes.EqualFold(k, key) {
			how := ""
			if !bytes.Equal(k, key) {
				how = fmt.Sprintf(" (as %q: keys are matched regardless of case)", k)
			}
			return p.fail(false, "the key %q is given twice in one object%s: give each key once", key, how)
		}
	}
	return nil
}

// onceMany is once for an object of many keys: set holds them (folded with fold), made from
// the first ones at the first call.
func (p *jsonScan) onceMany(set map[string]bool, key []byte, first [][]byte, fold bool) (map[string]bool, error) {
	canon := func(k []byte) string {
		if !fold {
			return string(k)
		}
		return foldKey(k)
	}
	if set == nil {
		set = make(map[string]bool, 2*len(first))
		for _, k := range first {
			set[canon(k)] = true
		}
	}
	c := canon(key)
	if set[c] {
		return nil, p.fail(false, "the key %q is given twice in one object: give each key once", key)
	}
	set[c] = true
	return set, nil
}

// foldKey maps each character of k to the smallest of those equal to it regardless of case,
// so that two keys are equal under bytes.EqualFold when their foldKeys are.
func foldKey(k []byte) string {
	var b strings.Builder
	for _, r := range string(k) {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}

// jsonField is one member of a command's "values": a field name and its JSON value.
type jsonField struct {
	name []byte
	raw  json.RawMessage
}

// reset makes p ready to read line.
func (p *jsonScan) reset(line []byte) {
	clear(p.keys[:cap(p.keys)]) // no slice of an earlier line is kept alive
	*p = jsonScan{b: line, keys: p.keys[:0]}
}

// checkUTF8 refuses a line that is not UTF-8, naming the first byte that is not.
func checkUTF8(line []byte) error {
	if utf8.Valid(line) {
		return nil
	}
	for i := 0; i < len(line); {
		r, n := utf8.DecodeRune(line[i:])
		if r == utf8.RuneError && n <= 1 {
			return &scanError{off: i, msg: fmt.Sprintf("0x%02x is not UTF-8: send text as UTF-8", line[i])}
		}
		i += n
	}
	return nil
}

// stringInto reads a string (or null, which leaves dst as it is) into dst.
func (p *jsonScan) stringInto(dst *string, name string) error {
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '"' {
		escaped, err := p.str()
		switch {
		case err != nil:
			return err
		case escaped:
			b, err := unescape(p.b[start+1 : p.i-1])
			*dst = string(b)
			return err
		}
		*dst = string(p.b[start+1 : p.i-1])
		return nil
	}
	if err := p.value(); err != nil {
		return err
	}
	if string(p.b[start:p.i]) == "null" {
		return nil
	}
	return &scanError{off: start, msg: fmt.Sprintf("%q must be a string, not %s", name, short(p.b[start:p.i]))}
}

// rawList reads a list of values (or null) as slices of the line.
func (p *jsonScan) rawList(dst *[]json.RawMessage, name string) error {
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '[' {
		list := make([]json.RawMessage, 0, 2)
		err := p.array(func() error {
			from := p.i
			err := p.value()
			list = append(list, p.b[from:p.i])
			return err
		})
		*dst = list
		return err
	}
	if err := p.value(); err != nil || string(p.b[start:p.i]) == "null" {
		return err
	}
	return &scanError{off: start, msg: fmt.Sprintf("%q must be a list of the primary key's values, such as [1]", name)}
}

// fieldValues reads the "values" object (or null) as field names and slices of the line.
func (p *jsonScan) fieldValues(dst *[]jsonField) error {
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '{' {
		return p.object(false, func(key []byte) error {
			from := p.i
			err := p.value()
			*dst = append(*dst, jsonField{name: key, raw: p.b[from:p.i]})
			return err
		})
	}
	if err := p.value(); err != nil || string(p.b[start:p.i]) == "null" {
		return err
	}
	return &scanError{off: start, msg: `"values" must be an object of field values, such as {"id":1}`}
}

// decode reads any value and decodes it with encoding/json into v (members of objects inside
// matched regardless of case, as encoding/json matches them to fields).
func (p *jsonScan) decode(v any) error {
	start := p.i
	elem := func() error {
		if p.i < len(p.b) && p.b[p.i] == '{' {
			return p.object(true, func([]byte) error { return p.value() })
		}
		return p.value()
	}
	var err error
	if p.i < len(p.b) && p.b[p.i] == '[' {
		err = p.array(elem)
	} else {
		err = elem()
	}
	if err != nil {
		return err
	}
	return json.Unmarshal(p.b[start:p.i], v)
}

// short is raw for an error message: its start, when it is long.
func short(raw []byte) string {
	const most = 48
	if len(raw) <= most {
		return string(raw)
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(raw[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes)", raw[:cut], len(raw))
}

// unescape decodes the escapes of the bytes between a JSON string's quotes.
func unescape(body []byte) ([]byte, error) {
	out := make([]byte, 0, len(body))
	for i := 0; i < len(body); {
		j := bytes.IndexByte(body[i:], '\\')
		if j < 0 {
			return append(out, body[i:]...), nil
		}
		out = append(out, body[i:i+j]...)
		if i += j; i+1 >= len(body) {
			return nil, errors.New("a string ends with a backslash")
		}
		if c := simpleEscape(body[i+1]); c != 0 {
			out = append(out, c)
			i += 2
			continue
		}
		r, ok := hex4(body, i)
		if !ok {
			return nil, fmt.Errorf("%s starts no valid escape", short(body[i:min(i+6, len(body))]))
		}
		i += 6
		if utf16.IsSurrogate(r) {
			r2, ok := hex4(body, i)
			if r = utf16.DecodeRune(r, r2); !ok || r == utf8.RuneError {
				return nil, fmt.Errorf("an escape is half of a UTF-16 surrogate pair")
			}
			i += 6
		}
		out = utf8.AppendRune(out, r)
	}
	return out, nil
}

// simpleEscape is the byte that \c stands for, or 0.
func simpleEscape(c byte) byte {
	switch c {
	case '"', '\\', '/':
		return c
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	}
	return 0
}
