package journal

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReader feeds the reader arbitrary bytes, as they are and after a valid header.
func FuzzReader(f *testing.F) {
	data, err := os.ReadFile(filepath.Join(goldenDir, "golden.journal"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[HeaderSize:])
	f.Add(data[:len(data)-7])
	f.Add(append(bytes.Clone(data), make([]byte, 100)...))
	for _, at := range []int{HeaderSize + 2, HeaderSize + 9, len(data) / 2, len(data) - 3} {
		bad := bytes.Clone(data)
		bad[at] ^= 0x41
		f.Add(bad)
	}
	f.Add(data[:HeaderSize])
	f.Add([]byte{})
	header := appendHeader(nil, Header{FirstOp: 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		checkReads(t, b)
		checkReads(t, append(bytes.Clone(header), b...))
	})
}

// checkReads reads a log to its end: it must end, with ops strictly increasing, and with an
// end that accounts for the bytes.
func checkReads(t *testing.T, b []byte) {
	r, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		if !errors.Is(err, ErrNotLog) {
			t.Fatalf("bad header gave %v", err)
		}
		return
	}
	var last uint64
	for n := 0; ; n++ {
		if n > len(b)/(frameSize+minBodySize)+1 {
			t.Fatalf("more records than the bytes can hold")
		}
		off := r.Offset()
		rec, err := r.Next()
		if err == nil {
			if (n > 0 && rec.Op <= last) || rec.Op < r.Header().FirstOp || r.Offset() <= off {
				t.Fatalf("record %d: op %d after %d, offset %d -> %d", n, rec.Op, last, off, r.Offset())
			}
			last = rec.Op
			RowOf(rec)
			continue
		}
		var torn *TornTailError
		var corrupt *CorruptError
		switch {
		case err == io.EOF:
			if !allZero(b[r.Offset():]) {
				t.Fatalf("clean end at %d of %d bytes, before data", r.Offset(), len(b))
			}
		case errors.As(err, &torn):
			if torn.Offset != r.Offset() || torn.Offset+torn.Bytes != int64(len(b)) {
				t.Fatalf("torn tail %+v, offset %d, %d bytes", torn, r.Offset(), len(b))
			}
		case errors.As(err, &corrupt):
			if corrupt.Offset != r.Offset() {
				t.Fatalf("corruption at %d, reader at %d", corrupt.Offset, r.Offset())
			}
		default:
			t.Fatalf("unexpected end: %v", err)
		}
		return
	}
}

func FuzzDecodeValues(f *testing.F) {
	f.Add(AppendValues(nil, everyKind), int64(-5), 1.5, "text", []byte{1, 2}, true)
	f.Add([]byte{}, int64(0), 0.0, "", []byte(nil), false)
	f.Add([]byte{3, 1, 0x80}, int64(math.MinInt64), math.Inf(-1), "\x00", []byte{0}, false)
	f.Fuzz(func(t *testing.T, b []byte, i int64, x float64, s string, blob []byte, flag bool) {
		if vals, err := DecodeValues(b); err == nil {
			again, err := DecodeValues(AppendValues(nil, vals))
			if err != nil || !sameValues(again, vals) {
				t.Fatalf("decoded %v, encoded again %v, %v", vals, again, err)
			}
			JoinValues(vals)
		} else if !errors.Is(err, ErrBadValues) {
			t.Fatalf("error %v", err)
		}
		vals := []Value{Int(i), Real(x), Text(s), Blob(blob), Bool(flag), Date(i), TimeOfDay(i), {}}
		got, err := DecodeValues(AppendValues(nil, vals))
		if err != nil || !sameValues(got, vals) {
			t.Fatalf("round trip of %v: %v, %v", vals, got, err)
		}
	})
}

func FuzzDecodeKey(f *testing.F) {
	k := mustKey(f, Int(-1), Text("a\x00"), Real(-2), Bool(true))
	f.Add(k, int64(1), 2.5, "a", int64(-1), -2.5, "a\x00")
	f.Add([]byte{byte(KindText), 0, 0xFF, 0, 1}, int64(0), 0.0, "", int64(0), math.Copysign(0, -1), "")
	f.Add([]byte{byte(KindText), 0}, int64(math.MaxInt64), math.Inf(1), "b",
		int64(math.MinInt64), math.NaN(), "ab")
	f.Fuzz(func(t *testing.T, b []byte, i1 int64, x1 float64, s1 string, i2 int64, x2 float64, s2 string) {
		if vals, err := DecodeKey(b); err == nil {
			enc, err := AppendKey(nil, vals)
			again, err2 := DecodeKey(enc)
			if err != nil || err2 != nil || !sameValues(again, vals) {
				t.Fatalf("decoded %v, encoded again %v: %v %v", vals, again, err, err2)
			}
			if !hasNegativeZero(vals) && !bytes.Equal(enc, b) {
				t.Fatalf("key %x decodes to %v, which encodes to %x", b, vals, enc)
			}
		} else if !errors.Is(err, ErrBadKey) {
			t.Fatalf("error %v", err)
		}
		if math.IsNaN(x1) || math.IsNaN(x2) {
			return
		}
		a := []Value{Text(s1), Int(i1), Real(x1)}
		c := []Value{Text(s2), Int(i2), Real(x2)}
		ka, err1 := AppendKey(nil, a)
		kc, err2 := AppendKey(nil, c)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if got, want := bytes.Compare(ka, kc), compareValues(a, c); got != want {
			t.Fatalf("%v vs %v: bytes compare %d, values %d", a, c, got, want)
		}
		if back, err := DecodeKey(ka); err != nil || !sameValues(back, a) {
			t.Fatalf("round trip of %v: %v, %v", a, back, err)
		}
	})
}

func hasNegativeZero(vals []Value) bool {
	for _, v := range vals {
		if v.Kind == KindReal && v.F == 0 && math.Signbit(v.F) {
			return true
		}
	}
	return false
}
