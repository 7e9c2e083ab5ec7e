package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/jackc/pgx/v5/pgxpool"
	decimalpkg "github.com/shopspring/decimal"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/flavortrend/flavortrend/generate"
	"github.com/flavortrend/flavortrend/internal/store"
	"github.com/flavortrend/flavortrend/internal/testenv"
	"github.com/flavortrend/flavortrend/plugin/pkg/host"
	"github.com/flavortrend/flavortrend/plugin/pkg/query"
)

// The compiled plugin, started and driven as Grafana does (plugin/pkg/host).

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// pluginBinary builds gpx_flavortrend once per test run.
func pluginBinary(t *testing.T) string {
	buildOnce.Do(func() {
		dir, err := filepath.Abs(filepath.Join("..", "..", ".data", "plugin-test"))
		if err == nil {
			binary = filepath.Join(dir, fmt.Sprintf("gpx_flavortrend_%s_%s", runtime.GOOS, runtime.GOARCH))
			out, e := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
			if e != nil {
				err = fmt.Errorf("%v: %s", e, out)
			}
		}
		buildErr = err
	})
	if buildErr != nil {
		t.Fatalf("build the plugin: %v", buildErr)
	}
	return binary
}

// clients are the plugin's services.
type clients struct {
	data   pluginv2.DataClient
	health pluginv2.DiagnosticsClient
	stream pluginv2.StreamClient
}

// startPlugin starts the binary as Grafana does and returns its clients.
func startPlugin(t *testing.T) clients {
	t.Helper()
	p, err := host.Start(pluginBinary(t), testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return clients{data: p.Data, health: p.Diagnostics, stream: p.Stream}
}

// testWriter shows the plugin's own log lines only when a test fails.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("plugin: %s", strings.TrimSpace(string(p)))
	return len(p), nil
}

