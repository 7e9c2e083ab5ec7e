package debezium_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/ingest/debezium"
)

const testdata = "../../testdata/debezium"

// record is a captured envelope file: {"topic", "key", "value"}.
type record struct {
	Topic string          `json:"topic"`
	Key   json.RawMessage `json:"key"`
	Value json.RawMessage `json:"value"`
}

// load reads a captured record with key and value compacted, as they travel in Kafka; a
// null value becomes nil, as Kafka delivers a tombstone.
func load(t testing.TB, name string) record {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, name))
	if err != nil {
		t.Fatal(err)
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	r.Key, r.Value = compact(t, r.Key), compact(t, r.Value)
	if string(r.Value) == "null" {
		r.Value = nil
	}
	return r
}

func compact(t testing.TB, b []byte) []byte {
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func decode(t *testing.T, name string) debezium.Event {
	t.Helper()
	r := load(t, name)
	ev, err := debezium.Decode(r.Key, r.Value)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ev
}

// TestDecodeTestdata decodes every captured envelope and checks its typed fields.
func TestDecodeTestdata(t *testing.T) {
	want := map[string]struct {
		table     string
		op        debezium.Op
		lsn       uint64
		txID      int64
		commitMs  int64
		snapshot  bool
		tombstone bool
		before    bool
	}{
		"alert_acks.c.json":             {"alert_acks", 'c', 15642055088, 1027219, 1795662383034, false, false, false},
		"cdc_heartbeat.c.json":          {"cdc_heartbeat", 'c', 4625617112, 4275, 1795637890643, false, false, false},
		"cdc_heartbeat.u.json":          {"cdc_heartbeat", 'u', 4704896056, 4298, 1795637895923, false, false, false},
		"cities.r.json":                 {"cities", 'r', 4619763928, 4274, 1795637890410, true, false, false},
		"cities.u.json":                 {"cities", 'u', 4636366840, 4280, 1795637891686, false, false, false},
		"city_mutes.c.json":             {"city_mutes", 'c', 15642055536, 1027219, 1795662383034, false, false, false},
		"courier_positions.c.json":      {"courier_positions", 'c', 4636337400, 4280, 1795637891686, false, false, false},
		"couriers.r.json":               {"couriers", 'r', 4619763928, 4274, 1795637890410, true, false, false},
		"couriers.u.json":               {"couriers", 'u', 4636336856, 4280, 1795637891686, false, false, false},
		"menu_items.r.json":             {"menu_items", 'r', 4619763928, 4274, 1795637890410, true, false, false},
		"menu_items.u.json":             {"menu_items", 'u', 4636366048, 4280, 1795637891686, false, false, false},
		"operator_actions.c.json":       {"operator_actions", 'c', 4636345952, 4280, 1795637891686, false, false, false},
		"operator_actions.u.json":       {"operator_actions", 'u', 4636371520, 4280, 1795637891686, false, false, true},
		"order_items.d.json":            {"order_items", 'd', 4636368584, 4280, 1795637891686, false, false, true},
		"order_items.r.json":            {"order_items", 'r', 4619763928, 4274, 1795637890410, true, false, false},
		"order_items.tombstone.json":    {"", 0, 0, 0, 0, false, true, false},
		"order_reviews.r.json":          {"order_reviews", 'r', 4619763928, 4274, 1795637890410, true, false, false},
		"order_reviews.u.json":          {"order_reviews", 'u', 4636354048, 4280, 1795637891686, false, false, true},
		"orders.c.json":                 {"orders", 'c', 4636433048, 4281, 1795637891694, false, false, false},
		"orders.r.json":                 {"orders", 'r', 4619763928, 4274, 1795637890410, true, false, false},
		"orders.u.json":                 {"orders", 'u', 4636336176, 4280, 1795637891686, false, false, false},
		"orders.u_toast_unchanged.json": {"orders", 'u', 4636454480, 4282, 1795637891698, false, false, false},
		"restaurants.r.json":            {"restaurants", 'r', 4619763928, 4274, 1795637890410, true, false, false},
		"restaurants.u.json":            {"restaurants", 'u', 4636364208, 4280, 1795637891686, false, false, false},
		"simulation_flags.c.json":       {"simulation_flags", 'c', 4636340632, 4280, 1795637891686, false, false, false},
		"simulation_flags.u.json":       {"simulation_flags", 'u', 4636369688, 4280, 1795637891686, false, false, true},
		"weather_observations.c.json":   {"weather_observations", 'c', 4636336968, 4280, 1795637891686, false, false, false},
	}
	files, err := filepath.Glob(filepath.Join(testdata, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no envelopes in %s: %v", testdata, err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("no expectation for %s: add it to this test", name)
			}
			r := load(t, name)
			ev, err := debezium.Decode(r.Key, r.Value)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Table != w.table || ev.Op != w.op || ev.LSN != w.lsn || ev.TxID != w.txID ||
				ev.CommitMs != w.commitMs || ev.Snapshot != w.snapshot || ev.Tombstone != w.tombstone {
				t.Errorf("got table %q op %v lsn %d txId %d commit %d snapshot %v tombstone %v, want %+v",
					ev.Table, ev.Op, ev.LSN, ev.TxID, ev.CommitMs, ev.Snapshot, ev.Tombstone, w)
			}
			if !w.tombstone && ev.LSN == 0 {
				t.Error("LSN is 0")
			}
			if got := debezium.TopicTable(r.Topic); !w.tombstone && got != ev.Table {
				t.Errorf("TopicTable(%q) = %q, want %q", r.Topic, got, ev.Table)
			}
			pk := "id" // every captured table's primary key but alert_acks', and the weather's city (docs/cdc.md)
			switch w.table {
			case "alert_acks":
				pk = "alert_id"
			case "weather_observations":
				pk = "city_id"
			}
			if string(ev.Key.Get(pk)) == "" || len(ev.Key) != 1 {
				t.Errorf("key = %s, want {%s}", show(ev.Key), pk)
			}
			if (ev.Before != nil) != w.before {
				t.Errorf("before = %s, want present %v", show(ev.Before), w.before)
			}
			switch {
			case w.tombstone:
				if ev.After != nil || ev.Before != nil || ev.Row() != nil {
					t.Errorf("tombstone with images: %+v", ev)
				}
			case w.op == debezium.OpDelete:
				if ev.After != nil {
					t.Errorf("delete with after %s", show(ev.After))
				}
			default:
				if ev.After == nil || !reflect.DeepEqual(ev.Row(), ev.After) {
					t.Errorf("row = %s, want after %s", show(ev.Row()), show(ev.After))
				}
			}
			if ev.IsHeartbeat() != (w.table == "cdc_heartbeat") {
				t.Errorf("IsHeartbeat = %v", ev.IsHeartbeat())
			}
			// Every raw value is one JSON value, the same as the file's.
			var file struct {
				Value struct {
					Before, After map[string]json.RawMessage
				}
			}
			raw, _ := os.ReadFile(f)
			if err := json.Unmarshal(raw, &file); err != nil {
				t.Fatal(err)
			}
			for img, pair := range map[string]struct {
				got  debezium.Image
				want map[string]json.RawMessage
			}{
				"before": {ev.Before, file.Value.Before}, "after": {ev.After, file.Value.After},
			} {
				if len(pair.got) != len(pair.want) {
					t.Errorf("%s has %d columns, file %d", img, len(pair.got), len(pair.want))
				}
				for col, v := range pair.want {
					if got := pair.got.Get(col); !bytes.Equal(got, compact(t, v)) {
						t.Errorf("%s.%s = %s, want %s", img, col, got, v)
					}
				}
			}
		})
	}
}

