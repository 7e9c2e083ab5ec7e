#!/usr/bin/env bash
# make bench, part 4: freshness through the whole pipeline at a steady change rate —
# PostgreSQL commit → Debezium → Kafka → flavortrend ingest → queryable in ClickHouse — with
# the ingester's flush interval at 1s, 500ms (the default) and 250ms (scripts/bench/freshness).
# Scratch databases flavortrend_fresh in PostgreSQL and ClickHouse; a connector, slot and
# topics of their own, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
rate=${FT_BENCH_FRESH_RATE:-5000}
secs=${FT_BENCH_FRESH_SECONDS:-60}
db=flavortrend_fresh
run_prefix=fresh
source scripts/bench/scratch.sh

echo "== freshness: PostgreSQL commit → queryable in ClickHouse at $rate changes/s ($secs s per setting, $(nproc) cores)"
scratch_setup

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
