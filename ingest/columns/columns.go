// Package columns turns the raw JSON column values of Debezium change events into typed
// Go slices, one Builder per ClickHouse column, for clickhouse-go's columnar batch appends:
//
//	b, _ := columns.New("Nullable(Decimal(10, 3))")
//	_ = b.Append(json.RawMessage(`"55.700"`))
//	_ = batch.Column(i).Append(b.Values()) // []*decimal.Decimal
//	b.Reset()
//
// Every encoding the Debezium PostgreSQL connector can use for a value is read: decimals in
// each decimal.handling.mode (string, double, precise), timestamps as ISO-8601 strings or
// epoch integers (time.precision.mode), booleans into UInt8, jsonb as text. The value
// rules per type are documented on New.
//
// A value that cannot be stored is an error and appends nothing, so a failed row can be
// dropped by truncating every column to its previous length. Debezium's placeholder for an
// unchanged TOASTed value is not a value: Append returns ErrUnavailable.
package columns

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Builder accumulates one ClickHouse column of a batch. A Builder is not safe for
// concurrent use.
type Builder interface {
	// Append decodes one raw JSON value from a change event and appends it. JSON null is
	// NULL in a Nullable column and the error "null in non-nullable column" otherwise.
	// On any error nothing is appended.
	Append(raw json.RawMessage) error
	// AppendDefault appends the type's zero value, or NULL in a Nullable column.
	AppendDefault()
	// Len is the number of values appended since the last Reset.
	Len() int
	// Values returns the typed slice for batch.Column(i).Append: []int32, []*int32,
	// []decimal.Decimal, []*time.Time, []string, … It shares memory with the builder and
	// is valid until the next Append, Truncate or Reset.
	Values() any
	// Truncate keeps the first n values (n ≤ Len), e.g. to drop a partly appended row.
	Truncate(n int)
	// Reset empties the builder, keeping its capacity.
	Reset()
}

// ErrUnavailable is returned by Append for Debezium's unavailable-value placeholder
// ("__debezium_unavailable_value"): the column did not change and its value was not sent,
// so the current value must be used instead.
var ErrUnavailable = errors.New("unavailable value (unchanged toasted column)")

// TimeUnit is the unit of epoch integers in DateTime columns, which depends on the
// connector's time.precision.mode and the PostgreSQL column type.
type TimeUnit int

const (
	// Micros: io.debezium.time.MicroTimestamp — timestamp(4-6) and timestamp in the
	// adaptive and adaptive_time_microseconds modes, every timestamp in microseconds mode.
	Micros TimeUnit = iota
	// Millis: org.apache.kafka.connect.data.Timestamp (connect mode), and
	// io.debezium.time.Timestamp — timestamp(0-3) in the adaptive modes.
	Millis
	// Nanos: io.debezium.time.NanoTimestamp (nanoseconds mode).
	Nanos
	// Seconds: plain Unix time.
	Seconds
)

func (u TimeUnit) String() string {
	switch u {
	case Micros:
		return "micros"
	case Millis:
		return "millis"
	case Nanos:
		return "nanos"
	case Seconds:
		return "seconds"
	}
	return "TimeUnit(" + strconv.Itoa(int(u)) + ")"
}

// DecimalMode says how a JSON string in a Decimal column is read.
type DecimalMode int

const (
	// DecimalAuto reads a string that is a decimal number as one (decimal.handling.mode
	// string, the pinned format) and any other string as base64 of the unscaled value
	// (precise). The two overlap only for digit-only strings whose length is a multiple
	// of 4, which are read as numbers: use DecimalPrecise when the connector runs in
	// precise mode.
	DecimalAuto DecimalMode = iota
	// DecimalPrecise reads every JSON string as base64 of the unscaled value.
	DecimalPrecise
	// DecimalString reads every JSON string as a decimal number and refuses anything else
	// (decimal.handling.mode string, the format the project's connector is pinned to).
	DecimalString
)

// Options tune how values are read; the zero value is the default.
type Options struct {
	TimeUnit TimeUnit    // unit of epoch integers in DateTime columns; default Micros
	Decimal  DecimalMode // reading of strings in Decimal columns; default DecimalAuto
}

// New returns a builder for a column of the ClickHouse type chType, spelled as
// system.columns.type prints it: "Int32", "Nullable(Int64)", "Decimal(10, 3)",
// "DateTime('UTC')", "Nullable(String)", … with the default Options.
//
// Supported types, optionally inside Nullable(…), and the values they take:
//
//   - Int8…Int64, UInt8…UInt64: a JSON integer (or a string holding one); fractions and
//     values outside the type's range are errors. UInt8 also takes true/false (boolean).
//   - Float32, Float64: a JSON number or a string holding one (also "NaN", "Infinity").
//   - Decimal(P, S), Decimal32/64/128(S): a string "55.700" (decimal.handling.mode string),
//     a JSON number (double, or the converter's decimal.format NUMERIC; rounded half away
//     from zero to S decimals), base64 of the big-endian two's-complement unscaled value
//     at scale S (precise), or the struct {"scale": n, "value": "<base64>"} of an
//     unconstrained numeric (precise). Strings and base64 values with more than S
//     significant decimals, and values with more than P-S integer digits, are errors.
//   - DateTime, DateTime('zone'): an ISO-8601 string ("2026-11-25T12:00:00.123456Z", 0-9
//     fractional digits, "Z" or an offset such as "+01:00"; without one it is UTC; a space
//     may replace the "T"), or an epoch integer in Options.TimeUnit. The result is a
//     time.Time in UTC within DateTime's range (1970 to 2106); ClickHouse keeps whole
//     seconds.
//   - Date: days since 1970-01-01 (io.debezium.time.Date) or "YYYY-MM-DD".
//   - String: a JSON string's text (jsonb arrives as a string holding JSON); any other JSON
//     value is stored as its compact JSON text.
func New(chType string) (Builder, error) {
	return NewWithOptions(chType, Options{})
}