// show renders an image as the JSON object it was read from.
func show(im debezium.Image) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range im {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(f.Name) + ":" + string(f.Value))
	}
	b.WriteByte('}')
	return b.String()
}

func TestDecodeValues(t *testing.T) {
	ev := decode(t, "orders.u.json")
	for col, want := range map[string]string{
		"id": `1`, "total": `"55.700"`, "is_promo": `false`, "cancel_reason": `null`, "drop_lat": `36.81`,
		"placed_at":    `"2026-11-25T12:00:00.123456Z"`,
		"trace_parent": `"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"`,
	} {
		if got := string(ev.After.Get(col)); got != want {
			t.Errorf("after.%s = %s, want %s", col, got, want)
		}
	}
	if len(ev.After) != 22 {
		t.Errorf("after has %d columns, want 22", len(ev.After))
	}
	if ev.Before != nil {
		t.Errorf("before = %s, want nil (default replica identity)", show(ev.Before))
	}
	if ev.TraceParent != "" {
		t.Errorf("TraceParent = %q without headers", ev.TraceParent)
	}

	flags := decode(t, "simulation_flags.u.json")
	if got := string(flags.After.Get("params")); got != `"{\"intensity\": \"heavy\"}"` {
		t.Errorf("jsonb params = %s", got)
	}
	if string(flags.Before.Get("cancelled_at")) != "null" || string(flags.After.Get("cancelled_at")) != `"2026-11-25T12:10:00.000000Z"` {
		t.Errorf("full before/after: before %s after %s", flags.Before.Get("cancelled_at"), flags.After.Get("cancelled_at"))
	}
}

