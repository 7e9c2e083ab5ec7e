package enrich_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/enrich"
	"github.com/flavortrend/flavortrend/enrich/orders"
	"github.com/flavortrend/flavortrend/generate"
	"github.com/flavortrend/flavortrend/ingest"
	"github.com/flavortrend/flavortrend/internal/config"
	"github.com/flavortrend/flavortrend/internal/store"
	"github.com/flavortrend/flavortrend/internal/telemetry"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

// TestEndToEnd: a simulated lunch service goes PostgreSQL → Debezium → enrich → ingest →
// ClickHouse. Every order gets its enriched row and its prediction; every order delivered
// more than 45 minutes after placement has exactly one static violation and no other order
// has one unless it was still open past its deadline; every delivered order has its outcome,
// and the dynamic violations are exactly the outcomes that break the rule.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	pg, ch, chCfg, kafka, name := captured(t, "ft_enr")

	if err := generate.Seed(ctx, pg, 1); err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)
	if _, err := generate.Run(ctx, pg, generate.Config{Seed: 3, Rate: 20, Speed: 0, Start: from, Duration: 2 * time.Hour}, nil); err != nil {
		t.Fatal(err)
	}

	runPipeline(t, kafka, chCfg, name, telemetry.Providers{})

	var placed, delivered int
	if err := pg.QueryRow(ctx, "SELECT count(*), count(delivered_at) FROM orders").Scan(&placed, &delivered); err != nil {
		t.Fatal(err)
	}
	if placed < 100 || delivered < 50 {
		t.Fatalf("simulation too small: %d orders, %d delivered", placed, delivered)
	}
	count := func(q string) int {
		var n uint64
		if err := ch.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
		return int(n)
	}
	db := chCfg.Database
	deadline := time.Now().Add(3 * time.Minute)
	for {
		e := count("SELECT count() FROM " + db + ".orders_enriched FINAL")
		p := count("SELECT count() FROM " + db + ".eta_predictions FINAL")
		o := count("SELECT count() FROM " + db + ".eta_outcomes FINAL")
		if e == placed && p == placed && o == delivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("in ClickHouse: %d enriched, %d predictions, %d outcomes; want %d, %d, %d", e, p, o, placed, placed, delivered)
		}
		time.Sleep(time.Second)
	}
	// The other facts arrive on their own topics, the city stage's a hop later: wait until
	// none of them has grown for 5 seconds.
	var last string
	for stable := 0; stable < 5; {
		var now []string
		for _, table := range []string{"sla_violations", "sla_dynamic_violations", "city_pressure", "alerts", "recommendations",
			"sentiment_windows", "features_couriers", "features_restaurants"} {
			now = append(now, strconv.Itoa(count("SELECT count() FROM "+db+"."+table)))
		}
		if cur := strings.Join(now, " "); cur != last {
			last, stable = cur, 0
		} else {
			stable++
		}
		if time.Now().After(deadline) {
			t.Fatalf("facts still arriving after 3 minutes: %s", last)
		}
		time.Sleep(time.Second)
	}

	// PostgreSQL's truth, as rows of (order id, minutes to delivery or null, promised).
	type truth struct {
		minutes  *float64
		promised float64
	}
	want := map[int64]truth{}
	rows, err := pg.Query(ctx, `SELECT id, extract(epoch FROM delivered_at - placed_at) / 60, promised_minutes FROM orders`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var tr truth
		if err := rows.Scan(&id, &tr.minutes, &tr.promised); err != nil {
			t.Fatal(err)
		}
		want[id] = tr
	}
	rows.Close()

	static := map[int64]string{}
	for _, r := range queryPairs(t, ch, "SELECT toString(order_id), kind FROM "+db+".sla_violations FINAL") {
		id, _ := strconv.ParseInt(r[0], 10, 64)
		if _, dup := static[id]; dup {
			t.Errorf("order %d: two static violations", id)
		}
		static[id] = r[1]
	}
	dynamic := map[int64]bool{}
	for _, r := range queryPairs(t, ch, "SELECT toString(order_id), model_version FROM "+db+".sla_dynamic_violations FINAL") {
		id, _ := strconv.ParseInt(r[0], 10, 64)
		dynamic[id] = true
		if r[1] != orders.PromisedVersion {
			t.Errorf("order %d: model %q, want %q before any model is promoted", id, r[1], orders.PromisedVersion)
		}
	}
	late, dyn := 0, 0
	for id, tr := range want {
		switch {
		case tr.minutes != nil && *tr.minutes > 45:
			late++
			if static[id] == "" {
				t.Errorf("order %d delivered after %.1f min has no static violation", id, *tr.minutes)
			}
		case tr.minutes != nil && static[id] != "":
			t.Errorf("order %d delivered after %.1f min has a %s violation", id, *tr.minutes, static[id])
		case tr.minutes == nil && static[id] == "breach":
			t.Errorf("open order %d has a breach", id)
		}
		if tr.minutes != nil {
			rule := *tr.minutes > tr.promised*1.25 && *tr.minutes-tr.promised >= 5
			if rule {
				dyn++
			}
			if rule != dynamic[id] {
				t.Errorf("order %d: %.2f min against %.0f promised: dynamic violation %v, want %v", id, *tr.minutes, tr.promised, dynamic[id], rule)
			}
		}
	}
	t.Logf("%d orders, %d delivered, %d late (%d static violations), %d dynamic violations", placed, delivered, late, len(static), dyn)
	if late == 0 || dyn == 0 {
		t.Errorf("the simulation produced no late delivery (%d) or no dynamic violation (%d): the test checks nothing", late, dyn)
	}
	checkCityStage(t, pg, ch, db)
}

