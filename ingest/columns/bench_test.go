package columns_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/flavortrend/flavortrend/ingest/columns"
	"github.com/flavortrend/flavortrend/ingest/debezium"
)

// ordersTypes are the data columns of the orders mirror as system.columns prints them.
var ordersTypes = [][2]string{
	{"id", "Int64"}, {"customer_id", "Int32"}, {"restaurant_id", "Int32"}, {"courier_id", "Nullable(Int32)"},
	{"city_id", "Int32"}, {"status", "String"}, {"placed_at", "DateTime('UTC')"},
	{"accepted_at", "Nullable(DateTime('UTC'))"}, {"picked_up_at", "Nullable(DateTime('UTC'))"},
	{"delivered_at", "Nullable(DateTime('UTC'))"}, {"cancelled_at", "Nullable(DateTime('UTC'))"},
	{"cancel_reason", "Nullable(String)"}, {"items_count", "Int32"}, {"subtotal", "Decimal(10, 3)"},
	{"delivery_fee", "Decimal(10, 3)"}, {"total", "Decimal(10, 3)"}, {"distance_km", "Decimal(7, 3)"},
	{"promised_minutes", "Int32"}, {"is_promo", "UInt8"}, {"drop_lat", "Float64"}, {"drop_lon", "Float64"},
	{"trace_parent", "Nullable(String)"},
}

// BenchmarkAppendOrderRow appends the 22 columns of an update of orders (one row per op).
func BenchmarkAppendOrderRow(b *testing.B) {
	file, err := os.ReadFile("../../testdata/debezium/orders.u.json")
	if err != nil {
		b.Fatal(err)
	}
	var rec struct{ Key, Value json.RawMessage }
	if err := json.Unmarshal(file, &rec); err != nil {
		b.Fatal(err)
	}
	ev, err := debezium.Decode(rec.Key, rec.Value)
	if err != nil {
		b.Fatal(err)
	}
	row := ev.Row()
	builders := make([]columns.Builder, len(ordersTypes))
	raws := make([]json.RawMessage, len(ordersTypes))
	for i, c := range ordersTypes {
		if builders[i], err = columns.New(c[1]); err != nil {
			b.Fatal(err)
		}
		raws[i] = row.Get(c[0])
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for i, bld := range builders {
			if err := bld.Append(raws[i]); err != nil {
				b.Fatal(err)
			}
		}
		if n++; n == 10000 {
			for _, bld := range builders {
				bld.Reset()
			}
			n = 0
		}
	}
}
