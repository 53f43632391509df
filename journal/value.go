package journal

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Kind is the type of a field value. The numbers are part of the on-disk format of both the log
// file and the data file: never renumber them.
type Kind uint8

// The kinds of S3.1. A date is a number of days since 1970-01-01; a time is a number of
// milliseconds since midnight.
const (
	KindNull Kind = 0
	KindText Kind = 1
	KindInt  Kind = 2
	KindReal Kind = 3
	KindBool Kind = 4
	KindDate Kind = 5
	KindTime Kind = 6
	KindBlob Kind = 7
)

var kindNames = [...]string{"null", "text", "integer", "real", "boolean", "date", "time", "blob"}

// String returns the field type name used in the catalog and on the command line.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// ParseKind is the inverse of Kind.String (null excepted).
func ParseKind(s string) (Kind, bool) {
	for i, n := range kindNames {
		if i > 0 && n == s {
			return Kind(i), true
		}
	}
	return KindNull, false
}

// Value is one typed field value. Only the member matching Kind is meaningful: I holds integers,
// booleans (0 or 1), dates and times; F holds reals; S holds text; B holds blob bytes.
type Value struct {
	Kind Kind
	I    int64
	F    float64
	S    string
	B    []byte
}

// Constructors for each kind.
func Text(s string) Value      { return Value{Kind: KindText, S: s} }
func Int(i int64) Value        { return Value{Kind: KindInt, I: i} }
func Real(f float64) Value     { return Value{Kind: KindReal, F: f} }
func Blob(b []byte) Value      { return Value{Kind: KindBlob, B: b} }
func Date(days int64) Value    { return Value{Kind: KindDate, I: days} }
func TimeOfDay(ms int64) Value { return Value{Kind: KindTime, I: ms} }
func Bool(b bool) Value {
	if b {
		return Value{Kind: KindBool, I: 1}
	}
	return Value{Kind: KindBool}
}

// IsNull reports whether v holds no value.
func (v Value) IsNull() bool { return v.Kind == KindNull }

// String renders v for people: activity analysis, the record browser, error messages.
func (v Value) String() string {
	switch v.Kind {
	case KindNull:
		return ""
	case KindText:
		return v.S
	case KindInt:
		return strconv.FormatInt(v.I, 10)
	case KindReal:
		return strconv.FormatFloat(v.F, 'g', -1, 64)
	case KindBool:
		return strconv.FormatBool(v.I != 0)
	case KindDate:
		return time.Unix(v.I*86400, 0).UTC().Format("2006-01-02")
	case KindTime:
		ms := v.I
		return fmt.Sprintf("%02d:%02d:%02d", ms/3600000, ms/60000%60, ms/1000%60)
	case KindBlob:
		return fmt.Sprintf("<blob %d bytes>", len(v.B))
	}
	return "?"
}

// Equal reports whether two values have the same kind and content.
func (v Value) Equal(w Value) bool {
	if v.Kind != w.Kind {
		return false
	}
	switch v.Kind {
	case KindText:
		return v.S == w.S
	case KindReal:
		return v.F == w.F || (math.IsNaN(v.F) && math.IsNaN(w.F))
	case KindBlob:
		return string(v.B) == string(w.B)
	}
	return v.I == w.I
}

// JoinValues renders values separated by ";", the Values column of activity analysis.
func JoinValues(vals []Value) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = v.String()
	}
	return strings.Join(parts, ";")
}

// AppendValues appends the self-describing encoding of vals to dst:
//
//	uvarint count, then per value: kind byte, payload
//	  text, blob: uvarint length, bytes
//	  integer, date, time: zig-zag varint
//	  boolean: one byte (0 or 1)
//	  real: 8 bytes, IEEE 754 bits, little endian
//	  null: nothing
func AppendValues(dst []byte, vals []Value) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(vals)))
	for _, v := range vals {
		dst = append(dst, byte(v.Kind))
		switch v.Kind {
		case KindText:
			dst = binary.AppendUvarint(dst, uint64(len(v.S)))
			dst = append(dst, v.S...)
		case KindBlob:
			dst = binary.AppendUvarint(dst, uint64(len(v.B)))
			dst = append(dst, v.B...)
		case KindInt, KindDate, KindTime:
			dst = binary.AppendVarint(dst, v.I)
		case KindBool:
			dst = append(dst, byte(v.I&1))
		case KindReal:
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v.F))
		}
	}
	return dst
}

