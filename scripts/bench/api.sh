#!/usr/bin/env bash
# make bench, part 6: the REST API's and the Grafana data source's read latency. A scratch pair of databases
# (flavortrend_apib) gets FT_BENCH_API_ORDERS orders (10M by default) over the last 30 days,
# the same rows in PostgreSQL's operational orders table and in ClickHouse (the orders mirror
# and the facts the enricher would have written: orders_enriched, eta_outcomes,
# sla_violations, city_pressure), computed from the row number by the same formulas in both;
# ClickHouse also gets two order lines and three GPS fixes per order. Once the revenue of the
# finished hours is sealed (flavortrend seal, as the ingester does every minute), flavortrend
# api serves them and scripts/bench/apilat times every read endpoint (p50/p95)
# and, beside four of them, the same answer computed the way the original did: SQL over the
# operational PostgreSQL tables. Then scripts/bench/pluginlat drives the data source's binary
# over gRPC as Grafana does: QueryData per query type, and record → frame on a live channel.
# Last, scripts/bench/apirss records the API's peak memory while 20 clients ask for the
# widest windows.
set -euo pipefail
cd "$(dirname "$0")/../.."
orders=${FT_BENCH_API_ORDERS:-10000000}
requests=${FT_BENCH_API_REQUESTS:-100}
pg_port=${FT_PG_PORT:-15432}
ch_port=${FT_CH_PORT:-19000}
pg_bin=${FT_PG_BIN:-/usr/lib/postgresql/15/bin}
logs=${FT_DATA_DIR:-.data}/logs
db=flavortrend_apib
url="postgres://flavortrend@127.0.0.1:$pg_port/$db?sslmode=disable"
psql=("$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U flavortrend -v ON_ERROR_STOP=1 -qtA)
ch=(clickhouse-client --port "$ch_port" -d "$db")
addr=127.0.0.1:${FT_BENCH_API_PORT:-18089}

api_pid=
cleanup() {
	[ -n "$api_pid" ] && kill -INT "$api_pid" 2>/dev/null && wait "$api_pid" 2>/dev/null
	"${psql[@]}" -d flavortrend -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
	clickhouse-client --port "$ch_port" -q "DROP DATABASE IF EXISTS $db" || true
}
trap cleanup EXIT

echo "== api: read latency over $orders orders ($(nproc) cores)"
"${psql[@]}" -d flavortrend -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
bin/flavortrend migrate -target postgres -pg-url "$url" >/dev/null
bin/flavortrend seed -pg-url "$url" >/dev/null
clickhouse-client --port "$ch_port" -q "DROP DATABASE IF EXISTS $db"
bin/flavortrend migrate -target clickhouse -ch-database "$db" >/dev/null

nrest=$("${psql[@]}" -d "$db" -c "SELECT max(id) FROM restaurants")
ncour=$("${psql[@]}" -d "$db" -c "SELECT max(id) FROM couriers")
ncust=$("${psql[@]}" -d "$db" -c "SELECT max(id) FROM customers")
nmenu=$("${psql[@]}" -d "$db" -c "SELECT max(id) FROM menu_items")
t0=$(date -u +%s)
start=$((t0 - 30 * 86400))
step=$(awk -v n="$orders" 'BEGIN { printf "%.9f", 30 * 86400 / n }')

# The dimensions ClickHouse needs for names, from PostgreSQL.
for table in cities restaurants couriers menu_items; do
	cols=$("${psql[@]}" -d "$db" -c "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = '$table'")
	"${psql[@]}" -d "$db" -c "COPY (SELECT * FROM $table) TO STDOUT WITH (FORMAT csv, NULL '\\N')" |
		"${ch[@]}" -q "INSERT INTO $table ($cols) FORMAT CSV"
done

# Row g (1…N): restaurant 1 + g mod R (its city and location), courier 1 + g mod C, customer
# 1 + g mod U, placed at start + g × step seconds; cancelled when g mod 20 = 0, else delivered
# after 20 + g mod 40 minutes (late, over 45, when g mod 40 > 25); total 13 + g mod 50 TND.
echo "loading PostgreSQL…"
"${psql[@]}" -d "$db" -c "ALTER TABLE orders SET (autovacuum_enabled = false)" -c "
INSERT INTO orders (id, customer_id, restaurant_id, courier_id, city_id, status, placed_at, accepted_at, picked_up_at,
	delivered_at, cancelled_at, cancel_reason, items_count, subtotal, delivery_fee, total, distance_km, promised_minutes,
	is_promo, drop_lat, drop_lon)
SELECT g, 1 + g % $ncust, r.id, 1 + g % $ncour, r.city_id,
	CASE WHEN g % 20 = 0 THEN 'cancelled' ELSE 'delivered' END,
	to_timestamp($start + g * $step), to_timestamp($start + g * $step + 120), to_timestamp($start + g * $step + 720),
	CASE WHEN g % 20 = 0 THEN NULL ELSE to_timestamp($start + g * $step + 60 * (20 + g % 40)) END,
	CASE WHEN g % 20 = 0 THEN to_timestamp($start + g * $step + 300) END,
	CASE WHEN g % 20 = 0 THEN 'customer' END,
	1 + g % 5, 10 + g % 50, 3, 13 + g % 50, 1 + (g % 80) / 10.0, 35, false, r.lat, r.lon
FROM generate_series(1, $orders) AS g JOIN restaurants r ON r.id = 1 + g % $nrest" -c "ANALYZE orders"

echo "loading ClickHouse…"
rows="SELECT number + 1 AS g, toInt32(1 + g % $nrest) AS rid FROM numbers($orders)"
dims="SELECT id AS rid, city_id AS rcity, lat AS rlat, lon AS rlon FROM $db.restaurants FINAL"
"${ch[@]}" -q "INSERT INTO orders (id, customer_id, restaurant_id, courier_id, city_id, status, placed_at, accepted_at,
	picked_up_at, delivered_at, cancelled_at, cancel_reason, items_count, subtotal, delivery_fee, total, distance_km,
	promised_minutes, is_promo, drop_lat, drop_lon, _version, _is_deleted, _source_ts_ms)
