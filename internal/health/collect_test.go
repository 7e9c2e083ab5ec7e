package health_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flavortrend/flavortrend/internal/connect"
	"github.com/flavortrend/flavortrend/internal/health"
	"github.com/flavortrend/flavortrend/internal/store"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

// env is one test's own corner of the real services: a database with a running Debezium
// connector named name (also its slot and topic prefix), an idle replication slot, topics
// and consumer groups under the name, and a ClickHouse database.
type env struct {
	name, dbURL, connectURL string
	brokers                 []string
	pg                      *pgxpool.Pool
	adm                     *kadm.Client
	kafka                   *kgo.Client
	ch                      driver.Conn
	chDatabase              string
	collector               health.Config
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	_, _, kafka, connectURL := testenv.Settings()
	e := &env{name: testenv.Name("ft_health"), connectURL: connectURL, brokers: kafka.Brokers}
	e.dbURL = testenv.PostgresURL(t)
	testenv.Capture(t, e.dbURL, e.name) // removes the connector, its slot and every <name>.* topic
	var err error
	if e.pg, err = store.Postgres(ctx, e.dbURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.pg.Close)
	if _, err := e.pg.Exec(ctx, "SELECT pg_create_logical_replication_slot($1, 'pgoutput')", e.name+"_idle"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := e.pg.Exec(context.Background(), "SELECT pg_drop_replication_slot($1)", e.name+"_idle"); err != nil {
			t.Errorf("drop slot: %v", err)
		}
	})
	if e.kafka, err = kgo.NewClient(kgo.SeedBrokers(e.brokers...)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.kafka.Close)
	e.adm = kadm.NewClient(e.kafka)
	conn, ch := testenv.ClickHouse(t)
	e.ch, e.chDatabase = conn, ch.Database
	e.collector = health.Config{
		ConnectURL: connectURL, Connector: e.name, PostgresURL: e.dbURL,
		Slots:   []string{e.name, e.name + "_idle", e.name + "_gone"},
		Brokers: e.brokers, Groups: []string{e.name + "-ingest", e.name + "-enrich", e.name + "-unknown"},
		CDCPrefix: e.name, Derived: []string{e.name + ".eta.outcomes", e.name + ".orders.enriched"},
		DeadLetters:      []string{e.name + ".dead-letter", e.name + ".enrich.dead-letter"},
		DeadLetterWindow: time.Hour,
		ClickHouse:       ch, Mirrors: connect.Tables, MAEWindow: time.Hour, Timeout: 10 * time.Second,
	}
	return e
}

// topic creates a topic of the test with the given partitions.
func (e *env) topic(t *testing.T, name string, partitions int32) {
	t.Helper()
	res, err := e.adm.CreateTopic(context.Background(), partitions, 1, nil, name)
	if err == nil {
		err = res.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
}

// produce writes n records to a partition of a topic, with the given timestamp (zero: now).
func (e *env) produce(t *testing.T, topic string, partition int32, n int, at time.Time) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := 0; i < n; i++ {
		r := &kgo.Record{Topic: topic, Partition: partition, Value: []byte("x"), Timestamp: at}
		if err := cl.ProduceSync(context.Background(), r).FirstErr(); err != nil {
			t.Fatalf("produce to %s/%d: %v", topic, partition, err)
		}
	}
}

// commit commits offsets for a group that has no member (a stopped consumer).
func (e *env) commit(t *testing.T, group, topic string, offsets map[int32]int64) {
	t.Helper()
	var offs kadm.Offsets
	for p, o := range offsets {
		offs.AddOffset(topic, p, o, -1)
	}
	res, err := e.adm.CommitOffsets(context.Background(), group, offs)
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		t.Fatalf("commit %s: %v", group, err)
	}
	t.Cleanup(func() { e.adm.DeleteGroups(context.Background(), group) }) //nolint:errcheck // best effort
}

