package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/generate"
	"github.com/flavortrend/flavortrend/ingest"
	"github.com/flavortrend/flavortrend/internal/config"
	"github.com/flavortrend/flavortrend/internal/connect"
	"github.com/flavortrend/flavortrend/internal/store"
	"github.com/flavortrend/flavortrend/internal/telemetry"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

// pipeline is one isolated PostgreSQL → Debezium → Kafka → ClickHouse setup of a test.
type pipeline struct {
	pg     *pgxpool.Pool
	ch     driver.Conn
	chCfg  config.ClickHouse
	kafka  config.Kafka
	prefix string
}

func newPipeline(t *testing.T) *pipeline {
	t.Helper()
	ctx := context.Background()
	_, _, kafka, connectURL := testenv.Settings()
	dbURL := testenv.PostgresURL(t)
	pg, err := store.Postgres(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Close)
	ch, chCfg := testenv.ClickHouse(t)
	name := testenv.Name("ft_ing")
	c := connect.Connector{Name: name, TopicPrefix: name, DatabaseURL: dbURL, Slot: name, Publication: name,
		Heartbeat: 2 * time.Second, Partitions: 3}
	cfg, err := c.Config()
	if err != nil {
		t.Fatal(err)
	}
	client := connect.NewClient(connectURL)
	if err := client.Put(ctx, name, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { testenv.RemoveConnector(t, c, connectURL, kafka.Brokers, dbURL) })
	wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if _, err := client.WaitRunning(wctx, name); err != nil {
		t.Fatal(err)
	}
	return &pipeline{pg: pg, ch: ch, chCfg: chCfg, kafka: kafka, prefix: name}
}

func (p *pipeline) config(group string) ingest.Config {
	cfg := ingest.Config{Kafka: p.kafka, ClickHouse: p.chCfg, TopicPrefix: p.prefix, DerivedPrefix: p.prefix + ".", Group: group,
		BatchRows: 20000, FlushInterval: 200 * time.Millisecond, MaxRecord: 1 << 20, RetryMax: time.Second}
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	return cfg
}

// running is an ingester run in the background of a test.
type running struct {
	t       *testing.T
	in      *ingest.Ingester
	cancel  context.CancelFunc
	done    chan error
	stopped bool
}

// start runs an ingester until the test ends or Stop is called.
func start(t *testing.T, cfg ingest.Config) *running {
	t.Helper()
	return startWith(t, cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), telemetry.Providers{})
}

// Stop ends the run (flush, commit, leave) and returns its final stats.
func (r *running) Stop() ingest.Stats {
	if !r.stopped {
		r.stopped = true
		r.cancel()
		if err := <-r.done; err != nil {
			r.t.Errorf("ingester: %v", err)
		}
		r.in.Close()
	}
	return r.in.Stats()
}

// TestMirrorsEqualPostgres: after a simulator run with inserts, updates, deletes and a
// primary-key change, every mirror in ClickHouse, read with FINAL, equals its PostgreSQL
// table row for row and column for column.
func TestMirrorsEqualPostgres(t *testing.T) {
	ctx := context.Background()
	p := newPipeline(t)
	if err := generate.Seed(ctx, p.pg, 1); err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC) // through the lunch rush
	if _, err := generate.Run(ctx, p.pg, generate.Config{Seed: 7, Rate: 30, Speed: 0, Start: from, Duration: 3 * time.Hour}, nil); err != nil {
		t.Fatal(err)
	}
	mustExec(t, p.pg, `
		DELETE FROM order_items WHERE id IN (SELECT id FROM order_items ORDER BY id LIMIT 5);
		DELETE FROM courier_positions WHERE id IN (SELECT id FROM courier_positions ORDER BY id DESC LIMIT 5);
		UPDATE order_reviews SET id = id + 1000000 WHERE id = (SELECT min(id) FROM order_reviews);
		UPDATE orders SET cancel_reason = NULL, trace_parent = NULL WHERE id = (SELECT max(id) FROM orders);
		INSERT INTO simulation_flags (kind, city_id, params, starts_at, ends_at, created_by)
			VALUES ('promo', 2, '{"factor": 2}', now(), now() + interval '1 hour', 'test');
		INSERT INTO operator_actions (actor, action, target, params, result) VALUES ('test', 'x', 'city:2', '{}', 'ok');
		DELETE FROM operator_actions;
		INSERT INTO alert_acks VALUES ('driver_shortage-2-20261120T121000.000000Z', 'test', now(), 'on it'),
			('sla_spike-2-20261120T122000.000000Z', 'test', now(), NULL);
		INSERT INTO city_mutes (city_id, until, actor, created_at) VALUES (2, now() + interval '1 hour', 'test', now());`)

	run := start(t, p.config(testenv.Name("g")))
	waitEqual(t, p, 120*time.Second)
	st := run.Stop()
	if st.DeadLetters != 0 {
		t.Fatalf("%d dead letters in a clean run", st.DeadLetters)
	}
	if st.Rows == 0 || st.Records < st.Rows {
		t.Fatalf("stats %+v", st)
	}
}

