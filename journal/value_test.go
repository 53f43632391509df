package journal

import (
	"bytes"
	"cmp"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

var everyKind = []Value{
	{}, Text(""), Text("héllo\x00\n;"), Int(0), Int(-1), Int(math.MinInt64), Int(math.MaxInt64),
	Real(0), Real(math.Copysign(0, -1)), Real(-1.5), Real(math.Inf(-1)), Real(math.Inf(1)),
	Real(math.SmallestNonzeroFloat64), Real(math.NaN()), Bool(true), Bool(false), Date(-719162),
	Date(19791), TimeOfDay(0), TimeOfDay(86399999), Blob(nil), Blob([]byte{0, 1, 2, 255}),
}

func sameValues(a, b []Value) bool {
	return slices.EqualFunc(a, b, Value.Equal)
}

func TestValuesRoundTrip(t *testing.T) {
	for n := 0; n <= len(everyKind); n++ {
		vals := everyKind[:n]
		enc := AppendValues([]byte("prefix"), vals)
		got, err := DecodeValues(enc[len("prefix"):])
		if err != nil || !sameValues(got, vals) {
			t.Fatalf("%d values: got %v, %v; want %v", n, got, err, vals)
		}
	}
}

func TestValuesDecodeCopies(t *testing.T) {
	enc := AppendValues(nil, []Value{Text("abc"), Blob([]byte("xyz"))})
	got, err := DecodeValues(enc)
	if err != nil {
		t.Fatal(err)
	}
	for i := range enc {
		enc[i] = 0
	}
	if got[0].S != "abc" || string(got[1].B) != "xyz" {
		t.Fatalf("decoded values changed with their source: %v", got)
	}
}

func TestValuesMalformed(t *testing.T) {
	good := AppendValues(nil, everyKind)
	for _, b := range [][]byte{
		nil, {}, {0x80}, {2, 0}, {1, 9}, {1, byte(KindBool), 2}, {1, byte(KindReal), 1, 2, 3},
		{1, byte(KindText), 5, 'a'}, {1, byte(KindInt)}, {0, 0}, append(bytes.Clone(good), 0),
		good[:len(good)-1],
	} {
		if _, err := DecodeValues(b); !errors.Is(err, ErrBadValues) {
			t.Errorf("DecodeValues(%x) = %v, want ErrBadValues", b, err)
		}
	}
}

func TestKeyRoundTrip(t *testing.T) {
	keyKinds := []Value{Text(""), Text("a\x00b\x00"), Text("\x00\x01\xff"), Int(math.MinInt64),
		Int(-1), Int(math.MaxInt64), Real(-1.5), Real(math.Inf(1)), Real(math.MaxFloat64),
		Bool(true), Bool(false), Date(-3), TimeOfDay(1234)}
	enc, err := AppendKey(nil, keyKinds)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeKey(enc)
	if err != nil || !sameValues(got, keyKinds) {
		t.Fatalf("got %v, %v; want %v", got, err, keyKinds)
	}
	for _, v := range []Value{{}, Blob([]byte{1})} {
		if _, err := AppendKey(nil, []Value{Int(1), v}); !errors.Is(err, ErrBadKey) {
			t.Errorf("a %s key: %v, want ErrBadKey", v.Kind, err)
		}
	}
	for _, b := range [][]byte{{9}, {byte(KindInt), 1}, {byte(KindText), 'a'}, {byte(KindText), 0},
		{byte(KindText), 0, 2}, {byte(KindReal)}} {
		if _, err := DecodeKey(b); !errors.Is(err, ErrBadKey) {
			t.Errorf("DecodeKey(%x) = %v, want ErrBadKey", b, err)
		}
	}
}

// compareValues orders keys of the same kinds field by field, as people expect.
func compareValues(a, b []Value) int {
	for i := range min(len(a), len(b)) {
		x, y := a[i], b[i]
		var c int
		switch x.Kind {
		case KindText:
			c = strings.Compare(x.S, y.S)
		case KindReal:
			c = cmp.Compare(x.F, y.F)
		default:
			c = cmp.Compare(x.I, y.I)
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

func TestKeyOrder(t *testing.T) {
	ints := []int64{math.MinInt64, math.MinInt64 + 1, -1 << 40, -256, -255, -1, 0, 1, 255, 256,
		1 << 40, math.MaxInt64}
	reals := []float64{math.Inf(-1), -math.MaxFloat64, -1e10, -1.5, -1, -math.SmallestNonzeroFloat64,
		math.Copysign(0, -1), 0, math.SmallestNonzeroFloat64, 0.5, 1, 1e10, math.MaxFloat64, math.Inf(1)}
	texts := []string{"", "\x00", "\x00\x00", "\x00\x01", "\x01", "a", "a\x00", "a\x00\x00", "a\x00b",
		"a\x01", "ab", "abc", "b", "\xff", "\xff\xff"}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200 {
		ints = append(ints, rng.Int64()-rng.Int64())
		reals = append(reals, rng.NormFloat64()*math.Pow(10, float64(rng.IntN(40)-20)))
		b := make([]byte, rng.IntN(5))
		for i := range b {
			b[i] = []byte{0, 1, 'a', 0xff}[rng.IntN(4)]
		}
		texts = append(texts, string(b))
	}
	var keys [][]Value
	for _, i := range ints {
		keys = append(keys, []Value{Int(i)})
	}
	checkOrder(t, keys)
	keys = keys[:0]
	for _, f := range reals {
		keys = append(keys, []Value{Real(f)})
	}
	checkOrder(t, keys)
	keys = keys[:0]
	for _, s := range texts {
		keys = append(keys, []Value{Text(s)})
	}
	checkOrder(t, keys)
	// Composite keys: a text field must not let the next field leak into the comparison.
	keys = keys[:0]
	for range 400 {
		keys = append(keys, []Value{Text(texts[rng.IntN(len(texts))]), Int(ints[rng.IntN(len(ints))]),
			Real(reals[rng.IntN(len(reals))])})
	}
	checkOrder(t, keys)
}

func checkOrder(t *testing.T, keys [][]Value) {
	t.Helper()
	enc := make([][]byte, len(keys))
	for i, k := range keys {
		var err error
		if enc[i], err = AppendKey(nil, k); err != nil {
			t.Fatal(err)
		}
	}
	for i := range keys {
		for j := range keys {
			want := compareValues(keys[i], keys[j])
			if got := bytes.Compare(enc[i], enc[j]); got != want {
				t.Fatalf("%v vs %v: bytes compare %d, values compare %d", keys[i], keys[j], got, want)
			}
		}
	}
}

func TestValueStrings(t *testing.T) {
	got := JoinValues([]Value{{}, Text("a"), Int(-3), Real(2.5), Bool(true), Date(0), TimeOfDay(3723004),
		Blob(make([]byte, 12))})
	want := ";a;-3;2.5;true;1970-01-01;01:02:03;<blob 12 bytes>"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
