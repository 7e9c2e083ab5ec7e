package columns_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/flavortrend/flavortrend/ingest/columns"
	"github.com/flavortrend/flavortrend/ingest/debezium"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

// chColumn is one column of the integration table with the raw values of its rows; ""
// stands for AppendDefault.
type chColumn struct {
	typ  string
	opts columns.Options
	raws []string
	text []string // toString(column) per row in ClickHouse, when checked
}

var chColumns = []chColumn{
	{typ: "Int8", raws: []string{`-128`, `127`, ``}},
	{typ: "Int16", raws: []string{`-32768`, `32767`, ``}},
	{typ: "Int32", raws: []string{`-2147483648`, `"42"`, ``}, text: []string{"-2147483648", "42", "0"}},
	{typ: "Int64", raws: []string{`-9223372036854775808`, `9223372036854775807`, ``}},
	{typ: "UInt8", raws: []string{`true`, `255`, ``}, text: []string{"1", "255", "0"}},
	{typ: "UInt16", raws: []string{`65535`, `0`, ``}},
	{typ: "UInt32", raws: []string{`4294967295`, `1`, ``}},
	{typ: "UInt64", raws: []string{`18446744073709551615`, `4636336176`, ``}, text: []string{"18446744073709551615", "4636336176", "0"}},
	{typ: "Float32", raws: []string{`3.5`, `"-0.25"`, ``}},
	{typ: "Float64", raws: []string{`36.8065`, `"-1e-300"`, ``}, text: []string{"36.8065", "-1e-300", "0"}},
	{typ: "Decimal(10, 3)", raws: []string{`"55.700"`, `"-9999999.999"`, ``}, text: []string{"55.700", "-9999999.999", "0.000"}},
	{typ: "Decimal(3, 2)", raws: []string{`4.6`, `"/w=="`, ``}, text: []string{"4.60", "-0.01", "0.00"}},
	{typ: "Decimal(18, 4)", raws: []string{`{"scale":2,"value":"FcI="}`, `"-99999999999999.9999"`, ``}, text: []string{"55.7000", "-99999999999999.9999", "0.0000"}},
	// No text check: toString of a Decimal128 prints NUL bytes for some values on 18.16 (the
	// stored value is right: the typed read-back checks it).
	{typ: "Decimal(38, 10)", raws: []string{`"1234567890123456789012345678.0123456789"`, `"-0.0000000001"`, ``}},
	{typ: "String", raws: []string{`"café \"x\""`, `{"factor": 1.5}`, ``}, text: []string{`café "x"`, `{"factor":1.5}`, ""}},
	{typ: "Date", raws: []string{`20782`, `"2105-12-31"`, ``}, text: []string{"2026-11-25", "2105-12-31", "0000-00-00"}},
	{typ: "DateTime", raws: []string{`"2026-11-25T12:00:00.123456Z"`, `"2105-12-31T23:59:59Z"`, ``}},
	{typ: "DateTime('UTC')", raws: []string{`1795637891686183`, `"2026-11-25T13:00:00+01:00"`, ``},
		text: []string{"2026-11-25 20:18:11", "2026-11-25 12:00:00", "0000-00-00 00:00:00"}},
	{typ: "DateTime('UTC')", opts: columns.Options{TimeUnit: columns.Millis}, raws: []string{`1795637891686`, `0`, ``},
		text: []string{"2026-11-25 20:18:11", "0000-00-00 00:00:00", "0000-00-00 00:00:00"}},
}

