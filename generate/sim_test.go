package generate

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flavortrend/flavortrend/internal/testenv"
)

// simStart is a Friday, 10:00 local: a four-hour run covers the 12:00–14:00 lunch rush.
var simStart = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

const simHours = 4

// TestSimulationInvariants runs four simulated hours as fast as possible, with a rain
// flag on every odd city so that wet and dry deliveries can be compared, and checks the
// data against the lifecycle, money, weather, position and review rules.
func TestSimulationInvariants(t *testing.T) {
	ctx := context.Background()
	pool := seeded(t)
	if _, err := pool.Exec(ctx, `INSERT INTO simulation_flags (kind, city_id, starts_at, ends_at, created_by)
		SELECT 'rain', id, now() - interval '1 minute', now() + interval '1 hour', 'test' FROM cities WHERE id % 2 = 1`); err != nil {
		t.Fatal(err)
	}
	st, err := Run(ctx, pool, Config{Seed: 7, Start: simStart, Duration: simHours * time.Hour}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stats: %+v", st)
	if st.Placed < 2500 || st.Delivered < 2000 {
		t.Fatalf("only %d placed, %d delivered in %d hours at 15/min", st.Placed, st.Delivered, simHours)
	}
	if got := queryInt(t, pool, `SELECT count(*) FROM orders`); got != st.Placed {
		t.Fatalf("orders table has %d rows, stats say %d placed", got, st.Placed)
	}

	zero := []struct{ name, sql string }{
		{"placed with later timestamps", `SELECT count(*) FROM orders WHERE status = 'placed'
			AND (accepted_at IS NOT NULL OR picked_up_at IS NOT NULL OR delivered_at IS NOT NULL OR cancelled_at IS NOT NULL OR cancel_reason IS NOT NULL OR courier_id IS NOT NULL)`},
		{"accepted not consistent", `SELECT count(*) FROM orders WHERE status = 'accepted'
			AND (accepted_at IS NULL OR picked_up_at IS NOT NULL OR delivered_at IS NOT NULL OR cancelled_at IS NOT NULL OR cancel_reason IS NOT NULL)`},
		{"picked_up not consistent", `SELECT count(*) FROM orders WHERE status = 'picked_up'
			AND (accepted_at IS NULL OR picked_up_at IS NULL OR courier_id IS NULL OR delivered_at IS NOT NULL OR cancelled_at IS NOT NULL)`},
		{"delivered not consistent", `SELECT count(*) FROM orders WHERE status = 'delivered'
			AND (accepted_at IS NULL OR picked_up_at IS NULL OR delivered_at IS NULL OR courier_id IS NULL OR cancelled_at IS NOT NULL OR cancel_reason IS NOT NULL)`},
		{"cancelled not consistent", `SELECT count(*) FROM orders WHERE status = 'cancelled'
			AND (cancelled_at IS NULL OR cancel_reason IS NULL OR delivered_at IS NOT NULL)`},
		{"unknown cancel reason", `SELECT count(*) FROM orders WHERE cancel_reason NOT IN ('customer', 'restaurant', 'no_courier', 'weather')`},
		{"timestamps out of order", `SELECT count(*) FROM orders WHERE accepted_at < placed_at OR picked_up_at < accepted_at
			OR delivered_at < picked_up_at OR cancelled_at < greatest(placed_at, accepted_at, picked_up_at)`},
		{"acceptance outside 1–3 min", `SELECT count(*) FROM orders WHERE accepted_at - placed_at NOT BETWEEN interval '1 minute' AND interval '3 minutes'`},
		{"subtotal is not Σ qty × unit_price", `SELECT count(*) FROM orders o WHERE o.subtotal <>
			(SELECT sum(i.qty * i.unit_price) FROM order_items i WHERE i.order_id = o.id)`},
		{"total is not subtotal + fee", `SELECT count(*) FROM orders WHERE total <> subtotal + delivery_fee`},
		{"items_count is not Σ qty", `SELECT count(*) FROM orders o WHERE o.items_count <>
			(SELECT sum(i.qty) FROM order_items i WHERE i.order_id = o.id)`},
		{"unit price differs from the menu", `SELECT count(*) FROM order_items i JOIN menu_items m ON m.id = i.menu_item_id WHERE i.unit_price <> m.price`},
		{"dish from another restaurant", `SELECT count(*) FROM order_items i JOIN orders o ON o.id = i.order_id
			JOIN menu_items m ON m.id = i.menu_item_id WHERE m.restaurant_id <> o.restaurant_id`},
		{"more than 4 lines", `SELECT count(*) FROM (SELECT order_id FROM order_items GROUP BY order_id HAVING count(*) > 4) x`},
		{"courier of another city", `SELECT count(*) FROM orders o JOIN couriers k ON k.id = o.courier_id WHERE k.city_id <> o.city_id`},
		{"restaurant of another city", `SELECT count(*) FROM orders o JOIN restaurants r ON r.id = o.restaurant_id WHERE r.city_id <> o.city_id`},
		{"distance is not the haversine", `SELECT count(*) FROM orders o JOIN restaurants r ON r.id = o.restaurant_id
			WHERE abs(o.distance_km - 6371.0088 * 2 * asin(sqrt(sin(radians(o.drop_lat - r.lat) / 2) ^ 2
				+ cos(radians(r.lat)) * cos(radians(o.drop_lat)) * sin(radians(o.drop_lon - r.lon) / 2) ^ 2))) > 0.001`},
		{"malformed traceparent", `SELECT count(*) FROM orders WHERE trace_parent !~ '^00-[0-9a-f]{32}-[0-9a-f]{16}-01$'`},
		{"promo without a flag", `SELECT count(*) FROM orders WHERE is_promo`},
		{"busy courier without an open order or idle with one", `SELECT count(*) FROM couriers k WHERE k.status <> 'offline'
			AND (k.status = 'busy') <> EXISTS (SELECT FROM orders o WHERE o.courier_id = k.id AND o.status IN ('accepted', 'picked_up'))`},
		{"delivered order with fewer than 2 positions", `SELECT count(*) FROM orders o WHERE status = 'delivered'
			AND (SELECT count(*) FROM courier_positions p WHERE p.order_id = o.id) < 2`},
		{"position outside its ride", `SELECT count(*) FROM courier_positions p JOIN orders o ON o.id = p.order_id
			WHERE p.recorded_at < o.picked_up_at OR p.recorded_at > coalesce(o.delivered_at, o.picked_up_at + interval '1 day')
			OR p.courier_id <> o.courier_id`},
		{"positions more than 30 s apart", `SELECT count(*) FROM (SELECT recorded_at - lag(recorded_at) OVER (PARTITION BY order_id ORDER BY recorded_at, id) AS gap
			FROM courier_positions) x WHERE gap > interval '30 seconds' OR gap <= interval '0'`},
		{"last fix is not the drop-off", `SELECT count(*) FROM orders o WHERE status = 'delivered' AND NOT EXISTS
			(SELECT FROM courier_positions p WHERE p.order_id = o.id AND p.recorded_at = o.delivered_at AND p.lat = o.drop_lat AND p.lon = o.drop_lon)`},
		{"review of an undelivered order or before delivery", `SELECT count(*) FROM order_reviews v JOIN orders o ON o.id = v.order_id
			WHERE o.status <> 'delivered' OR v.created_at < o.delivered_at`},
		{"weather observations more than 5 min apart", `SELECT count(*) FROM (SELECT observed_at - lag(observed_at) OVER (PARTITION BY city_id ORDER BY observed_at) AS gap
			FROM weather_observations) x WHERE gap > interval '5 minutes'`},
		{"rain flag city not rainy", `SELECT count(*) FROM weather_observations WHERE city_id % 2 = 1 AND condition <> 'rainy'`},
		{"rain without precipitation", `SELECT count(*) FROM weather_observations WHERE (condition IN ('rainy', 'stormy')) <> (precipitation_mm > 0)`},
	}
	for _, c := range zero {
		if n := queryInt(t, pool, c.sql); n != 0 {
			t.Errorf("%s: %d rows", c.name, n)
		}
	}

	if n := queryInt(t, pool, `SELECT count(DISTINCT city_id) FROM orders`); n != 24 {
		t.Errorf("%d cities served, want 24", n)
	}
	if n := queryInt(t, pool, `SELECT min(c) FROM (SELECT count(*) AS c FROM weather_observations GROUP BY city_id) x`); n < simHours*12 {
		t.Errorf("a city has %d weather observations in %d h, want ≥ %d", n, simHours, simHours*12)
	}
	if n := queryInt(t, pool, `SELECT count(DISTINCT condition) FROM weather_observations WHERE city_id % 2 = 0`); n < 2 {
		t.Errorf("dry cities saw %d weather conditions in %d h", n, simHours)
	}
	cancelled := queryFloat(t, pool, `SELECT avg((status = 'cancelled')::int)::float8 FROM orders WHERE placed_at < $1`, simStart.Add((simHours-1)*time.Hour))
	if cancelled < 0.01 || cancelled > 0.12 {
		t.Errorf("cancelled share %.3f, want ~5 %%", cancelled)
	}
	reviewed := queryFloat(t, pool, `SELECT avg((EXISTS (SELECT FROM order_reviews v WHERE v.order_id = o.id))::int)::float8
		FROM orders o WHERE status = 'delivered' AND delivered_at < $1`, simStart.Add((simHours-1)*time.Hour))
	if reviewed < 0.62 || reviewed > 0.78 {
		t.Errorf("reviewed share %.3f of delivered orders, want ~0.70", reviewed)
	}
	if n := queryInt(t, pool, `SELECT count(*) FROM order_reviews WHERE octet_length(comment) > 2048`); n == 0 {
		t.Error("no review longer than 2 KB")
	}

	// Reviews: stars fall with lateness.
	onTime := queryFloat(t, pool, `SELECT avg(v.rating)::float8 FROM order_reviews v JOIN orders o ON o.id = v.order_id
		WHERE extract(epoch FROM o.delivered_at - o.placed_at) / 60 <= o.promised_minutes`)
	late := queryFloat(t, pool, `SELECT avg(v.rating)::float8 FROM order_reviews v JOIN orders o ON o.id = v.order_id
		WHERE extract(epoch FROM o.delivered_at - o.placed_at) / 60 > o.promised_minutes + 10`)
	if late == 0 || onTime < late+1 {
		t.Errorf("mean stars on time %.2f, > 10 min late %.2f: want a clear drop", onTime, late)
	}
	if n := queryInt(t, pool, `SELECT count(*) FROM order_reviews WHERE (rating >= 4) <> (sentiment = 'positive')
		OR (rating <= 2) <> (sentiment = 'negative')`); n != 0 {
		t.Errorf("%d reviews whose sentiment does not follow the rating", n)
	}

	// Delivery time responds to weather, rush hour and distance (SPEC §5). Ride speed is
	// street km (× 1.35) over the pick-up → delivery time, weather as of the pick-up.
	const speed = `SELECT (sum(o.distance_km * 1.35) / sum(extract(epoch FROM o.delivered_at - o.picked_up_at) / 3600))::float8
		FROM orders o, LATERAL (SELECT condition FROM weather_observations w WHERE w.city_id = o.city_id
			AND w.observed_at <= o.picked_up_at ORDER BY w.observed_at DESC LIMIT 1) w
		WHERE o.status = 'delivered' AND `
	const rushHour = `extract(hour FROM o.picked_up_at AT TIME ZONE 'Africa/Tunis') IN (12, 13)`
	wet := queryFloat(t, pool, speed+`w.condition IN ('rainy', 'stormy')`)
	dry := queryFloat(t, pool, speed+`w.condition NOT IN ('rainy', 'stormy')`)
	if wet >= 0.9*dry {
		t.Errorf("ride speed in rain %.1f km/h, dry %.1f km/h: rain must be slower", wet, dry)
	}
	rushSpeed := queryFloat(t, pool, speed+`w.condition NOT IN ('rainy', 'stormy') AND `+rushHour)
	calmSpeed := queryFloat(t, pool, speed+`w.condition NOT IN ('rainy', 'stormy') AND NOT `+rushHour)
	if rushSpeed >= 0.95*calmSpeed {
		t.Errorf("dry ride speed in rush hour %.1f km/h, outside %.1f km/h: rush must be slower", rushSpeed, calmSpeed)
	}
	const minutes = `SELECT avg(extract(epoch FROM delivered_at - placed_at) / 60)::float8 FROM orders WHERE status = 'delivered' AND `
	long := queryFloat(t, pool, minutes+`distance_km >= 3`)
	short := queryFloat(t, pool, minutes+`distance_km <= 1.5`)
	if long < short+3 {
		t.Errorf("mean delivery %.1f min for ≥ 3 km, %.1f min for ≤ 1.5 km: distance must matter", long, short)
	}
	t.Logf("ride km/h wet %.1f dry %.1f rush %.1f calm %.1f; minutes long %.1f short %.1f; stars on time %.2f late %.2f; cancelled %.3f reviewed %.3f",
		wet, dry, rushSpeed, calmSpeed, long, short, onTime, late, cancelled, reviewed)
}

// tableDigests fingerprints every table the simulator writes.
func tableDigests(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range []string{"orders", "order_items", "order_reviews", "weather_observations", "courier_positions", "couriers"} {
		var digest string
		if err := pool.QueryRow(context.Background(),
			`SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x.id), '')) FROM `+table+` x`).Scan(&digest); err != nil {
			t.Fatal(err)
		}
		out[table] = digest
	}
	return out
}

// TestSimulationDeterministic runs the same seed and start in two fresh databases and
// expects identical tables; a further run in the same database continues the ids.
func TestSimulationDeterministic(t *testing.T) {
	ctx := context.Background()
	cfg := Config{Seed: 11, Start: simStart.Add(2 * time.Hour), Duration: 75 * time.Minute}
	a, b := seeded(t), seeded(t)
	stA, err := Run(ctx, a, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	stB, err := Run(ctx, b, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if stA.Placed == 0 || stA.Placed != stB.Placed || stA.Positions != stB.Positions {
		t.Fatalf("stats differ: %+v vs %+v", stA, stB)
	}
	da, db := tableDigests(t, a), tableDigests(t, b)
	for table := range da {
		if da[table] != db[table] {
			t.Errorf("%s differs between the two runs", table)
		}
	}
	if cfg2 := (Config{Seed: 12, Start: cfg.Start, Duration: cfg.Duration}); true {
		c := seeded(t)
		if _, err := Run(ctx, c, cfg2, nil); err != nil {
			t.Fatal(err)
		}
		if tableDigests(t, c)["orders"] == da["orders"] {
			t.Error("seeds 11 and 12 gave the same orders")
		}
	}

	// A second run in the same database starts after the first one's ids and closes the
	// orders the first one left open.
	maxID := queryInt(t, a, `SELECT max(id) FROM orders`)
	open := queryInt(t, a, `SELECT count(*) FROM orders WHERE status IN ('placed', 'accepted', 'picked_up')`)
	if open == 0 {
		t.Fatal("the first run left no open order to close")
	}
	next := Config{Seed: 11, Start: cfg.Start.Add(cfg.Duration), Duration: 10 * time.Minute}
	if _, err := Run(ctx, a, next, nil); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, a, `SELECT count(*) FROM orders WHERE id <= $1 AND status IN ('placed', 'accepted', 'picked_up')`, maxID); n != 0 {
		t.Errorf("%d orders of the first run still open", n)
	}
	if n := queryInt(t, a, `SELECT count(*) FROM orders WHERE id <= $1 AND cancel_reason = 'system'`, maxID); n != open {
		t.Errorf("%d orders closed by the second run, want %d", n, open)
	}
	if n := queryInt(t, a, `SELECT min(id) FROM orders WHERE placed_at >= $1`, next.Start); n != maxID+1 {
		t.Errorf("second run's first order id %d, want %d", n, maxID+1)
	}
}

func TestRunRejectsInvalidConfig(t *testing.T) {
	pool := testenv.Postgres(t)
	for _, cfg := range []Config{{Rate: -1}, {Speed: -2}, {Duration: -time.Second}} {
		if _, err := Run(context.Background(), pool, cfg, nil); err == nil {
			t.Errorf("Run(%+v) accepted", cfg)
		}
	}
	if _, err := Run(context.Background(), pool, Config{Speed: 0, Duration: time.Minute}, nil); err == nil {
		t.Error("Run without reference data accepted")
	}
}