SELECT g, toInt32(1 + g % $ncust), toInt32(rid), toInt32(1 + g % $ncour), toInt32(rcity),
	if(g % 20 = 0, 'cancelled', 'delivered'), toDateTime(toUInt32($start + g * $step)),
	toDateTime(toUInt32($start + g * $step + 120)), toDateTime(toUInt32($start + g * $step + 720)),
	if(g % 20 = 0, NULL, toDateTime(toUInt32($start + g * $step + 60 * (20 + g % 40)))),
	if(g % 20 = 0, toDateTime(toUInt32($start + g * $step + 300)), NULL), if(g % 20 = 0, 'customer', NULL),
	toInt32(1 + g % 5), toDecimal32(10 + g % 50, 3), toDecimal32(3, 3), toDecimal32(13 + g % 50, 3),
	toDecimal32(1 + (g % 80) / 10, 3), 35, 0, rlat, rlon, g, 0, toInt64(($start + g * $step) * 1000)
FROM ($rows) AS o ANY INNER JOIN ($dims) AS d USING rid"
"${ch[@]}" -q "INSERT INTO orders_enriched (order_id, customer_id, restaurant_id, city_id, placed_at, items_count, total,
	promised_minutes, distance_km, hour_of_day, day_of_week, is_rush_hour, restaurant_avg_prep_minutes, weather_condition,
	_version, _is_deleted, _source_ts_ms)
SELECT id, customer_id, restaurant_id, city_id, placed_at, items_count, total, promised_minutes, toFloat64(distance_km),
	toHour(placed_at), toDayOfWeek(placed_at), 0, 12, 'sunny', id, 0, _source_ts_ms FROM orders"
"${ch[@]}" -q "INSERT INTO eta_outcomes (order_id, city_id, model_version, placed_at, delivered_at, predicted_minutes,
	actual_minutes, abs_error_minutes, overrun_minutes, overrun_ratio, _version, _is_deleted, _source_ts_ms)
SELECT id, city_id, 'promised', placed_at, assumeNotNull(delivered_at), 35, (delivered_at - placed_at) / 60,
	abs((delivered_at - placed_at) / 60 - 35), (delivered_at - placed_at) / 60 - 35, (delivered_at - placed_at) / 60 / 35,
	id, 0, _source_ts_ms
FROM orders WHERE status = 'delivered'"
"${ch[@]}" -q "INSERT INTO sla_violations (order_id, city_id, kind, placed_at, deadline, observed_at, threshold_minutes,
	actual_minutes, delay_minutes, _version, _is_deleted, _source_ts_ms)
SELECT id, city_id, 'breach', placed_at, placed_at + 2700, assumeNotNull(delivered_at), 45, (delivered_at - placed_at) / 60,
	(delivered_at - placed_at) / 60 - 45, id, 0, _source_ts_ms FROM orders WHERE status = 'delivered' AND delivered_at - placed_at > 2700"
"${ch[@]}" -q "INSERT INTO city_pressure (city_id, minute, open_orders, available_couriers, demand_per_courier, delay_excess,
	pressure, level, _version, _is_deleted, _source_ts_ms)
SELECT toInt32(1 + number % 24), toDateTime(intDiv($start, 60) * 60 + intDiv(number, 24) * 60), toInt32(number % 7),
	toInt32(1 + number % 5), (number % 7) / (1 + number % 5), 0, round(100 * 0.7 * (1 - exp(-((number % 7) / (1 + number % 5)) / 2.5)), 1),
	'normal', number, 0, 0 FROM numbers(24 * 30 * 1440)"
