package columns

import (
	"encoding/json"
	"fmt"

	"github.com/flavortrend/flavortrend/ingest/debezium"
)

// decoder converts the raw JSON values of one ClickHouse type.
type decoder[T any] struct {
	kind string // the type as errors name it, e.g. "int32", "decimal(10, 3)"
	zero T      // AppendDefault's value
	// decode gets a value without surrounding white space that is neither null nor the
	// unavailable-value placeholder.
	decode func(raw []byte) (T, error)
}

// column is a Builder of T values, or of *T values when nullable.
type column[T any] struct {
	dec      decoder[T]
	nullable bool
	vals     []T  // the values of a non-nullable column
	ptrs     []*T // the values of a nullable column: nil or pointing into slab
	slab     []T  // storage behind ptrs, so that a value costs no allocation of its own
}

func newColumn[T any](nullable bool, d decoder[T]) *column[T] {
	return &column[T]{dec: d, nullable: nullable}
}

func (c *column[T]) Append(raw json.RawMessage) error {
	raw = trimSpace(raw)
	switch {
	case len(raw) == 0:
		return fmt.Errorf("%s: no value", c.dec.kind)
	case isNull(raw):
		if !c.nullable {
			return fmt.Errorf("%s: null in non-nullable column", c.dec.kind)
		}
		c.ptrs = append(c.ptrs, nil)
		return nil
	case debezium.Unavailable(raw):
		return ErrUnavailable
	}
	v, err := c.dec.decode(raw)
	if err != nil {
		return err
	}
	c.push(v)
	return nil
}

func (c *column[T]) push(v T) {
	if !c.nullable {
		c.vals = append(c.vals, v)
		return
	}
	// When append moves slab, earlier pointers keep the old array alive and still read
	// the values they were given.
	c.slab = append(c.slab, v)
	c.ptrs = append(c.ptrs, &c.slab[len(c.slab)-1])
}

func (c *column[T]) AppendDefault() {
	if c.nullable {
		c.ptrs = append(c.ptrs, nil)
		return
	}
	c.vals = append(c.vals, c.dec.zero)
}

func (c *column[T]) Len() int {
	if c.nullable {
		return len(c.ptrs)
	}
	return len(c.vals)
}

func (c *column[T]) Values() any {
	if c.nullable {
		return c.ptrs
	}
	return c.vals
}

func (c *column[T]) Truncate(n int) {
	if n < 0 || n > c.Len() {
		panic(fmt.Sprintf("columns: truncate to %d of %d values", n, c.Len()))
	}
	if c.nullable {
		c.ptrs = c.ptrs[:n] // the slab keeps the dropped values until Reset
		return
	}
	c.vals = c.vals[:n]
}

func (c *column[T]) Reset() {
	clear(c.vals) // let strings and big integers of the last batch go
	clear(c.slab)
	clear(c.ptrs)
	c.vals, c.ptrs, c.slab = c.vals[:0], c.ptrs[:0], c.slab[:0]
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isNull(b []byte) bool { return string(b) == "null" }

// show renders a raw value for an error message, clipped.
func show(raw []byte) string {
	const max = 48
	if len(raw) > max {
		return string(raw[:max]) + "…"
	}
	return string(raw)
}

// stringContent returns the content of a JSON string value without escapes; ok is false
// when raw is not a string, or holds escapes or bytes JSON forbids unescaped.
func stringContent(raw []byte) (content []byte, ok bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, false
	}
	content = raw[1 : len(raw)-1]
	for _, c := range content {
		if c == '\\' || c == '"' || c < 0x20 {
			return nil, false
		}
	}
	return content, true
}
