package telemetry

import (
	"context"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// TraceParentKey is the W3C trace-context field that carries a span's context: the name of
// the Kafka record header and the meaning of the orders.trace_parent column.
const TraceParentKey = "traceparent"

var traceContext propagation.TraceContext

// SpanContext parses a W3C traceparent value; an empty or malformed one gives an invalid
// context (IsValid false). The context is marked remote.
func SpanContext(traceParent string) trace.SpanContext {
	if traceParent == "" {
		return trace.SpanContext{}
	}
	ctx := traceContext.Extract(context.Background(), propagation.MapCarrier{TraceParentKey: traceParent})
	return trace.SpanContextFromContext(ctx)
}

// TraceParent formats a span context as a W3C traceparent value, "" when it is invalid.
func TraceParent(sc trace.SpanContext) string {
	if !sc.IsValid() {
		return ""
	}
	c := propagation.MapCarrier{}
	traceContext.Inject(trace.ContextWithSpanContext(context.Background(), sc), c)
	return c[TraceParentKey]
}
