package stream

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/flavortrend/flavortrend/internal/telemetry"
)

// scope names the enricher's tracer and meter.
const scope = "github.com/flavortrend/flavortrend/enrich"

// Spans (docs/telemetry.md).
const (
	spanTransaction = "enrich.transaction" // one poll's transaction
	spanProcess     = "enrich.process"     // one record with a trace context, in that trace
	spanTimer       = "enrich.timer"       // a record a timer emitted for an order, in the order's trace
	spanChange      = "cdc.change"         // a change's trip from its commit to its record in Kafka
)

// instruments are a runner's spans and metrics.
type instruments struct {
	tracer       trace.Tracer
	tracing      bool // a tracer provider was given: records with a sampled trace context get spans
	records      metric.Int64Counter
	transactions metric.Int64Counter
	duration     metric.Float64Histogram
	emitted      metric.Int64Counter
	deadLetters  metric.Int64Counter
	lag          telemetry.Lag
	lagReg       metric.Registration
	stage        attribute.KeyValue
}

func newInstruments(p telemetry.Providers, stage string) (*instruments, error) {
	in := &instruments{tracer: p.Tracer(scope), tracing: p.Tracers != nil, stage: attribute.String("stage", stage)}
	m := p.Meter(scope)
	var errs [6]error
	in.records, errs[0] = m.Int64Counter("flavortrend.enrich.records", metric.WithUnit("{record}"),
		metric.WithDescription("Records processed in committed transactions, by stage and outcome (ok, dead_letter)."))
	in.transactions, errs[1] = m.Int64Counter("flavortrend.enrich.transactions", metric.WithUnit("{transaction}"),
		metric.WithDescription("Kafka transactions ended, by stage and outcome (commit, abort)."))
	in.duration, errs[2] = m.Float64Histogram("flavortrend.enrich.transaction.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of one transaction, from its begin to its end, by stage."),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
	in.emitted, errs[3] = m.Int64Counter("flavortrend.enrich.emitted", metric.WithUnit("{record}"),
		metric.WithDescription("Records produced in committed transactions, by topic (changelogs and dead letters included)."))
	in.deadLetters, errs[4] = m.Int64Counter("flavortrend.enrich.dead_letters", metric.WithUnit("{record}"),
		metric.WithDescription("Records sent to the dead-letter topic in committed transactions, by stage."))
	in.lagReg, errs[5] = in.lag.Register(m, "flavortrend.enrich.consumer.lag",
		"Records in an input partition past the stage's position (high watermark minus the next offset to process), by stage, topic and partition.",
		in.stage)
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("enrich metrics: %w", err)
		}
	}
	return in, nil
}

// txCounts are what one transaction did, reported once it ended.
type txCounts struct {
	ok, dead int64
	emitted  map[string]int64 // by topic
}

// ended reports a transaction that began at start.
func (in *instruments) ended(ctx context.Context, start time.Time, committed bool, n txCounts) {
	outcome := "abort"
	if committed {
		outcome = "commit"
	}
	stage := metric.WithAttributes(in.stage)
	in.transactions.Add(ctx, 1, metric.WithAttributes(in.stage, attribute.String("outcome", outcome)))
	in.duration.Record(ctx, time.Since(start).Seconds(), stage)
	if !committed {
		return
	}
	in.records.Add(ctx, n.ok, metric.WithAttributes(in.stage, attribute.String("outcome", "ok")))
	if n.dead > 0 {
		in.records.Add(ctx, n.dead, metric.WithAttributes(in.stage, attribute.String("outcome", "dead_letter")))
		in.deadLetters.Add(ctx, n.dead, stage)
	}
	for topic, k := range n.emitted {
		in.emitted.Add(ctx, k, metric.WithAttributes(attribute.String("topic", topic)))
	}
}

// recordSpan is the span of the record being processed, started once its trace context is
// known: from its traceparent header before Process, or from Tx.Trace during it.
type recordSpan struct {
	r     *kgo.Record
	start time.Time
	span  trace.Span // nil until a trace context is known
}

