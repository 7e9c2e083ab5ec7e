#!/usr/bin/env bash
# make bench: measurements, not tests. Each prints absolute numbers and a ratio against a peer
# run in the same command on the same machine; docs/benchmarks.md records the results. Each
# stops its clock on its own result and checks that result: a part whose check fails exits
# non-zero without printing its ratio, and make bench stops there.
#
# 1. Simulator load mode (flavortrend generate -load) vs row-at-a-time writes of the same
#    orders and lifecycle (pgbench, scripts/bench/row_at_a_time.sql), both with 2 connections
#    and synchronous_commit=off, into a scratch database flavortrend_bench.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FT_BENCH_SECONDS:-30}
port=${FT_PG_PORT:-15432}
pg_bin=${FT_PG_BIN:-/usr/lib/postgresql/15/bin}
db=flavortrend_bench
url="postgres://flavortrend@127.0.0.1:$port/$db?sslmode=disable"
psql=("$pg_bin/psql" -h 127.0.0.1 -p "$port" -U flavortrend -v ON_ERROR_STOP=1 -qtA)

echo "== simulator load mode vs row-at-a-time inserts ($secs s each, 2 connections, $(nproc) cores)"
"${psql[@]}" -d flavortrend -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
bin/flavortrend migrate -target postgres -pg-url "$url" >/dev/null
bin/flavortrend seed -pg-url "$url" >/dev/null

ours=$(bin/flavortrend generate -load -workers 2 -duration "${secs}s" -pg-url "$url" | tail -n1)
echo "flavortrend generate -load: $ours"
ours_rate=$(sed -E 's/.*: ([0-9.]+) orders\/s.*/\1/' <<<"$ours")
# A rate counts only if the orders it claims are in the database (the scratch one had none).
ours_n=$(sed -E 's/^load: ([0-9]+) orders.*/\1/' <<<"$ours")
db_n=$("${psql[@]}" -d "$db" -c "SELECT count(*) FROM orders")
if [ "$db_n" != "$ours_n" ]; then
	echo "bench FAILED: load mode reported $ours_n orders, the database holds $db_n" >&2
	exit 1
fi

"${psql[@]}" -d "$db" -c "CREATE SEQUENCE bench_ids START $(("$("${psql[@]}" -d "$db" -c 'SELECT coalesce(max(id),0) FROM order_items')" + 1000000000))"
pgb=$(PGOPTIONS='-c synchronous_commit=off' "$pg_bin/pgbench" -h 127.0.0.1 -p "$port" -U flavortrend -n -c 2 -j 2 -T "$secs" \
	-f scripts/bench/row_at_a_time.sql "$db" 2>&1)
peer_rate=$(grep -E '^tps' <<<"$pgb" | head -n1 | sed -E 's/^tps = ([0-9.]+).*/\1/')
# Likewise: every run pgbench counts is an order in the database, and none failed.
peer_n=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' <<<"$pgb")
peer_failed=$(sed -nE 's/^number of failed transactions: ([0-9]+).*/\1/p' <<<"$pgb")
db_n=$("${psql[@]}" -d "$db" -c "SELECT count(*) FROM orders")
if [ -z "$peer_rate" ] || [ "${peer_failed:-0}" != 0 ] || [ "$((db_n - ours_n))" != "$peer_n" ]; then
	echo "bench FAILED: pgbench reported ${peer_n:-?} orders (${peer_failed:-?} failed), the database gained $((db_n - ours_n))" >&2
	exit 1
fi
echo "row-at-a-time (pgbench):    $peer_rate orders/s"
awk -v a="$ours_rate" -v b="$peer_rate" 'BEGIN { printf "ratio: load mode writes %.1f× the orders/s of row-at-a-time\n", a / b }'
"${psql[@]}" -d flavortrend -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
bash scripts/bench/ingest.sh
bash scripts/bench/dedup.sh
bash scripts/bench/freshness.sh
bash scripts/bench/enrich.sh
bash scripts/bench/api.sh
