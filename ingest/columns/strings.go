package columns

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// newStringColumn reads a JSON string as its text (jsonb arrives as a string holding JSON
// text) and any other JSON value as its compact JSON text.
func newStringColumn(nullable bool) Builder {
	const kind = "string"
	var buf bytes.Buffer // compaction scratch, reused across values
	return newColumn(nullable, decoder[string]{kind: kind, decode: func(raw []byte) (string, error) {
		if raw[0] == '"' {
			if c, ok := stringContent(raw); ok {
				return string(c), nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", fmt.Errorf("%s: %s is not a json string", kind, show(raw))
			}
			return s, nil
		}
		buf.Reset()
		if err := json.Compact(&buf, raw); err != nil {
			return "", fmt.Errorf("%s: %s is not json", kind, show(raw))
		}
		return buf.String(), nil
	}})
}