// traceParent is the value of r's traceparent header, "" without one.
func traceParent(r *kgo.Record) string {
	for _, h := range r.Headers {
		if h.Key == telemetry.TraceParentKey {
			return string(h.Value)
		}
	}
	return ""
}

// setTraceParent sets r's traceparent header to tp.
func setTraceParent(r *kgo.Record, tp string) {
	for i := range r.Headers {
		if r.Headers[i].Key == telemetry.TraceParentKey {
			r.Headers[i].Value = []byte(tp)
			return
		}
	}
	r.Headers = append(r.Headers, kgo.RecordHeader{Key: telemetry.TraceParentKey, Value: []byte(tp)})
}

// traced is the context of traceParent when the record it came with gets spans: there is a
// tracer, and the context is valid and sampled (a trace no one records is passed on as is).
func (in *instruments) traced(traceParent string) (trace.SpanContext, bool) {
	if !in.tracing || traceParent == "" {
		return trace.SpanContext{}, false
	}
	sc := telemetry.SpanContext(traceParent)
	return sc, sc.IsValid() && sc.IsSampled()
}

// startRecord starts the span of record rs in the trace of traceParent unless it has one or
// the context gets no span. txSpan, the transaction's span, is linked.
func (in *instruments) startRecord(rs *recordSpan, traceParent string, txSpan trace.SpanContext) {
	if rs == nil || rs.span != nil {
		return
	}
	parent, ok := in.traced(traceParent)
	if !ok {
		return
	}
	_, rs.span = in.tracer.Start(trace.ContextWithRemoteSpanContext(context.Background(), parent), spanProcess,
		trace.WithSpanKind(trace.SpanKindConsumer), trace.WithTimestamp(rs.start),
		trace.WithLinks(trace.Link{SpanContext: txSpan}),
		trace.WithAttributes(in.stage, attribute.String("topic", rs.r.Topic), attribute.Int("partition", int(rs.r.Partition)),
			attribute.Int64("offset", rs.r.Offset)))
}

// change records the CDC trip of record r, committed at the source at committed, in the
// trace of traceParent, and returns the trip span's context as a traceparent; traceParent
// itself when it is invalid or the commit time unknown.
func (in *instruments) change(r *kgo.Record, traceParent string, committed time.Time) string {
	parent, ok := in.traced(traceParent)
	if !ok || committed.IsZero() || r.Timestamp.Before(committed) {
		return traceParent
	}
	_, sp := in.tracer.Start(trace.ContextWithRemoteSpanContext(context.Background(), parent), spanChange,
		trace.WithSpanKind(trace.SpanKindProducer), trace.WithTimestamp(committed),
		trace.WithAttributes(attribute.String("topic", r.Topic), attribute.Int("partition", int(r.Partition)),
			attribute.Int64("offset", r.Offset)))
	sp.End(trace.WithTimestamp(r.Timestamp))
	return telemetry.TraceParent(sp.SpanContext())
}

// endRecord ends the span of record rs, an error when the record went to the dead letters.
func endRecord(rs *recordSpan, err error) {
	if rs.span == nil {
		return
	}
	if err != nil {
		rs.span.RecordError(err)
		rs.span.SetStatus(codes.Error, "dead letter")
	}
	rs.span.End()
}

// stamp puts the trace context of the work that produces out in its traceparent header.
// A record carrying the trace of the record being processed gets that record's span; one
// carrying another trace (a timer firing for another order) gets a span of its own in that
// trace; one whose context gets no span is left alone.
func (in *instruments) stamp(cur *recordSpan, out *kgo.Record) {
	sc, ok := in.traced(traceParent(out))
	if !ok {
		return
	}
	if cur != nil && cur.span != nil && cur.span.SpanContext().TraceID() == sc.TraceID() {
		setTraceParent(out, telemetry.TraceParent(cur.span.SpanContext()))
		return
	}
	_, sp := in.tracer.Start(trace.ContextWithRemoteSpanContext(context.Background(), sc), spanTimer,
		trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(in.stage, attribute.String("topic", out.Topic)))
	setTraceParent(out, telemetry.TraceParent(sp.SpanContext()))
	sp.End()
}