// waitEqual polls until every mirror equals PostgreSQL, and fails with the first
// difference of each table when it does not happen in time.
func waitEqual(t *testing.T, p *pipeline, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		diffs := compareAll(t, p)
		if len(diffs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ClickHouse differs from PostgreSQL:\n%s", strings.Join(diffs, "\n"))
		}
		time.Sleep(time.Second)
	}
}

func compareAll(t *testing.T, p *pipeline) []string {
	var diffs []string
	for _, table := range connect.Tables {
		if d := compareTable(t, p, table); d != "" {
			diffs = append(diffs, d)
		}
	}
	return diffs
}

// compareTable renders both sides as text, column by column, and compares numbers as numbers
// (ClickHouse drops trailing decimal zeros that PostgreSQL prints) and timestamps at the
// second (ClickHouse DateTime).
func compareTable(t *testing.T, p *pipeline, table string) string {
	t.Helper()
	ctx := context.Background()
	rows, err := p.pg.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`, table)
	if err != nil {
		t.Fatal(err)
	}
	var pgExprs, chExprs, names []string
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
		switch typ {
		case "timestamp with time zone":
			pgExprs = append(pgExprs, fmt.Sprintf(`coalesce(to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), '\N')`, name))
		case "boolean":
			pgExprs = append(pgExprs, fmt.Sprintf(`coalesce(%s::int::text, '\N')`, name))
		default:
			pgExprs = append(pgExprs, fmt.Sprintf(`coalesce(%s::text, '\N')`, name))
		}
		chExprs = append(chExprs, fmt.Sprintf(`ifNull(toString(%s), '\\N')`, name))
	}
	rows.Close()
	// The first column of every captured table is its primary key.
	want := pgRows(t, p.pg, fmt.Sprintf("SELECT %s FROM %s ORDER BY %s", strings.Join(pgExprs, ", "), table, names[0]))
	got := chRows(t, p.ch, fmt.Sprintf("SELECT %s FROM %s.%s FINAL WHERE _is_deleted = 0 ORDER BY %s",
		strings.Join(chExprs, ", "), p.chCfg.Database, table, names[0]))
	if len(want) != len(got) {
		return fmt.Sprintf("%s: %d rows in PostgreSQL, %d in ClickHouse", table, len(want), len(got))
	}
	for i := range want {
		for j := range want[i] {
			if !sameValue(want[i][j], got[i][j]) {
				return fmt.Sprintf("%s row %d (key %s) column %s: PostgreSQL %q, ClickHouse %q",
					table, i, want[i][0], names[j], want[i][j], got[i][j])
			}
		}
	}
	return ""
}

func sameValue(a, b string) bool {
	if a == b {
		return true
	}
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && x == y
}

func pgRows(t *testing.T, pool *pgxpool.Pool, q string) [][]string {
	t.Helper()
	rows, err := pool.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = v.(string)
		}
		out = append(out, row)
	}
	return out
}

func chRows(t *testing.T, conn driver.Conn, q string) [][]string {
	t.Helper()
	rows, err := conn.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rows.Close()
	n := len(rows.Columns())
	var out [][]string
	for rows.Next() {
		row := make([]string, n)
		dest := make([]any, n)
		for i := range row {
			dest[i] = &row[i]
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		out = append(out, row)
	}
	return out
}

// TestPoisonRecords: truncated JSON, a wrong type, an unknown table and an oversized record
// go to the dead-letter topic with the reason and their source in headers; the records
// around them land.
func TestPoisonRecords(t *testing.T) {
	ctx := context.Background()
	_, _, kafka, _ := testenv.Settings()
	ch, chCfg := testenv.ClickHouse(t)
	prefix := testenv.Name("ft_poison")
	topic := prefix + ".public.orders"

	fixture := fixtureValue(t, "orders")
	envelope := func(id int, mutate func(after map[string]any)) []byte {
		v := deepCopy(t, fixture)
		after := v["after"].(map[string]any)
		after["id"] = id
		if mutate != nil {
			mutate(after)
		}
		b, _ := json.Marshal(v)
		return b
	}
	key := func(id int) []byte { return []byte(fmt.Sprintf(`{"id":%d}`, id)) }
	unknown := deepCopy(t, fixture)
	unknown["source"].(map[string]any)["table"] = "nosuch"
	unknownValue, _ := json.Marshal(unknown)
	records := []*kgo.Record{
		{Topic: topic, Key: key(1), Value: envelope(1, nil)},
		{Topic: topic, Key: key(2), Value: envelope(2, nil)[:40]}, // truncated
		{Topic: topic, Key: key(3), Value: envelope(3, func(a map[string]any) { a["total"] = "lots" })},
		{Topic: topic, Key: key(4), Value: envelope(4, nil)},
		{Topic: prefix + ".public.nosuch", Key: key(5), Value: unknownValue},
		{Topic: topic, Key: key(6), Value: envelope(6, func(a map[string]any) { a["cancel_reason"] = strings.Repeat("x", 5000) })},
		{Topic: topic, Key: key(7), Value: envelope(7, nil)},
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	t.Cleanup(func() { deleteTopics(t, cl, topic, prefix+".public.nosuch", prefix+".dead-letter") })
	// One partition each, so the offsets of the records are known: 0, 1, 2, …
	for _, name := range []string{topic, prefix + ".public.nosuch"} {
		if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, -1, nil, name); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range records {
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}

	cfg := ingest.Config{Kafka: kafka, ClickHouse: chCfg, TopicPrefix: prefix, DerivedPrefix: prefix + ".", Group: testenv.Name("g"),
		BatchRows: 1000, FlushInterval: 100 * time.Millisecond, MaxRecord: 4096, RetryMax: time.Second}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	run := start(t, cfg)
	deadline := time.Now().Add(60 * time.Second)
	var ids []string
	for {
		ids = nil
		for _, r := range chRows(t, ch, "SELECT toString(id) FROM "+chCfg.Database+".orders FINAL ORDER BY id") {
			ids = append(ids, r[0])
		}
		if st := run.in.Stats(); len(ids) >= 3 && st.DeadLetters >= 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	st := run.Stop()
	if strings.Join(ids, ",") != "1,4,7" {
		t.Errorf("orders in ClickHouse = %v, want 1, 4, 7", ids)
	}
	if st.DeadLetters != 4 {
		t.Errorf("dead letters = %d, want 4", st.DeadLetters)
	}

	// The dead-letter topic holds the four, with reason and source.
	dl, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...), kgo.ConsumeTopics(prefix+".dead-letter"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()
	want := map[string]struct{ topic, offset, reason string }{
		`{"id":2}`: {topic, "1", "json"},
		`{"id":3}`: {topic, "2", "total"},
		`{"id":5}`: {prefix + ".public.nosuch", "0", "unknown table nosuch"},
		`{"id":6}`: {topic, "4", "oversized"},
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	seen := 0
	for seen < len(want) && pctx.Err() == nil {
		dl.PollFetches(pctx).EachRecord(func(r *kgo.Record) {
			seen++
			w, ok := want[string(r.Key)]
			if !ok {
				t.Errorf("unexpected dead letter %s", r.Key)
				return
			}
			h := map[string]string{}
			for _, x := range r.Headers {
				h[x.Key] = string(x.Value)
			}
			if h[ingest.HeaderTopic] != w.topic || h[ingest.HeaderOffset] != w.offset || h[ingest.HeaderPartition] != "0" ||
				!strings.Contains(h[ingest.HeaderError], w.reason) {
				t.Errorf("dead letter %s headers = %v, want topic %s offset %s reason ~%q", r.Key, h, w.topic, w.offset, w.reason)
			}
			if len(r.Value) == 0 {
				t.Errorf("dead letter %s lost its value", r.Key)
			}
		})
	}
	if seen != len(want) {
		t.Fatalf("dead letters read back: %d, want %d", seen, len(want))
	}
}

func deepCopy(t *testing.T, v map[string]any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func deleteTopics(t *testing.T, cl *kgo.Client, topics ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := kadm.NewClient(cl).DeleteTopics(ctx, topics...); err != nil {
		t.Errorf("delete topics %v: %v", topics, err)
	}
}

func mustExec(t *testing.T, pool *pgxpool.Pool, sql string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql); err != nil {
		t.Fatalf("exec: %v\n%s", err, sql)
	}
}
