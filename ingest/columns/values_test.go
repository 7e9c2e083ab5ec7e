package columns_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/flavortrend/flavortrend/ingest/columns"
)

// valueCase is one raw value into one column type: the value it becomes, or an error.
type valueCase struct {
	typ  string
	opts columns.Options
	raw  string
	want any    // the appended value: int32(1), "55.700" for decimals, a time.Time, nil for NULL
	err  string // a substring of the error, instead of want
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

var (
	micros  = columns.Options{TimeUnit: columns.Micros}
	millis  = columns.Options{TimeUnit: columns.Millis}
	nanos   = columns.Options{TimeUnit: columns.Nanos}
	seconds = columns.Options{TimeUnit: columns.Seconds}
	precise = columns.Options{Decimal: columns.DecimalPrecise}
	plain   = columns.Options{Decimal: columns.DecimalString}
)

var valueCases = []valueCase{
	// Integers: JSON numbers; fractions and out-of-range values are errors.
	{typ: "Int32", raw: `42`, want: int32(42)},
	{typ: "Int32", raw: ` -7 `, want: int32(-7)},
	{typ: "Int32", raw: `2147483647`, want: int32(math.MaxInt32)},
	{typ: "Int32", raw: `-2147483648`, want: int32(math.MinInt32)},
	{typ: "Int32", raw: `2147483648`, err: "int32: 2147483648 out of range"},
	{typ: "Int32", raw: `-2147483649`, err: "int32: -2147483649 out of range"},
	{typ: "Int32", raw: `42.5`, err: "int32: 42.5 is not an integer"},
	{typ: "Int32", raw: `42.0`, want: int32(42)},
	{typ: "Int32", raw: `4.2e1`, want: int32(42)},
	{typ: "Int32", raw: `4200e-2`, want: int32(42)},
	{typ: "Int32", raw: `"42"`, want: int32(42)},
	{typ: "Int32", raw: `"4 2"`, err: `int32: "4 2" is not an integer`},
	{typ: "Int32", raw: `true`, err: "int32: true is not an integer"},
	{typ: "Int32", raw: `{"id":1}`, err: "is not an integer"},
	{typ: "Int32", raw: `1e999999999`, err: "int32: 1e999999999 out of range"},
	{typ: "Int32", raw: `null`, err: "int32: null in non-nullable column"},
	{typ: "Int32", raw: ``, err: "int32: no value"},
	{typ: "Nullable(Int32)", raw: `null`, want: nil},
	{typ: "Nullable(Int32)", raw: `17`, want: int32(17)},
	{typ: "Int8", raw: `-128`, want: int8(-128)},
	{typ: "Int8", raw: `128`, err: "int8: 128 out of range"},
	{typ: "Int16", raw: `32767`, want: int16(32767)},
	{typ: "Int16", raw: `40000`, err: "int16: 40000 out of range"},
	{typ: "Int16", raw: `-32769`, err: "out of range"},
	{typ: "Int64", raw: `9223372036854775807`, want: int64(math.MaxInt64)},
	{typ: "Int64", raw: `-9223372036854775808`, want: int64(math.MinInt64)},
	{typ: "Int64", raw: `9223372036854775808`, err: "int64: 9223372036854775808 out of range"},
	{typ: "Int64", raw: `123456789012345678901234`, err: "out of range"},
	{typ: "Nullable(Int64)", raw: `4636336176`, want: int64(4636336176)},
	{typ: "UInt8", raw: `true`, want: uint8(1)},
	{typ: "UInt8", raw: `false`, want: uint8(0)},
	{typ: "UInt8", raw: `255`, want: uint8(255)},
	{typ: "UInt8", raw: `256`, err: "uint8: 256 out of range"},
	{typ: "UInt8", raw: `-1`, err: "uint8: -1 out of range"},
	{typ: "UInt8", raw: `"true"`, err: "is not an integer"},
	{typ: "Nullable(UInt8)", raw: `true`, want: uint8(1)},
	{typ: "UInt16", raw: `65535`, want: uint16(65535)},
	{typ: "UInt16", raw: `65536`, err: "out of range"},
	{typ: "UInt16", raw: `true`, err: "uint16: true is not an integer"},
	{typ: "UInt32", raw: `4294967295`, want: uint32(math.MaxUint32)},
	{typ: "UInt64", raw: `18446744073709551615`, want: uint64(math.MaxUint64)},
	{typ: "UInt64", raw: `18446744073709551616`, err: "uint64: 18446744073709551616 out of range"},
	{typ: "UInt64", raw: `-0`, want: uint64(0)},

	// Floats: JSON numbers or numeric strings.
	{typ: "Float64", raw: `36.8065`, want: 36.8065},
	{typ: "Float64", raw: `"36.8065"`, want: 36.8065},
	{typ: "Float64", raw: `-1.5e-3`, want: -0.0015},
	{typ: "Float64", raw: `0`, want: 0.0},
	{typ: "Float64", raw: `"Infinity"`, want: math.Inf(1)},
	{typ: "Float64", raw: `"-Infinity"`, want: math.Inf(-1)},
	{typ: "Float64", raw: `1e400`, err: "float64: 1e400 out of range"},
	{typ: "Float64", raw: `"abc"`, err: `float64: "abc" is not a number`},
	{typ: "Float64", raw: `true`, err: "float64: true is not a number"},
	{typ: "Float64", raw: `0x10`, err: "is not a number"},
	{typ: "Float64", raw: `null`, err: "float64: null in non-nullable column"},
	{typ: "Nullable(Float64)", raw: `null`, want: nil},
	{typ: "Nullable(Float64)", raw: `10.18`, want: 10.18},
	{typ: "Float32", raw: `3.5`, want: float32(3.5)},
	{typ: "Float32", raw: `1e39`, err: "float32: 1e39 out of range"},

	// Decimals, decimal.handling.mode=string: exact.
	{typ: "Decimal(10, 3)", raw: `"55.700"`, want: "55.700"},
	{typ: "Decimal(10, 3)", raw: `"55.7"`, want: "55.700"},
	{typ: "Decimal(10, 3)", raw: `"-12.345"`, want: "-12.345"},
	{typ: "Decimal(10, 3)", raw: `"0.000"`, want: "0.000"},
	{typ: "Decimal(10, 3)", raw: `"-0.000"`, want: "0.000"},
	{typ: "Decimal(10, 3)", raw: `"7"`, want: "7.000"},
	{typ: "Decimal(10, 3)", raw: `"12.3450"`, want: "12.345"},
	{typ: "Decimal(10, 3)", raw: `"12.3456"`, err: `decimal(10, 3): "12.3456" has more than 3 decimals`},
	{typ: "Decimal(10, 3)", raw: `"-0.0001"`, err: "has more than 3 decimals"},
	{typ: "Decimal(10, 3)", raw: `"9999999.999"`, want: "9999999.999"},
	{typ: "Decimal(10, 3)", raw: `"-9999999.999"`, want: "-9999999.999"},
	{typ: "Decimal(10, 3)", raw: `"10000000"`, err: `decimal(10, 3): "10000000" out of range (more than 7 integer digits)`},
	{typ: "Decimal(10, 3)", raw: `"1.5E+3"`, want: "1500.000"},
	{typ: "Decimal(10, 3)", raw: `"NaN"`, err: `decimal(10, 3): "NaN" is not a decimal number`},
	{typ: "Decimal(10, 3)", raw: `"Infinity"`, err: "is not a decimal number"},
	{typ: "Decimal(10, 3)", raw: `"12,5"`, err: `decimal(10, 3): "12,5" is neither a decimal number nor base64`},
	{typ: "Decimal(10, 3)", raw: `true`, err: "decimal(10, 3): true is not a decimal number"},
	{typ: "Decimal(10, 3)", raw: `null`, err: "decimal(10, 3): null in non-nullable column"},
	{typ: "Nullable(Decimal(10, 3))", raw: `null`, want: nil},
	{typ: "Nullable(Decimal(10, 3))", raw: `"3.500"`, want: "3.500"},
	{typ: "Decimal(3, 2)", raw: `"4.60"`, want: "4.60"},
	{typ: "Decimal(3, 2)", raw: `"10.00"`, err: "out of range (more than 1 integer digits)"},
	{typ: "Decimal(4, 1)", raw: `"-14.5"`, want: "-14.5"},
	{typ: "Decimal(38, 10)", raw: `"1234567890123456789012345678.0123456789"`, want: "1234567890123456789012345678.0123456789"},
	{typ: "Decimal(38, 10)", raw: `"-1234567890123456789012345678.0123456789"`, want: "-1234567890123456789012345678.0123456789"},
	{typ: "Decimal(38, 10)", raw: `"12345678901234567890123456789"`, err: "out of range (more than 28 integer digits)"},
	{typ: "Decimal64(4)", raw: `"12.5"`, want: "12.5000"},
	{typ: "Decimal32(2)", raw: `"9999999.99"`, want: "9999999.99"},

	// decimal.handling.mode=double (and decimal.format=NUMERIC): rounded half away from zero.
	{typ: "Decimal(10, 3)", raw: `55.7`, want: "55.700"},
	{typ: "Decimal(10, 3)", raw: `-55.7`, want: "-55.700"},
	{typ: "Decimal(10, 3)", raw: `55.700`, want: "55.700"},
	{typ: "Decimal(10, 3)", raw: `3`, want: "3.000"},
	{typ: "Decimal(10, 3)", raw: `12.3456`, want: "12.346"},
	{typ: "Decimal(10, 3)", raw: `-12.3455`, want: "-12.346"},
	{typ: "Decimal(10, 3)", raw: `12.3454999`, want: "12.345"},
	{typ: "Decimal(10, 3)", raw: `0.0005`, want: "0.001"},
	{typ: "Decimal(10, 3)", raw: `0.0004`, want: "0.000"},
	{typ: "Decimal(10, 3)", raw: `1.5E-3`, want: "0.002"},
	{typ: "Decimal(10, 3)", raw: `1e-30`, want: "0.000"},
	{typ: "Decimal(10, 3)", raw: `1.0E3`, want: "1000.000"},
	{typ: "Decimal(10, 3)", raw: `55.69999999999999`, want: "55.700"},
	{typ: "Decimal(10, 3)", raw: `1e7`, err: "decimal(10, 3): 1e7 out of range"},
	{typ: "Decimal(3, 2)", raw: `9.995`, err: "decimal(3, 2): 9.995 out of range"},
	{typ: "Decimal(3, 2)", raw: `9.994`, want: "9.99"},

	// decimal.handling.mode=precise: base64 of the unscaled two's-complement value.
	{typ: "Decimal(10, 3)", raw: `"ANmU"`, want: "55.700"},
	{typ: "Decimal(10, 3)", raw: `"/yZs"`, want: "-55.700"},
	{typ: "Decimal(10, 3)", raw: `"AA=="`, want: "0.000"},
	{typ: "Decimal(10, 3)", raw: `"/w=="`, want: "-0.001"},
	{typ: "Decimal(10, 3)", raw: `"ew=="`, want: "0.123"},
	{typ: "Decimal(10, 3)", raw: `"F0h25/8="`, err: `decimal(10, 3): "F0h25/8=" out of range`}, // 99999999999 unscaled
	{typ: "Decimal(10, 3)", raw: `"ANm"`, err: "is neither a decimal number nor base64"},
	{typ: "Decimal(10, 3)", raw: `"A@=="`, err: "is neither a decimal number nor base64"},
	{typ: "Decimal(20, 0)", raw: `"f/////////8="`, want: "9223372036854775807"},
	{typ: "Decimal(20, 0)", raw: `"gAAAAAAAAAA="`, want: "-9223372036854775808"},
	{typ: "Decimal(38, 0)", raw: `"CUmw9vACMxPESZBQ3jjzTg=="`, want: "12345678901234567890123456789012345678"},
	{typ: "Decimal(38, 0)", raw: `"9rZPCQ/9zOw7tm+vIccMsg=="`, want: "-12345678901234567890123456789012345678"},
	{typ: "Decimal(37, 0)", raw: `"CUmw9vACMxPESZBQ3jjzTg=="`, err: "out of range"},
	// A digit-only string is a number unless the column is told the connector is precise.
	{typ: "Decimal(10, 3)", raw: `"1234"`, want: "1234.000"},
	{typ: "Decimal(10, 3)", opts: precise, raw: `"1234"`, want: "-2658.824"},
	// String mode: every string is a decimal number; base64 is refused, so a wrong value
	// such as "lots" (valid base64) cannot pass as one.
	{typ: "Decimal(10, 3)", opts: plain, raw: `"55.700"`, want: "55.700"},
	{typ: "Decimal(10, 3)", opts: plain, raw: `"1234"`, want: "1234.000"},
	{typ: "Decimal(10, 3)", opts: plain, raw: `"lots"`, err: `decimal(10, 3): "lots" is not a decimal number`},
	{typ: "Decimal(10, 3)", opts: plain, raw: `55.7`, want: "55.700"},
	{typ: "Decimal(10, 3)", opts: precise, raw: `"ANmU"`, want: "55.700"},
	{typ: "Decimal(10, 3)", opts: precise, raw: `55.7`, want: "55.700"},
	// Unconstrained numeric, precise: {"scale", "value"}, rescaled exactly.
	{typ: "Decimal(10, 3)", raw: `{"scale":2,"value":"FcI="}`, want: "55.700"},
	{typ: "Decimal(10, 3)", raw: `{"value":"VP3Q","scale":5}`, want: "55.700"},
	{typ: "Decimal(10, 3)", raw: `{"scale":0,"value":"/yZs"}`, want: "-55700.000"},
	{typ: "Decimal(10, 3)", raw: `{"scale":-2,"value":"ew=="}`, want: "12300.000"},
	{typ: "Decimal(10, 3)", raw: `{"scale":4,"value":"CH/J"}`, err: "has more than 3 decimals"},
	{typ: "Decimal(10, 3)", raw: `{"scale":2}`, err: "is not a decimal number"},
	{typ: "Decimal(10, 3)", raw: `{"scale":"2","value":"FcI="}`, err: "is not a decimal number"},

	// DateTime from ISO-8601 strings (ZonedTimestamp; isostring mode).
	{typ: "DateTime('UTC')", raw: `"2026-11-25T12:00:00.123456Z"`, want: utc("2026-11-25T12:00:00.123456Z")},
	{typ: "DateTime('UTC')", raw: `"2026-11-25T12:00:00Z"`, want: utc("2026-11-25T12:00:00Z")},
	{typ: "DateTime('UTC')", raw: `"2026-11-25T12:00:00.5Z"`, want: utc("2026-11-25T12:00:00.5Z")},
	{typ: "DateTime('UTC')", raw: `"2026-11-25T12:00:00.123456789Z"`, want: utc("2026-11-25T12:00:00.123456789Z")},
	{typ: "DateTime('UTC')", raw: `"2026-11-25T12:00:00.1234567891Z"`, err: `datetime: "2026-11-25T12:00:00.1234567891Z" is not an ISO-8601 timestamp`},
	{typ: "DateTime('UTC')", raw: `"2026-11-25T13:00:00+01:00"`, want: utc("2026-11-25T12:00:00Z")},
	{typ: "DateTime('UTC')", raw: `"2026-11-25T07:00:00.25-05:00"`, want: utc("2026-11-25T12:00:00.25Z")},
	{typ: "DateTime('UTC')", raw: `"2026-11-25T13:30:00+0130"`, want: utc("2026-11-25T12:00:00Z")},
	{typ: "DateTime('UTC')", raw: `"2026-11-26T01:00:00+13"`, want: utc("2026-11-25T12:00:00Z")},
	{typ: "DateTime('UTC')", raw: `"2026-11-25T12:00Z"`, want: utc("2026-11-25T12:00:00Z")},
	{typ: "DateTime('UTC')", raw: `"2026-11-25 12:00:00"`, want: utc("2026-11-25T12:00:00Z")},
	{typ: "DateTime('UTC')", raw: `"2028-02-29T00:00:00Z"`, want: utc("2028-02-29T00:00:00Z")},
	{typ: "DateTime('UTC')", raw: `"2026-02-29T00:00:00Z"`, err: "is not an ISO-8601 timestamp"},
	{typ: "DateTime('UTC')", raw: `"2026-11-25T24:00:00Z"`, err: "is not an ISO-8601 timestamp"},
	{typ: "DateTime('UTC')", raw: `"2026-11-25T12:00:00+25:00"`, err: "is not an ISO-8601 timestamp"},
	{typ: "DateTime('UTC')", raw: `"2026-11-25T12:00:00 UTC"`, err: "is not an ISO-8601 timestamp"},
	{typ: "DateTime('UTC')", raw: `"2026-11-25T12:00:00."`, err: "is not an ISO-8601 timestamp"},
	{typ: "DateTime('UTC')", raw: `"2026-11-25"`, err: "is not an ISO-8601 timestamp"},
	{typ: "DateTime('UTC')", raw: `"infinity"`, err: "is not an ISO-8601 timestamp"},
	{typ: "DateTime('UTC')", raw: `"1970-01-01T00:00:00Z"`, want: utc("1970-01-01T00:00:00Z")},
	{typ: "DateTime('UTC')", raw: `"1969-12-31T23:59:59Z"`, err: `datetime: "1969-12-31T23:59:59Z" out of range`},
	{typ: "DateTime('UTC')", raw: `"2106-02-07T06:28:15Z"`, want: utc("2106-02-07T06:28:15Z")},
	{typ: "DateTime('UTC')", raw: `"2106-02-07T06:28:16Z"`, err: "out of range"},
	{typ: "DateTime('UTC')", raw: `true`, err: "datetime: true is neither a timestamp nor an epoch integer"},
	{typ: "DateTime('UTC')", raw: `null`, err: "datetime: null in non-nullable column"},
	{typ: "Nullable(DateTime('UTC'))", raw: `null`, want: nil},
	{typ: "Nullable(DateTime('UTC'))", raw: `"2026-11-25T14:00:00.000000Z"`, want: utc("2026-11-25T14:00:00Z")},
	{typ: "DateTime", raw: `"2026-11-25T12:00:00.123456Z"`, want: utc("2026-11-25T12:00:00.123456Z")},
	{typ: "DateTime('Africa/Tunis')", raw: `"2026-11-25T12:00:00Z"`, want: utc("2026-11-25T12:00:00Z")},

	// DateTime from epoch integers, in the unit of the time.precision.mode.
	{typ: "DateTime('UTC')", raw: `1795637891686183`, want: utc("2026-11-25T20:18:11.686183Z")}, // default: micros
	{typ: "DateTime('UTC')", opts: micros, raw: `1795637891686183`, want: utc("2026-11-25T20:18:11.686183Z")},
	{typ: "DateTime('UTC')", opts: millis, raw: `1795637891686`, want: utc("2026-11-25T20:18:11.686Z")},
	{typ: "DateTime('UTC')", opts: nanos, raw: `1795637891686183000`, want: utc("2026-11-25T20:18:11.686183Z")},
	{typ: "DateTime('UTC')", opts: seconds, raw: `1795637891`, want: utc("2026-11-25T20:18:11Z")},
	{typ: "DateTime('UTC')", raw: `0`, want: utc("1970-01-01T00:00:00Z")},
	{typ: "DateTime('UTC')", raw: `-1000000`, err: "datetime: -1000000 out of range"},
	{typ: "DateTime('UTC')", opts: millis, raw: `4294967296000`, err: "out of range"},
	{typ: "DateTime('UTC')", raw: `99999999999999999999`, err: "out of range"},
	{typ: "DateTime('UTC')", raw: `1.5`, err: "is neither a timestamp nor an epoch integer"},
	{typ: "Nullable(DateTime)", opts: millis, raw: `1795637891686`, want: utc("2026-11-25T20:18:11.686Z")},

	// Date: days since the epoch, or YYYY-MM-DD.
	{typ: "Date", raw: `20782`, want: utc("2026-11-25T00:00:00Z")},
	{typ: "Date", raw: `0`, want: utc("1970-01-01T00:00:00Z")},
	{typ: "Date", raw: `65535`, want: utc("2149-06-06T00:00:00Z")},
	{typ: "Date", raw: `65536`, err: "date: 65536 out of range"},
	{typ: "Date", raw: `-1`, err: "date: -1 out of range"},
	{typ: "Date", raw: `"2026-11-25"`, want: utc("2026-11-25T00:00:00Z")},
	{typ: "Date", raw: `"1969-12-31"`, err: `date: "1969-12-31" out of range`},
	{typ: "Date", raw: `"2026-13-01"`, err: "is not a date (YYYY-MM-DD)"},
	{typ: "Date", raw: `"2026-11-25T00:00:00Z"`, err: "is not a date (YYYY-MM-DD)"},
	{typ: "Date", raw: `1.5`, err: "date: 1.5 is neither a date nor a day number"},
	{typ: "Nullable(Date)", raw: `null`, want: nil},

	// String: text, jsonb as its JSON text, other JSON values as compact JSON.
	{typ: "String", raw: `"placed"`, want: "placed"},
	{typ: "String", raw: `""`, want: ""},
	{typ: "String", raw: `"caf\u00e9 \"x\"\n"`, want: "café \"x\"\n"},
	{typ: "String", raw: `"Dar El Jeld — تونس"`, want: "Dar El Jeld — تونس"},
	{typ: "String", raw: `"{\"factor\": 1.5}"`, want: `{"factor": 1.5}`},
	{typ: "String", raw: `{"a": 1, "b": [1, 2]}`, want: `{"a":1,"b":[1,2]}`},
	{typ: "String", raw: `[ "x" ]`, want: `["x"]`},
	{typ: "String", raw: `42.5`, want: `42.5`},
	{typ: "String", raw: `true`, want: `true`},
	{typ: "String", raw: `{"a": }`, err: "string: {\"a\": } is not json"},
	{typ: "String", raw: `"\q"`, err: "is not a json string"},
	{typ: "String", raw: `null`, err: "string: null in non-nullable column"},
	{typ: "Nullable(String)", raw: `null`, want: nil},
	{typ: "Nullable(String)", raw: `"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"`, want: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
	{typ: "String", raw: strings.Repeat("x", 100), err: "string: " + strings.Repeat("x", 48) + "… is not json"},
}

// lastValue returns the last appended value of b: the element, dereferenced for nullable
// columns (nil for NULL), and decimals as text at their own scale.
func lastValue(t *testing.T, b columns.Builder) any {
	t.Helper()
	v := reflect.ValueOf(b.Values())
	if v.Kind() != reflect.Slice || v.Len() != b.Len() {
		t.Fatalf("Values() = %T of %d, Len() = %d", b.Values(), v.Len(), b.Len())
	}
	e := v.Index(v.Len() - 1)
	if e.Kind() == reflect.Pointer {
		if e.IsNil() {
			return nil
		}
		e = e.Elem()
	}
	if d, ok := e.Interface().(decimal.Decimal); ok {
		return d.StringFixed(-d.Exponent())
	}
	return e.Interface()
}

func TestAppendValues(t *testing.T) {
	for _, tc := range valueCases {
		name := tc.typ + " " + tc.raw
		if tc.opts != (columns.Options{}) {
			name += fmt.Sprintf(" %+v", tc.opts)
		}
		t.Run(name, func(t *testing.T) {
			b, err := columns.NewWithOptions(tc.typ, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			b.AppendDefault() // one value before, so that a failed Append must leave it alone
			err = b.Append(json.RawMessage(tc.raw))
			if tc.err != "" {
				if err == nil {
					t.Fatalf("got %v, want error %q", lastValue(t, b), tc.err)
				}
				if !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %q, want %q", err, tc.err)
				}
				if err.Error() != strings.ToLower(err.Error()[:1])+err.Error()[1:] {
					t.Errorf("error %q starts with a capital", err)
				}
				if b.Len() != 1 {
					t.Errorf("Len() = %d after an error, want 1", b.Len())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.Len() != 2 {
				t.Fatalf("Len() = %d, want 2", b.Len())
			}
			got := lastValue(t, b)
			switch w := tc.want.(type) {
			case time.Time:
				g, ok := got.(time.Time)
				if !ok || !g.Equal(w) || g.Location() != time.UTC {
					t.Errorf("got %v, want %v in UTC", got, w)
				}
			case float64:
				if g, ok := got.(float64); !ok || g != w && !(math.IsNaN(g) && math.IsNaN(w)) {
					t.Errorf("got %v (%T), want %v", got, got, w)
				}
			default:
				if got != tc.want {
					t.Errorf("got %#v, want %#v", got, tc.want)
				}
			}
		})
	}
}

func TestAppendNaN(t *testing.T) {
	b, _ := columns.New("Float64")
	if err := b.Append(json.RawMessage(`"NaN"`)); err != nil {
		t.Fatal(err)
	}
	if v := b.Values().([]float64)[0]; !math.IsNaN(v) {
		t.Errorf("got %v, want NaN", v)
	}
}

// TestAppendUnavailable: the unchanged-TOAST placeholder is no value, in any column type.
func TestAppendUnavailable(t *testing.T) {
	for _, typ := range []string{"String", "Nullable(String)", "Int32", "Nullable(Decimal(10, 3))", "Decimal(10, 3)",
		"DateTime('UTC')", "Nullable(DateTime('UTC'))", "Date", "Float64", "UInt8"} {
		for _, raw := range []string{`"__debezium_unavailable_value"`, `"X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ=="`, `["__debezium_unavailable_value"]`} {
			b, err := columns.New(typ)
			if err != nil {
				t.Fatal(err)
			}
			b.AppendDefault()
			err = b.Append(json.RawMessage(raw))
			if !errors.Is(err, columns.ErrUnavailable) {
				t.Errorf("%s %s: error %v, want ErrUnavailable", typ, raw, err)
			}
			if b.Len() != 1 {
				t.Errorf("%s %s: Len() = %d, want 1", typ, raw, b.Len())
			}
		}
	}
}