// TestDecodeDelete: a delete writes its before image, with the key columns.
func TestDecodeDelete(t *testing.T) {
	ev := decode(t, "order_items.d.json")
	row := ev.Row()
	want := map[string]string{"id": "2", "menu_item_id": "0", "order_id": "0", "qty": "0", "unit_price": `"0.000"`}
	if len(row) != len(want) {
		t.Fatalf("row = %s", show(row))
	}
	for k, v := range want {
		if string(row.Get(k)) != v {
			t.Errorf("row.%s = %s, want %s", k, row.Get(k), v)
		}
	}
	if !reflect.DeepEqual(ev.Key, debezium.Image{{Name: "id", Value: json.RawMessage("2")}}) {
		t.Errorf("key = %s", show(ev.Key))
	}

	// Without a before image the key is the row.
	r := load(t, "order_items.d.json")
	noBefore := bytes.Replace(r.Value, []byte(`"before":{"id":2,"menu_item_id":0,"order_id":0,"qty":0,"unit_price":"0.000"}`), []byte(`"before":null`), 1)
	if bytes.Equal(noBefore, r.Value) {
		t.Fatal("fixture changed: update this test")
	}
	ev, err := debezium.Decode(r.Key, noBefore)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ev.Row(), ev.Key) {
		t.Errorf("row = %s, want the key", show(ev.Row()))
	}
}

func TestDecodeTombstone(t *testing.T) {
	r := load(t, "order_items.tombstone.json")
	for _, v := range [][]byte{nil, {}, []byte("null"), []byte(" null \n"), []byte("  ")} {
		ev, err := debezium.Decode(r.Key, v)
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if !ev.Tombstone || string(ev.Key.Get("id")) != "2" || ev.Op != 0 || ev.Table != "" || ev.Row() != nil {
			t.Errorf("%q: %+v", v, ev)
		}
	}
}

