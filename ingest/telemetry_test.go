package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/flavortrend/flavortrend/ingest"
	"github.com/flavortrend/flavortrend/internal/telemetry"
	"github.com/flavortrend/flavortrend/internal/testenv"
)

// TestTelemetry: Debezium records carrying trace contexts (a traceparent header, and for
// orders also the trace_parent column) are ingested with in-memory exporters. Every flushed
// table batch has an ingest.batch span whose rows add up to the rows written, linked to
// exactly the trace contexts of its records; the dead letter has its own span, and its log
// line carries that span's trace id; the metrics count the records by outcome, the rows,
// the dead letters, a freshness per row, and the lag of every partition read.
func TestTelemetry(t *testing.T) {
	ctx := context.Background()
	_, _, kafka, _ := testenv.Settings()
	ch, chCfg := testenv.ClickHouse(t)
	prefix := testenv.Name("ft_tel")
	ordersTopic, couriersTopic := prefix+".public.orders", prefix+".public.couriers"
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	t.Cleanup(func() { deleteTopics(t, cl, ordersTopic, couriersTopic, prefix+".dead-letter") })
	for topic, parts := range map[string]int32{ordersTopic: 2, couriersTopic: 1} {
		if _, err := kadm.NewClient(cl).CreateTopic(ctx, parts, -1, nil, topic); err != nil {
			t.Fatal(err)
		}
	}

	// Committed 5 s ago at the source, so every row's freshness is at least that.
	commitMs := time.Now().Add(-5 * time.Second).UnixMilli()
	traceParent := func(n int) (string, trace.TraceID) {
		var id trace.TraceID
		id[0], id[15] = byte(n>>8)|0x10, byte(n)
		return fmt.Sprintf("00-%s-%016x-01", id, n+1), id
	}
	wantLinks := map[string]map[trace.TraceID]bool{"orders": {}, "couriers": {}}
	record := func(table, topic string, id, lsn, traceN int, mutate func(after map[string]any)) *kgo.Record {
		v := fixtureValue(t, table)
		v["after"].(map[string]any)["id"] = id
		if mutate != nil {
			mutate(v["after"].(map[string]any))
		}
		src := v["source"].(map[string]any)
		src["lsn"], src["ts_ms"] = lsn, commitMs
		value, _ := json.Marshal(v)
		tp, traceID := traceParent(traceN)
		wantLinks[table][traceID] = true
		return &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, `{"id":%d}`, id), Value: value,
			Headers: []kgo.RecordHeader{{Key: "traceparent", Value: []byte(tp)}}}
	}
	var records []*kgo.Record
	for i := 1; i <= 12; i++ {
		records = append(records, record("orders", ordersTopic, i, 1000+i, i, func(after map[string]any) {
			tp, traceID := traceParent(100 + i)
			after["trace_parent"] = tp
			wantLinks["orders"][traceID] = true
		}))
	}
	// A second version of order 1 in the same trace as the first: one more row, no new link.
	records = append(records, record("orders", ordersTopic, 1, 2000, 1, func(after map[string]any) {
		tp, _ := traceParent(101)
		after["trace_parent"], after["status"] = tp, "accepted"
	}))
	for i := 1; i <= 5; i++ {
		records = append(records, record("couriers", couriersTopic, i, 3000+i, 200+i, nil))
	}
	poisonTrace, poisonTraceID := traceParent(300)
	records = append(records,
		&kgo.Record{Topic: ordersTopic, Key: []byte(`{"id":99}`)}, // a tombstone: skipped
		&kgo.Record{Topic: ordersTopic, Key: []byte(`{"id":98}`), Value: []byte(`{"op":"c","after":{"id":`),
			Headers: []kgo.RecordHeader{{Key: "traceparent", Value: []byte(poisonTrace)}}})
	if err := cl.ProduceSync(ctx, records...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	wantParts, readParts := map[string]bool{}, map[string]bool{}
	for i, r := range records {
		p := fmt.Sprintf("%s/%d", r.Topic, r.Partition)
		readParts[p] = true
		if i < 13 { // the orders rows
			wantParts[p] = true
		}
	}
	wantRows := map[string]int64{"orders": 13, "couriers": 5}

	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	var logs syncBuffer
	log := slog.New(telemetry.LogHandler(slog.NewJSONHandler(&logs, nil)))
	cfg := ingest.Config{Kafka: kafka, ClickHouse: chCfg, TopicPrefix: prefix, DerivedPrefix: prefix + ".", Group: testenv.Name("g"),
		BatchRows: 1000, FlushInterval: 100 * time.Millisecond, MaxRecord: 1 << 20, RetryMax: time.Second}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	run := startWith(t, cfg, log, telemetry.Providers{Tracers: tp, Meters: mp})
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := run.in.Stats()
		if st.Records == int64(len(records)) && st.Rows == 18 && len(spansNamed(spans.GetSpans(), "ingest.dead_letters")) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ingested in time: stats %+v", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Everything is read: the lag of every partition read is 0 (it is reported until Close).
	lag := map[string]int64{}
	for _, dp := range collect[metricdata.Gauge[int64]](t, reader, "flavortrend.ingest.consumer.lag").DataPoints {
		topic, _ := dp.Attributes.Value("topic")
		part, _ := dp.Attributes.Value("partition")
		lag[fmt.Sprintf("%s/%d", topic.AsString(), part.AsInt64())] = dp.Value
	}
	for p := range readParts {
		if v, ok := lag[p]; !ok || v != 0 {
			t.Errorf("lag of %s = %d (reported %v), want 0; all: %v", p, v, ok, lag)
		}
	}
	if st := run.Stop(); st.DeadLetters != 1 || st.Retries != 0 {
		t.Errorf("stats %+v, want 1 dead letter, no retries", st)
	}
	if got := chRows(t, ch, "SELECT toString(count()) FROM "+chCfg.Database+".orders FINAL")[0][0]; got != "12" {
		t.Errorf("orders in ClickHouse: %s, want 12", got)
	}

	// Spans: per table, the batch spans' rows add up to the rows written and their links
	// are the trace contexts of the table's records; every batch belongs to a flush.
	all := spans.GetSpans()
	flushes := map[trace.SpanID]bool{}
	for _, s := range spansNamed(all, "ingest.flush") {
		flushes[s.SpanContext.SpanID()] = true
	}
	rows := map[string]int64{}
	batches := map[string]uint64{}
	links := map[string]map[trace.TraceID]bool{"orders": {}, "couriers": {}}
	parts := map[string]bool{}
	for _, s := range spansNamed(all, "ingest.batch") {
		attrs := attribute.NewSet(s.Attributes...)
		table, _ := attrs.Value("table")
		n, _ := attrs.Value("rows")
		dropped, _ := attrs.Value("links.dropped")
		p, _ := attrs.Value("partitions")
		rows[table.AsString()] += n.AsInt64()
		batches[table.AsString()]++
		if dropped.AsInt64() != 0 || s.SpanKind != trace.SpanKindConsumer || !flushes[s.Parent.SpanID()] {
			t.Errorf("batch span of %s: links.dropped %d, kind %s, parent in a flush %v", table.AsString(), dropped.AsInt64(), s.SpanKind, flushes[s.Parent.SpanID()])
		}
		for _, l := range s.Links {
			links[table.AsString()][l.SpanContext.TraceID()] = true
		}
		if table.AsString() == "orders" {
			for _, x := range p.AsStringSlice() {
				parts[x] = true
			}
		}
	}
	if !maps.Equal(rows, wantRows) {
		t.Errorf("rows of the batch spans = %v, want %v", rows, wantRows)
	}
	for table, want := range wantLinks {
		if !maps.Equal(links[table], want) {
			t.Errorf("%s: batch spans link %d trace ids, want the %d of its records:\n got %v\nwant %v",
				table, len(links[table]), len(want), links[table], want)
		}
	}
	if !maps.Equal(parts, wantParts) {
		t.Errorf("partitions of the orders batches = %v, want %v", parts, wantParts)
	}

	// The dead letter: its span links the poison record's trace, its log line carries the span.
	dead := spansNamed(all, "ingest.dead_letters")[0]
	if len(dead.Links) != 1 || dead.Links[0].SpanContext.TraceID() != poisonTraceID || !flushes[dead.Parent.SpanID()] {
		t.Errorf("dead-letter span links %v (parent in a flush %v), want the poison record's trace %s", dead.Links, flushes[dead.Parent.SpanID()], poisonTraceID)
	}
	poison, deadAttrs := records[len(records)-1], attribute.NewSet(dead.Attributes...)
	if p, _ := deadAttrs.Value("partitions"); fmt.Sprint(p.AsStringSlice()) != fmt.Sprintf("[%s/%d]", poison.Topic, poison.Partition) {
		t.Errorf("dead-letter span partitions %v, want the poison record's %d", p.AsStringSlice(), poison.Partition)
	}
	var line struct{ Msg, Reason, TraceID, SpanID string }
	for _, l := range bytes.Split(logs.Bytes(), []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(l, &m) == nil && m["msg"] == "dead letter" {
			line.Msg, line.Reason = m["msg"].(string), fmt.Sprint(m["reason"])
			line.TraceID, line.SpanID = fmt.Sprint(m["trace_id"]), fmt.Sprint(m["span_id"])
		}
	}
	if line.Msg == "" || line.TraceID != dead.SpanContext.TraceID().String() || line.SpanID != dead.SpanContext.SpanID().String() {
		t.Errorf("dead-letter log line %+v, want trace %s span %s\n%s", line, dead.SpanContext.TraceID(), dead.SpanContext.SpanID(), logs.Bytes())
	}

	// Metrics, after the last flush.
	consumed := map[string]int64{}
	for _, dp := range collect[metricdata.Sum[int64]](t, reader, "flavortrend.ingest.records").DataPoints {
		table, _ := dp.Attributes.Value("table")
		outcome, _ := dp.Attributes.Value("outcome")
		consumed[table.AsString()+"/"+outcome.AsString()] = dp.Value
	}
	if want := map[string]int64{"orders/row": 13, "orders/skipped": 1, "orders/dead_letter": 1, "couriers/row": 5}; !maps.Equal(consumed, want) {
		t.Errorf("flavortrend.ingest.records = %v, want %v", consumed, want)
	}
	if got := byTable(collect[metricdata.Sum[int64]](t, reader, "flavortrend.ingest.rows").DataPoints); !maps.Equal(got, wantRows) {
		t.Errorf("flavortrend.ingest.rows = %v, want %v", got, wantRows)
	}
	deadDP := collect[metricdata.Sum[int64]](t, reader, "flavortrend.ingest.dead_letters").DataPoints
	if len(deadDP) != 1 || deadDP[0].Value != 1 || !deadDP[0].Attributes.Equals(ptr(attribute.NewSet(attribute.String("table", "orders"), attribute.String("reason", "decode")))) {
		t.Errorf("flavortrend.ingest.dead_letters = %+v, want 1 of orders/decode", deadDP)
	}
	for _, dp := range collect[metricdata.Histogram[int64]](t, reader, "flavortrend.ingest.batch.size").DataPoints {
		table, _ := dp.Attributes.Value("table")
		if dp.Sum != wantRows[table.AsString()] || dp.Count != batches[table.AsString()] {
			t.Errorf("batch size of %s: sum %d count %d, want %d rows in %d batches", table.AsString(), dp.Sum, dp.Count, wantRows[table.AsString()], batches[table.AsString()])
		}
	}
	for _, dp := range collect[metricdata.Histogram[float64]](t, reader, "flavortrend.ingest.insert.duration").DataPoints {
		table, _ := dp.Attributes.Value("table")
		outcome, _ := dp.Attributes.Value("outcome")
		if outcome.AsString() != "ok" || dp.Count != batches[table.AsString()] {
			t.Errorf("insert duration of %s/%s: count %d, want %d ok", table.AsString(), outcome.AsString(), dp.Count, batches[table.AsString()])
		}
	}
	fresh := collect[metricdata.Histogram[float64]](t, reader, "flavortrend.ingest.freshness").DataPoints
	if len(fresh) != 2 {
		t.Errorf("freshness of %d tables, want 2", len(fresh))
	}
	for _, dp := range fresh {
		table, _ := dp.Attributes.Value("table")
		low, _ := dp.Min.Value()
		high, _ := dp.Max.Value()
		if int64(dp.Count) != wantRows[table.AsString()] || low < 5 || high > 5+60 {
			t.Errorf("freshness of %s: %d rows from %.1fs to %.1fs, want %d rows from 5s", table.AsString(), dp.Count, low, high, wantRows[table.AsString()])
		}
	}
}

