package orders_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/enrich/dims"
	"github.com/flavortrend/flavortrend/enrich/orders"
	"github.com/flavortrend/flavortrend/enrich/replica"
	"github.com/flavortrend/flavortrend/enrich/sla"
	"github.com/flavortrend/flavortrend/enrich/stream"
	"github.com/flavortrend/flavortrend/enrich/weather"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

var noon = time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC) // 12:00 in Tunis

// change is a Debezium envelope of one table change, as the connector writes it.
func change(table, op string, lsn int, after map[string]any) *kgo.Record {
	env := map[string]any{"before": nil, "after": after, "op": op, "ts_ms": 1,
		"source": map[string]any{"table": table, "lsn": lsn, "ts_ms": 1, "txId": lsn, "snapshot": "false"}}
	v, _ := json.Marshal(env)
	return &kgo.Record{Key: []byte(fmt.Sprintf(`{"id":%v}`, after["id"])), Value: v}
}

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// orderRow is an orders row placed at noon + placed, in status, with the given times.
func orderRow(id int, placed time.Duration, status string, delivered time.Duration) map[string]any {
	p := noon.Add(placed)
	var d time.Time
	if status == "delivered" {
		d = p.Add(delivered)
	}
	return map[string]any{"id": id, "customer_id": 1, "restaurant_id": 7, "courier_id": nil, "city_id": 1,
		"status": status, "placed_at": ts(p), "accepted_at": nil, "picked_up_at": nil, "delivered_at": ts(d),
		"cancelled_at": nil, "cancel_reason": nil, "items_count": 2, "subtotal": "20.000", "delivery_fee": "3.000",
		"total": "23.000", "distance_km": "3.000", "promised_minutes": 30, "is_promo": false, "drop_lat": 36.82,
		"drop_lon": 10.2, "trace_parent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
}

type fixture struct {
	prefix string
	topics orders.Topics
	in     string
	dims   []string
	cl     *kgo.Client
	brok   []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	_, _, kafka, _ := testenv.Settings()
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...), kgo.DefaultProduceTopic("unused"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	prefix := testenv.Name("ft_ord") + "."
	f := &fixture{prefix: prefix, topics: orders.NewTopics(prefix), in: prefix + "public.orders",
		dims: []string{prefix + "public.restaurants", prefix + "public.weather_observations"}, cl: cl, brok: kafka.Brokers}
	in := orders.NewInputs(strings.TrimSuffix(prefix, "."))
	all := []string{f.in, f.topics.Enriched, f.topics.Predictions, f.topics.Violations, f.topics.DynamicViolations,
		f.topics.Outcomes, f.topics.State, f.topics.Clock, f.topics.CityEvents, prefix + "dead",
		in.Reviews, in.Couriers, in.Positions, in.Heartbeat, f.topics.Ticks}
	all = append(all, f.dims...)
	adm := kadm.NewClient(cl)
	compact := "compact"
	for _, topic := range all {
		var cfg map[string]*string
		if topic == f.topics.State || topic == f.topics.Clock {
			cfg = map[string]*string{"cleanup.policy": &compact}
		}
		// One partition: the test decides the order in which the stage sees events.
		if _, err := adm.CreateTopic(context.Background(), 1, 1, cfg, topic); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if _, err := adm.DeleteTopics(context.Background(), all...); err != nil {
			t.Errorf("delete topics: %v", err)
		}
	})
	return f
}

