package columns_test

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/flavortrend/flavortrend/ingest/columns"
)

func TestNewTypes(t *testing.T) {
	for typ, want := range map[string]any{
		"Int8": []int8(nil), "Int16": []int16(nil), "Int32": []int32(nil), "Int64": []int64(nil),
		"UInt8": []uint8(nil), "UInt16": []uint16(nil), "UInt32": []uint32(nil), "UInt64": []uint64(nil),
		"Float32": []float32(nil), "Float64": []float64(nil), "String": []string(nil),
		"Date": []time.Time(nil), "DateTime": []time.Time(nil), "DateTime('UTC')": []time.Time(nil),
		"Decimal(10, 3)": []decimal.Decimal(nil), "Decimal(10,3)": []decimal.Decimal(nil),
		"Decimal(76, 20)": []decimal.Decimal(nil), "Decimal128(4)": []decimal.Decimal(nil),
		"Nullable(Int32)": []*int32(nil), "Nullable(Int64)": []*int64(nil), "Nullable(UInt8)": []*uint8(nil),
		"Nullable(Float64)": []*float64(nil), "Nullable(String)": []*string(nil),
		"Nullable(Decimal(10, 3))": []*decimal.Decimal(nil), "Nullable(DateTime('UTC'))": []*time.Time(nil),
		"Nullable(Date)": []*time.Time(nil), " Nullable( DateTime ) ": []*time.Time(nil),
	} {
		b, err := columns.New(typ)
		if err != nil {
			t.Errorf("New(%q): %v", typ, err)
			continue
		}
		if got := reflect.TypeOf(b.Values()); got != reflect.TypeOf(want) {
			t.Errorf("New(%q).Values() is %v, want %T", typ, got, want)
		}
	}
	for _, typ := range []string{"Enum8('a' = 1)", "Array(Int32)", "Nullable(Foo)", "LowCardinality(String)",
		"Decimal(0, 0)", "Decimal(10, 11)", "Decimal(10)", "Decimal(x, 1)", "Decimal32(10)", "", "int32",
		"Nullable(Nullable(Int32))", "DateTime64(3)", "FixedString(3)"} {
		_, err := columns.New(typ)
		if err == nil || !strings.Contains(err.Error(), strconv.Quote(typ)) {
			t.Errorf("New(%q): error %v, want one naming the type", typ, err)
		}
	}
	if _, err := columns.NewWithTimeUnit("DateTime", columns.TimeUnit(9)); err == nil {
		t.Error("no error for an unknown time unit")
	}
}

func TestAppendDefault(t *testing.T) {
	zero := time.Unix(0, 0).UTC()
	for typ, want := range map[string]any{
		"Int32": []int32{0}, "UInt8": []uint8{0}, "UInt64": []uint64{0}, "Float64": []float64{0},
		"String": []string{""}, "DateTime('UTC')": []time.Time{zero}, "Date": []time.Time{zero},
		"Nullable(Int32)": []*int32{nil}, "Nullable(String)": []*string{nil},
		"Nullable(Decimal(10, 3))": []*decimal.Decimal{nil}, "Nullable(DateTime('UTC'))": []*time.Time{nil},
	} {
		b, _ := columns.New(typ)
		b.AppendDefault()
		if got := b.Values(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: AppendDefault gives %#v, want %#v", typ, got, want)
		}
	}
	b, _ := columns.New("Decimal(10, 3)")
	b.AppendDefault()
	if d := b.Values().([]decimal.Decimal)[0]; !d.IsZero() || d.Exponent() != -3 {
		t.Errorf("decimal default %v (exponent %d)", d, d.Exponent())
	}
}

func TestTruncateReset(t *testing.T) {
	for _, typ := range []string{"Int64", "Nullable(Int64)"} {
		b, _ := columns.New(typ)
		for i := range 5 {
			if err := b.Append(json.RawMessage(strconv.Itoa(i))); err != nil {
				t.Fatal(err)
			}
		}
		b.Truncate(3)
		if err := b.Append(json.RawMessage("9")); err != nil {
			t.Fatal(err)
		}
		if got := ints(b); !reflect.DeepEqual(got, []int64{0, 1, 2, 9}) {
			t.Errorf("%s: after Truncate(3) and 9: %v", typ, got)
		}
		b.Reset()
		if b.Len() != 0 {
			t.Errorf("%s: Len() = %d after Reset", typ, b.Len())
		}
		_ = b.Append(json.RawMessage("5"))
		if got := ints(b); !reflect.DeepEqual(got, []int64{5}) {
			t.Errorf("%s: after Reset and 5: %v", typ, got)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic for Truncate past Len", typ)
				}
			}()
			b.Truncate(2)
		}()
	}
}

func ints(b columns.Builder) []int64 {
	switch v := b.Values().(type) {
	case []int64:
		return append([]int64(nil), v...)
	case []*int64:
		out := make([]int64, len(v))
		for i, p := range v {
			out[i] = *p
		}
		return out
	}
	return nil
}

// TestNullableMany: pointers of a nullable column keep their values while its storage grows.
func TestNullableMany(t *testing.T) {
	b, _ := columns.New("Nullable(Int64)")
	for round := range 2 {
		for i := range 5000 {
			if i%7 == 0 {
				b.AppendDefault()
				continue
			}
			if err := b.Append(json.RawMessage(strconv.Itoa(i * (round + 1)))); err != nil {
				t.Fatal(err)
			}
		}
		for i, p := range b.Values().([]*int64) {
			switch {
			case i%7 == 0 && p != nil:
				t.Fatalf("round %d: value %d = %d, want NULL", round, i, *p)
			case i%7 != 0 && (p == nil || *p != int64(i*(round+1))):
				t.Fatalf("round %d: value %d = %v, want %d", round, i, p, i*(round+1))
			}
		}
		b.Reset()
	}
}

// TestAppendAllocations: numbers and timestamps cost no allocation per value once the
// builder has grown; a string costs its own.
func TestAppendAllocations(t *testing.T) {
	for _, tc := range []struct {
		typ, raw string
		max      float64
	}{
		{"Int32", `42`, 0},
		{"Nullable(Int32)", `42`, 0},
		{"UInt8", `true`, 0},
		{"Float64", `36.8065`, 0},
		{"DateTime('UTC')", `"2026-11-25T12:00:00.123456Z"`, 0},
		{"Nullable(DateTime('UTC'))", `"2026-11-25T12:00:00.123456Z"`, 0},
		{"DateTime('UTC')", `1795637891686183`, 0},
		{"Date", `20782`, 0},
		{"String", `"picked_up"`, 1},
		{"Decimal(10, 3)", `"55.700"`, 2}, // the decimal's big.Int
	} {
		b, _ := columns.New(tc.typ)
		raw := json.RawMessage(tc.raw)
		for range 100 {
			_ = b.Append(raw)
		}
		b.Reset()
		n := testing.AllocsPerRun(100, func() {
			if err := b.Append(raw); err != nil {
				t.Fatal(err)
			}
			if b.Len() == 100 {
				b.Reset()
			}
		})
		if n > tc.max {
			t.Errorf("%s %s: %v allocations per value, want ≤ %v", tc.typ, tc.raw, n, tc.max)
		}
	}
}
