#!/usr/bin/env bash
# make bench, part 5: the enricher. (1) Throughput of its two stages with their transactions on:
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
db=flavortrend_enr
run_prefix=enr
source scripts/bench/scratch.sh

echo "== enrich: throughput and commit → prediction latency ($(nproc) cores)"
scratch_setup

bin/flavortrend generate -load -workers 2 -orders "$orders" -pg-url "$url" >/dev/null
n=$("${psql[@]}" -d "$db" -c "SELECT count(*) FROM orders")
go run ./scripts/bench/enrichrate -kafka-brokers "$brokers" -topic-prefix "$run" -orders "$n" \
	-ch-addr "127.0.0.1:$ch_port" -ch-database "$db" ${FT_BENCH_ENRICH_PROFILE:+-cpuprofile "$FT_BENCH_ENRICH_PROFILE"}
# Again with a span per order change recorded (the cost of tracing every order).
go run ./scripts/bench/enrichrate -kafka-brokers "$brokers" -topic-prefix "$run" -orders "$n" \
	-ch-addr "127.0.0.1:$ch_port" -ch-database "$db" -trace
[ -n "${FT_BENCH_ENRICH_ONLY_RATE:-}" ] && exit 0

# Latency: the pipeline of make run on the scratch database, derived topics under <run>.derived.
bin/flavortrend enrich -kafka-brokers "$brokers" -topic-prefix "$run" -derived-prefix "${run}.derived." -group "$run-enrich" \
	-instance bench -ch-addr "127.0.0.1:$ch_port" -ch-database "$db" 2>"$logs/bench-enrich.log" &
pids+=($!)
bin/flavortrend ingest -kafka-brokers "$brokers" -topic-prefix "$run" -derived-prefix "${run}.derived." -group "$run-ingest" \
	-ch-addr "127.0.0.1:$ch_port" -ch-database "$db" 2>"$logs/bench-enrich-ingest.log" &
pids+=($!)
# Wait until both have caught up with the load above (the enricher is fresh: it works through it again).
until [ "$(clickhouse-client --port "$ch_port" -q "SELECT count() FROM $db.eta_predictions")" -ge "$n" ]; do sleep 2; done
for rate in 0.25 1000; do
	printf 'at %-5s orders/s: ' "$rate"
	go run ./scripts/bench/freshness -predictions -pg-url "$url" -ch-addr "127.0.0.1:$ch_port" -ch-database "$db" \
		-rate "$rate" -duration "${secs}s"
done
