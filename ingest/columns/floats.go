package columns

import (
	"errors"
	"fmt"
	"strconv"
)

// floatDecoder reads a JSON number, or a string holding one ("NaN" and "Infinity" too:
// the JSON converter quotes them).
func floatDecoder[T float32 | float64](kind string, bits int) decoder[T] {
	return decoder[T]{kind: kind, decode: func(raw []byte) (T, error) {
		text := raw
		if raw[0] == '"' {
			c, ok := stringContent(raw)
			if !ok {
				return 0, fmt.Errorf("%s: %s is not a number", kind, show(raw))
			}
			text = c
		} else if _, ok := parseNumber(raw); !ok {
			return 0, fmt.Errorf("%s: %s is not a number", kind, show(raw))
		}
		f, err := strconv.ParseFloat(string(text), bits)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return 0, fmt.Errorf("%s: %s out of range", kind, show(raw))
			}
			return 0, fmt.Errorf("%s: %s is not a number", kind, show(raw))
		}
		return T(f), nil
	}}
}
