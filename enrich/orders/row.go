package orders

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/flavortrend/flavortrend/ingest/debezium"
)

// row reads typed values out of a Debezium row image, remembering the first error, so that
// a record is decoded field after field and checked once.
type row struct {
	im  debezium.Image
	err error
}

func (r *row) fail(col string, err error) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: %w", col, err)
	}
}

// raw is the column's value, or nil when it is absent or null.
func (r *row) raw(col string) json.RawMessage {
	v := r.im.Get(col)
	if v == nil || string(v) == "null" {
		return nil
	}
	return v
}

func (r *row) int(col string) int64 {
	v := r.raw(col)
	if v == nil {
		r.fail(col, fmt.Errorf("missing"))
		return 0
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		r.fail(col, err)
	}
	return n
}

// optInt is a nullable integer column: 0 and false when null.
func (r *row) optInt(col string) (int64, bool) {
	if r.raw(col) == nil {
		return 0, false
	}
	return r.int(col), true
}

func (r *row) float(col string) float64 {
	v := r.raw(col)
	if v == nil {
		r.fail(col, fmt.Errorf("missing"))
		return 0
	}
	s := string(v)
	if v[0] == '"' { // decimals arrive as strings (decimal.handling.mode=string)
		var err error
		if s, err = unquote(v); err != nil {
			r.fail(col, err)
			return 0
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
		// ParseFloat reads "NaN" and "Infinity", which a double precision column can
		// hold; no feature means anything with them, and JSON cannot carry them.
		err = fmt.Errorf("not a finite number: %s", s)
	}
	if err != nil {
		r.fail(col, err)
		return 0
	}
	return f
}

func (r *row) bool(col string) bool {
	switch v := string(r.raw(col)); v {
	case "true":
		return true
	case "false":
		return false
	default:
		r.fail(col, fmt.Errorf("not a boolean: %q", v))
		return false
	}
}

func (r *row) str(col string) string {
	v := r.raw(col)
	if v == nil {
		r.fail(col, fmt.Errorf("missing"))
		return ""
	}
	s, err := unquote(v)
	if err != nil {
		r.fail(col, err)
	}
	return s
}

// unquote reads a JSON string; the scanner has validated it, so a string without escapes is
// its bytes between the quotes.
func unquote(v []byte) (string, error) {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' && !bytes.ContainsRune(v[1:len(v)-1], '\\') {
		return string(v[1 : len(v)-1]), nil
	}
	var s string
	err := json.Unmarshal(v, &s)
	return s, err
}

// time reads a timestamptz column (an ISO-8601 string in UTC); zero and false when null.
func (r *row) time(col string) (time.Time, bool) {
	v := r.raw(col)
	if v == nil {
		return time.Time{}, false
	}
	s, err := unquote(v)
	if err != nil {
		r.fail(col, err)
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		r.fail(col, err)
		return time.Time{}, false
	}
	return t.UTC(), true
}
