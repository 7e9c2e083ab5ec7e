package debezium_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"github.com/flavortrend/flavortrend/ingest/debezium"
)

// FuzzDecode: Decode never panics, fails only with a *DecodeError, accepts only valid JSON,
// and gives events whose raw values are valid JSON.
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(testdata, "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no envelopes in %s: %v", testdata, err)
	}
	for _, file := range files {
		r := load(f, filepath.Base(file))
		f.Add([]byte(r.Key), []byte(r.Value))
	}
	f.Add([]byte(`{"serverName":"flavortrend"}`), []byte(`{"ts_ms":1}`))
	f.Add([]byte(`{"schema":null,"payload":{"id":1}}`), []byte(`{"schema":{},"payload":{"op":"d","source":{"table":"t","lsn":1,"ts_ms":2}}}`))
	f.Fuzz(func(t *testing.T, key, value []byte) {
		ev, err := debezium.Decode(key, value)
		if err != nil {
			var de *debezium.DecodeError
			if !errors.As(err, &de) || de.Reason == "" {
				t.Fatalf("error %v (%T) is not a *DecodeError with a reason", err, err)
			}
			return
		}
		for name, b := range map[string][]byte{"key": key, "value": value} {
			if len(bytes.TrimSpace(b)) > 0 && !json.Valid(b) {
				t.Fatalf("accepted invalid json %s %q", name, b)
			}
		}
		if !ev.Tombstone && !ev.Heartbeat {
			if ev.Op != debezium.OpCreate && ev.Op != debezium.OpRead && ev.Op != debezium.OpUpdate && ev.Op != debezium.OpDelete {
				t.Fatalf("op %v", ev.Op)
			}
			if ev.Op != debezium.OpDelete && ev.After == nil {
				t.Fatal("no after")
			}
		}
		for _, im := range []debezium.Image{ev.Key, ev.Before, ev.After} {
			for _, f := range im {
				if !json.Valid(f.Value) {
					t.Fatalf("%s: raw value %q is not json", f.Name, f.Value)
				}
				debezium.Unavailable(f.Value)
			}
		}
	})
}