func TestUnavailable(t *testing.T) {
	ev := decode(t, "orders.u_toast_unchanged.json")
	var got []string
	for _, f := range ev.After {
		if debezium.Unavailable(f.Value) {
			got = append(got, f.Name)
		}
	}
	if len(got) != 1 || got[0] != "cancel_reason" {
		t.Errorf("unavailable columns = %v, want [cancel_reason]", got)
	}
	for _, tc := range []struct {
		raw  string
		want bool
	}{
		{`"__debezium_unavailable_value"`, true},
		{` "__debezium_unavailable_value" `, true},
		{`"X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ=="`, true},                                                              // bytea
		{`["__debezium_unavailable_value"]`, true},                                                                        // text[]
		{`{"__debezium_unavailable_value":"__debezium_unavailable_value"}`, true},                                         // hstore
		{`[95,95,100,101,98,101,122,105,117,109,95,117,110,97,118,97,105,108,97,98,108,101,95,118,97,108,117,101]`, true}, // int[]
		{`"__debezium_unavailable_value "`, false},
		{`"__debezium_unavailable"`, false},
		{`null`, false},
		{`""`, false},
		{``, false},
		{`"cancelled by the customer"`, false},
	} {
		if got := debezium.Unavailable(json.RawMessage(tc.raw)); got != tc.want {
			t.Errorf("Unavailable(%s) = %v, want %v", tc.raw, got, tc.want)
		}
	}
}

// TestDecodeSchemas: records written with schemas.enable=true decode to the same event.
func TestDecodeSchemas(t *testing.T) {
	for _, name := range []string{"orders.u.json", "order_items.d.json", "cities.r.json"} {
		r := load(t, name)
		want, err := debezium.Decode(r.Key, r.Value)
		if err != nil {
			t.Fatal(err)
		}
		key := []byte(`{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"}],"optional":false,"name":"flavortrend.public.t.Key"},"payload":` + string(r.Key) + `}`)
		value := []byte(`{"schema":{"type":"struct","fields":[{"type":"struct","fields":[],"optional":true,"field":"before"}],"optional":false,"name":"flavortrend.public.t.Envelope","version":2},"payload":` + string(r.Value) + `}`)
		got, err := debezium.Decode(key, value)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: with schemas %+v, want %+v", name, got, want)
		}
		// A tombstone with schemas.
		ev, err := debezium.Decode(key, []byte(`{"schema":null,"payload":null}`))
		if err != nil || !ev.Tombstone || !reflect.DeepEqual(ev.Key, want.Key) {
			t.Errorf("%s: schema tombstone %+v, %v", name, ev, err)
		}
	}
	// A key whose columns happen to be named schema and payload is not unwrapped.
	ev, err := debezium.Decode([]byte(`{"schema":1,"payload":2}`), nil)
	if err != nil || len(ev.Key) != 2 {
		t.Errorf("key {schema, payload}: %+v %v", ev, err)
	}
}

// TestDecodeIndented: white space anywhere, as in the captured files, changes nothing.
func TestDecodeIndented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testdata, "orders.u_toast_unchanged.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	ev, err := debezium.Decode(r.Key, r.Value) // as indented in the file
	if err != nil {
		t.Fatal(err)
	}
	c := load(t, "orders.u_toast_unchanged.json")
	want, _ := debezium.Decode(c.Key, c.Value)
	if !reflect.DeepEqual(ev, want) {
		t.Errorf("indented %+v\ncompact %+v", ev, want)
	}
}

func TestDecodeHeartbeats(t *testing.T) {
	ev := decode(t, "cdc_heartbeat.u.json")
	if !ev.IsHeartbeat() || ev.Heartbeat {
		t.Errorf("cdc_heartbeat: IsHeartbeat %v Heartbeat %v", ev.IsHeartbeat(), ev.Heartbeat)
	}
	// The connector's own heartbeat topic, __debezium-heartbeat.<prefix>.
	ev, err := debezium.Decode([]byte(`{"serverName":"flavortrend"}`), []byte(`{"ts_ms":1795637890643}`))
	if err != nil {
		t.Fatal(err)
	}
	if !ev.Heartbeat || !ev.IsHeartbeat() || ev.CommitMs != 1795637890643 || ev.Table != debezium.HeartbeatTopicTable || ev.Row() != nil {
		t.Errorf("connector heartbeat: %+v", ev)
	}
	if got := debezium.TopicTable("__debezium-heartbeat.flavortrend"); got != debezium.HeartbeatTopicTable {
		t.Errorf("TopicTable = %q", got)
	}
}

