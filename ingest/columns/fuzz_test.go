package columns_test

import (
	"encoding/json"
	"testing"

	"github.com/flavortrend/flavortrend/ingest/columns"
)

// FuzzAppend: Append never panics, and appends exactly one value or returns an error.
func FuzzAppend(f *testing.F) {
	for _, tc := range valueCases {
		f.Add(tc.raw)
	}
	types := []string{"Int8", "Int64", "UInt8", "UInt64", "Float32", "Float64", "Decimal(10, 3)", "Decimal(38, 10)",
		"Decimal(76, 0)", "Date", "DateTime('UTC')", "String", "Nullable(Int32)", "Nullable(Decimal(3, 2))"}
	builders := make([]columns.Builder, 0, 2*len(types))
	for _, typ := range types {
		for _, o := range []columns.Options{{}, {TimeUnit: columns.Nanos, Decimal: columns.DecimalPrecise}} {
			b, err := columns.NewWithOptions(typ, o)
			if err != nil {
				f.Fatal(err)
			}
			builders = append(builders, b)
		}
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, b := range builders {
			n := b.Len()
			err := b.Append(json.RawMessage(raw))
			switch {
			case err != nil && b.Len() != n:
				t.Fatalf("%v, and Len went from %d to %d", err, n, b.Len())
			case err == nil && b.Len() != n+1:
				t.Fatalf("no error, and Len went from %d to %d", n, b.Len())
			}
			if b.Len() > 1000 {
				b.Reset()
			}
		}
	})
}