// TestTelemetryRetries: while ClickHouse refuses a batch (its table renamed away), each retry
// is counted, timed as an error, and logged with the trace and span of the batch's span,
// which ends once the insert succeeds, with the number of attempts.
func TestTelemetryRetries(t *testing.T) {
	ctx := context.Background()
	_, _, kafka, _ := testenv.Settings()
	ch, chCfg := testenv.ClickHouse(t)
	prefix := testenv.Name("ft_telretry")
	topic := prefix + ".public.couriers"
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	t.Cleanup(func() { deleteTopics(t, cl, topic, prefix+".dead-letter") })
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, -1, nil, topic); err != nil {
		t.Fatal(err)
	}

	spans := tracetest.NewInMemoryExporter()
	reader := sdkmetric.NewManualReader()
	var logs syncBuffer
	cfg := ingest.Config{Kafka: kafka, ClickHouse: chCfg, TopicPrefix: prefix, DerivedPrefix: prefix + ".", Group: testenv.Name("g"),
		BatchRows: 1000, FlushInterval: 100 * time.Millisecond, MaxRecord: 1 << 20, RetryMax: 200 * time.Millisecond}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	run := startWith(t, cfg, slog.New(telemetry.LogHandler(slog.NewJSONHandler(&logs, nil))), telemetry.Providers{
		Tracers: sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans)),
		Meters:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
	})
	// The ingester knows the table; now ClickHouse refuses inserts into it.
	table := chCfg.Database + ".couriers"
	if err := ch.Exec(ctx, "RENAME TABLE "+table+" TO "+table+"_away"); err != nil {
		t.Fatal(err)
	}
	var records []*kgo.Record
	for i := 1; i <= 3; i++ {
		v := fixtureValue(t, "couriers")
		v["after"].(map[string]any)["id"] = i
		value, _ := json.Marshal(v)
		records = append(records, &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, `{"id":%d}`, i), Value: value})
	}
	if err := cl.ProduceSync(ctx, records...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	// Stats waits for the batch, which is being retried: count the retries by the metric.
	waitFor(t, 60*time.Second, func() bool {
		sum, ok := lookup[metricdata.Sum[int64]](t, reader, "flavortrend.ingest.retries")
		return ok && byTable(sum.DataPoints)["couriers"] >= 3
	})
	if err := ch.Exec(ctx, "RENAME TABLE "+table+"_away TO "+table); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, func() bool { return run.in.Stats().Rows == 3 })
	st := run.Stop()

	batch := spansNamed(spans.GetSpans(), "ingest.batch")
	if len(batch) != 1 {
		t.Fatalf("%d batch spans, want 1", len(batch))
	}
	attrs := attribute.NewSet(batch[0].Attributes...)
	attempts, _ := attrs.Value("attempts")
	rows, _ := attrs.Value("rows")
	if attempts.AsInt64() != st.Retries+1 || rows.AsInt64() != 3 {
		t.Errorf("batch span attempts %d rows %d, want %d and 3", attempts.AsInt64(), rows.AsInt64(), st.Retries+1)
	}
	retryLines := 0
	for _, l := range bytes.Split(logs.Bytes(), []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(l, &m) != nil || m["msg"] != "clickhouse insert failed, retrying" {
			continue
		}
		retryLines++
		if m["trace_id"] != batch[0].SpanContext.TraceID().String() || m["span_id"] != batch[0].SpanContext.SpanID().String() {
			t.Errorf("retry line %s, want trace %s span %s", l, batch[0].SpanContext.TraceID(), batch[0].SpanContext.SpanID())
		}
	}
	if int64(retryLines) != st.Retries {
		t.Errorf("%d retry log lines, want %d", retryLines, st.Retries)
	}
	if got := byTable(collect[metricdata.Sum[int64]](t, reader, "flavortrend.ingest.retries").DataPoints); got["couriers"] != st.Retries {
		t.Errorf("flavortrend.ingest.retries = %v, want couriers %d", got, st.Retries)
	}
	inserts := map[string]uint64{}
	for _, dp := range collect[metricdata.Histogram[float64]](t, reader, "flavortrend.ingest.insert.duration").DataPoints {
		outcome, _ := dp.Attributes.Value("outcome")
		inserts[outcome.AsString()] = dp.Count
	}
	if inserts["ok"] != 1 || int64(inserts["error"]) != st.Retries {
		t.Errorf("insert durations %v, want 1 ok and %d errors", inserts, st.Retries)
	}
}