func (f *fixture) produce(t *testing.T, topic string, recs ...*kgo.Record) {
	t.Helper()
	for _, r := range recs {
		r.Topic = topic
	}
	if err := f.cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// run starts the stage with its replicas; stop ends it as a crash would (no flush of
// anything but a committed transaction survives).
func (f *fixture) run(t *testing.T) (stop func()) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	d := orders.Dims{Weather: &weather.Store{}, Restaurants: dims.NewRestaurants(), Couriers: dims.NewCouriers(), Live: dims.NewLive()}
	// The city stage's live values: city 1's pressure for the minute 10:58 UTC (ended 10:59), and
	// restaurant 7's preparation over its last hour of pickups.
	err1 := d.Live.ApplyPressure(&kgo.Record{Value: []byte(`{"city_id":1,"minute":"2026-11-20T10:58:00Z","pressure":42.5}`)})
	err2 := d.Live.ApplyRestaurant(&kgo.Record{Value: []byte(`{"restaurant_id":7,"avg_prep_minutes_last_hour":20.25,"pickups_last_hour":3}`)})
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	rep, err := replica.New(f.brok, log, map[string]replica.Apply{f.dims[0]: replica.Debezium(d.Restaurants.Apply),
		f.dims[1]: replica.Debezium(dims.Weather(d.Weather))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	repDone := make(chan error, 1)
	go func() { repDone <- rep.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := rep.WaitCaughtUp(wctx); err != nil {
		t.Fatal(err)
	}
	stage := orders.New(orders.Config{Topics: f.topics, Inputs: orders.NewInputs(strings.TrimSuffix(f.prefix, ".")),
		CityPartitions: 1, Thresholds: sla.Thresholds{}, Lateness: 2 * time.Minute, Log: log,
		EndOffsets: func(topic string) (map[int32]int64, error) {
			ends, err := kadm.NewClient(f.cl).ListEndOffsets(ctx, topic)
			out := map[int32]int64{}
			ends.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
			return out, err
		}}, d, &orders.Models{})
	rn, err := stream.New(stream.Config{Brokers: f.brok, Group: f.prefix + "g", Instance: "a", Topics: stage.Consumed(),
		Partitioned: []string{f.topics.CityEvents, f.topics.Ticks},
		DeadLetter:  f.prefix + "dead"}, log, stage, stage.Tables()...)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- rn.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		rn.Close()
		<-repDone
	}
}

// read returns the values of a topic (read_committed) once it has want of them, or after 30 s.
func (f *fixture) read(t *testing.T, topic string, want int) []map[string]any {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(f.brok...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for len(out) < want && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			var v map[string]any
			if err := json.Unmarshal(r.Value, &v); err != nil {
				t.Fatalf("%s: %v", topic, err)
			}
			out = append(out, v)
		})
		cancel()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second) // anything more is a duplicate
	defer cancel()
	cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { out = append(out, map[string]any{"extra": string(r.Value)}) })
	return out
}

// summary renders violations as "order:kind" sorted.
func summary(vs []map[string]any, field string) string {
	var s []string
	for _, v := range vs {
		s = append(s, fmt.Sprintf("%v:%v", v["order_id"], v[field]))
	}
	sort.Strings(s)
	return strings.Join(s, " ")
}

