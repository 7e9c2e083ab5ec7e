#!/usr/bin/env bash
# make bench, part 5: the enricher. (1) Throughput of the order stage with its transactions on:
# 100k orders written by the simulator's load mode and captured by Debezium, then worked
# through by a fresh enricher (scripts/bench/enrichrate). (2) Latency from an order's commit in
# PostgreSQL to its prediction row in ClickHouse, through Debezium, flavortrend enrich and
# flavortrend ingest, at the simulator's default pace and at 1,000 orders/s
# (scripts/bench/freshness -predictions). Scratch databases flavortrend_enr; a connector, slot
# and topics of their own, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
orders=${FT_BENCH_ENRICH_ORDERS:-100000}
secs=${FT_BENCH_ENRICH_SECONDS:-60}
pg_port=${FT_PG_PORT:-15432}
ch_port=${FT_CH_PORT:-19000}
brokers=${FT_KAFKA_BROKERS:-127.0.0.1:${FT_KAFKA_PORT:-19092}}
connect_url=${FT_CONNECT_URL:-http://127.0.0.1:${FT_CONNECT_PORT:-18083}}
pg_bin=${FT_PG_BIN:-/usr/lib/postgresql/15/bin}
logs=${FT_DATA_DIR:-.data}/logs
db=flavortrend_enr
url="postgres://flavortrend@127.0.0.1:$pg_port/$db?sslmode=disable"
psql=("$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U flavortrend -v ON_ERROR_STOP=1 -qtA)
run=enr$(date +%s)
cdc=(-connect-url "$connect_url" -connector "$run" -slot "$run" -publication "$run" -topic-prefix "$run" -pg-url "$url")
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	bin/flavortrend cdc delete "${cdc[@]}" >/dev/null 2>&1 || true
	for _ in $(seq 60); do
		left=$("${psql[@]}" -d flavortrend -c "SELECT count(pg_drop_replication_slot(slot_name) IS NULL) FROM pg_replication_slots
			WHERE slot_name = '$run' AND NOT active" -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$run'" | tail -n1)
		[ "$left" = 0 ] && break
		sleep 1
	done
	"${psql[@]}" -d flavortrend -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
	clickhouse-client --port "$ch_port" -q "DROP DATABASE IF EXISTS $db" || true
	go run ./scripts/bench/freshness -kafka-brokers "$brokers" -delete-topics "$run" || true
	go run ./scripts/bench/freshness -kafka-brokers "$brokers" -delete-topics "${run}x" || true
}
trap cleanup EXIT

echo "== enrich: order stage throughput and commit → prediction latency ($(nproc) cores)"
"${psql[@]}" -d flavortrend -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
bin/flavortrend migrate -target postgres -pg-url "$url" >/dev/null
bin/flavortrend seed -pg-url "$url" >/dev/null
clickhouse-client --port "$ch_port" -q "DROP DATABASE IF EXISTS $db"
bin/flavortrend migrate -target clickhouse -ch-database "$db" >/dev/null
bin/flavortrend cdc register "${cdc[@]}" >/dev/null

bin/flavortrend generate -load -workers 2 -orders "$orders" -pg-url "$url" >/dev/null
n=$("${psql[@]}" -d "$db" -c "SELECT count(*) FROM orders")
go run ./scripts/bench/enrichrate -kafka-brokers "$brokers" -topic-prefix "$run" -orders "$n" \
	-ch-addr "127.0.0.1:$ch_port" -ch-database "$db" ${FT_BENCH_ENRICH_PROFILE:+-cpuprofile "$FT_BENCH_ENRICH_PROFILE"}
[ -n "${FT_BENCH_ENRICH_ONLY_RATE:-}" ] && exit 0

# Latency: the pipeline of make run on the scratch database, derived topics under <run>x.
bin/flavortrend enrich -kafka-brokers "$brokers" -topic-prefix "$run" -derived-prefix "${run}x." -group "$run-enrich" \
	-instance bench -ch-addr "127.0.0.1:$ch_port" -ch-database "$db" 2>"$logs/bench-enrich.log" &
pids+=($!)
bin/flavortrend ingest -kafka-brokers "$brokers" -topic-prefix "$run" -derived-prefix "${run}x." -group "$run-ingest" \
	-ch-addr "127.0.0.1:$ch_port" -ch-database "$db" 2>"$logs/bench-enrich-ingest.log" &
pids+=($!)
# Wait until both have caught up with the load above (the enricher is fresh: it works through it again).
until [ "$(clickhouse-client --port "$ch_port" -q "SELECT count() FROM $db.eta_predictions")" -ge "$n" ]; do sleep 2; done
for rate in 0.25 1000; do
	printf 'at %-5s orders/s: ' "$rate"
	go run ./scripts/bench/freshness -predictions -pg-url "$url" -ch-addr "127.0.0.1:$ch_port" -ch-database "$db" \
		-rate "$rate" -duration "${secs}s"
done