// waitFor polls cond until it holds, failing the test after within.
func waitFor(t *testing.T, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startWith is start with a logger and telemetry of the test's own.
func startWith(t *testing.T, cfg ingest.Config, log *slog.Logger, tel telemetry.Providers) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	in, err := ingest.New(ctx, cfg, log, tel)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	r := &running{t: t, in: in, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- in.Run(ctx) }()
	t.Cleanup(func() { r.Stop() })
	return r
}

// fixtureValue returns the envelope of testdata/debezium/<table>.r.json.
func fixtureValue(t *testing.T, table string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../testdata/debezium/" + table + ".r.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Value map[string]any `json:"value"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Value
}

func spansNamed(spans tracetest.SpanStubs, name string) tracetest.SpanStubs {
	var out tracetest.SpanStubs
	for _, s := range spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// collect reads the metric of that name, failing the test when it is missing.
func collect[D metricdata.Aggregation](t *testing.T, r sdkmetric.Reader, name string) D {
	t.Helper()
	d, ok := lookup[D](t, r, name)
	if !ok {
		t.Fatalf("no metric %s", name)
	}
	return d
}

// lookup reads the metric of that name, if it has been recorded.
func lookup[D metricdata.Aggregation](t *testing.T, r sdkmetric.Reader, name string) (D, bool) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				d, ok := m.Data.(D)
				if !ok {
					t.Fatalf("%s is a %T", name, m.Data)
				}
				return d, true
			}
		}
	}
	var zero D
	return zero, false
}

func byTable(dps []metricdata.DataPoint[int64]) map[string]int64 {
	out := map[string]int64{}
	for _, dp := range dps {
		table, _ := dp.Attributes.Value("table")
		out[table.AsString()] += dp.Value
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// syncBuffer is a bytes.Buffer safe for the ingester's goroutine and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.buf.Bytes())
}
