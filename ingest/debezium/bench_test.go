package debezium_test

import (
	"encoding/json"
	"testing"

	"github.com/flavortrend/flavortrend/ingest/debezium"
)

// BenchmarkDecode decodes an update of orders (22 columns) as it travels in Kafka.
func BenchmarkDecode(b *testing.B) {
	r := load(b, "orders.u.json")
	b.SetBytes(int64(len(r.Key) + len(r.Value)))
	b.ReportAllocs()
	var d debezium.Decoder
	for b.Loop() {
		if _, err := d.Decode(r.Key, r.Value); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeEncodingJSON is the peer: the same record through encoding/json into raw
// messages, as a straightforward decoder would do it.
func BenchmarkDecodeEncodingJSON(b *testing.B) {
	r := load(b, "orders.u.json")
	b.SetBytes(int64(len(r.Key) + len(r.Value)))
	b.ReportAllocs()
	for b.Loop() {
		var key map[string]json.RawMessage
		var env struct {
			Before, After map[string]json.RawMessage
			Op            string
			Source        struct {
				Table    string
				LSN      uint64 `json:"lsn"`
				TxID     *int64 `json:"txId"`
				TsMs     int64  `json:"ts_ms"`
				Snapshot json.RawMessage
			}
		}
		if err := json.Unmarshal(r.Key, &key); err != nil {
			b.Fatal(err)
		}
		if err := json.Unmarshal(r.Value, &env); err != nil {
			b.Fatal(err)
		}
	}
}