// TestClickHouseRoundTrip inserts one batch of every builder type, and of its Nullable
// form, into ClickHouse and reads back exactly what was appended.
func TestClickHouseRoundTrip(t *testing.T) {
	conn, _ := testenv.ClickHouse(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var defs, names []string
	var builders []columns.Builder
	var texts [][]string // per column, the expected toString per row (nil: not checked)
	for i, c := range chColumns {
		for _, nullable := range []bool{false, true} {
			typ, raws, text := c.typ, append([]string(nil), c.raws...), c.text
			name := fmt.Sprintf("c%d", i)
			if nullable {
				typ, name = "Nullable("+typ+")", fmt.Sprintf("n%d", i)
				raws = append(raws, "null")
				if text != nil {
					text = append(append([]string(nil), text[:len(text)-1]...), `\N`, `\N`) // defaults are NULL too
				}
			} else {
				raws = append(raws, c.raws[0])
				if text != nil {
					text = append(append([]string(nil), text...), text[0])
				}
			}
			b, err := columns.NewWithOptions(typ, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, raw := range raws {
				if raw == "" {
					b.AppendDefault()
				} else if err := b.Append(json.RawMessage(raw)); err != nil {
					t.Fatalf("%s %s: %v", typ, raw, err)
				}
			}
			defs = append(defs, name+" "+typ)
			names = append(names, name)
			builders = append(builders, b)
			texts = append(texts, text)
		}
	}
	const rows = 4
	if err := conn.Exec(ctx, "CREATE TABLE builders (n UInt32, "+strings.Join(defs, ", ")+") ENGINE = Memory"); err != nil {
		t.Fatal(err)
	}
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO builders (n, "+strings.Join(names, ", ")+")")
	if err != nil {
		t.Fatal(err)
	}
	if err := batch.Column(0).Append([]uint32{0, 1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	for i, b := range builders {
		if b.Len() != rows {
			t.Fatalf("%s: %d values", names[i], b.Len())
		}
		if err := batch.Column(i + 1).Append(b.Values()); err != nil {
			t.Fatalf("append %s (%s): %v", names[i], defs[i], err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}

	// Typed: every value reads back as appended (DateTime keeps whole seconds).
	q, err := conn.Query(ctx, "SELECT "+strings.Join(names, ", ")+" FROM builders ORDER BY n")
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	for row := 0; q.Next(); row++ {
		dest := make([]any, len(builders))
		for i, b := range builders {
			dest[i] = reflect.New(reflect.TypeOf(b.Values()).Elem()).Interface()
		}
		if err := q.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		for i, b := range builders {
			sent := reflect.ValueOf(b.Values()).Index(row).Interface()
			got := reflect.ValueOf(dest[i]).Elem().Interface()
			if !sameValue(sent, got) {
				t.Errorf("row %d %s: sent %s, read %s", row, defs[i], render(sent), render(got))
			}
		}
	}
	if err := q.Err(); err != nil {
		t.Fatal(err)
	}

	// As ClickHouse prints them.
	for i, want := range texts {
		if want == nil {
			continue
		}
		got := testenv.Strings(t, conn, "SELECT ifNull(toString("+names[i]+"), '\\\\N') FROM builders ORDER BY n")
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: ClickHouse has %q, want %q", defs[i], got, want)
		}
	}
}

// sameValue compares a sent value with the one read back: times to the second, decimals
// by value, pointers by what they point to.
func sameValue(sent, got any) bool {
	s, g := reflect.ValueOf(sent), reflect.ValueOf(got)
	if s.Kind() == reflect.Pointer {
		if s.IsNil() || g.IsNil() {
			return s.IsNil() && g.IsNil()
		}
		return sameValue(s.Elem().Interface(), g.Elem().Interface())
	}
	switch sv := sent.(type) {
	case time.Time:
		gv, ok := got.(time.Time)
		return ok && gv.Equal(sv.Truncate(time.Second))
	case decimal.Decimal:
		gv, ok := got.(decimal.Decimal)
		return ok && gv.Equal(sv)
	}
	return reflect.DeepEqual(sent, got)
}

func render(v any) string {
	r := reflect.ValueOf(v)
	if r.Kind() == reflect.Pointer {
		if r.IsNil() {
			return "NULL"
		}
		return render(r.Elem().Interface())
	}
	return fmt.Sprintf("%v", v)
}

// TestClickHouseMirrors writes every captured envelope into its CDC mirror, with builders
// made from the column types ClickHouse reports, as the ingester does.
func TestClickHouseMirrors(t *testing.T) {
	conn, cfg := testenv.ClickHouse(t)
	ctx := context.Background()
	files, err := filepath.Glob("../../testdata/debezium/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no envelopes: %v", err)
	}
	written := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rec struct{ Key, Value json.RawMessage }
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatal(err)
		}
		ev, err := debezium.Decode(compactJSON(t, rec.Key), compactJSON(t, rec.Value))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if ev.Tombstone || ev.IsHeartbeat() {
			continue
		}
		row := ev.Row()
		cols := queryPairs(t, conn, `SELECT name, type FROM system.columns
			WHERE database = ? AND table = ? AND default_kind = ''`, cfg.Database, ev.Table)
		if len(cols) == 0 {
			t.Fatalf("%s: no mirror table %s", f, ev.Table)
		}
		var names []string
		var builders []columns.Builder
		for _, c := range cols {
			bld, err := columns.New(c[1])
			if err != nil {
				t.Fatalf("%s.%s: %v", ev.Table, c[0], err)
			}
			var raw json.RawMessage
			switch c[0] {
			case "_version":
				raw = json.RawMessage(strconv.FormatUint(ev.LSN, 10))
			case "_is_deleted":
				raw = json.RawMessage(strconv.FormatBool(ev.Op == debezium.OpDelete))
			case "_source_ts_ms":
				raw = json.RawMessage(strconv.FormatInt(ev.CommitMs, 10))
			default:
				raw = row.Get(c[0])
			}
			if raw == nil {
				bld.AppendDefault()
			} else if err := bld.Append(raw); err != nil {
				if !debezium.Unavailable(raw) {
					t.Fatalf("%s: %s.%s (%s) %s: %v", filepath.Base(f), ev.Table, c[0], c[1], raw, err)
				}
				bld.AppendDefault() // the ingester substitutes the current value
			}
			names = append(names, c[0])
			builders = append(builders, bld)
		}
		batch, err := conn.PrepareBatch(ctx, "INSERT INTO "+ev.Table+" ("+strings.Join(names, ", ")+")")
		if err != nil {
			t.Fatal(err)
		}
		for i, bld := range builders {
			if err := batch.Column(i).Append(bld.Values()); err != nil {
				t.Fatalf("%s.%s: %v", ev.Table, names[i], err)
			}
		}
		if err := batch.Send(); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		written++
	}
	if written != 24 {
		t.Errorf("wrote %d envelopes, want 24 (every file but the tombstone and the heartbeats)", written)
	}

	for _, tc := range []struct {
		query string
		want  string
	}{
		{`SELECT concat(toString(total), ' ', toString(placed_at), ' ', toString(courier_id), ' ', toString(is_promo), ' ',
			ifNull(cancel_reason, 'NULL'), ' ', toString(drop_lat), ' ', toString(_source_ts_ms))
			FROM orders WHERE id = 1 AND _version = 4636336176`,
			"55.700 2026-11-25 12:00:00 1 0 NULL 36.81 1795637891686"},
		{`SELECT toString(cancelled_at) FROM orders WHERE id = 3 AND _version = 4636454480`, "2026-11-25 12:05:00"},
		{`SELECT concat(toString(rating), ' ', toString(avg_prep_minutes), ' ', toString(paused_until)) FROM restaurants WHERE _version = 4636364208`,
			"4.60 18.50 2026-11-25 14:00:00"},
		{`SELECT concat(toString(temperature_c), ' ', toString(precipitation_mm), ' ', toString(wind_kmh), ' ', toString(observed_at))
			FROM weather_observations`, "14.5 3.2 22.0 2026-11-25 12:00:00"},
		{`SELECT concat(params, ' ', toString(cancelled_at), ' ', toString(city_id)) FROM simulation_flags WHERE _version = 4636369688`,
			`{"intensity": "heavy"} 2026-11-25 12:10:00 1`},
		{`SELECT concat(toString(id), ' ', toString(_is_deleted), ' ', toString(unit_price)) FROM order_items WHERE _version = 4636368584`,
			"2 1 0.000"},
		{`SELECT toString(count()) FROM order_items WHERE _is_deleted = 0`, "1"},
		{`SELECT concat(toString(vehicle_condition), ' ', toString(speed_factor)) FROM couriers WHERE _version = 4636336856`, "4 1.05"},
		{`SELECT toString(speed_kmh) FROM courier_positions`, "27.5"},
		{`SELECT concat(alert_id, ' ', actor, ' ', toString(acked_at), ' ', ifNull(note, 'NULL')) FROM alert_acks`,
			"driver_shortage-1-20261125T120000.000000Z dispatcher 2026-11-25 12:06:00 calling couriers in"},
		{`SELECT concat(toString(id), ' ', toString(city_id), ' ', toString(until), ' ', toString(created_at)) FROM city_mutes`,
			"1 1 2026-11-25 13:00:00 2026-11-25 12:06:00"},
	} {
		got := testenv.Strings(t, conn, tc.query)
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s\n got %q, want %q", tc.query, got, tc.want)
		}
	}
}

func compactJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatal(err)
	}
	if out.String() == "null" {
		return nil
	}
	return out.Bytes()
}

func queryPairs(t *testing.T, conn driver.Conn, query string, args ...any) [][2]string {
	t.Helper()
	rows, err := conn.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		out = append(out, [2]string{a, b})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
