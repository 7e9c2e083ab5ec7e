package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/internal/connect"
	"github.com/flavortrend/flavortrend/internal/store"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

// statusEnv is the test's own pipeline on the real services: a database captured by a
// connector named name (also its slot and topic prefix), an idle slot <name>_idle, a CDC
// topic with a stopped consumer group <name>-ingest 4 records behind on partition 0, empty
// dead-letter topics, and a ClickHouse database whose orders mirror was last written 30 s
// ago and whose model v1 erred 3 minutes on average.
type statusEnv struct {
	name, dbURL, connectURL, orders string
	brokers                         []string
	kafka                           *kgo.Client
	adm                             *kadm.Client
	flags                           []string
}

func newStatusEnv(t *testing.T) *statusEnv {
	t.Helper()
	ctx := context.Background()
	_, _, kafka, connectURL := testenv.Settings()
	e := &statusEnv{name: testenv.Name("ft_status"), connectURL: connectURL, brokers: kafka.Brokers}
	e.orders = e.name + ".public.orders"
	e.dbURL = testenv.PostgresURL(t)
	testenv.Capture(t, e.dbURL, e.name) // removes the connector, its slot and every <name>.* topic
	statusPG(t, e.dbURL, "SELECT pg_create_logical_replication_slot($1, 'pgoutput')", e.name+"_idle")
	t.Cleanup(func() { statusPG(t, e.dbURL, "SELECT pg_drop_replication_slot($1)", e.name+"_idle") })

	cl, err := kgo.NewClient(kgo.SeedBrokers(e.brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	e.kafka, e.adm = cl, kadm.NewClient(cl)
	for topic, parts := range map[string]int32{e.orders: 2, e.name + ".dead-letter": 1, e.name + ".enrich.dead-letter": 1} {
		if res, err := e.adm.CreateTopic(ctx, parts, 1, nil, topic); err != nil || res.Err != nil {
			t.Fatalf("create topic %s: %v %v", topic, err, res.Err)
		}
	}
	e.produce(t, 0, 10)
	e.produce(t, 1, 4)
	var offs kadm.Offsets
	offs.AddOffset(e.orders, 0, 6, -1)
	offs.AddOffset(e.orders, 1, 4, -1)
	if res, err := e.adm.CommitOffsets(ctx, e.name+"-ingest", offs); err != nil || res.Error() != nil {
		t.Fatalf("commit: %v %v", err, res.Error())
	}
	t.Cleanup(func() { e.adm.DeleteGroups(context.Background(), e.name+"-ingest") }) //nolint:errcheck // best effort

	ch, chCfg := testenv.ClickHouse(t)
	now := time.Now()
	statusCH(t, ch, "INSERT INTO orders (_version, _source_ts_ms)", [][]any{{uint64(1), now.Add(-30 * time.Second).UnixMilli()}})
	statusCH(t, ch, "INSERT INTO eta_outcomes (order_id, model_version, delivered_at, abs_error_minutes, _version)", [][]any{
		{int64(1), "v1", now.Add(-10 * time.Minute), 2.0, uint64(1)},
		{int64(2), "v1", now.Add(-20 * time.Minute), 4.0, uint64(2)},
	})
	e.flags = []string{"-pg-url", e.dbURL, "-ch-addr", chCfg.Addr, "-ch-database", chCfg.Database,
		"-kafka-brokers", strings.Join(e.brokers, ","), "-connect-url", connectURL, "-connector", e.name,
		"-topic-prefix", e.name, "-derived-prefix", e.name + ".", "-timeout", "10s"}
	return e
}

// produce writes n records to a partition of the orders topic.
func (e *statusEnv) produce(t *testing.T, partition int32, n int) {
	t.Helper()
	for range n {
		if err := e.kafka.ProduceSync(context.Background(), &kgo.Record{Topic: e.orders, Partition: partition, Value: []byte("x")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// statusPG runs one statement on the database at url.
func statusPG(t *testing.T, url, sql string, args ...any) {
	t.Helper()
	pool, err := store.Postgres(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Errorf("%s: %v", sql, err)
	}
}

// statusCH inserts rows into ClickHouse with insert, an INSERT naming its columns.
func statusCH(t *testing.T, ch driver.Conn, insert string, rows [][]any) {
	t.Helper()
	b, err := ch.PrepareBatch(context.Background(), insert)
	if err != nil {
		t.Fatalf("%s: %v", insert, err)
	}
	for _, r := range rows {
		if err := b.Append(r...); err != nil {
			t.Fatalf("%s: %v", insert, err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatalf("%s: %v", insert, err)
	}
}

// TestStatusCommand runs flavortrend status against the test's pipeline: one-shot runs exit
// non-zero exactly when a stage is down, -json prints the report, and -serve exports the
// gauges, whose values follow load and stopped stages.
func TestStatusCommand(t *testing.T) {
	e := newStatusEnv(t)
	status := func(args ...string) (string, error) {
		var out, errOut strings.Builder
		err := run(context.Background(), noEnv, append(append([]string{"status"}, e.flags...), args...), &out, &errOut)
		return out.String(), err
	}

	t.Run("one shot down", func(t *testing.T) {
		out, err := status("-slot", e.name+"_idle", "-groups", e.name+"-ingest")
		if err == nil || !strings.Contains(err.Error(), "stage(s) down") || !strings.Contains(err.Error(), "slot "+e.name+"_idle") ||
			!strings.Contains(err.Error(), "group "+e.name+"-ingest") {
			t.Errorf("err = %v, want the idle slot and the stopped group down", err)
		}
		for _, want := range []string{`^flavortrend status at .*: down\n`, `\nconnector +` + e.name + ` +ok `,
			`\ngroup +` + e.name + `-ingest +down +4 records `, `\n` + e.orders + ` +cdc +14 `} {
			if !regexp.MustCompile(want).MatchString(out) {
				t.Errorf("screen does not match %s:\n%s", want, out)
			}
		}
	})

	t.Run("one shot ok json", func(t *testing.T) {
		var out string
		var err error
		deadline := time.Now().Add(time.Minute)
		for { // until the connector's task has attached to its slot
			out, err = status("-json", "-slot", e.name, "-groups", "", "-freshness-tables", "")
			if err == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("status -json: %v\n%s", err, out)
		}
		var got struct {
			Health string `json:"health"`
			Models struct {
				Models []struct {
					Version    string  `json:"version"`
					MAESeconds float64 `json:"mae_seconds"`
				} `json:"models"`
			} `json:"models"`
			Stages []struct {
				Stage, Name, Health string
			} `json:"stages"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if got.Health != "ok" || len(got.Models.Models) != 1 || got.Models.Models[0].MAESeconds != 180 || len(got.Stages) != 2+len(connect.Tables)+2+1 {
			t.Errorf("json = %+v", got)
		}
	})

	t.Run("metrics", func(t *testing.T) { statusMetrics(t, e) })
}

// statusMetrics runs status -serve and scrapes its endpoint: each gauge is there with the
// value of the test's pipeline, and moves when records are produced that the stopped group
// does not consume, when WAL is written that the idle slot does not confirm, as time passes
// over the mirror, and when the connector is removed.
func statusMetrics(t *testing.T, e *statusEnv) {
	ctx, cancel := context.WithCancel(context.Background())
	var out statusOutput
	done := make(chan error, 1)
	args := append(append([]string{"status"}, e.flags...), "-serve", "-interval", "200ms", "-metrics-addr", "127.0.0.1:0",
		"-slot", e.name+","+e.name+"_idle", "-groups", e.name+"-ingest")
	go func() { done <- run(ctx, noEnv, args, &out, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("status -serve: %v", err)
		}
	})
	var url string
	statusWait(t, "the endpoint's address on stdout", func() bool {
		url = regexp.MustCompile(`http://\S+/metrics`).FindString(out.String())
		return url != ""
	})

	conn, idle, group := `connector="`+e.name+`"`, `slot="`+e.name+`_idle"`, `group="`+e.name+`-ingest"`
	orders := `topic="` + e.orders + `"`
	var m metricsText
	statusWait(t, "every gauge with the pipeline's values", func() bool {
		m = scrapeMetrics(t, url)
		return m.is("flavortrend_cdc_connector_up", 1, conn) && m.is("flavortrend_cdc_slot_active", 1, `slot="`+e.name+`"`) &&
			m.is("flavortrend_cdc_slot_active", 0, idle) && m.is("flavortrend_consumer_lag", 4, group, orders, `partition="0"`) &&
			m.is("flavortrend_consumer_lag", 0, group, orders, `partition="1"`) && m.is("flavortrend_consumer_members", 0, group) &&
			m.is("flavortrend_kafka_topic_records", 14, orders) &&
			m.is("flavortrend_kafka_topic_records", 0, `topic="`+e.name+`.dead-letter"`) &&
			m.is("flavortrend_model_mae_seconds", 180, `model="v1"`)
	})
	for _, name := range []string{"flavortrend_cdc_connector_up", "flavortrend_cdc_slot_active", "flavortrend_cdc_slot_lag_bytes",
		"flavortrend_cdc_wal_retained_bytes", "flavortrend_consumer_lag", "flavortrend_consumer_members",
		"flavortrend_kafka_topic_records", "flavortrend_table_freshness_seconds", "flavortrend_model_mae_seconds"} {
		if !strings.Contains(string(m), "# TYPE "+name+" gauge\n") {
			t.Errorf("no gauge %s", name)
		}
	}
	lag, ok1 := m.value("flavortrend_cdc_slot_lag_bytes", idle)
	retained, ok2 := m.value("flavortrend_cdc_wal_retained_bytes", idle)
	fresh, ok3 := m.value("flavortrend_table_freshness_seconds", `table="orders"`)
	if !ok1 || !ok2 || !ok3 || lag < 0 || retained < lag || fresh < 30 {
		t.Errorf("idle slot lag %v, retained %v; orders freshness %v s (want ≥ 30); present: %t %t %t", lag, retained, fresh, ok1, ok2, ok3)
	}

	e.produce(t, 0, 5)
	statusPG(t, e.dbURL, "SELECT pg_logical_emit_message(true, 'ft', repeat('x', 20000))")
	statusWait(t, "the lag of the new records, the slot's new WAL and an older mirror", func() bool {
		m = scrapeMetrics(t, url)
		newLag, _ := m.value("flavortrend_cdc_slot_lag_bytes", idle)
		newFresh, _ := m.value("flavortrend_table_freshness_seconds", `table="orders"`)
		return m.is("flavortrend_consumer_lag", 9, group, orders, `partition="0"`) && m.is("flavortrend_kafka_topic_records", 19, orders) &&
			newLag >= lag+20000 && newFresh > fresh
	})

	if err := connect.NewClient(e.connectURL).Delete(context.Background(), e.name); err != nil {
		t.Fatal(err)
	}
	statusWait(t, "the removed connector down and its slot inactive", func() bool {
		m = scrapeMetrics(t, url)
		return m.is("flavortrend_cdc_connector_up", 0, conn) && m.is("flavortrend_cdc_slot_active", 0, `slot="`+e.name+`"`)
	})
}

// metricsText is the text of a /metrics response.
type metricsText string

func scrapeMetrics(t *testing.T, url string) metricsText {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	return metricsText(b)
}

// value returns the value of the series of the metric with all the labels (k="v").
func (s metricsText) value(name string, labels ...string) (float64, bool) {
	for _, line := range strings.Split(string(s), "\n") {
		series, ok := strings.CutPrefix(line, name+"{")
		if !ok {
			continue
		}
		set, val, _ := strings.Cut(series, "} ")
		match := true
		for _, l := range labels {
			match = match && strings.Contains(","+set+",", ","+l+",")
		}
		if v, err := strconv.ParseFloat(val, 64); match && err == nil {
			return v, true
		}
	}
	return 0, false
}

// is reports whether the series is there with value want.
func (s metricsText) is(name string, want float64, labels ...string) bool {
	v, ok := s.value(name, labels...)
	return ok && v == want
}

// statusWait polls ok until it holds, failing the test after a minute.
func statusWait(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s never seen", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// statusOutput is a strings.Builder safe for a writer and a reader in two goroutines.
type statusOutput struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *statusOutput) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *statusOutput) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestStatusFlags: settings that cannot work are refused with one line naming the flag.
func TestStatusFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-watch", "1ns"}, "-watch 1ns"},
		{[]string{"-metrics-addr", "127.0.0.1:0"}, "-metrics-addr: needs -watch or -serve"},
		{[]string{"-serve"}, "-serve: exports nothing"},
		{[]string{"-freshness-warn", "5m"}, "must not exceed"},
		{[]string{"-timeout", "0s"}, "-timeout 0s"},
	}
	for _, tt := range tests {
		var out, errOut strings.Builder
		err := run(context.Background(), noEnv, append([]string{"status"}, tt.args...), &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("status %v: err %v, want one line with %q", tt.args, err, tt.want)
		}
	}
}