# Lines 2g and 2g + 1 (dishes 1 + (7g + k) mod M, qty 1 + k); fixes 3g … 3g + 2 at pick-up,
# +5 and +10 minutes.
"${ch[@]}" -q "INSERT INTO order_items (id, order_id, menu_item_id, qty, unit_price, _version, _is_deleted, _source_ts_ms)
SELECT 2 * g + k, g, toInt32(1 + (7 * g + k) % $nmenu), toInt32(1 + k), toDecimal32(10, 3), 2 * g + k, 0, 0
FROM (SELECT number + 1 AS g FROM numbers($orders)) ARRAY JOIN [0, 1] AS k"
"${ch[@]}" -q "INSERT INTO courier_positions (id, courier_id, order_id, recorded_at, lat, lon, speed_kmh, _version, _is_deleted,
	_source_ts_ms)
SELECT 3 * g + k, toInt32(1 + g % $ncour), g, toDateTime(toUInt32($start + g * $step + 720 + 300 * k)), 36.8 + k / 1000,
	10.18 + k / 1000, toDecimal32(20 + k, 1), 3 * g + k, 0, 0
FROM (SELECT number + 1 AS g FROM numbers($orders)) ARRAY JOIN [0, 1, 2] AS k"
echo "loaded in $(($(date -u +%s) - t0)) s"
# The latencies are "over N orders" only if both sides hold N (the join drops an order whose
# restaurant is missing from the mirror).
pg_n=$("${psql[@]}" -d "$db" -c "SELECT count(*) FROM orders")
ch_n=$("${ch[@]}" -q "SELECT count() FROM orders FINAL WHERE _is_deleted = 0")
if [ "$pg_n" != "$orders" ] || [ "$ch_n" != "$orders" ]; then
	echo "api bench FAILED: loaded $pg_n orders in PostgreSQL and $ch_n in ClickHouse, want $orders" >&2
	exit 1
fi

# A seal covers the changes ingested more than 2 minutes before it (internal/revenue).
sleep 125
bin/flavortrend seal -ch-database "$db"

bin/flavortrend api -addr "$addr" -pg-url "$url" -ch-database "$db" 2>"$logs/bench-api.log" &
api_pid=$!
for _ in $(seq 50); do curl -sf "http://$addr/healthz" >/dev/null && break; sleep 0.2; done
status=0
go run ./scripts/bench/apilat -api "http://$addr" -pg-url "$url" -requests "$requests" -order "$orders" || status=1

# The Grafana data source over the same data, through its compiled binary as Grafana drives it.
echo "== plugin: QueryData latency over $orders orders, and live record → frame"
go build -o "${FT_DATA_DIR:-.data}/bench-gpx_flavortrend" ./plugin/pkg
go run ./scripts/bench/pluginlat -binary "${FT_DATA_DIR:-.data}/bench-gpx_flavortrend" -ch-addr "127.0.0.1:$ch_port" \
	-ch-database "$db" -pg-url "$url" -kafka-brokers "127.0.0.1:${FT_KAFKA_PORT:-19092}" -order "$orders" \
	-requests "$requests" || status=1

# Peak memory under the widest reads: 20 clients ask at once for the heatmap, a replay, the
# recommendations and the operator actions of the last 31 days, with from alone; the API's
# peak RSS (VmHWM) is printed. The lists get more rows than their limit first: 50,000
# operator actions about Sfax and 100,000 recommendations over the 30 days.
echo "== api: peak RSS, 20 clients asking for the widest windows"
"${psql[@]}" -d "$db" -c "INSERT INTO operator_actions (at, actor, action, target, params, result)
SELECT to_timestamp($start + g * 51.84), 'bench', 'scenario.start', 'city:15', '{\"kind\": \"rain\"}', 'ok'
FROM generate_series(1, 50000) AS g"
"${ch[@]}" -q "INSERT INTO recommendations (id, city_id, kind, factor, duration_minutes, rationale, details, pressure,
	created_at, expires_at, _version, _is_deleted, _source_ts_ms)
SELECT concat('surge-', toString(1 + number % 24), '-', toString(number)), toInt32(1 + number % 24), 'surge', 1.5, 15,
	'high_demand', 'bench', 80, toDateTime(toUInt32($start + number * 25.92)), toDateTime(toUInt32($start + number * 25.92 + 900)),
	number, 0, 0 FROM numbers(100000)"
go run ./scripts/bench/apirss -api "http://$addr" -pid "$api_pid" -clients 20 -rounds "${FT_BENCH_API_RSS_ROUNDS:-3}" || status=1
exit $status
