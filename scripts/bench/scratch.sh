# Sourced by the make bench parts that need a pipeline of their own: a scratch PostgreSQL
# database seeded like production, a connector, slot and topics named after the run (Connect
# keeps a connector's offsets, so every run gets new names), and a cleanup that removes them.
# Set db (the scratch database name) and run_prefix before sourcing; call scratch_setup.
pg_port=${FT_PG_PORT:-15432}
ch_port=${FT_CH_PORT:-19000}
brokers=${FT_KAFKA_BROKERS:-127.0.0.1:${FT_KAFKA_PORT:-19092}}
connect_url=${FT_CONNECT_URL:-http://127.0.0.1:${FT_CONNECT_PORT:-18083}}
pg_bin=${FT_PG_BIN:-/usr/lib/postgresql/15/bin}
logs=${FT_DATA_DIR:-.data}/logs
url="postgres://flavortrend@127.0.0.1:$pg_port/$db?sslmode=disable"
psql=("$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U flavortrend -v ON_ERROR_STOP=1 -qtA)
run=$run_prefix$(date +%s)
cdc=(-connect-url "$connect_url" -connector "$run" -slot "$run" -publication "$run" -topic-prefix "$run" -pg-url "$url")
pids=() # background processes to stop first

scratch_cleanup() {
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	bin/flavortrend cdc delete "${cdc[@]}" >/dev/null 2>&1 || true
	for _ in $(seq 60); do # the slot is active until the task has stopped
		left=$("${psql[@]}" -d flavortrend -c "SELECT count(pg_drop_replication_slot(slot_name) IS NULL) FROM pg_replication_slots
			WHERE slot_name = '$run' AND NOT active" -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$run'" | tail -n1)
		[ "$left" = 0 ] && break
		sleep 1
	done
	"${psql[@]}" -d flavortrend -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
	clickhouse-client --port "$ch_port" -q "DROP DATABASE IF EXISTS $db" || true
	go run ./scripts/bench/freshness -kafka-brokers "$brokers" -delete-topics "$run" || true
}

# scratch_setup creates and seeds the databases and registers the connector.
scratch_setup() {
	trap scratch_cleanup EXIT
	"${psql[@]}" -d flavortrend -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
	bin/flavortrend migrate -target postgres -pg-url "$url" >/dev/null
	bin/flavortrend seed -pg-url "$url" >/dev/null
	clickhouse-client --port "$ch_port" -q "DROP DATABASE IF EXISTS $db"
	bin/flavortrend migrate -target clickhouse -ch-database "$db" >/dev/null
	bin/flavortrend cdc register "${cdc[@]}" >/dev/null
}