// NewWithTimeUnit is New with epoch integers of DateTime columns read in unit: Micros
// (the default), Millis for time.precision.mode=connect and timestamp(0-3) columns in the
// adaptive modes, Nanos for nanoseconds mode. Date columns always read days.
func NewWithTimeUnit(chType string, unit TimeUnit) (Builder, error) {
	return NewWithOptions(chType, Options{TimeUnit: unit})
}

// NewWithOptions is New with explicit Options.
func NewWithOptions(chType string, o Options) (Builder, error) {
	if o.TimeUnit < Micros || o.TimeUnit > Seconds {
		return nil, fmt.Errorf("columns: unknown time unit %d", int(o.TimeUnit))
	}
	typ := strings.TrimSpace(chType)
	nullable := false
	if inner, ok := unwrap(typ, "Nullable"); ok {
		typ, nullable = strings.TrimSpace(inner), true
	}
	switch typ {
	case "Int8":
		return newColumn(nullable, intDecoder[int8]("int8")), nil
	case "Int16":
		return newColumn(nullable, intDecoder[int16]("int16")), nil
	case "Int32":
		return newColumn(nullable, intDecoder[int32]("int32")), nil
	case "Int64":
		return newColumn(nullable, intDecoder[int64]("int64")), nil
	case "UInt8":
		return newColumn(nullable, uintDecoder[uint8]("uint8", true)), nil
	case "UInt16":
		return newColumn(nullable, uintDecoder[uint16]("uint16", false)), nil
	case "UInt32":
		return newColumn(nullable, uintDecoder[uint32]("uint32", false)), nil
	case "UInt64":
		return newColumn(nullable, uintDecoder[uint64]("uint64", false)), nil
	case "Float32":
		return newColumn(nullable, floatDecoder[float32]("float32", 32)), nil
	case "Float64":
		return newColumn(nullable, floatDecoder[float64]("float64", 64)), nil
	case "String":
		return newStringColumn(nullable), nil
	case "Date":
		return newColumn(nullable, dateDecoder()), nil
	case "DateTime":
		return newColumn(nullable, dateTimeDecoder(o.TimeUnit)), nil
	}
	if _, ok := unwrap(typ, "DateTime"); ok { // DateTime('UTC'): the zone only changes how ClickHouse prints it
		return newColumn(nullable, dateTimeDecoder(o.TimeUnit)), nil
	}
	if d, ok, err := parseDecimalType(typ); ok {
		if err != nil {
			return nil, err
		}
		d.precise = o.Decimal == DecimalPrecise
		d.plain = o.Decimal == DecimalString
		return newColumn(nullable, d.decoder()), nil
	}
	return nil, fmt.Errorf("columns: unsupported clickhouse type %q", chType)
}

// unwrap returns the argument text of name(…).
func unwrap(typ, name string) (string, bool) {
	if len(typ) > len(name)+1 && strings.HasPrefix(typ, name) && typ[len(name)] == '(' && typ[len(typ)-1] == ')' {
		return typ[len(name)+1 : len(typ)-1], true
	}
	return "", false
}

// parseDecimalType reads Decimal(P, S), Decimal32(S), Decimal64(S), Decimal128(S) and
// Decimal256(S); ok is false for any other type.
func parseDecimalType(typ string) (d decimalType, ok bool, err error) {
	bad := func() (decimalType, bool, error) {
		return decimalType{}, true, fmt.Errorf("columns: bad decimal type %q", typ)
	}
	if args, is := unwrap(typ, "Decimal"); is {
		p, s, found := strings.Cut(args, ",")
		if !found {
			return bad()
		}
		prec, err1 := strconv.Atoi(strings.TrimSpace(p))
		scale, err2 := strconv.Atoi(strings.TrimSpace(s))
		if err1 != nil || err2 != nil || prec < 1 || prec > 76 || scale < 0 || scale > prec {
			return bad()
		}
		return newDecimalType(prec, scale), true, nil
	}
	for _, v := range []struct {
		name string
		prec int
	}{{"Decimal32", 9}, {"Decimal64", 18}, {"Decimal128", 38}, {"Decimal256", 76}} {
		if arg, is := unwrap(typ, v.name); is {
			scale, err := strconv.Atoi(strings.TrimSpace(arg))
			if err != nil || scale < 0 || scale > v.prec {
				return bad()
			}
			return newDecimalType(v.prec, scale), true, nil
		}
	}
	return decimalType{}, false, nil
}
