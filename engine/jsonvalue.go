package engine

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"holdfast/journal"
)

// ValueFromJSON converts a JSON value to a value of the given type: text a string, integer a
// whole number, real a number, boolean true/false, date "YYYY-MM-DD", time "HH:MM[:SS]", blob
// base64 text. null is the null value.
func ValueFromJSON(k journal.Kind, raw json.RawMessage) (journal.Value, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return journal.Value{}, nil
	}
	var s string
	isString := raw[0] == '"'
	if isString {
		if err := json.Unmarshal(raw, &s); err != nil {
			return journal.Value{}, err
		}
	}
	bad := func() (journal.Value, error) {
		return journal.Value{}, fmt.Errorf("%s is not a valid %s (%s)", raw, k, kindHint[k])
	}
	switch k {
	case journal.KindText:
		if !isString {
			return bad()
		}
		return journal.Text(s), nil
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
		d, err := time.Parse("2006-01-02", s)
		if !isString || err != nil {
			return bad()
		}
		return journal.Date(d.Unix() / 86400), nil
	case journal.KindTime:
		if !isString {
			return bad()
		}
		return ParseTimeOfDay(s)
	case journal.KindBlob:
		b, err := base64.StdEncoding.DecodeString(s)
		if !isString || err != nil {
			return bad()
		}
		return journal.Blob(b), nil
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

// ValuesFromJSON converts a JSON object of field values for a table.
func (t *Table) ValuesFromJSON(obj map[string]json.RawMessage) (map[string]journal.Value, error) {
	vals := make(map[string]journal.Value, len(obj))
	for name, raw := range obj {
		i := t.FieldIndex(name)
		if i < 0 {
			return nil, fmt.Errorf("table %s has no field %q", t.Name, name)
		}
		v, err := ValueFromJSON(t.Fields[i].Type, raw)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", name, err)
		}
		vals[name] = v
	}
	return vals, nil
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