func TestDecodeRecord(t *testing.T) {
	r := load(t, "orders.c.json")
	const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	ev, err := debezium.DecodeRecord(&kgo.Record{Topic: r.Topic, Key: r.Key, Value: r.Value, Headers: []kgo.RecordHeader{
		{Key: "other", Value: []byte("x")}, {Key: "traceparent", Value: []byte(tp)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if ev.TraceParent != tp || ev.Op != debezium.OpCreate || ev.Table != "orders" {
		t.Errorf("got %+v", ev)
	}
	if _, err := debezium.DecodeRecord(&kgo.Record{Key: r.Key, Value: []byte(`{`)}); err == nil {
		t.Error("no error for a bad value")
	}
}

// TestDecodePoison: records that cannot be decoded give a *DecodeError with a short reason.
func TestDecodePoison(t *testing.T) {
	r := load(t, "orders.u.json")
	v := string(r.Value)
	key := string(r.Key)
	replace := func(old, new string) string {
		if !strings.Contains(v, old) {
			t.Fatalf("fixture changed: no %s", old)
		}
		return strings.Replace(v, old, new, 1)
	}
	for _, tc := range []struct {
		name, key, value, reason string
	}{
		{"truncated", key, v[:len(v)/2], "truncated json"},
		{"truncated in a string", key, v[:strings.Index(v, "picked_up")+3], "truncated json"},
		{"truncated after a number", key, `{"op":"c","ts_ms":12`, "truncated json"},
		{"truncated literal", key, `{"before":nu`, "truncated json"},
		{"only a brace", key, `{`, "truncated json"},
		{"array", key, `[1,2]`, "not an object"},
		{"string", key, `"c"`, "not an object"},
		{"number", key, `42`, "not an object"},
		{"false", key, `false`, "not an object"},
		{"garbage", key, `op=c`, "invalid json"},
		{"bad token", key, `{"op":c}`, "invalid json"},
		{"missing colon", key, `{"op" "c"}`, "invalid json"},
		{"trailing comma", key, `{"op":"c",}`, "invalid json"},
		{"bad escape", key, `{"op":"\x"}`, "invalid json"},
		{"control character", key, "{\"op\":\"c\n\"}", "invalid json"},
		{"leading zero", key, `{"ts_ms":012}`, "invalid json"},
		{"trailing data", key, v + `{}`, "trailing data"},
		{"missing op", key, replace(`"op":"u",`, ``), "missing op"},
		{"null op", key, replace(`"op":"u"`, `"op":null`), "missing op"},
		{"empty object", key, `{}`, "missing op"},
		{"unknown op", key, replace(`"op":"u"`, `"op":"x"`), "unknown op x"},
		{"truncate op", key, replace(`"op":"u"`, `"op":"t"`), "unknown op t"},
		{"long op", key, replace(`"op":"u"`, `"op":"update"`), "unknown op update"},
		{"odd op", key, replace(`"op":"u"`, `"op":"c d"`), `unknown op "c d"`},
		{"empty op", key, replace(`"op":"u"`, `"op":""`), `unknown op ""`},
		{"op not a string", key, replace(`"op":"u"`, `"op":117`), "op not a string"},
		{"no source", key, `{"op":"c","after":{"id":1}}`, "no source"},
		{"null source", key, `{"op":"c","after":{"id":1},"source":null}`, "no source"},
		{"source not an object", key, `{"op":"c","after":{"id":1},"source":"pg"}`, "source not an object"},
		{"missing table", key, replace(`"table":"orders",`, ``), "missing source.table"},
		{"missing lsn", key, replace(`"lsn":4636336176,`, ``), "missing source.lsn"},
		{"negative lsn", key, replace(`"lsn":4636336176`, `"lsn":-1`), "bad source.lsn"},
		{"fractional lsn", key, replace(`"lsn":4636336176`, `"lsn":1.5`), "bad source.lsn"},
		{"huge lsn", key, replace(`"lsn":4636336176`, `"lsn":184467440737095516160`), "bad source.lsn"},
		{"string txId", key, replace(`"txId":4280`, `"txId":"4280"`), "bad source.txId"},
		{"missing ts_ms", key, replace(`"ts_ms":1795637891686,`, ``), "missing source.ts_ms"},
		{"missing after", key, replace(`"after":{`, `"afterwards":{`), "missing after"},
		{"null after", key, `{"op":"c","after":null,"source":{"table":"t","lsn":1,"ts_ms":1}}`, "missing after"},
		{"after not an object", key, `{"op":"c","after":[1],"source":{"table":"t","lsn":1,"ts_ms":1}}`, "after not an object"},
		{"before not an object", key, `{"op":"d","before":"x","source":{"table":"t","lsn":1,"ts_ms":1}}`, "before not an object"},
		{"too deep", key, `{"x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, "json nested too deep"},
		{"heartbeat value with a table key", key, `{"ts_ms":1795637890643}`, "missing op"},
		{"key truncated", `{"id":`, v, "key: truncated json"},
		{"key not an object", `42`, v, "key: not an object"},
		{"key invalid", `{id:1}`, v, "key: invalid json"},
		{"key trailing data", `{"id":1}}`, v, "key: trailing data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := debezium.Decode([]byte(tc.key), []byte(tc.value))
			var de *debezium.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("got %+v, %v; want a *DecodeError", ev, err)
			}
			if de.Reason != tc.reason {
				t.Errorf("reason %q, want %q", de.Reason, tc.reason)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %q does not name the reason", err)
			}
			if !reflect.DeepEqual(ev, debezium.Event{}) {
				t.Errorf("event %+v with the error", ev)
			}
		})
	}
}

func TestOpString(t *testing.T) {
	for op, want := range map[debezium.Op]string{
		debezium.OpCreate: "create", debezium.OpRead: "read", debezium.OpUpdate: "update",
		debezium.OpDelete: "delete", 0: "none", 't': "op(t)",
	} {
		if got := op.String(); got != want {
			t.Errorf("%c: %q, want %q", op, got, want)
		}
	}
}

// TestDecodeConcurrent: decoders on several goroutines share the table of column names.
func TestDecodeConcurrent(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testdata, "*.json"))
	recs := make([]record, len(files))
	for i, f := range files {
		recs[i] = load(t, filepath.Base(f))
	}
	done := make(chan error)
	for g := range 4 {
		go func() {
			for i := range 200 {
				r := recs[(g+i)%len(recs)]
				ev, err := debezium.Decode(r.Key, r.Value)
				if err == nil && !ev.Tombstone && ev.Table != debezium.TopicTable(r.Topic) {
					err = errors.New("table " + ev.Table + " for " + r.Topic)
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestDecoderReuse: one Decoder over every captured record, twice, gives each record the
// event a fresh decoder gives it.
func TestDecoderReuse(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testdata, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no envelopes in %s: %v", testdata, err)
	}
	var d debezium.Decoder
	for range 2 {
		for _, f := range files {
			r := load(t, filepath.Base(f))
			want, err := debezium.Decode(r.Key, r.Value)
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Decode(r.Key, r.Value)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: reused decoder %+v, want %+v", filepath.Base(f), got, want)
			}
		}
	}
}

// TestDecodeObject: a derived topic's flat object decodes to its members in order; what is
// not an object is an error.
func TestDecodeObject(t *testing.T) {
	var d debezium.Decoder
	im, err := d.DecodeObject([]byte(` {"order_id":7,"kind":"at_risk","delay_minutes":0.5,"x":null} `))
	if err != nil {
		t.Fatal(err)
	}
	if got := show(im); got != `{"order_id":7,"kind":"at_risk","delay_minutes":0.5,"x":null}` {
		t.Errorf("image %s", got)
	}
	for _, bad := range []string{``, `[1]`, `{"a":1`, `{"a":1} x`, `null`} {
		if _, err := d.DecodeObject([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
