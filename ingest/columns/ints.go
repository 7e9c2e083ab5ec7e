package columns

import (
	"fmt"
	"math"
)

// Integer columns take a JSON integer, or a string holding one. A JSON number written
// with a fraction or exponent is accepted when its value is whole ("42.0", "4.2e1").

// readInteger reads raw as an integer: its sign and magnitude (saturated: overflow says
// the magnitude exceeds uint64).
func readInteger(kind string, raw []byte) (neg bool, mag uint64, overflow bool, err error) {
	text := raw
	if raw[0] == '"' {
		c, ok := stringContent(raw)
		if !ok {
			return false, 0, false, fmt.Errorf("%s: %s is not an integer", kind, show(raw))
		}
		text = c
	}
	n, ok := parseNumber(text)
	if !ok {
		return false, 0, false, fmt.Errorf("%s: %s is not an integer", kind, show(raw))
	}
	// Plain digits, the usual case.
	if len(n.fracPart) == 0 && n.exp == 0 && len(n.intPart) <= 19 {
		for _, c := range n.intPart {
			mag = mag*10 + uint64(c-'0')
		}
		return n.neg, mag, false, nil
	}
	u, b, st := n.unscaled(0, 20, false)
	switch {
	case st == unscaledFraction:
		return false, 0, false, fmt.Errorf("%s: %s is not an integer", kind, show(raw))
	case st == unscaledTooLong || b != nil && !b.IsUint64():
		return n.neg, 0, true, nil
	case b != nil:
		u = b.Uint64()
	}
	return n.neg, u, false, nil
}

type signed interface {
	~int8 | ~int16 | ~int32 | ~int64
}

type unsigned interface {
	~uint8 | ~uint16 | ~uint32 | ~uint64
}

func intDecoder[T signed](kind string) decoder[T] {
	var bits int
	switch any(T(0)).(type) {
	case int8:
		bits = 8
	case int16:
		bits = 16
	case int32:
		bits = 32
	default:
		bits = 64
	}
	maxPos := uint64(1)<<(bits-1) - 1 // largest positive magnitude
	return decoder[T]{kind: kind, decode: func(raw []byte) (T, error) {
		neg, mag, overflow, err := readInteger(kind, raw)
		if err != nil {
			return 0, err
		}
		if overflow || !neg && mag > maxPos || neg && mag > maxPos+1 {
			return 0, fmt.Errorf("%s: %s out of range", kind, show(raw))
		}
		if neg {
			return T(-int64(mag)), nil // mag = 2^63 wraps to math.MinInt64, as wanted
		}
		return T(mag), nil
	}}
}

// uintDecoder builds unsigned decoders; bools makes it take true/false as 1/0 (a
// PostgreSQL boolean in a UInt8 column).
func uintDecoder[T unsigned](kind string, bools bool) decoder[T] {
	maxVal := uint64(math.MaxUint64)
	switch any(T(0)).(type) {
	case uint8:
		maxVal = math.MaxUint8
	case uint16:
		maxVal = math.MaxUint16
	case uint32:
		maxVal = math.MaxUint32
	}
	return decoder[T]{kind: kind, decode: func(raw []byte) (T, error) {
		if bools {
			switch string(raw) {
			case "true":
				return 1, nil
			case "false":
				return 0, nil
			}
		}
		neg, mag, overflow, err := readInteger(kind, raw)
		if err != nil {
			return 0, err
		}
		if overflow || neg && mag != 0 || mag > maxVal {
			return 0, fmt.Errorf("%s: %s out of range", kind, show(raw))
		}
		return T(mag), nil
	}}
}
