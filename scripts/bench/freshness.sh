#!/usr/bin/env bash
# make bench, part 3: freshness through the whole pipeline at a steady change rate —
# PostgreSQL commit → Debezium → Kafka → flavortrend ingest → queryable in ClickHouse — with
# the ingester's flush interval at 1s, 500ms (the default) and 250ms (scripts/bench/freshness).
# Scratch databases flavortrend_fresh in PostgreSQL and ClickHouse; a connector, slot and
# topics of their own, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
rate=${FT_BENCH_FRESH_RATE:-5000}
secs=${FT_BENCH_FRESH_SECONDS:-60}
pg_port=${FT_PG_PORT:-15432}
ch_port=${FT_CH_PORT:-19000}
brokers=${FT_KAFKA_BROKERS:-127.0.0.1:${FT_KAFKA_PORT:-19092}}
connect_url=${FT_CONNECT_URL:-http://127.0.0.1:${FT_CONNECT_PORT:-18083}}
pg_bin=${FT_PG_BIN:-/usr/lib/postgresql/15/bin}
logs=${FT_DATA_DIR:-.data}/logs
db=flavortrend_fresh
url="postgres://flavortrend@127.0.0.1:$pg_port/$db?sslmode=disable"
psql=("$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U flavortrend -v ON_ERROR_STOP=1 -qtA)
run=fresh$(date +%s) # Connect keeps a connector's offsets: every run gets new names
cdc=(-connect-url "$connect_url" -connector "$run" -slot "$run" -publication "$run" -topic-prefix "$run" -pg-url "$url")

cleanup() {
	bin/flavortrend cdc delete "${cdc[@]}" >/dev/null 2>&1 || true
	for _ in $(seq 60); do # the slot is active until the task has stopped
		left=$("${psql[@]}" -d flavortrend -c "SELECT count(pg_drop_replication_slot(slot_name) IS NULL) FROM pg_replication_slots
			WHERE slot_name LIKE 'fresh%' AND NOT active" -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'fresh%'" | tail -n1)
		[ "$left" = 0 ] && break
		sleep 1
	done
	"${psql[@]}" -d flavortrend -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
	go run ./scripts/bench/freshness -kafka-brokers "$brokers" -delete-topics "$run" || true
}
trap cleanup EXIT

echo "== freshness: PostgreSQL commit → queryable in ClickHouse at $rate changes/s ($secs s per setting, $(nproc) cores)"
"${psql[@]}" -d flavortrend -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
"${psql[@]}" -d flavortrend -c "CREATE DATABASE $db"
bin/flavortrend migrate -target postgres -pg-url "$url" >/dev/null
bin/flavortrend seed -pg-url "$url" >/dev/null
bin/flavortrend cdc register "${cdc[@]}" -heartbeat 10s >/dev/null

for flush in 1s 500ms 250ms; do
	clickhouse-client --port "$ch_port" -q "DROP DATABASE IF EXISTS $db"
	bin/flavortrend migrate -target clickhouse -ch-database "$db" >/dev/null
	bin/flavortrend ingest -kafka-brokers "$brokers" -topic-prefix "$run" -group "$run-$flush" \
		-ch-database "$db" -flush-interval "$flush" 2>"$logs/bench-fresh-ingest.log" &
	ing=$!
	sleep 3 # the ingester joins its group and catches up with the snapshot
	printf 'flush interval %-6s ' "$flush:"
	go run ./scripts/bench/freshness -pg-url "$url" -ch-addr "127.0.0.1:$ch_port" -ch-database "$db" \
		-kafka-brokers "$brokers" -topic-prefix "$run" -rate "$rate" -duration "${secs}s"
	kill -INT "$ing"
	wait "$ing" || true
done
clickhouse-client --port "$ch_port" -q "DROP DATABASE IF EXISTS $db"
