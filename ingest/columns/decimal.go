package columns

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Decimal columns take the values of every decimal.handling.mode:
//
//   - string: "55.700"; exact, so more significant decimals than the column's scale are an
//     error rather than a silent rounding;
//   - double: 55.7, a JSON number, rounded half away from zero to the scale (a double is
//     approximate anyway); also the converter's decimal.format=NUMERIC;
//   - precise: base64 of the big-endian two's-complement unscaled value, at the column's
//     scale, or {"scale": n, "value": "<base64>"} for an unconstrained numeric.
//
// The values are shopspring decimals, what clickhouse-go appends to Decimal columns, with
// exactly the column's scale.

type decimalType struct {
	prec, scale int
	kind        string // "decimal(10, 3)"
	precise     bool   // strings are always base64
	plain       bool   // strings are always decimal numbers
}

func newDecimalType(prec, scale int) decimalType {
	return decimalType{prec: prec, scale: scale, kind: fmt.Sprintf("decimal(%d, %d)", prec, scale)}
}

func (d decimalType) decoder() decoder[decimal.Decimal] {
	return decoder[decimal.Decimal]{kind: d.kind, zero: decimal.New(0, -int32(d.scale)), decode: d.decode}
}

func (d decimalType) decode(raw []byte) (decimal.Decimal, error) {
	switch raw[0] {
	case '"':
		content, ok := stringContent(raw)
		if !ok {
			return decimal.Decimal{}, fmt.Errorf("%s: %s is not a decimal number", d.kind, show(raw))
		}
		if !d.precise {
			if n, ok := parseNumber(content); ok {
				return d.fromNumber(n, false, raw)
			}
		}
		if d.plain || isSpecialFloat(content) {
			return decimal.Decimal{}, fmt.Errorf("%s: %s is not a decimal number", d.kind, show(raw))
		}
		return d.fromBase64(content, d.scale, raw)
	case '{':
		return d.fromStruct(raw)
	}
	n, ok := parseNumber(raw)
	if !ok {
		return decimal.Decimal{}, fmt.Errorf("%s: %s is not a decimal number", d.kind, show(raw))
	}
	return d.fromNumber(n, true, raw)
}

// isSpecialFloat reports the non-numbers a double can hold, which would otherwise read as
// base64 ("Infinity" is valid base64).
func isSpecialFloat(s []byte) bool {
	switch strings.ToLower(string(s)) {
	case "nan", "infinity", "-infinity", "+infinity", "inf", "-inf", "+inf":
		return true
	}
	return false
}

func (d decimalType) fromNumber(n number, round bool, raw []byte) (decimal.Decimal, error) {
	u, b, st := n.unscaled(d.scale, d.prec, round)
	switch st {
	case unscaledFraction:
		return decimal.Decimal{}, fmt.Errorf("%s: %s has more than %d decimals", d.kind, show(raw), d.scale)
	case unscaledTooLong:
		return decimal.Decimal{}, d.outOfRange(raw)
	}
	return d.value(n.neg, u, b), nil
}

func (d decimalType) outOfRange(raw []byte) error {
	return fmt.Errorf("%s: %s out of range (more than %d integer digits)", d.kind, show(raw), d.prec-d.scale)
}

// value is ±(u or b) × 10^-scale.
func (d decimalType) value(neg bool, u uint64, b *big.Int) decimal.Decimal {
	if b == nil {
		if u <= math.MaxInt64 {
			v := int64(u)
			if neg {
				v = -v
			}
			return decimal.New(v, -int32(d.scale))
		}
		b = new(big.Int).SetUint64(u)
	}
	if neg {
		b.Neg(b)
	}
	return decimal.NewFromBigInt(b, -int32(d.scale))
}

// fromBase64 reads base64 of a big-endian two's-complement integer, the unscaled value
// at scale.
func (d decimalType) fromBase64(text []byte, scale int, raw []byte) (decimal.Decimal, error) {
	var buf [64]byte
	var bs []byte
	enc := base64.StdEncoding
	if len(text)%4 != 0 || len(text) == 0 {
		return decimal.Decimal{}, fmt.Errorf("%s: %s is neither a decimal number nor base64", d.kind, show(raw))
	}
	if n := enc.DecodedLen(len(text)); n <= len(buf) {
		bs = buf[:n]
	} else {
		bs = make([]byte, n)
	}
	n, err := enc.Decode(bs, text)
	if err != nil || n == 0 {
		return decimal.Decimal{}, fmt.Errorf("%s: %s is neither a decimal number nor base64", d.kind, show(raw))
	}
	bs = bs[:n]
	var (
		neg bool
		u   uint64
		b   *big.Int
	)
	if len(bs) <= 8 {
		v := int64(int8(bs[0])) // sign-extend
		for _, c := range bs[1:] {
			v = v<<8 | int64(c)
		}
		neg, u = v < 0, uint64(v)
		if neg {
			u = -u // two's complement magnitude, right for math.MinInt64 too
		}
	} else {
		b = new(big.Int).SetBytes(bs)
		if bs[0]&0x80 != 0 {
			b.Sub(b, new(big.Int).Lsh(big.NewInt(1), uint(8*len(bs))))
		}
		neg = b.Sign() < 0
		b.Abs(b)
		if b.IsUint64() {
			u, b = b.Uint64(), nil
		}
	}
	if scale == d.scale {
		digits := 0
		if b != nil {
			digits = len(b.String())
		} else if u != 0 {
			digits = numDigits(u)
		}
		if digits > d.prec {
			return decimal.Decimal{}, d.outOfRange(raw)
		}
		return d.value(neg, u, b), nil
	}
	// Another scale (the struct form): rescale exactly through the decimal text.
	var text10 string
	if b != nil {
		text10 = b.String()
	} else {
		text10 = strconv.FormatUint(u, 10)
	}
	return d.fromNumber(number{neg: neg, intPart: []byte(text10), exp: -scale}, false, raw)
}

// fromStruct reads io.debezium.data.VariableScaleDecimal: {"scale": n, "value": "<base64>"}.
func (d decimalType) fromStruct(raw []byte) (decimal.Decimal, error) {
	var v struct {
		Scale *int    `json:"scale"`
		Value *string `json:"value"`
	}
	if err := json.Unmarshal(raw, &v); err != nil || v.Scale == nil || v.Value == nil ||
		*v.Scale < -expLimit || *v.Scale > expLimit {
		return decimal.Decimal{}, fmt.Errorf("%s: %s is not a decimal number", d.kind, show(raw))
	}
	return d.fromBase64([]byte(*v.Value), *v.Scale, raw)
}