// checkCityStage compares the city stage's facts in ClickHouse with PostgreSQL: each
// courier's final features, the review counts of every sentiment window, the pressure
// minutes of every city, and the alerts' episodes.
func checkCityStage(t *testing.T, pg *pgxpool.Pool, ch driver.Conn, db string) {
	ctx := context.Background()
	// Couriers: active deliveries, deliveries of the (single) simulated day and their mean
	// speed, as PostgreSQL has them.
	pgCouriers := map[string]string{}
	rows, err := pg.Query(ctx, `SELECT c.id::text,
		count(*) FILTER (WHERE o.status IN ('accepted', 'picked_up')) || ' ' ||
		count(o.delivered_at) || ' ' ||
		coalesce(round((sum(o.distance_km) FILTER (WHERE o.delivered_at IS NOT NULL) /
			(extract(epoch FROM sum(o.delivered_at - o.picked_up_at)) / 3600))::numeric, 6), 0)
		FROM couriers c JOIN orders o ON o.courier_id = c.id GROUP BY c.id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, v string
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		pgCouriers[id] = v
	}
	rows.Close()
	q := `SELECT toString(courier_id), concat(toString(argMax(active_deliveries, (updated_at, _version))), ' ',
		toString(argMax(deliveries_today, (updated_at, _version))), ' ',
		toString(round(argMax(avg_speed_kmh_today, (updated_at, _version)), 6)))
		FROM ` + db + `.features_couriers FINAL GROUP BY courier_id`
	deadline := time.Now().Add(time.Minute)
	for {
		var diffs []string
		got := map[string]string{}
		for _, r := range queryPairs(t, ch, q) {
			got[r[0]] = r[1]
		}
		for id, want := range pgCouriers {
			if g := got[id]; !sameNumbers(g, want) {
				diffs = append(diffs, fmt.Sprintf("courier %s: %q (active, delivered, km/h), want %q", id, g, want))
			}
		}
		if len(diffs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("courier features differ from PostgreSQL:\n%s", strings.Join(diffs, "\n"))
			break
		}
		time.Sleep(time.Second)
	}

	// Sentiment: every closed window counts exactly the reviews PostgreSQL has for it.
	windows := queryPairs(t, ch, `SELECT concat(entity_kind, ' ', toString(entity_id), ' ', toString(toUnixTimestamp(window_start))),
		concat(toString(reviews), ' ', toString(positive), ' ', toString(neutral), ' ', toString(negative), ' ', toString(round(avg_rating, 6)))
		FROM `+db+`.sentiment_windows FINAL`)
	if len(windows) < 10 {
		t.Errorf("%d sentiment windows, want at least 10", len(windows))
	}
	for _, w := range windows {
		f := strings.Fields(w[0])
		col := map[string]string{"restaurant": "o.restaurant_id", "courier": "o.courier_id"}[f[0]]
		var want string
		err := pg.QueryRow(ctx, `SELECT count(*) || ' ' || count(*) FILTER (WHERE r.sentiment = 'positive') || ' ' ||
			count(*) FILTER (WHERE r.sentiment = 'neutral') || ' ' || count(*) FILTER (WHERE r.sentiment = 'negative') || ' ' ||
			round(avg(r.rating), 6)
			FROM order_reviews r JOIN orders o ON o.id = r.order_id
			WHERE `+col+` = $1 AND r.created_at >= to_timestamp($2) AND r.created_at < to_timestamp($2) + interval '5 minutes'`,
			f[1], f[2]).Scan(&want)
		if err != nil {
			t.Fatal(err)
		}
		if !sameNumbers(w[1], want) {
			t.Errorf("sentiment window %s: %q (reviews, +, =, -, avg), want %q", w[0], w[1], want)
		}
	}

	// Pressure: one row per minute of each city, without a gap, and the city's whole roster.
	for _, r := range queryPairs(t, ch, `SELECT toString(city_id), concat(toString(count()), ' ',
		toString(dateDiff('minute', min(minute), max(minute)) + 1), ' ', toString(argMax(roster_couriers, minute)))
		FROM `+db+`.city_pressure FINAL GROUP BY city_id`) {
		f := strings.Fields(r[1])
		var roster string
		if err := pg.QueryRow(ctx, "SELECT count(*)::text FROM couriers WHERE city_id = $1", r[0]).Scan(&roster); err != nil {
			t.Fatal(err)
		}
		if f[0] != f[1] || f[2] != roster {
			t.Errorf("city %s: %s pressure minutes over %s, roster %s; want one per minute and roster %s", r[0], f[0], f[1], f[2], roster)
		}
	}
	var cities, orderCities uint64
	if err := ch.QueryRow(ctx, "SELECT uniqExact(city_id) FROM "+db+".city_pressure").Scan(&cities); err != nil {
		t.Fatal(err)
	}
	if err := pg.QueryRow(ctx, "SELECT count(DISTINCT city_id) FROM orders").Scan(&orderCities); err != nil {
		t.Fatal(err)
	}
	if cities != orderCities {
		t.Errorf("pressure for %d cities, want the %d cities with orders", cities, orderCities)
	}

	// Alerts: an episode is raised once and cleared at most once, after it was raised.
	for _, r := range queryPairs(t, ch, `SELECT id, concat(toString(countIf(state = 'raised')), ' ', toString(countIf(state = 'cleared')))
		FROM `+db+`.alerts FINAL GROUP BY id`) {
		if r[1] != "1 0" && r[1] != "1 1" {
			t.Errorf("alert %s: %s raised and cleared rows, want one raise and at most one clear", r[0], r[1])
		}
	}
}

// sameNumbers compares two space-separated lists of numbers.
func sameNumbers(a, b string) bool {
	fa, fb := strings.Fields(a), strings.Fields(b)
	if len(fa) != len(fb) {
		return false
	}
	for i := range fa {
		x, err1 := strconv.ParseFloat(fa[i], 64)
		y, err2 := strconv.ParseFloat(fb[i], 64)
		if err1 != nil || err2 != nil || math.Abs(x-y) > 1e-4 {
			return false
		}
	}
	return true
}

// captured is a fresh PostgreSQL database captured by a connector of its own (named after
// prefix, also the prefix of the derived topics, deleted at the end) and a fresh ClickHouse
// database.
func captured(t *testing.T, prefix string) (*pgxpool.Pool, driver.Conn, config.ClickHouse, config.Kafka, string) {
	t.Helper()
	_, _, kafka, _ := testenv.Settings()
	dbURL := testenv.PostgresURL(t)
	pg, err := store.Postgres(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Close)
	ch, chCfg := testenv.ClickHouse(t)
	name := testenv.Name(prefix)
	testenv.Capture(t, dbURL, name)
	t.Cleanup(func() { deleteDerived(t, kafka.Brokers, name+".") })
	return pg, ch, chCfg, kafka, name
}

// runPipeline runs the enricher and the ingester in process on the topics of the connector
// name, the derived topics prefixed "name.", with telemetry tel, until the test ends or the
// function it returns is called.
func runPipeline(t *testing.T, kafka config.Kafka, chCfg config.ClickHouse, name string, tel telemetry.Providers) (stop func()) {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ecfg := enrich.Config{Kafka: kafka, ClickHouse: chCfg, ModelPoll: time.Second, TopicPrefix: name, DerivedPrefix: name + ".",
		Group: name + "-enrich", Instance: "a", Lateness: 2 * time.Minute, SLA: 45 * time.Minute, Partitions: 3, Telemetry: tel}
	if err := ecfg.Validate(); err != nil {
		t.Fatal(err)
	}
	icfg := ingest.Config{Kafka: kafka, ClickHouse: chCfg, TopicPrefix: name, DerivedPrefix: name + ".", Group: name + "-ingest",
		BatchRows: 50000, FlushInterval: 200 * time.Millisecond, MaxRecord: 1 << 20, RetryMax: time.Second}
	if err := icfg.Validate(); err != nil {
		t.Fatal(err)
	}
	in, err := ingest.New(ctx, icfg, log, tel)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	enrichDone, ingestDone := make(chan error, 1), make(chan error, 1)
	go func() { enrichDone <- enrich.Run(rctx, ecfg, log) }()
	go func() { ingestDone <- in.Run(rctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-enrichDone; err != nil {
				t.Errorf("enrich: %v", err)
			}
			if err := <-ingestDone; err != nil {
				t.Errorf("ingest: %v", err)
			}
			in.Close()
		})
	}
	t.Cleanup(stop)
	return stop
}

func queryPairs(t *testing.T, ch driver.Conn, q string) [][2]string {
	t.Helper()
	rows, err := ch.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var r [2]string
		if err := rows.Scan(&r[0], &r[1]); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func deleteDerived(t *testing.T, brokers []string, prefix string) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Error(err)
		return
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := kadm.NewClient(cl)
	topics, err := adm.ListTopics(ctx)
	if err != nil {
		t.Error(err)
		return
	}
	var mine []string
	for _, n := range topics.Names() {
		if strings.HasPrefix(n, prefix) {
			mine = append(mine, n)
		}
	}
	if len(mine) > 0 {
		if _, err := adm.DeleteTopics(ctx, mine...); err != nil {
			t.Error(err)
		}
	}
}
