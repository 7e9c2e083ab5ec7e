package orders

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/flavortrend/flavortrend/ingest/debezium"
)

// FuzzParseOrder: an orders row image, whatever its bytes, parses without a panic into an
// order or an error naming a column; a parsed order has finite numbers only (so that
// everything the stage derives from it encodes as JSON), and every row reader keeps to
// the same rules on any column.
func FuzzParseOrder(f *testing.F) {
	valid := `{"id":1,"customer_id":2,"restaurant_id":7,"courier_id":null,"city_id":1,"status":"placed",` +
		`"placed_at":"2026-11-20T11:00:00.000000Z","accepted_at":null,"picked_up_at":null,"delivered_at":null,` +
		`"cancelled_at":null,"items_count":2,"subtotal":"20.000","delivery_fee":"3.000","total":"23.000",` +
		`"distance_km":"3.000","promised_minutes":30,"is_promo":false,"drop_lat":36.82,"drop_lon":10.2,` +
		`"trace_parent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}`
	for _, seed := range []string{
		valid,
		`{"id":1,"customer_id":2,"restaurant_id":7,"city_id":1,"status":"placed","placed_at":"2026-11-20T11:00:00Z",` +
			`"items_count":2,"total":"23.000","distance_km":"3","promised_minutes":30,"is_promo":true,"drop_lat":"NaN","drop_lon":10.2}`,
		`{"id":1,"customer_id":2,"restaurant_id":7,"city_id":1,"status":"placed","placed_at":"2026-11-20T11:00:00Z",` +
			`"items_count":2,"total":"23.000","distance_km":"3","promised_minutes":30,"is_promo":true,"drop_lat":1,"drop_lon":"-Infinity"}`,
		`{"id":1,"total":"1e400","drop_lat":"0x1p-2","placed_at":"not a time","status":"\u0070laced"}`,
		`{"id":"1","customer_id":1.5,"is_promo":"yes","courier_id":{}}`,
		`{}`,
		`[]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		var d debezium.Decoder
		im, err := d.DecodeObject(value)
		if err != nil {
			return // the decoder's own fuzz test covers what it refuses
		}
		o, err := parse(im)
		if err == nil {
			for _, x := range []float64{o.dropLat, o.dropLon, o.total, o.distance} {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					t.Fatalf("parsed %q into a non-finite number: %+v", value, o)
				}
			}
			if _, err := json.Marshal(map[string]any{"lat": o.dropLat, "lon": o.dropLon, "total": o.total, "km": o.distance}); err != nil {
				t.Fatalf("parsed %q into numbers JSON cannot carry: %v", value, err)
			}
		}
		// Every reader on every column: no panic, and a value only without an error.
		for _, field := range im {
			r := row{im: im}
			col := field.Name
			if f := r.float(col); r.err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
				t.Fatalf("float(%s) of %q = %v without an error", col, field.Value, f)
			}
			r = row{im: im}
			if tm, ok := r.time(col); ok && (r.err != nil || tm.Location() != time.UTC) {
				t.Fatalf("time(%s) of %q = %v, %v", col, field.Value, tm, r.err)
			}
			r = row{im: im}
			r.int(col)
			r.optInt(col)
			r.bool(col)
			r.str(col)
		}
	})
}
