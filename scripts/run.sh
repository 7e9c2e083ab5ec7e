#!/usr/bin/env bash
# make run: start the local stack, prepare the databases, register CDC, then run the
# simulator, the enricher and the ingester and show what flows through Kafka until Ctrl-C. The services keep running
# afterwards (make stop stops them, make reset wipes them).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=bin/flavortrend
logs=${FT_DATA_DIR:-.data}/logs

bash scripts/services.sh start
$bin migrate
$bin seed
$bin cdc register

mkdir -p "$logs"
$bin ingest >"$logs/ingest.log" 2>&1 &
ing=$!
$bin enrich >"$logs/enrich.log" 2>&1 &
enr=$!
$bin generate >"$logs/generate.log" 2>&1 &
gen=$!
stop() {
	trap - INT TERM EXIT
	kill -INT "$gen" "$enr" "$ing" 2>/dev/null || true
	wait "$gen" "$enr" "$ing" 2>/dev/null || true
	echo
	echo "simulator, enricher and ingester stopped; services still running (make status, make stop, make reset)"
}
trap stop INT TERM EXIT
echo "simulator, enricher and ingester running (logs: $logs/generate.log, $logs/enrich.log, $logs/ingest.log); Ctrl-C stops"
$bin watch || true
