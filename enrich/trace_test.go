package enrich_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/flavortrend/flavortrend/generate"
	"github.com/flavortrend/flavortrend/internal/telemetry"
)

// TestOrderTrace follows one delivered order through the pipeline with an in-memory span
// exporter shared by the simulator, the ingester and the enricher, as the processes would
// share a trace store: its trace starts at the simulator's generate.order span (the row's
// trace_parent); each CDC change of the order is a cdc.change span under it and is
// processed in an enrich.process span under that; the ingester's batch of the orders mirror
// links the order's trace, and the batch of orders_enriched links the enrich.process span
// that produced the order's enriched record. The metrics count what was done.
func TestOrderTrace(t *testing.T) {
	ctx := context.Background()
	pg, ch, chCfg, kafka, name := captured(t, "ft_trc")
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	reader := sdkmetric.NewManualReader()
	tel := telemetry.Providers{Tracers: tp, Meters: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))}

	if err := generate.Seed(ctx, pg, 1); err != nil {
		t.Fatal(err)
	}
	// Fewer orders than an ingest batch span's links (128), so that every order's trace is
	// linked by the batches of the orders mirror.
	from := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	st, err := generate.Run(ctx, pg, generate.Config{Seed: 4, Rate: 1.5, Speed: 0, Start: from, Duration: time.Hour, Telemetry: tel}, nil)
	if err != nil {
		t.Fatal(err)
	}
	runPipeline(t, kafka, chCfg, name, tel)

	var placed, delivered uint64
	if err := pg.QueryRow(ctx, "SELECT count(*), count(delivered_at) FROM orders").Scan(&placed, &delivered); err != nil {
		t.Fatal(err)
	}
	if placed < 30 || placed > 128 || delivered < 15 || int64(placed) != st.Placed {
		t.Fatalf("simulation: %d orders (stats %d), %d delivered", placed, st.Placed, delivered)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var e, o uint64
		if err := ch.QueryRow(ctx, "SELECT (SELECT count() FROM "+chCfg.Database+".orders_enriched FINAL), (SELECT count() FROM "+
			chCfg.Database+".eta_outcomes FINAL)").Scan(&e, &o); err != nil {
			t.Fatal(err)
		}
		if e == placed && o == delivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("in ClickHouse: %d enriched, %d outcomes; want %d, %d", e, o, placed, delivered)
		}
		time.Sleep(time.Second)
	}

	// The order: the first delivered one, and its trace from the row.
	var id int64
	var tp0 string
	if err := pg.QueryRow(ctx, "SELECT id, trace_parent FROM orders WHERE status = 'delivered' ORDER BY id LIMIT 1").Scan(&id, &tp0); err != nil {
		t.Fatal(err)
	}
	root := telemetry.SpanContext(tp0)
	if !root.IsValid() {
		t.Fatalf("order %d: trace_parent %q", id, tp0)
	}
	all := spans.GetSpans()
	inTrace := map[string][]tracetest.SpanStub{}
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, s := range all {
		byID[s.SpanContext.SpanID()] = s
		if s.SpanContext.TraceID() == root.TraceID() {
			inTrace[s.Name] = append(inTrace[s.Name], s)
		}
	}

	// The simulator's span is the root, and the row's trace_parent is its context.
	gen := inTrace["generate.order"]
	if len(gen) != 1 || gen[0].SpanContext.SpanID() != root.SpanID() || gen[0].Parent.IsValid() {
		t.Fatalf("order %d: generate.order spans %d, want one root span with the row's context %s", id, len(gen), tp0)
	}
	if v := attr(gen[0], "order.id"); v.AsInt64() != id {
		t.Errorf("generate.order order.id = %v, want %d", v.AsInt64(), id)
	}

	// Each change of the order: cdc.change under the root, enrich.process under it, in time order.
	changes := inTrace["cdc.change"]
	if len(changes) < 4 { // placed, accepted, picked up, delivered at least
		t.Fatalf("order %d: %d cdc.change spans, want one per change (≥ 4)", id, len(changes))
	}
	processed := map[trace.SpanID]tracetest.SpanStub{} // by parent
	for _, s := range inTrace["enrich.process"] {
		processed[s.Parent.SpanID()] = s
	}
	for _, c := range changes {
		if c.Parent.SpanID() != root.SpanID() {
			t.Errorf("cdc.change %s: parent %s, want the root %s", c.SpanContext.SpanID(), c.Parent.SpanID(), root.SpanID())
		}
		// Commit times are in milliseconds.
		if c.StartTime.Before(gen[0].StartTime.Truncate(time.Millisecond)) || c.EndTime.Before(c.StartTime) {
			t.Errorf("cdc.change %s..%s not after the placement at %s", c.StartTime, c.EndTime, gen[0].StartTime)
		}
		p, ok := processed[c.SpanContext.SpanID()]
		if !ok {
			t.Errorf("cdc.change %s has no enrich.process child", c.SpanContext.SpanID())
			continue
		}
		if stage := attr(p, "stage"); stage.AsString() != "orders" || p.SpanKind != trace.SpanKindConsumer {
			t.Errorf("enrich.process: stage %q kind %s", stage.AsString(), p.SpanKind)
		}
		if p.StartTime.Before(c.EndTime.Truncate(time.Millisecond)) {
			t.Errorf("enrich.process starts at %s, before its record reached Kafka at %s", p.StartTime, c.EndTime)
		}
		if len(p.Links) != 1 || byID[p.Links[0].SpanContext.SpanID()].Name != "enrich.transaction" {
			t.Errorf("enrich.process links %v, want its transaction", p.Links)
		}
	}

	// The ingester: a batch of the orders mirror links the root; a batch of orders_enriched
	// links the enrich.process span that emitted the order's enriched record, after it.
	linked := func(table string, want func(trace.SpanContext) bool) (tracetest.SpanStub, bool) {
		for _, s := range all {
			if s.Name != "ingest.batch" {
				continue
			}
			if attr(s, "table").AsString() != table {
				continue
			}
			for _, l := range s.Links {
				if want(l.SpanContext) {
					return s, true
				}
			}
		}
		return tracetest.SpanStub{}, false
	}
	if _, ok := linked("orders", func(sc trace.SpanContext) bool { return sc.TraceID() == root.TraceID() && sc.SpanID() == root.SpanID() }); !ok {
		t.Errorf("no ingest.batch of orders links the order's trace %s", tp0)
	}
	var emitter tracetest.SpanStub
	batch, ok := linked("orders_enriched", func(sc trace.SpanContext) bool {
		s := byID[sc.SpanID()]
		if s.Name != "enrich.process" || s.SpanContext.TraceID() != root.TraceID() {
			return false
		}
		emitter = s
		return true
	})
	if !ok {
		t.Fatalf("no ingest.batch of orders_enriched links an enrich.process span of the order's trace")
	}
	if batch.StartTime.Before(emitter.EndTime) {
		t.Errorf("orders_enriched batch starts at %s, before its record was emitted (%s)", batch.StartTime, emitter.EndTime)
	}

	// Metrics: every order was counted placed by the simulator, and enriched exactly once.
	var generated int64
	for _, dp := range sumOf(t, reader, "flavortrend.generate.orders") {
		generated += dp.Value
	}
	if generated != int64(placed) {
		t.Errorf("flavortrend.generate.orders = %d, want %d", generated, placed)
	}
	emitted := map[string]int64{}
	for _, dp := range sumOf(t, reader, "flavortrend.enrich.emitted") {
		topic, _ := dp.Attributes.Value("topic")
		emitted[topic.AsString()] = dp.Value
	}
	if got := emitted[name+".orders.enriched"]; got != int64(placed) {
		t.Errorf("flavortrend.enrich.emitted{topic=%s.orders.enriched} = %d, want %d (all: %v)", name, got, placed, emitted)
	}
	commits := map[string]int64{}
	for _, dp := range sumOf(t, reader, "flavortrend.enrich.transactions") {
		stage, _ := dp.Attributes.Value("stage")
		outcome, _ := dp.Attributes.Value("outcome")
		commits[stage.AsString()+"/"+outcome.AsString()] = dp.Value
	}
	if commits["orders/commit"] == 0 || commits["city/commit"] == 0 {
		t.Errorf("flavortrend.enrich.transactions = %v, want commits of both stages", commits)
	}
}

// attr is the value of the span's attribute key.
func attr(s tracetest.SpanStub, key attribute.Key) attribute.Value {
	set := attribute.NewSet(s.Attributes...)
	v, _ := set.Value(key)
	return v
}

// sumOf collects the data points of the counter name.
func sumOf(t *testing.T, r sdkmetric.Reader, name string) []metricdata.DataPoint[int64] {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m.Data.(metricdata.Sum[int64]).DataPoints
			}
		}
	}
	t.Fatalf("metric %s not reported", name)
	return nil
}
