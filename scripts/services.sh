#!/usr/bin/env bash
# Local services of the Flavor Trend pipeline: install, start, check, stop and reset
# PostgreSQL 15 and ClickHouse (Debian packages), and Apache Kafka (KRaft) plus Kafka Connect
# with the Debezium PostgreSQL connector (jars from Maven Central, run on the JDK).
#
# Every action is idempotent. Data, logs and downloaded jars live under FT_DATA_DIR
# (default: <repo>/.data, ignored by git).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

DATA=${FT_DATA_DIR:-$repo/.data}
PG_PORT=${FT_PG_PORT:-15432}
CH_PORT=${FT_CH_PORT:-19000}
CH_HTTP_PORT=${FT_CH_HTTP_PORT:-18123}
KAFKA_PORT=${FT_KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${FT_KAFKA_CONTROLLER_PORT:-19093}
CONNECT_PORT=${FT_CONNECT_PORT:-18083}
KAFKA_VERSION=${FT_KAFKA_VERSION:-4.3.1}
DEBEZIUM_VERSION=${FT_DEBEZIUM_VERSION:-3.6.1.Final}
KAFKA_HEAP=${FT_KAFKA_HEAP:-768m}
CONNECT_HEAP=${FT_CONNECT_HEAP:-768m}
PG_BIN=${FT_PG_BIN:-/usr/lib/postgresql/15/bin}
SERVICES=(postgres clickhouse kafka connect)

LOGS=$DATA/logs
RUN=$DATA/run

usage() {
	cat <<EOF
usage: scripts/services.sh <action> [service...]

actions:
  install   install what is missing (apt packages, Maven jars); no service started
  start     install if needed, then start and wait until ready (idempotent)
  stop      stop (idempotent)
  status    one line per service: up/down, port, pid
  reset     stop and delete the service's data (asks nothing: use with care)
  logs      print the last lines of each service's log
  env       print the connection settings as FT_* variables

services: ${SERVICES[*]} (default: all, started in that order, stopped in reverse)

settings (environment):
  FT_DATA_DIR=$DATA
  FT_PG_PORT=$PG_PORT  FT_CH_PORT=$CH_PORT  FT_CH_HTTP_PORT=$CH_HTTP_PORT
  FT_KAFKA_PORT=$KAFKA_PORT  FT_KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT  FT_CONNECT_PORT=$CONNECT_PORT
  FT_KAFKA_VERSION=$KAFKA_VERSION  FT_DEBEZIUM_VERSION=$DEBEZIUM_VERSION
  FT_KAFKA_HEAP=$KAFKA_HEAP  FT_CONNECT_HEAP=$CONNECT_HEAP  FT_PG_BIN=$PG_BIN
EOF
}

say() { printf '%-10s %s\n' "$1" "$2"; }
die() {
	printf 'services: %s\n' "$*" >&2
	exit 1
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pid_alive FILE: the pid recorded in FILE is a running process.
pid_alive() { [ -s "$1" ] && kill -0 "$(head -n1 "$1")" 2>/dev/null; }

# check_port SERVICE PORT VAR: fail clearly when another process holds a port we need.
check_port() {
	if port_open "$2"; then
		die "$1: port $2 is taken by another process (set $3 to use another port; 'ss -ltnp' shows who holds it)"
	fi
}

# wait_for SERVICE SECONDS LOG COMMAND...: poll COMMAND until it succeeds.
wait_for() {
	local name=$1 secs=$2 log=$3
	shift 3
	local i
	for ((i = 0; i < secs * 4; i++)); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.25
	done
	echo "--- last lines of $log" >&2
	tail -n 30 "$log" >&2 || true
	die "$name: not ready after ${secs}s (log: $log)"
}

apt_install() {
	local missing=("$@")
	say install "apt-get install ${missing[*]}"
	local sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	if [ ! -f "$DATA/.apt-updated" ]; then
		$sudo apt-get update -qq >"$LOGS/apt.log" 2>&1 || die "apt-get update failed (log: $LOGS/apt.log)"
		touch "$DATA/.apt-updated"
	fi
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$LOGS/apt.log" 2>&1 ||
		die "apt-get install ${missing[*]} failed (log: $LOGS/apt.log)"
}

# ---------------------------------------------------------------- PostgreSQL

pg_home=$DATA/postgres
pg_log=$LOGS/postgres.log
# As root, PostgreSQL runs as the postgres user, which must reach its data directory. When the
# checkout sits below a directory closed to other users (e.g. /root), keep the cluster under
# /var/lib/flavortrend instead, one directory per checkout.
if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 && ! runuser -u postgres -- test -x "$(dirname "$DATA")"; then
	pg_home=/var/lib/flavortrend/$(printf '%s' "$DATA" | sha256sum | cut -c1-12)/postgres
	pg_log=$pg_home/postgres.log
fi
pg_data=$pg_home/data
pg_run=$pg_home/run

# pg_as CMD...: PostgreSQL refuses to run as root; run its tools as the postgres user then.
pg_as() {
	if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

install_postgres() {
	[ -x "$PG_BIN/postgres" ] || apt_install postgresql-15
	[ -x "$PG_BIN/postgres" ] || die "postgres: $PG_BIN/postgres missing after install"
}

start_postgres() {
	install_postgres
	if [ -f "$pg_data/postmaster.pid" ] && pg_as "$PG_BIN/pg_ctl" -D "$pg_data" status >/dev/null 2>&1; then
		say postgres "already up on 127.0.0.1:$PG_PORT"
		return
	fi
	check_port postgres "$PG_PORT" FT_PG_PORT
	mkdir -p "$pg_run" "$LOGS"
	touch "$pg_log"
	if [ "$(id -u)" = 0 ]; then chown -R postgres "$pg_home" "$pg_log"; fi
	if [ ! -f "$pg_data/PG_VERSION" ]; then
		say postgres "initdb $pg_data"
		pg_as "$PG_BIN/initdb" -D "$pg_data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >>"$pg_log" 2>&1 ||
			die "postgres: initdb failed (log: $pg_log)"
		cat >>"$pg_data/postgresql.conf" <<EOF

# Flavor Trend local cluster
listen_addresses = '127.0.0.1'
unix_socket_directories = '$pg_run'
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
max_slot_wal_keep_size = 4GB
shared_buffers = 256MB
max_connections = 200
timezone = 'UTC'
# Write-heavy: fewer checkpoints (and full-page writes) under the simulator's load mode.
max_wal_size = 4GB
checkpoint_timeout = 15min
EOF
		# Loopback only, no passwords: a development cluster, never exposed.
		cat >"$pg_data/pg_hba.conf" <<EOF
local   all          all                  trust
host    all          all    127.0.0.1/32  trust
host    replication  all    127.0.0.1/32  trust
EOF
	fi
	pg_as "$PG_BIN/pg_ctl" -D "$pg_data" -l "$pg_log" -o "-p $PG_PORT" -w -t 60 start >/dev/null ||
		die "postgres: failed to start (log: $pg_log)"
	local psql=("$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
	if [ "$("${psql[@]}" -c "select 1 from pg_roles where rolname='flavortrend'")" != 1 ]; then
		"${psql[@]}" -c "create role flavortrend login replication createdb" >/dev/null
	fi
	if [ "$("${psql[@]}" -c "select 1 from pg_database where datname='flavortrend'")" != 1 ]; then
		"${psql[@]}" -c "create database flavortrend owner flavortrend" >/dev/null
	fi
	say postgres "up on 127.0.0.1:$PG_PORT (postgres://flavortrend@127.0.0.1:$PG_PORT/flavortrend)"
}

stop_postgres() {
	if [ -f "$pg_data/postmaster.pid" ]; then
		pg_as "$PG_BIN/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null 2>&1 || true
	fi
	say postgres stopped
}

status_postgres() {
	if [ -f "$pg_data/postmaster.pid" ] && port_open "$PG_PORT"; then
		say postgres "up   127.0.0.1:$PG_PORT pid $(head -n1 "$pg_data/postmaster.pid")"
	else
		say postgres "down (port $PG_PORT)"
		return 1
	fi
}

# ---------------------------------------------------------------- ClickHouse

ch_dir=$DATA/clickhouse
ch_log=$LOGS/clickhouse.log
ch_pid=$RUN/clickhouse.pid

install_clickhouse() {
	command -v clickhouse-server >/dev/null && command -v clickhouse-client >/dev/null ||
		apt_install clickhouse-server clickhouse-client
	command -v clickhouse-server >/dev/null || die "clickhouse: clickhouse-server missing after install"
}

write_clickhouse_config() {
	mkdir -p "$ch_dir/db/tmp" "$ch_dir/db/user_files" "$ch_dir/db/format_schemas" "$LOGS" "$RUN"
	cat >"$ch_dir/config.xml" <<EOF
<?xml version="1.0"?>
<!-- Generated by scripts/services.sh: the local ClickHouse of Flavor Trend. -->
<yandex>
    <logger>
        <level>information</level>
        <log>$ch_log</log>
        <errorlog>$LOGS/clickhouse.err.log</errorlog>
        <size>100M</size>
        <count>3</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>$CH_PORT</tcp_port>
    <http_port>$CH_HTTP_PORT</http_port>
    <max_connections>1024</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>1073741824</uncompressed_cache_size>
    <mark_cache_size>1073741824</mark_cache_size>
    <path>$ch_dir/db/</path>
    <tmp_path>$ch_dir/db/tmp/</tmp_path>
    <user_files_path>$ch_dir/db/user_files/</user_files_path>
    <format_schema_path>$ch_dir/db/format_schemas/</format_schema_path>
    <users_config>$ch_dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
    <kafka>
        <auto_offset_reset>smallest</auto_offset_reset>
    </kafka>
</yandex>
EOF
	# Debian's 18.16 resolves max_threads to 1 on this kind of machine: set it (PLATFORM-NOTES).
	cat >"$ch_dir/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_threads>2</max_threads>
            <max_memory_usage>6000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
EOF
}

ch_ping() { curl -sf "http://127.0.0.1:$CH_HTTP_PORT/ping" && port_open "$CH_PORT"; }

start_clickhouse() {
	install_clickhouse
	if pid_alive "$ch_pid" && ch_ping >/dev/null; then
		say clickhouse "already up on 127.0.0.1:$CH_PORT"
		return
	fi
	check_port clickhouse "$CH_PORT" FT_CH_PORT
	check_port clickhouse "$CH_HTTP_PORT" FT_CH_HTTP_PORT
	write_clickhouse_config
	(cd "$ch_dir" && exec clickhouse-server --config-file="$ch_dir/config.xml" </dev/null >>"$LOGS/clickhouse.stdout.log" 2>&1) &
	echo $! >"$ch_pid"
	wait_for clickhouse 60 "$LOGS/clickhouse.err.log" ch_ping
	say clickhouse "up on 127.0.0.1:$CH_PORT (http $CH_HTTP_PORT)"
}

# stop_pid NAME PIDFILE: TERM, wait up to 30 s, then KILL.
stop_pid() {
	local name=$1 file=$2 pid i
	if pid_alive "$file"; then
		pid=$(head -n1 "$file")
		kill "$pid" 2>/dev/null || true
		for ((i = 0; i < 120; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.25
		done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$file"
	say "$name" stopped
}

stop_clickhouse() { stop_pid clickhouse "$ch_pid"; }

status_clickhouse() {
	if pid_alive "$ch_pid" && ch_ping >/dev/null; then
		say clickhouse "up   127.0.0.1:$CH_PORT http $CH_HTTP_PORT pid $(head -n1 "$ch_pid")"
	else
		say clickhouse "down (port $CH_PORT)"
		return 1
	fi
}

# ---------------------------------------------------------------- Kafka (KRaft) and Connect

jars=$DATA/jars
kafka_lib=$jars/kafka-$KAFKA_VERSION
plugins=$jars/connect-plugins
debezium_dir=$plugins/debezium-connector-postgres-$DEBEZIUM_VERSION
kafka_dir=$DATA/kafka
kafka_log=$LOGS/kafka.log
kafka_pid=$RUN/kafka.pid
connect_dir=$DATA/connect
connect_log=$LOGS/connect.log
connect_pid=$RUN/connect.pid

mvn_run() {
	mvn -B -q -Dmaven.repo.local="$jars/m2" "$@" >>"$LOGS/maven.log" 2>&1
}

install_jdk() {
	local need=()
	command -v java >/dev/null || need+=(openjdk-17-jre-headless)
	command -v mvn >/dev/null || need+=(maven)
	[ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"
}

install_kafka() {
	install_jdk
	[ -f "$kafka_lib/.complete" ] && return
	say kafka "resolving Kafka $KAFKA_VERSION jars from Maven Central"
	mkdir -p "$kafka_lib" "$LOGS"
	FT_KAFKA_VERSION=$KAFKA_VERSION mvn_run -f "$here/maven/kafka-pom.xml" dependency:copy-dependencies \
		-DoutputDirectory="$kafka_lib" -DincludeScope=runtime ||
		die "kafka: resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION failed (log: $LOGS/maven.log)"
	touch "$kafka_lib/.complete"
}

install_connect() {
	install_kafka
	[ -f "$debezium_dir/.complete" ] && return
	say connect "resolving Debezium $DEBEZIUM_VERSION connector from Maven Central"
	rm -rf "$debezium_dir.tmp" && mkdir -p "$debezium_dir.tmp"
	# Run from the jars directory: the unpack goal, run without a project, writes its markers
	# under a literal "${project.basedir}" in the working directory.
	(cd "$jars" && mvn_run dependency:unpack \
		-Dartifact="io.debezium:debezium-connector-postgres:$DEBEZIUM_VERSION:tar.gz:plugin" \
		-DoutputDirectory="$debezium_dir.tmp" -DmarkersDirectory="$jars/markers") ||
		die "connect: resolving io.debezium:debezium-connector-postgres:$DEBEZIUM_VERSION failed (log: $LOGS/maven.log)"
	rm -rf "$debezium_dir" && mkdir -p "$plugins"
	mv "$debezium_dir.tmp/debezium-connector-postgres" "$debezium_dir"
	rm -rf "$debezium_dir.tmp"
	touch "$debezium_dir/.complete"
}

java_run() {
	local heap=$1 log=$2
	shift 2
	nohup java -Xms128m -Xmx"$heap" -XX:+UseG1GC -Djava.awt.headless=true \
		-Dlog4j2.configurationFile="$here/log4j2.properties" -Dft.log.file="$log" \
		-cp "$kafka_lib/*" "$@" </dev/null >>"$log.stdout" 2>&1 &
	echo $!
}

kafka_ready() { port_open "$KAFKA_PORT" && grep -q "Kafka Server started" "$kafka_log"; }

start_kafka() {
	install_kafka
	if pid_alive "$kafka_pid" && port_open "$KAFKA_PORT"; then
		say kafka "already up on 127.0.0.1:$KAFKA_PORT"
		return
	fi
	check_port kafka "$KAFKA_PORT" FT_KAFKA_PORT
	check_port kafka "$KAFKA_CONTROLLER_PORT" FT_KAFKA_CONTROLLER_PORT
	mkdir -p "$kafka_dir" "$LOGS" "$RUN"
	cat >"$kafka_dir/server.properties" <<EOF
# Generated by scripts/services.sh: single-node KRaft broker+controller on loopback.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$kafka_dir/logs
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
auto.create.topics.enable=true
EOF
	if [ ! -f "$kafka_dir/logs/meta.properties" ]; then
		local id
		id=$(java -cp "$kafka_lib/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
		java -cp "$kafka_lib/*" -Dlog4j2.configurationFile="$here/log4j2.properties" -Dft.log.file="$kafka_log" \
			kafka.tools.StorageTool format --standalone -t "$id" -c "$kafka_dir/server.properties" >>"$kafka_log.stdout" 2>&1 ||
			die "kafka: storage format failed (log: $kafka_log.stdout)"
	fi
	: >"$kafka_log"
	java_run "$KAFKA_HEAP" "$kafka_log" kafka.Kafka "$kafka_dir/server.properties" >"$kafka_pid"
	wait_for kafka 90 "$kafka_log" kafka_ready
	say kafka "up on 127.0.0.1:$KAFKA_PORT (KRaft, Kafka $KAFKA_VERSION)"
}

stop_kafka() { stop_pid kafka "$kafka_pid"; }

status_kafka() {
	if pid_alive "$kafka_pid" && port_open "$KAFKA_PORT"; then
		say kafka "up   127.0.0.1:$KAFKA_PORT pid $(head -n1 "$kafka_pid")"
	else
		say kafka "down (port $KAFKA_PORT)"
		return 1
	fi
}

connect_ready() {
	curl -sf "http://127.0.0.1:$CONNECT_PORT/connector-plugins" | grep -q PostgresConnector
}

start_connect() {
	install_connect
	if pid_alive "$connect_pid" && connect_ready; then
		say connect "already up on http://127.0.0.1:$CONNECT_PORT"
		return
	fi
	port_open "$KAFKA_PORT" || die "connect: Kafka is not up on 127.0.0.1:$KAFKA_PORT (start kafka first)"
	check_port connect "$CONNECT_PORT" FT_CONNECT_PORT
	mkdir -p "$connect_dir" "$LOGS" "$RUN"
	cat >"$connect_dir/worker.properties" <<EOF
# Generated by scripts/services.sh: distributed Connect worker for the Debezium connector.
bootstrap.servers=127.0.0.1:$KAFKA_PORT
group.id=flavortrend-connect
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=false
value.converter.schemas.enable=false
offset.storage.topic=_connect_offsets
config.storage.topic=_connect_configs
status.storage.topic=_connect_status
offset.storage.replication.factor=1
config.storage.replication.factor=1
status.storage.replication.factor=1
offset.flush.interval.ms=1000
plugin.path=$plugins
listeners=http://127.0.0.1:$CONNECT_PORT
EOF
	: >"$connect_log"
	java_run "$CONNECT_HEAP" "$connect_log" org.apache.kafka.connect.cli.ConnectDistributed "$connect_dir/worker.properties" >"$connect_pid"
	wait_for connect 120 "$connect_log" connect_ready
	say connect "up on http://127.0.0.1:$CONNECT_PORT (Debezium $DEBEZIUM_VERSION)"
}

stop_connect() { stop_pid connect "$connect_pid"; }

status_connect() {
	if pid_alive "$connect_pid" && connect_ready; then
		say connect "up   http://127.0.0.1:$CONNECT_PORT pid $(head -n1 "$connect_pid")"
	else
		say connect "down (port $CONNECT_PORT)"
		return 1
	fi
}

# ---------------------------------------------------------------- dispatch

data_of() {
	case $1 in
	postgres) echo "$pg_home" ;;
	clickhouse) echo "$ch_dir" ;;
	kafka) echo "$kafka_dir" ;;
	connect) echo "$connect_dir" ;;
	esac
}

log_of() {
	case $1 in
	postgres) echo "$pg_log" ;;
	clickhouse) echo "$ch_log" ;;
	kafka) echo "$kafka_log" ;;
	connect) echo "$connect_log" ;;
	esac
}