// DecodeValues decodes what AppendValues wrote. Text and blob values are copied, so src may be
// reused. It never panics on bad input: it returns ErrBadValues.
func DecodeValues(src []byte) ([]Value, error) {
	n, k := binary.Uvarint(src)
	if k <= 0 || n > uint64(len(src)) {
		return nil, ErrBadValues
	}
	src = src[k:]
	vals := make([]Value, 0, n)
	for i := uint64(0); i < n; i++ {
		if len(src) == 0 {
			return nil, ErrBadValues
		}
		v := Value{Kind: Kind(src[0])}
		src = src[1:]
		switch v.Kind {
		case KindNull:
		case KindText, KindBlob:
			l, k := binary.Uvarint(src)
			if k <= 0 || l > uint64(len(src)-k) {
				return nil, ErrBadValues
			}
			b := src[k : k+int(l)]
			if v.Kind == KindText {
				v.S = string(b)
			} else {
				v.B = append([]byte{}, b...)
			}
			src = src[k+int(l):]
		case KindInt, KindDate, KindTime:
			x, k := binary.Varint(src)
			if k <= 0 {
				return nil, ErrBadValues
			}
			v.I, src = x, src[k:]
		case KindBool:
			if len(src) < 1 || src[0] > 1 {
				return nil, ErrBadValues
			}
			v.I, src = int64(src[0]), src[1:]
		case KindReal:
			if len(src) < 8 {
				return nil, ErrBadValues
			}
			v.F, src = math.Float64frombits(binary.LittleEndian.Uint64(src)), src[8:]
		default:
			return nil, ErrBadValues
		}
		vals = append(vals, v)
	}
	if len(src) != 0 {
		return nil, ErrBadValues
	}
	return vals, nil
}

// AppendKey appends the order-preserving encoding of a primary key: comparing two encoded keys
// with bytes.Compare orders them as their values, field by field. Each value is its kind byte,
// then:
//
//	integer, date, time, boolean: 8 bytes big endian with the sign bit flipped
//	real: 8 bytes big endian of the IEEE bits, all bits flipped if negative, else the sign bit
//	      (-0 is written as 0)
//	text: the bytes with 0x00 escaped as 0x00 0xFF, ended by 0x00 0x01
//
// Blob and null values cannot be keys.
func AppendKey(dst []byte, vals []Value) ([]byte, error) {
	for _, v := range vals {
		dst = append(dst, byte(v.Kind))
		switch v.Kind {
		case KindInt, KindDate, KindTime, KindBool:
			dst = binary.BigEndian.AppendUint64(dst, uint64(v.I)^(1<<63))
		case KindReal:
			f := v.F
			if f == 0 {
				f = 0 // -0 equals 0: one key, not two
			}
			b := math.Float64bits(f)
			if b>>63 == 1 {
				b = ^b
			} else {
				b |= 1 << 63
			}
			dst = binary.BigEndian.AppendUint64(dst, b)
		case KindText:
			for i := 0; i < len(v.S); i++ {
				dst = append(dst, v.S[i])
				if v.S[i] == 0 {
					dst = append(dst, 0xFF)
				}
			}
			dst = append(dst, 0, 1)
		default:
			return nil, fmt.Errorf("%w: a %s cannot be part of a primary key", ErrBadKey, v.Kind)
		}
	}
	return dst, nil
}

// DecodeKey decodes what AppendKey wrote.
func DecodeKey(src []byte) ([]Value, error) {
	var vals []Value
	for len(src) > 0 {
		v := Value{Kind: Kind(src[0])}
		src = src[1:]
		switch v.Kind {
		case KindInt, KindDate, KindTime, KindBool:
			if len(src) < 8 {
				return nil, ErrBadKey
			}
			v.I, src = int64(binary.BigEndian.Uint64(src)^(1<<63)), src[8:]
		case KindReal:
			if len(src) < 8 {
				return nil, ErrBadKey
			}
			b := binary.BigEndian.Uint64(src)
			if b>>63 == 1 {
				b &^= 1 << 63
			} else {
				b = ^b
			}
			v.F, src = math.Float64frombits(b), src[8:]
		case KindText:
			var sb strings.Builder
			for {
				if len(src) < 2 && (len(src) == 0 || src[0] == 0) {
					return nil, ErrBadKey
				}
				if src[0] != 0 {
					sb.WriteByte(src[0])
					src = src[1:]
					continue
				}
				if src[1] == 1 {
					src = src[2:]
					break
				}
				if src[1] != 0xFF {
					return nil, ErrBadKey
				}
				sb.WriteByte(0)
				src = src[2:]
			}
			v.S = sb.String()
		default:
			return nil, ErrBadKey
		}
		vals = append(vals, v)
	}
	return vals, nil
}