// TestOrderStage: the weather in force at placement (with a late observation), the static
// SLA on 44, 45 and 46 minutes, an at-risk order fired once by its timer and not again when
// delivered late, the dynamic SLA against the prediction — across a crash of the stage
// between the two halves of the input, with the open timer surviving it.
func TestOrderStage(t *testing.T) {
	f := newFixture(t)
	f.produce(t, f.dims[0], change("restaurants", "r", 1, map[string]any{"id": 7, "city_id": 1, "name": "R", "cuisine": "x",
		"lat": 36.80, "lon": 10.18, "rating": "4.50", "avg_prep_minutes": "12.50", "paused_until": nil}))
	weatherRow := func(id int, at time.Duration, cond string) *kgo.Record {
		return change("weather_observations", "c", 10+id, map[string]any{"id": id, "city_id": 1, "observed_at": ts(noon.Add(at)),
			"condition": cond, "temperature_c": "18.5", "precipitation_mm": "2.0", "wind_kmh": "10.0"})
	}
	// The 11:55 observation arrives before the 11:50 one it follows.
	f.produce(t, f.dims[1], weatherRow(2, -5*time.Minute, "rainy"), weatherRow(1, -10*time.Minute, "sunny"))

	lsn := 100
	next := func(id int, placed time.Duration, status string, delivered time.Duration) *kgo.Record {
		lsn += 10
		op := "u"
		if status == "placed" {
			op = "c"
		}
		return change("orders", op, lsn, orderRow(id, placed, status, delivered))
	}
	first := []*kgo.Record{
		next(1, -8*time.Minute, "placed", 0), // 11:52: the sunny observation
		next(2, 0, "placed", 0),              // noon: the rainy one
		next(3, 0, "placed", 0),
		next(4, 0, "placed", 0),
		next(5, 0, "placed", 0),
		next(1, -8*time.Minute, "delivered", 30*time.Minute), // 30 min, as promised: nothing
		next(2, 0, "delivered", 44*time.Minute),              // 44: no static; dynamic 44 vs 30
		next(3, 0, "delivered", 45*time.Minute),              // 45: on time
	}
	f.produce(t, f.in, first...)
	stop := f.run(t)
	f.read(t, f.topics.Outcomes, 3)
	stop() // a crash: orders 4 and 5 are open, their timers pending

	second := []*kgo.Record{
		next(4, 0, "delivered", 46*time.Minute), // 46: breach (the clock, 12:46 − 2 min, has not reached 12:45 yet)
		next(6, 48*time.Minute, "placed", 0),    // clock 12:48: watermark 12:46 ≥ 12:45, order 5's timer fires
		next(5, 0, "delivered", 50*time.Minute), // late, after at_risk: no static violation again
	}
	f.produce(t, f.in, second...)
	stop = f.run(t)
	violations := f.read(t, f.topics.Violations, 2)
	dynamic := f.read(t, f.topics.DynamicViolations, 4)
	enriched := f.read(t, f.topics.Enriched, 6)
	cityEvents := f.read(t, f.topics.CityEvents, 14)
	stop()

	// The city stage hears of every change of an order, of each static violation and of the
	// restaurant's row, in the same transactions, exactly once across the crash.
	kinds := map[string]int{}
	for _, ev := range cityEvents {
		kinds[fmt.Sprint(ev["kind"])]++
	}
	if kinds["order"] != 11 || kinds["breach"] != 2 || kinds["restaurant"] != 1 || len(kinds) != 3 {
		t.Errorf("city events by kind %v, want 11 order changes, 2 breaches, 1 restaurant", kinds)
	}
	if got, want := summary(violations, "kind"), "4:breach 5:at_risk"; got != want {
		t.Errorf("static violations %q, want %q", got, want)
	}
	for _, v := range violations {
		if v["order_id"] == 5.0 && (v["deadline"] != noon.Add(45*time.Minute).Format(time.RFC3339) || v["delay_minutes"] != 0.0) {
			t.Errorf("at_risk %v: want the deadline 11:45Z and delay 0", v)
		}
		if v["order_id"] == 4.0 && v["delay_minutes"] != 1.0 {
			t.Errorf("breach %v: want delay 1", v)
		}
	}
	// Dynamic: promised 30 is the prediction; 44 → overrun 14 ≥ 5 and ratio 1.47 > 1.25.
	if got, want := summary(dynamic, "overrun_minutes"), "2:14 3:15 4:16 5:20"; got != want {
		t.Errorf("dynamic violations %q, want %q", got, want)
	}
	weatherOf := map[float64]float64{}
	for _, e := range enriched {
		weatherOf[e["order_id"].(float64)] = e["weather_observation_id"].(float64)
		// Order 2 at noon: the live prep (not the profile's 12.5) and the pressure of 10:58 UTC.
		// Order 1 at 10:52 UTC: no pressure minute had ended yet.
		if e["order_id"] == 2.0 && (e["is_rain"] != true || e["restaurant_avg_prep_minutes"] != 20.25 || e["city_pressure"] != 42.5) {
			t.Errorf("order 2 enriched %v: want rain, the live prep 20.25 and pressure 42.5", e)
		}
		if e["order_id"] == 1.0 && e["city_pressure"] != 0.0 {
			t.Errorf("order 1 enriched %v: want pressure 0", e)
		}
	}
	if len(enriched) != 6 || weatherOf[1] != 1 || weatherOf[2] != 2 || weatherOf[6] != 2 {
		t.Errorf("enriched %d orders, weather by order %v: want 6, order 1 → observation 1, orders 2 and 6 → 2", len(enriched), weatherOf)
	}
}