action=${1:-}
[ -n "$action" ] || {
	usage
	exit 2
}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${SERVICES[@]}")
for t in "${targets[@]}"; do
	case " ${SERVICES[*]} " in *" $t "*) ;; *) die "unknown service '$t' (one of: ${SERVICES[*]})" ;; esac
done
mkdir -p "$LOGS" "$RUN"

reverse() {
	local i
	for ((i = ${#targets[@]} - 1; i >= 0; i--)); do echo "${targets[i]}"; done
}

case $action in
install) for t in "${targets[@]}"; do "install_$t"; done ;;
start) for t in "${targets[@]}"; do "start_$t"; done ;;
stop) for t in $(reverse); do "stop_$t"; done ;;
status)
	rc=0
	for t in "${targets[@]}"; do "status_$t" || rc=1; done
	exit $rc
	;;
reset)
	for t in $(reverse); do
		"stop_$t"
		rm -rf "$(data_of "$t")"
		say "$t" "data removed"
	done
	;;
logs) for t in "${targets[@]}"; do
	echo "==> $(log_of "$t")"
	tail -n 40 "$(log_of "$t")" 2>/dev/null || true
done ;;
env)
	cat <<EOF
FT_PG_URL=postgres://flavortrend@127.0.0.1:$PG_PORT/flavortrend?sslmode=disable
FT_CH_ADDR=127.0.0.1:$CH_PORT
FT_CH_HTTP_ADDR=127.0.0.1:$CH_HTTP_PORT
FT_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
FT_CONNECT_URL=http://127.0.0.1:$CONNECT_PORT
EOF
	;;
-h | --help | help) usage ;;
*)
	usage >&2
	exit 2
	;;
esac
