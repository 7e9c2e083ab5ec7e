#!/usr/bin/env bash
# make bench, part 2: flavortrend ingest against ClickHouse's own Kafka table engine on the same
# change stream (scripts/bench/feed): events/s, the ratio, CPU-seconds per million events.
# Each side's clock stops when every order's last event is visible; then its result must be
# exact (every order at its last version, the deleted ones gone) or the bench fails, with no
# ratio printed.
set -euo pipefail
cd "$(dirname "$0")/../.."
events=${FT_BENCH_EVENTS:-2000000}
brokers=${FT_KAFKA_BROKERS:-127.0.0.1:${FT_KAFKA_PORT:-19092}}
ch_port=${FT_CH_PORT:-19000}
db=flavortrend_bench
chq() { clickhouse-client --port "$ch_port" -q "$1"; }
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # clock ticks (1/100 s)
ch_pid=$(cat "${FT_DATA_DIR:-.data}/run/clickhouse.pid")
keys=$((events / 4))
alive=$((keys - keys / 5))
# The feed gives event i (from 0) the LSN 1000000 + 56(i + 1), and its last 'keys' events are
# each order's last: those, and only those, have a version above last_lsn.
last_lsn=$((1000000 + 56 * 3 * keys))
# Not the server's InsertedRows: materialized views on the orders mirror, and anyone else's
# inserts, count there too. A key's newest version survives every merge.
finished() { chq "SELECT uniqExact(id) FROM $db.$1 WHERE _version > $last_lsn"; }
wait_finished() { # table, deadline (epoch s)
	until [ "$(finished "$1")" -ge "$keys" ]; do
		if [ "$(date +%s)" -gt "$2" ]; then
			echo "ingest bench FAILED: $1 shows the last event of $(finished "$1") of $keys orders after the time limit" >&2
			exit 1
		fi
		sleep 0.2
	done
}
check() { # table, label: fails the bench unless the table holds exactly the final state
	local rows stale
	rows=$(chq "SELECT count() FROM $db.$1 FINAL WHERE _is_deleted = 0")
	stale=$(chq "SELECT count() FROM $db.$1 FINAL WHERE _version <= $last_lsn")
	echo "$2: rows visible (FINAL, not deleted) $rows, want $alive; orders not at their last version $stale, want 0"
	if [ "$rows" != "$alive" ] || [ "$stale" != 0 ]; then
		echo "ingest bench FAILED: $2 does not hold the final state of the stream" >&2
		exit 1
	fi
}

ing=
stop() { # on any exit: nothing of the bench keeps consuming
	[ -n "$ing" ] && kill -INT "$ing" 2>/dev/null || true
	chq "DROP TABLE IF EXISTS $db.orders_engine_mv" || true
	chq "DROP TABLE IF EXISTS $db.orders_queue" || true
}
trap stop EXIT

echo "== ingest: flavortrend ingest vs ClickHouse Kafka engine ($events events, $keys orders, $(nproc) cores)"
go run ./scripts/bench/feed -kafka-brokers "$brokers" -events "$events" -prefix bench -flat-prefix benchflat
chq "DROP DATABASE IF EXISTS $db"
bin/flavortrend migrate -target clickhouse -ch-database "$db" >/dev/null

# Ours: full envelopes, decoded and applied (updates, deletes), offsets after inserts.
t0=$(date +%s.%N)
c0=$(cpu "$ch_pid")
bin/flavortrend ingest -kafka-brokers "$brokers" -topic-prefix bench -group "bench-$RANDOM$RANDOM" \
	-ch-database "$db" -batch-rows 200000 -flush-interval 1s 2>"${FT_DATA_DIR:-.data}/logs/bench-ingest.log" &
ing=$!
wait_finished orders $(($(date +%s) + 600))
t1=$(date +%s.%N)
ours_cpu=$(cpu "$ing")
c1=$(cpu "$ch_pid")
kill -INT "$ing"
wait "$ing" || true
ing=
check orders "flavortrend ingest"

# The peer: Kafka engine → materialized view → a table of the same shape, on the flattened stream.
chq "CREATE TABLE $db.orders_engine AS $db.orders"
chq "CREATE TABLE $db.orders_queue (id Int64, customer_id Int32, restaurant_id Int32, courier_id Nullable(Int32),
	city_id Int32, status String, placed_at String, accepted_at Nullable(String), picked_up_at Nullable(String),
	delivered_at Nullable(String), cancelled_at Nullable(String), cancel_reason Nullable(String), items_count Int32,
	subtotal String, delivery_fee String, total String, distance_km String, promised_minutes Int32, is_promo UInt8,
	drop_lat Float64, drop_lon Float64, trace_parent Nullable(String), __op String, __lsn UInt64,
	__source_ts_ms Int64, __deleted String)
	ENGINE = Kafka SETTINGS kafka_broker_list = '$brokers', kafka_topic_list = 'benchflat.public.orders',
	kafka_group_name = 'bench-engine-$RANDOM$RANDOM', kafka_format = 'JSONEachRow', kafka_num_consumers = 1"
t2=$(date +%s.%N)
c2=$(cpu "$ch_pid")
chq "CREATE MATERIALIZED VIEW $db.orders_engine_mv TO $db.orders_engine AS SELECT id, customer_id, restaurant_id,
	courier_id, city_id, status, parseDateTimeBestEffort(placed_at) AS placed_at,
	parseDateTimeBestEffort(accepted_at) AS accepted_at, parseDateTimeBestEffort(picked_up_at) AS picked_up_at,
	parseDateTimeBestEffort(delivered_at) AS delivered_at, parseDateTimeBestEffort(cancelled_at) AS cancelled_at,
	cancel_reason, items_count, CAST(subtotal AS Decimal(10, 3)) AS subtotal,
	CAST(delivery_fee AS Decimal(10, 3)) AS delivery_fee, CAST(total AS Decimal(10, 3)) AS total,
	CAST(distance_km AS Decimal(7, 3)) AS distance_km, promised_minutes, is_promo, drop_lat, drop_lon, trace_parent,
	__lsn AS _version, toUInt8(__deleted = 'true') AS _is_deleted, __source_ts_ms AS _source_ts_ms,
	now() AS _ingested_at
	FROM $db.orders_queue"
wait_finished orders_engine $(($(date +%s) + 600))
t3=$(date +%s.%N)
c3=$(cpu "$ch_pid")
chq "DROP TABLE $db.orders_engine_mv"
chq "DROP TABLE $db.orders_queue"
check orders_engine "kafka engine + MV"

awk -v n="$events" -v alive="$alive" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" \
	-v oc="$ours_cpu" -v c0="$c0" -v c1="$c1" -v c2="$c2" -v c3="$c3" 'BEGIN {
	ours = n / (t1 - t0); eng = n / (t3 - t2)
	printf "flavortrend ingest: %.0f events/s (%.1f s); CPU-s per million events: ingester %.2f + clickhouse %.2f\n", ours, t1 - t0, oc / 100 / (n / 1e6), (c1 - c0) / 100 / (n / 1e6)
	printf "kafka engine + MV:  %.0f events/s (%.1f s); CPU-s per million events: clickhouse %.2f\n", eng, t3 - t2, (c3 - c2) / 100 / (n / 1e6)
	printf "ratio: %.2fx the Kafka engine'"'"'s events/s\n", ours / eng
}'