// insert writes one row with only the given columns into a ClickHouse table of the test.
func (e *env) insert(t *testing.T, table, columns string, rows ...[]any) {
	t.Helper()
	ctx := context.Background()
	b, err := e.ch.PrepareBatch(ctx, "INSERT INTO "+table+" ("+columns+")")
	if err != nil {
		t.Fatalf("insert into %s: %v", table, err)
	}
	for _, r := range rows {
		if err := b.Append(r...); err != nil {
			t.Fatalf("insert into %s: %v", table, err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatalf("insert into %s: %v", table, err)
	}
}

// etaOutcomes writes the outcomes whose error the model report shows: v1 errs 2 and 4
// minutes (MAE 180 s; order 2 written twice, as a replay does), v2 1 minute (60 s); order 4
// was delivered before the window.
func (e *env) etaOutcomes(t *testing.T, now time.Time) {
	t.Helper()
	cols := "order_id, model_version, delivered_at, abs_error_minutes, _version"
	e.insert(t, "eta_outcomes", cols,
		[]any{int64(1), "v1", now.Add(-10 * time.Minute), 2.0, uint64(1)},
		[]any{int64(2), "v1", now.Add(-20 * time.Minute), 4.0, uint64(2)},
		[]any{int64(3), "v2", now.Add(-5 * time.Minute), 1.0, uint64(3)},
		[]any{int64(4), "v1", now.Add(-2 * time.Hour), 30.0, uint64(4)})
	e.insert(t, "eta_outcomes", cols, []any{int64(2), "v1", now.Add(-20 * time.Minute), 4.0, uint64(2)})
}

// waitFor collects until ok accepts the report, failing the test after a minute.
func waitFor(t *testing.T, c *health.Collector, what string, ok func(health.Report) bool) health.Report {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		r := c.Collect(context.Background())
		if ok(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never seen; last report: %+v", what, r)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestCollect: one pass over the real services reports the values the test put there: the
// running connector, the slots' activity and WAL positions, the groups' lag and members, the
// topics' records and recent dead letters, every mirror's freshness and each model's error.
func TestCollect(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	orders, deadLetter := e.name+".public.orders", e.name+".dead-letter"
	e.topic(t, orders, 2)
	e.topic(t, e.name+".eta.outcomes", 1)
	e.topic(t, deadLetter, 1)
	e.produce(t, orders, 0, 10, time.Time{})
	e.produce(t, orders, 1, 4, time.Time{})
	e.produce(t, e.name+".eta.outcomes", 0, 2, time.Time{})
	e.produce(t, deadLetter, 0, 1, time.Now().Add(-2*time.Hour)) // before the window
	e.produce(t, deadLetter, 0, 2, time.Time{})
	e.commit(t, e.name+"-ingest", orders, map[int32]int64{0: 6, 1: 4})

	// A running consumer of the enrich group.
	member, err := kgo.NewClient(kgo.SeedBrokers(e.brokers...), kgo.ConsumerGroup(e.name+"-enrich"),
		kgo.ConsumeTopics(e.name+".eta.outcomes"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	pollCtx, stopPolling := context.WithCancel(ctx)
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for pollCtx.Err() == nil {
			member.PollFetches(pollCtx)
		}
	}()
	t.Cleanup(func() {
		stopPolling()
		<-polled
		member.Close()
		e.adm.DeleteGroups(context.Background(), e.name+"-enrich") //nolint:errcheck // best effort
	})

	// Every mirror but city_mutes gets a row, mirror i committed i seconds before base.
	base := time.Now().Truncate(time.Second)
	for i, table := range connect.Tables {
		if table != "city_mutes" {
			e.insert(t, table, "_version, _source_ts_ms", []any{uint64(1), base.Add(-time.Duration(i) * time.Second).UnixMilli()})
		}
	}
	e.etaOutcomes(t, base)

	cfg := e.collector
	cfg.Now = func() time.Time { return base.Add(42 * time.Second) }
	c, err := health.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := waitFor(t, c, "an active slot and a member in the enrich group", func(r health.Report) bool {
		return len(r.Postgres.Slots) > 0 && r.Postgres.Slots[0].Active &&
			len(r.Kafka.Groups) > 1 && r.Kafka.Groups[1].Members == 1
	})
	if !r.At.Equal(base.Add(42 * time.Second)) {
		t.Errorf("report at %s, want %s", r.At, base.Add(42*time.Second))
	}

	// Kafka Connect.
	if cn := r.Connector; !cn.Up() || cn.Name != e.name || !cn.Registered || len(cn.Tasks) != 1 || cn.Error != "" {
		t.Errorf("connector = %+v, want %s registered and running with one task", cn, e.name)
	}

	// PostgreSQL: the idle slot's lag grows by the WAL written while nothing consumes it.
	pg := r.Postgres
	if pg.Error != "" || len(pg.Slots) != 3 {
		t.Fatalf("postgres = %+v", pg)
	}
	idle, gone := pg.Slots[1], pg.Slots[2]
	if idle.Name != e.name+"_idle" || !idle.Found || idle.Active || idle.LagBytes < 0 || idle.RetainedBytes < idle.LagBytes {
		t.Errorf("idle slot = %+v", idle)
	}
	if gone.Name != e.name+"_gone" || gone.Found {
		t.Errorf("missing slot = %+v", gone)
	}
	if _, err := e.pg.Exec(ctx, "SELECT pg_logical_emit_message(true, 'ft', repeat('x', 20000))"); err != nil {
		t.Fatal(err)
	}
	if after := c.Collect(ctx).Postgres.Slots[1]; after.LagBytes < idle.LagBytes+20000 {
		t.Errorf("idle slot lag %d after writing 20000 bytes of WAL, was %d", after.LagBytes, idle.LagBytes)
	}

	// Kafka: the stopped group lags by end − committed, the live one has its member, the
	// unknown one is Dead.
	k := r.Kafka
	if k.Error != "" || len(k.Groups) != 3 {
		t.Fatalf("kafka = %+v", k)
	}
	ingest := k.Groups[0]
	wantParts := []health.PartitionLag{{Topic: orders, Partition: 0, End: 10, Committed: 6, Lag: 4},
		{Topic: orders, Partition: 1, End: 4, Committed: 4, Lag: 0}}
	if ingest.State != "Empty" || ingest.Members != 0 || ingest.Lag != 4 || ingest.Error != "" || !slices.Equal(ingest.Partitions, wantParts) {
		t.Errorf("ingest group = %+v, want Empty, no member, lag 4: %+v", ingest, wantParts)
	}
	if enrich := k.Groups[1]; enrich.State != "Stable" || enrich.Members != 1 || enrich.Error != "" {
		t.Errorf("enrich group = %+v, want Stable with one member", enrich)
	}
	if unknown := k.Groups[2]; unknown.State != "Dead" || unknown.Members != 0 || unknown.Error != "" {
		t.Errorf("unknown group = %+v, want Dead", unknown)
	}
	topics := map[string]health.Topic{}
	for _, tp := range k.Topics {
		topics[tp.Name] = tp
	}
	wantTopics := []health.Topic{
		{Name: orders, Kind: health.KindCDC, Records: 14},
		{Name: e.name + ".eta.outcomes", Kind: health.KindDerived, Records: 2},
		{Name: deadLetter, Kind: health.KindDeadLetter, Records: 3, Recent: 2},
		{Name: e.name + ".enrich.dead-letter", Kind: health.KindDeadLetter, Missing: true},
	}
	for _, want := range wantTopics {
		if got := topics[want.Name]; got != want {
			t.Errorf("topic %s = %+v, want %+v", want.Name, got, want)
		}
	}
	if _, ok := topics[e.name+".orders.enriched"]; ok {
		t.Errorf("a derived topic that does not exist is reported")
	}
	for _, tp := range k.Topics {
		if tp.Kind == health.KindCDC && !strings.HasPrefix(tp.Name, e.name+".public.") {
			t.Errorf("CDC topic %s is not the test's", tp.Name)
		}
	}

	// ClickHouse: freshness 42 s + i for mirror i, none for the empty mirror; the models'
	// error over the last hour.
	if r.Freshness.Error != "" || len(r.Freshness.Tables) != len(connect.Tables) {
		t.Fatalf("freshness = %+v", r.Freshness)
	}
	for i, f := range r.Freshness.Tables {
		switch {
		case f.Table != connect.Tables[i]:
			t.Errorf("freshness %d is of %s, want %s", i, f.Table, connect.Tables[i])
		case f.Table == "city_mutes":
			if f.Seconds != nil || f.Newest != nil {
				t.Errorf("empty mirror city_mutes has freshness %v", *f.Seconds)
			}
		case f.Seconds == nil:
			t.Errorf("mirror %s has no freshness", f.Table)
		case *f.Seconds != float64(42+i):
			t.Errorf("freshness of %s = %v s, want %d", f.Table, *f.Seconds, 42+i)
		}
	}
	wantModels := []health.Model{{Version: "v1", Deliveries: 2, MAESeconds: 180}, {Version: "v2", Deliveries: 1, MAESeconds: 60}}
	if m := r.Models; m.Error != "" || m.WindowSeconds != 3600 || len(m.Models) != 2 || m.Models[0] != wantModels[0] || m.Models[1] != wantModels[1] {
		t.Errorf("models = %+v, want %+v", m, wantModels)
	}

	// A source that cannot be reached is reported with its error and judged down, while the
	// others are still reported; a connector Connect does not know is down too.
	t.Run("sources fail", func(t *testing.T) {
		cfg := e.collector
		cfg.Brokers = []string{"127.0.0.1:1"}
		cfg.ClickHouse.Addr = "127.0.0.1:1"
		cfg.Connector = e.name + "_nope"
		cfg.Timeout = 2 * time.Second
		c, err := health.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r := c.Collect(context.Background())
		if r.Connector.Registered || r.Connector.Error != "" || r.Connector.Up() {
			t.Errorf("unknown connector = %+v, want not registered, no error", r.Connector)
		}
		if r.Postgres.Error != "" || len(r.Postgres.Slots) != 3 || !r.Postgres.Slots[1].Found {
			t.Errorf("postgres = %+v, want the slots despite the other sources", r.Postgres)
		}
		for what, msg := range map[string]string{"kafka": r.Kafka.Error, "freshness": r.Freshness.Error, "models": r.Models.Error} {
			if msg == "" || strings.Contains(msg, "\n") {
				t.Errorf("%s error = %q, want one line", what, msg)
			}
		}
		down := map[string]bool{}
		for _, s := range health.Judge(r, thresholds) {
			if s.Health == health.Down {
				down[s.Stage+" "+s.Name] = true
			}
		}
		for _, want := range []string{"connector " + cfg.Connector, "group kafka", "mirror clickhouse", "model clickhouse", "dead letters kafka"} {
			if !down[want] {
				t.Errorf("stage %s not down; down: %v", want, down)
			}
		}
	})
}