// at is a change committed at the source at commit; before is the deleted row's key.
func at(r *kgo.Record, commit time.Time) *kgo.Record {
	var env map[string]any
	if err := json.Unmarshal(r.Value, &env); err != nil {
		panic(err)
	}
	env["source"].(map[string]any)["ts_ms"] = commit.UnixMilli()
	if env["op"] == "d" {
		env["before"], env["after"] = map[string]any{"id": env["after"].(map[string]any)["id"]}, nil
	}
	r.Value, _ = json.Marshal(env)
	return r
}

// TestNoTraffic: an order stays open in a partition that gets no other order, and the
// simulator stops; only the source's heartbeat (cdc_heartbeat, every 10 s of commit time)
// goes on. Its at-risk timer still fires, once, stamped at its deadline, when the heartbeat
// has moved the clock, less the lateness, past it; the city stage gets the ticks; a deleted
// open order is passed on as a close.
func TestNoTraffic(t *testing.T) {
	f := newFixture(t)
	f.produce(t, f.dims[0], change("restaurants", "r", 1, map[string]any{"id": 7, "city_id": 1, "name": "R", "cuisine": "x",
		"lat": 36.80, "lon": 10.18, "rating": "4.50", "avg_prep_minutes": "12.50", "paused_until": nil}))
	// The source's clock runs two days after the simulated one: only its elapsed time counts.
	source := noon.Add(48 * time.Hour)
	f.produce(t, f.in,
		at(change("orders", "c", 10, orderRow(1, 0, "placed", 0)), source),
		at(change("orders", "c", 20, orderRow(2, 0, "placed", 0)), source),
		at(change("orders", "d", 30, orderRow(2, 0, "placed", 0)), source.Add(time.Minute)))
	in := orders.NewInputs(strings.TrimSuffix(f.prefix, "."))
	var beats []*kgo.Record
	for s := 10 * time.Second; s <= 50*time.Minute; s += 10 * time.Second {
		beats = append(beats, at(change("cdc_heartbeat", "u", 100+int(s/time.Second), map[string]any{"id": 1, "beat_at": ts(source.Add(s))}),
			source.Add(s)))
	}
	f.produce(t, in.Heartbeat, beats...)
	stop := f.run(t)
	violations := f.read(t, f.topics.Violations, 1)
	events := f.read(t, f.topics.CityEvents, len(beats)+4) // and 2 placements, a delete, a breach
	stop()

	if len(violations) != 1 || violations[0]["order_id"] != 1.0 || violations[0]["kind"] != "at_risk" ||
		violations[0]["observed_at"] != noon.Add(45*time.Minute).Format(time.RFC3339) {
		t.Errorf("violations %v, want one at_risk of order 1 at its deadline, 11:45Z", violations)
	}
	var ticks []string
	deletes := 0
	for _, ev := range events {
		switch ev["kind"] {
		case "tick":
			ticks = append(ticks, fmt.Sprint(ev["tick"].(map[string]any)["clock"]))
		case "order_deleted":
			deletes++
			if ev["order"].(map[string]any)["id"] != 2.0 || ev["city_id"] != 1.0 {
				t.Errorf("order_deleted %v, want order 2 of city 1", ev)
			}
		}
	}
	// One tick per heartbeat; the clock, set by the placements at noon (committed at
	// source), moves with the source's time: the last heartbeat is 50 minutes later.
	if len(ticks) != len(beats) || ticks[len(ticks)-1] != noon.Add(50*time.Minute).Format(time.RFC3339) || deletes != 1 {
		t.Errorf("%d ticks, the last at %v; %d deletes: want %d, the last at 11:50Z, and 1 delete", len(ticks), ticks[len(ticks)-1:], deletes, len(beats))
	}
}
