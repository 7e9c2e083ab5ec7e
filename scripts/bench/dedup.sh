#!/usr/bin/env bash
# make bench, part 3: the two read patterns that show each mirrored row once (docs/clickhouse.md),
# FINAL against argMax over one tuple. The table: the 500k orders that part 2 (ingest.sh) left
# in flavortrend_bench, written again as four versions each (the last a delete for one in
# five), in four parts that are not merged — the state a mirror is in between merges — and
# then merged into one. Median of 5 runs of each query, as the server times it.
set -euo pipefail
cd "$(dirname "$0")/../.."
ch_port=${FT_CH_PORT:-19000}
db=flavortrend_bench
runs=5

# median_ms QUERY: the median elapsed time of QUERY over $runs runs, in ms.
median_ms() {
	for _ in $(seq "$runs"); do
		clickhouse-client --port "$ch_port" --time --format Null -q "$1" 2>&1 >/dev/null | tail -n1
	done | sort -n | awk '{ v[NR] = $1 } END { printf "%.0f", v[int((NR + 1) / 2)] * 1000 }'
}

# compare NAME FINAL_QUERY ARGMAX_QUERY: both must return the same rows; print the medians.
compare() {
	local a b
	a=$(clickhouse-client --port "$ch_port" -q "$2" | md5sum)
	b=$(clickhouse-client --port "$ch_port" -q "$3" | md5sum)
	if [ "$a" != "$b" ]; then
		echo "$1: FINAL and argMax disagree" >&2
		exit 1
	fi
	local f m
	f=$(median_ms "$2")
	m=$(median_ms "$3")
	awk -v n="$1" -v f="$f" -v m="$m" 'BEGIN { printf "%-34s FINAL %6d ms   argMax(tuple) %6d ms   argMax/FINAL %.1fx\n", n, f, m, m / (f > 0 ? f : 1) }'
}

chq() { clickhouse-client --port "$ch_port" -q "$1"; }
t=$db.dedup_orders
chq "DROP TABLE IF EXISTS $t"
chq "CREATE TABLE $t AS $db.orders"
chq "SYSTEM STOP MERGES $t"
cols=$(chq "SELECT arrayStringConcat(groupArray(name), ', ') FROM system.columns WHERE database = '$db' AND table = 'orders'
	AND name NOT IN ('status', '_version', '_is_deleted')")
statuses=(placed accepted picked_up delivered)
for v in 1 2 3 4; do
	chq "INSERT INTO $t ($cols, status, _version, _is_deleted) SELECT $cols, '${statuses[v - 1]}', $v,
		toUInt8($v = 4 AND id % 5 = 0) FROM $db.orders FINAL"
done

run() {
	local versions parts
	versions=$(chq "SELECT count() FROM $t")
	parts=$(chq "SELECT count() FROM system.parts WHERE database = '$db' AND table = 'dedup_orders' AND active")
	echo "-- $versions row versions in $parts parts"
	# A filter on a non-key column goes outside the argMax: a delete's version carries defaults.
	compare "count and revenue of live orders" \
		"SELECT count(), sum(total) FROM $t FINAL WHERE _is_deleted = 0" \
		"SELECT count(), sum(t.2) FROM (SELECT argMax(tuple(_is_deleted, total), _version) AS t FROM $t GROUP BY id) WHERE t.1 = 0"
	compare "live orders by status in one city" \
		"SELECT status, count() FROM $t FINAL WHERE _is_deleted = 0 AND city_id = 3 GROUP BY status ORDER BY status" \
		"SELECT t.2 AS status, count() FROM (SELECT argMax(tuple(_is_deleted, status, city_id), _version) AS t FROM $t GROUP BY id)
			WHERE t.1 = 0 AND t.3 = 3 GROUP BY status ORDER BY status"
	compare "one order by id" \
		"SELECT id, status, total FROM $t FINAL WHERE id = 123457 AND _is_deleted = 0" \
		"SELECT id, t.2, t.3 FROM (SELECT id, argMax(tuple(_is_deleted, status, total), _version) AS t FROM $t WHERE id = 123457 GROUP BY id) WHERE t.1 = 0"
}
echo "== read patterns, FINAL against argMax(tuple) ($(nproc) cores, ClickHouse $(chq 'SELECT version()'))"
run
chq "SYSTEM START MERGES $t"
chq "OPTIMIZE TABLE $t FINAL"
run
chq "DROP TABLE $t"