// fixture is a data source over fresh databases with known data, placed relative to now
// (the plugin reads the wall clock).
type fixture struct {
	pc      *pluginv2.PluginContext
	json    map[string]string // the data source's jsonData
	ch      driver.Conn
	chDB    string
	base    time.Time // a minute, 40 minutes ago
	derived string    // prefix of this test's derived topics
	brokers []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	pgURL := testenv.PostgresURL(t)
	ch, chCfg := testenv.ClickHouse(t)
	_, _, kafka, _ := testenv.Settings()
	f := &fixture{ch: ch, chDB: chCfg.Database, base: time.Now().UTC().Truncate(time.Minute).Add(-40 * time.Minute),
		derived: testenv.Name("pt") + ".", brokers: kafka.Brokers}

	// Reference data in PostgreSQL (the API resolves cities there) and the cities in ClickHouse.
	seedPG, err := store.Postgres(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer seedPG.Close()
	if err := generate.Seed(ctx, seedPG, 1); err != nil {
		t.Fatal(err)
	}
	for table, cols := range map[string]string{"cities": "id, name, lat, lon", "restaurants": "id, city_id, name, cuisine, lat, lon",
		"couriers": "id, city_id, name, vehicle, status"} {
		f.copyTable(t, seedPG, table, cols)
	}

	// Orders in Tunis (1) and Sfax (15): 101-103 delivered, 104 open.
	b := f.base
	orders := f.batch(t, "orders", "id, restaurant_id, courier_id, city_id, status, placed_at, delivered_at, total, _version, _source_ts_ms")
	for _, o := range []struct {
		id        int64
		rest      int32
		city      int32
		status    string
		placed    time.Time
		delivered *time.Time
		total     string
	}{
		{101, 3, 1, "delivered", b, ptr(b.Add(25 * time.Minute)), "20"},
		{102, 3, 1, "delivered", b.Add(time.Minute), ptr(b.Add(30 * time.Minute)), "30.5"},
		{103, 150, 15, "delivered", b.Add(2 * time.Minute), ptr(b.Add(20 * time.Minute)), "12.25"},
		{104, 4, 1, "placed", b.Add(30 * time.Minute), nil, "9"},
	} {
		if err := orders.Append(o.id, o.rest, int32(7), o.city, o.status, o.placed, o.delivered, decimal(o.total), uint64(o.id),
			o.placed.UnixMilli()); err != nil {
			t.Fatal(err)
		}
	}
	if err := orders.Send(); err != nil {
		t.Fatal(err)
	}
	fixes := f.batch(t, "courier_positions", "id, courier_id, order_id, recorded_at, lat, lon, speed_kmh, _version")
	for i, p := range []struct{ lat, lon, speed float64 }{{36.80, 10.18, 0}, {36.81, 10.19, 22.5}, {36.82, 10.20, 30}} {
		if err := fixes.Append(int64(i+1), int32(7), ptr(int64(101)), b.Add(time.Duration(20+i)*time.Minute), p.lat, p.lon,
			decimal(fmt.Sprint(p.speed)), uint64(1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := fixes.Send(); err != nil {
		t.Fatal(err)
	}
	pressure := f.batch(t, "city_pressure", "city_id, minute, open_orders, available_couriers, pressure, level, _version")
	for i := range 3 {
		for _, c := range []int32{1, 15} {
			if err := pressure.Append(c, b.Add(time.Duration(10+i)*time.Minute), int32(i), int32(2), float64(10*(i+1)+int(c)), "normal",
				uint64(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := pressure.Send(); err != nil {
		t.Fatal(err)
	}

	// The CDC topic the health check looks for, and the derived topic live orders follow.
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	prefix := strings.TrimSuffix(f.derived, ".")
	if _, err := adm.CreateTopics(ctx, 1, 1, nil, prefix+".public.orders", f.derived+"orders.enriched"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...))
		if err == nil {
			_, _ = kadm.NewClient(c).DeleteTopics(context.Background(), prefix+".public.orders", f.derived+"orders.enriched")
			c.Close()
		}
	})

	f.json = map[string]string{"clickhouseAddr": chCfg.Addr, "clickhouseDatabase": chCfg.Database,
		"clickhouseUser": chCfg.User, "postgresUrl": pgURL, "kafkaBrokers": strings.Join(kafka.Brokers, ","),
		"topicPrefix": prefix, "derivedPrefix": f.derived}
	jsonData, _ := json.Marshal(f.json)
	f.pc = &pluginv2.PluginContext{OrgId: 1, PluginId: "flavortrend-flavortrend-datasource",
		User: &pluginv2.User{Login: "olfa", Role: "Viewer"},
		DataSourceInstanceSettings: &pluginv2.DataSourceInstanceSettings{Id: 1, Uid: "flavortrend", Name: "Flavor Trend",
			JsonData: jsonData, DecryptedSecureJsonData: map[string]string{"clickhousePassword": chCfg.Password},
			LastUpdatedMS: time.Now().UnixMilli()}}
	return f
}

// copyTable copies columns of a PostgreSQL table into its ClickHouse mirror (version 1).
func (f *fixture) copyTable(t *testing.T, pg *pgxpool.Pool, table, cols string) {
	t.Helper()
	rows, err := pg.Query(context.Background(), "SELECT "+cols+" FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	b := f.batch(t, table, cols+", _version")
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Append(append(vals, uint64(1))...); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) batch(t *testing.T, table, cols string) driver.Batch {
	t.Helper()
	b, err := f.ch.PrepareBatch(context.Background(), "INSERT INTO "+f.chDB+"."+table+" ("+cols+")")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// query runs one query through QueryData and returns its frames, or fails with its error.
func (f *fixture) query(t *testing.T, c clients, m map[string]any) data.Frames {
	t.Helper()
	fs, errMsg := f.tryQuery(t, c, m)
	if errMsg != "" {
		t.Fatalf("%v: %s", m, errMsg)
	}
	return fs
}

func (f *fixture) tryQuery(t *testing.T, c clients, m map[string]any) (data.Frames, string) {
	t.Helper()
	m["refId"] = "A"
	raw, _ := json.Marshal(m)
	now := time.Now()
	res, err := c.data.QueryData(context.Background(), &pluginv2.QueryDataRequest{PluginContext: f.pc,
		Queries: []*pluginv2.DataQuery{{RefId: "A", Json: raw, QueryType: fmt.Sprint(m["queryType"]), MaxDataPoints: 500,
			TimeRange: &pluginv2.TimeRange{FromEpochMS: now.Add(-time.Hour).UnixMilli(), ToEpochMS: now.UnixMilli()}}}})
	if err != nil {
		t.Fatalf("QueryData %v: %v", m, err)
	}
	r := res.Responses["A"]
	if r.Error != "" {
		return nil, r.Error
	}
	fs, err := data.UnmarshalArrowFrames(r.Frames)
	if err != nil {
		t.Fatalf("frames of %v: %v", m, err)
	}
	return fs, ""
}

// field is a frame's field by name, or fails.
func field(t *testing.T, f *data.Frame, name string) *data.Field {
	t.Helper()
	fl, i := f.FieldByName(name)
	if i < 0 {
		var names []string
		for _, x := range f.Fields {
			names = append(names, x.Name)
		}
		t.Fatalf("frame %s has no field %s (has %v)", f.Name, name, names)
	}
	return fl
}

// values are a field's values, nulls as nil.
func values(fl *data.Field) []any {
	out := make([]any, fl.Len())
	for i := range out {
		v, ok := fl.ConcreteAt(i)
		if ok {
			out[i] = v
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// decimal is a Decimal column's value.
func decimal(s string) decimalpkg.Decimal { return decimalpkg.RequireFromString(s) }

// TestQueryData: every query type through the compiled plugin over gRPC, with frame names,
// field types and values checked against the fixture.
func TestQueryData(t *testing.T) {
	f := newFixture(t)
	c := startPlugin(t)

	cities := f.query(t, c, map[string]any{"queryType": "cities"})[0]
	if cities.Rows() != 24 || !slices.Contains(values(field(t, cities, "name")), any("Sfax")) {
		t.Errorf("cities: %d rows %v", cities.Rows(), values(field(t, cities, "name")))
	}

	rev := f.query(t, c, map[string]any{"queryType": "revenue", "window": "1h"})[0]
	if got := values(field(t, rev, "gmv_tnd")); got[0] != 62.75 || values(field(t, rev, "delivered_orders"))[0] != int64(3) {
		t.Errorf("revenue: gmv %v, orders %v; want 62.75 and 3", got, values(field(t, rev, "delivered_orders")))
	}
	rev = f.query(t, c, map[string]any{"queryType": "revenue", "window": "1h", "city": "Sfax"})[0]
	if got := values(field(t, rev, "gmv_tnd")); got[0] != 12.25 {
		t.Errorf("revenue of Sfax: %v, want 12.25", got)
	}

	live := f.query(t, c, map[string]any{"queryType": "live_orders"})[0]
	if got := values(field(t, live, "order_id")); !slices.Equal(got, []any{int64(104)}) || field(t, live, "placed_at").Type() != data.FieldTypeTime {
		t.Errorf("live orders: %v (%s)", got, field(t, live, "placed_at").Type())
	}

	top := f.query(t, c, map[string]any{"queryType": "top_restaurants", "window": "1h"})[0]
	if got := values(field(t, top, "restaurant_id")); !slices.Equal(got, []any{int32(3), int32(150)}) {
		t.Errorf("top restaurants: %v, want 3 (2 orders) then 150", got)
	}

	heat := f.query(t, c, map[string]any{"queryType": "heatmap", "window": "1h"})[0]
	if heat.Meta == nil || heat.Meta.Type != "heatmap-rows" || len(heat.Fields) != 3 || heat.Rows() != 3 ||
		heat.Fields[0].Type() != data.FieldTypeTime || values(field(t, heat, "Tunis"))[2] != 31.0 || values(field(t, heat, "Sfax"))[0] != 25.0 {
		t.Errorf("heatmap: %s", dump(heat))
	}
	// With a bucket of a day, each city's minutes are averaged per UTC day (the three minutes
	// lie in one day, or two around midnight), and the time field carries the bucket width.
	day := f.query(t, c, map[string]any{"queryType": "heatmap", "window": "1h", "bucket": "1d"})[0]
	var days []time.Time
	sums, counts := map[time.Time]float64{}, map[time.Time]float64{}
	for i := range 3 {
		d := f.base.Add(time.Duration(10+i) * time.Minute).Truncate(24 * time.Hour)
		if !slices.ContainsFunc(days, d.Equal) {
			days = append(days, d)
		}
		sums[d] += float64(10*(i+1) + 1) // Tunis
		counts[d]++
	}
	var wantTunis []any
	for _, d := range days {
		wantTunis = append(wantTunis, sums[d]/counts[d])
	}
	if day.Rows() != len(days) || day.Fields[0].Config == nil || day.Fields[0].Config.Interval != 86400000 ||
		!slices.Equal(values(field(t, day, "Tunis")), wantTunis) || !day.Fields[0].At(0).(time.Time).Equal(days[0]) {
		t.Errorf("heatmap by day: %s, want Tunis %v from %v", dump(day), wantTunis, days[0])
	}

	route := f.query(t, c, map[string]any{"queryType": "route_order", "entityId": "101"})[0]
	if got := values(field(t, route, "lat")); !slices.Equal(got, []any{36.80, 36.81, 36.82}) || route.Fields[0].Name != "recorded_at" ||
		!slices.Equal(values(field(t, route, "speed_kmh")), []any{0.0, 22.5, 30.0}) {
		t.Errorf("route of 101: %s", dump(route))
	}

	replay := f.query(t, c, map[string]any{"queryType": "replay", "city": "Tunis", "window": "1h"})
	if len(replay) != 3 || replay[0].Name != "replay_pressure" || replay[0].Rows() != 3 || replay[2].Name != "replay_actions" {
		t.Errorf("replay: %d frames", len(replay))
	}

	k := f.query(t, c, map[string]any{"queryType": "kpis", "window": "1h"})[0]
	if fl := field(t, k, "freshness_seconds"); fl.Type() != data.FieldTypeNullableFloat64 || values(fl)[0] == nil {
		t.Errorf("kpis freshness: %s", dump(k))
	}

	// A query type that needs a city, without one: a clear error, not a crash.
	if _, msg := f.tryQuery(t, c, map[string]any{"queryType": "pressure_series"}); !strings.Contains(msg, "needs one city") {
		t.Errorf("pressure_series without a city: %q", msg)
	}
	if _, msg := f.tryQuery(t, c, map[string]any{"queryType": "kpis", "window": "40d"}); !strings.Contains(msg, "query.window") {
		t.Errorf("a 40-day window: %q, want the API's 422 naming query.window", msg)
	}

	// Every other type answers frames (no data is no error).
	params := map[query.Type]map[string]any{
		query.PressureSeries: {"city": "Tunis"}, query.Replay: {"city": "1"}, query.RestaurantTrend: {"entityId": "3"},
		query.RouteCourier: {"entityId": "7"}, query.RouteReplay: {"entityId": "101"}, query.ScenarioEstimate: {"city": "Tunis"},
		query.RouteOrder: {"entityId": "101"}, query.RevenueMonthToDate: {"target": 100000},
	}
	for _, qt := range query.Types {
		m := map[string]any{"queryType": string(qt)}
		for k, v := range params[qt] {
			m[k] = v
		}
		fs, msg := f.tryQuery(t, c, m)
		switch {
		case qt == query.ScenarioEstimate && msg != "":
			// No model promoted and no pressure yet: the API says so.
			if !strings.Contains(msg, "404") && !strings.Contains(msg, "409") && !strings.Contains(strings.ToLower(msg), "no ") {
				t.Errorf("%s: %s", qt, msg)
			}
		case msg != "":
			t.Errorf("%s: %s", qt, msg)
		case len(fs) == 0 || fs[0].Name == "":
			t.Errorf("%s: no named frame", qt)
		}
	}
}

// dump is a frame as text, for failures.
func dump(f *data.Frame) string {
	s, _ := f.StringTable(-1, -1)
	return s
}

// TestCheckHealth: healthy on the fixture; ClickHouse unreachable is an error that names it.
func TestCheckHealth(t *testing.T) {
	f := newFixture(t)
	c := startPlugin(t)
	res, err := c.health.CheckHealth(context.Background(), &pluginv2.CheckHealthRequest{PluginContext: f.pc})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != pluginv2.CheckHealthResponse_OK || !strings.Contains(res.Message, "ClickHouse") {
		t.Fatalf("healthy: %v %q", res.Status, res.Message)
	}
	var j map[string]any
	if err := json.Unmarshal(res.JsonDetails, &j); err != nil || len(j["checks"].([]any)) != 3 {
		t.Errorf("details: %s", res.JsonDetails)
	}

	pc := proto.Clone(f.pc).(*pluginv2.PluginContext)
	broken := maps.Clone(f.json)
	broken["clickhouseAddr"], broken["kafkaBrokers"] = "127.0.0.1:1", "127.0.0.1:1"
	bad := pc.DataSourceInstanceSettings
	bad.JsonData, _ = json.Marshal(broken)
	bad.Uid, bad.Id, bad.LastUpdatedMS = "broken", 2, time.Now().UnixMilli()
	res, err = c.health.CheckHealth(context.Background(), &pluginv2.CheckHealthRequest{PluginContext: pc})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != pluginv2.CheckHealthResponse_ERROR || !strings.Contains(res.Message, "ClickHouse at 127.0.0.1:1 does not answer") ||
		!strings.Contains(res.Message, "Kafka at 127.0.0.1:1") {
		t.Errorf("unhealthy: %v %q", res.Status, res.Message)
	}
}

// TestLiveOrdersStream: a live query answers a channel; RunStream sends a frame for a new
// record on orders.enriched (its latency is measured by make bench, not here), and ends when
// the subscription does.
func TestLiveOrdersStream(t *testing.T) {
	f := newFixture(t)
	c := startPlugin(t)
	fs := f.query(t, c, map[string]any{"queryType": "live_orders", "live": true, "city": "Tunis"})
	channel := ""
	if fs[0].Meta != nil {
		channel = fs[0].Meta.Channel
	}
	path, ok := strings.CutPrefix(channel, "ds/flavortrend/")
	if !ok || !strings.HasPrefix(path, "live_orders/") || len(channel) > 160 {
		t.Fatalf("channel %q", channel)
	}
	sub, err := c.stream.SubscribeStream(context.Background(), &pluginv2.SubscribeStreamRequest{PluginContext: f.pc, Path: path})
	if err != nil || sub.Status != pluginv2.SubscribeStreamResponse_OK {
		t.Fatalf("subscribe: %v %v", sub, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := c.stream.RunStream(ctx, &pluginv2.RunStreamRequest{PluginContext: f.pc, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	packets := make(chan *data.Frame, 10)
	done := make(chan error, 1)
	go func() {
		for {
			p, err := stream.Recv()
			if err != nil {
				done <- err
				return
			}
			var fr data.Frame
			if err := json.Unmarshal(p.Data, &fr); err != nil {
				done <- err
				return
			}
			packets <- &fr
		}
	}()

	cl, err := kgo.NewClient(kgo.SeedBrokers(f.brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	produce := func(id int64, city int32) {
		v, _ := json.Marshal(map[string]any{"order_id": id, "city_id": city, "restaurant_id": 3, "placed_at": time.Now().UTC(),
			"items_count": 2, "total": 17.5, "promised_minutes": 35, "distance_km": 2.5})
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: f.derived + "orders.enriched", Value: v}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	// The stream starts at the end of the topic: give its consumer a moment to be placed, then
	// a Sfax order (filtered out) and a Tunis one.
	time.Sleep(2 * time.Second)
	produce(901, 15)
	produce(902, 1)
	select {
	case fr := <-packets:
		if got := values(field(t, fr, "order_id")); !slices.Equal(got, []any{int64(902)}) ||
			values(field(t, fr, "status"))[0] != "placed" || values(field(t, fr, "total"))[0] != 17.5 {
			t.Errorf("frame: %s", dump(fr))
		}
	case err := <-done:
		t.Fatalf("stream ended: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no frame within 5 s of the record")
	}

	// The last subscriber leaves: the plugin ends the stream.
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end after the subscription was cancelled")
	}
}

// TestHeatmapReplay: the replay answers an empty frame with a channel, then streams the
// minutes of the heatmap in order — from another plugin process than the one that answered
// the query, as after a restart: the channel needs no memory of it.
func TestHeatmapReplay(t *testing.T) {
	f := newFixture(t)
	first := startPlugin(t)
	fs := f.query(t, first, map[string]any{"queryType": "heatmap_replay", "speed": 600})
	if fs[0].Rows() != 0 || fs[0].Meta == nil || fs[0].Meta.Type != "heatmap-rows" {
		t.Fatalf("first frame: %s", dump(fs[0]))
	}
	path := strings.TrimPrefix(fs[0].Meta.Channel, "ds/flavortrend/")
	c := startPlugin(t) // restarted
	sub, err := c.stream.SubscribeStream(context.Background(), &pluginv2.SubscribeStreamRequest{PluginContext: f.pc, Path: path})
	if err != nil || sub.Status != pluginv2.SubscribeStreamResponse_OK {
		t.Fatalf("subscribe after a restart: %v %v", sub, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stream, err := c.stream.RunStream(ctx, &pluginv2.RunStreamRequest{PluginContext: f.pc, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	var minutes []any
	for len(minutes) < 3 {
		p, err := stream.Recv()
		if err != nil {
			t.Fatalf("after %d minutes: %v", len(minutes), err)
		}
		var fr data.Frame
		if err := json.Unmarshal(p.Data, &fr); err != nil {
			t.Fatal(err)
		}
		minutes = append(minutes, values(fr.Fields[0])...)
	}
	want := []any{f.base.Add(10 * time.Minute), f.base.Add(11 * time.Minute), f.base.Add(12 * time.Minute)}
	for i := range want {
		if !minutes[i].(time.Time).Equal(want[i].(time.Time)) {
			t.Errorf("minutes %v, want %v", minutes, want)
		}
	}
}
