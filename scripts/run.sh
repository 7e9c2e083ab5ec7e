#!/usr/bin/env bash
# make run: start the local stack, prepare the databases, register CDC, then run the
# simulator, the enricher, the ingester, the API and the health monitor and show what flows through Kafka until
# Ctrl-C. The services keep running afterwards (make stop stops them, make reset wipes them).
# The API's write token is FT_API_TOKENS when set, else a local one kept in the data dir.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=bin/flavortrend
logs=${FT_DATA_DIR:-.data}/logs

bash scripts/services.sh start
$bin migrate
$bin seed
$bin cdc register

mkdir -p "$logs"
token_file=${FT_DATA_DIR:-.data}/api-token
if [ -z "${FT_API_TOKENS:-}" ]; then
	[ -s "$token_file" ] || (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$token_file")
	FT_API_TOKENS="local=$(cat "$token_file")"
	export FT_API_TOKENS
fi
# Each process serves its metrics on loopback (docs/telemetry.md); status -serve exports the
# pipeline's health gauges (docs/status.md).
$bin api -metrics-addr 127.0.0.1:9464 >"$logs/api.log" 2>&1 &
api=$!
$bin ingest -metrics-addr 127.0.0.1:9465 >"$logs/ingest.log" 2>&1 &
ing=$!
$bin enrich -metrics-addr 127.0.0.1:9466 >"$logs/enrich.log" 2>&1 &
enr=$!
$bin generate -metrics-addr 127.0.0.1:9467 >"$logs/generate.log" 2>&1 &
gen=$!
$bin status -serve -metrics-addr 127.0.0.1:9468 >"$logs/status.log" 2>&1 &
sta=$!
stop() {
	trap - INT TERM EXIT
	kill -INT "$gen" "$enr" "$ing" "$api" "$sta" 2>/dev/null || true
	wait "$gen" "$enr" "$ing" "$api" "$sta" 2>/dev/null || true
	echo
	echo "simulator, enricher, ingester, API and health monitor stopped; services still running (make status, make stop, make reset)"
}
trap stop INT TERM EXIT
echo "simulator, enricher, ingester, API and health monitor running (logs: $logs/generate.log, $logs/enrich.log, $logs/ingest.log, $logs/api.log, $logs/status.log); Ctrl-C stops"
echo "API: http://127.0.0.1:8080/docs (bearer token for writes: the contents of $token_file, unless FT_API_TOKENS is set)"
echo "metrics: http://127.0.0.1:9464/metrics (api), :9465 (ingest), :9466 (enrich), :9467 (generate), :9468 (pipeline health); bin/flavortrend status -watch 5s in another terminal shows the health"
$bin watch || true
