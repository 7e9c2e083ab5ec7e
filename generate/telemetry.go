package generate

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/flavortrend/flavortrend/internal/telemetry"
)

// scope names the simulator's tracer and meter.
const scope = "github.com/flavortrend/flavortrend/generate"

// spanOrder is the span of an order's placement: from the simulated placement to the commit
// of the batch that inserted it. Its context is the order's trace_parent, so every later
// stage's work on the order joins its trace (docs/telemetry.md).
const spanOrder = "generate.order"

// instruments are the simulator's spans and metrics; the zero value records nothing and
// leaves trace_parent to the seeded generator.
type instruments struct {
	tracer  trace.Tracer // nil: no spans
	orders  metric.Int64Counter
	events  metric.Int64Counter
	pending []trace.Span     // placement spans of the batch being written
	placed  map[string]int64 // orders of the batch being written, by city name
}

func newInstruments(p telemetry.Providers) (*instruments, error) {
	in := &instruments{placed: map[string]int64{}}
	if p.Tracers != nil {
		in.tracer = p.Tracer(scope)
	}
	m := p.Meter(scope)
	var err1, err2 error
	in.orders, err1 = m.Int64Counter("flavortrend.generate.orders", metric.WithUnit("{order}"),
		metric.WithDescription("Orders placed and committed to PostgreSQL, by city."))
	in.events, err2 = m.Int64Counter("flavortrend.generate.events", metric.WithUnit("{event}"),
		metric.WithDescription("Rows the simulator committed to PostgreSQL, by kind: order, order_line, accepted, picked_up, delivered, cancelled, courier_status, review, weather, position."))
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("generate metrics: %v %v", err1, err2)
	}
	return in, nil
}

// place starts the span of order o placed in city c and returns its traceparent, or drawn
// when there is no tracer. drawn is taken from the seeded generator either way, so that
// tracing does not change the other rows of a seeded run.
func (in *instruments) place(o *order, c *city, drawn string) string {
	in.placed[c.name]++
	if in.tracer == nil {
		return drawn
	}
	_, sp := in.tracer.Start(context.Background(), spanOrder, trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attribute.Int64("order.id", o.id), attribute.String("city", c.name),
			attribute.Int("restaurant.id", o.rest.id), attribute.String("placed_at", o.placedAt.UTC().Format("2006-01-02T15:04:05Z"))))
	in.pending = append(in.pending, sp)
	return telemetry.TraceParent(sp.SpanContext())
}

// events are the rows of batch b by kind, taken before it is written (a written batch is reset).
func (b *batch) events() map[string]int64 {
	n := map[string]int64{
		"order": int64(len(b.orders)), "order_line": int64(len(b.items)), "courier_status": int64(len(b.courierSteps)),
		"review": int64(len(b.reviews)), "weather": int64(len(b.weather)), "position": int64(len(b.positions)),
	}
	for _, st := range b.orderSteps {
		n[st.status]++
	}
	return n
}

// written ends the placement spans of a batch and, once it committed (err nil), counts its
// orders and events.
func (in *instruments) written(ctx context.Context, events map[string]int64, err error) {
	for _, sp := range in.pending {
		if err != nil {
			sp.RecordError(err)
			sp.SetStatus(codes.Error, "batch not committed")
		}
		sp.End()
	}
	in.pending = in.pending[:0]
	if err != nil {
		return
	}
	for city, n := range in.placed {
		in.orders.Add(ctx, n, metric.WithAttributes(attribute.String("city", city)))
		delete(in.placed, city)
	}
	for kind, n := range events {
		if n > 0 {
			in.events.Add(ctx, n, metric.WithAttributes(attribute.String("kind", kind)))
		}
	}
}
