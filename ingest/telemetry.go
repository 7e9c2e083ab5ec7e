package ingest

import (
	"context"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/flavortrend/flavortrend/ingest/debezium"
)

// scope names the ingester's tracer and meter.
const scope = "github.com/flavortrend/flavortrend/ingest"

// Spans (docs/telemetry.md).
const (
	spanFlush       = "ingest.flush"        // one flush: the table batches, the dead letters, the commit
	spanBatch       = "ingest.batch"        // one table's batch written to ClickHouse, linked to its records' traces
	spanDeadLetters = "ingest.dead_letters" // the dead letters produced by a flush, linked to their records' traces
)

// maxLinks caps the links of one span; the trace contexts past it are counted in the span's
// links.dropped attribute.
const maxLinks = 128

// Outcomes of a consumed record (attribute outcome of flavortrend.ingest.records).
const (
	outcomeRow        = "row"
	outcomeSkipped    = "skipped"
	outcomeDeadLetter = "dead_letter"
)

// Reason classes of dead letters (attribute reason of flavortrend.ingest.dead_letters).
const (
	reasonOversized    = "oversized"     // larger than -max-record-bytes
	reasonDecode       = "decode"        // not a Debezium change event
	reasonUnknownTable = "unknown_table" // no mirror table of that name
	reasonValue        = "value"         // a value that does not fit its column, or no key
	reasonUnchanged    = "unchanged"     // an unchanged TOAST value whose current value could not be read
)

// instruments are the ingester's metrics (docs/telemetry.md).
type instruments struct {
	records     metric.Int64Counter
	rows        metric.Int64Counter
	batchSize   metric.Int64Histogram
	insert      metric.Float64Histogram
	retries     metric.Int64Counter
	deadLetters metric.Int64Counter
	freshness   metric.Float64Histogram

	// The attribute sets of the record counts by table and outcome. Guarded by Ingester.mu.
	outcomes map[outcomeKey]metric.AddOption
}

type outcomeKey struct{ table, outcome string }

// outcomeCounts counts records by table and outcome between two reports: one measurement per
// table and outcome and poll instead of one per record.
type outcomeCounts map[outcomeKey]int64

// add counts one record of a table with its outcome.
func (c outcomeCounts) add(table, outcome string) {
	c[outcomeKey{table, outcome}]++
}

func newInstruments(m metric.Meter) (*instruments, error) {
	var in instruments
	var errs [7]error
	in.records, errs[0] = m.Int64Counter("flavortrend.ingest.records", metric.WithUnit("{record}"),
		metric.WithDescription("Records consumed from the CDC topics, by table and outcome (row, skipped, dead_letter)."))
	in.rows, errs[1] = m.Int64Counter("flavortrend.ingest.rows", metric.WithUnit("{row}"),
		metric.WithDescription("Rows written to the ClickHouse mirrors, by table."))
	in.batchSize, errs[2] = m.Int64Histogram("flavortrend.ingest.batch.size", metric.WithUnit("{row}"),
		metric.WithDescription("Rows per batch written to ClickHouse, by table."),
		metric.WithExplicitBucketBoundaries(1, 10, 100, 1000, 5000, 10000, 25000, 50000, 100000))
	in.insert, errs[3] = m.Float64Histogram("flavortrend.ingest.insert.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of one ClickHouse insert attempt, by table and outcome (ok, error)."),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
	in.retries, errs[4] = m.Int64Counter("flavortrend.ingest.retries", metric.WithUnit("{retry}"),
		metric.WithDescription("Failed ClickHouse inserts that were retried, by table."))
	in.deadLetters, errs[5] = m.Int64Counter("flavortrend.ingest.dead_letters", metric.WithUnit("{record}"),
		metric.WithDescription("Records sent to the dead-letter topic, by table and reason class."))
	in.freshness, errs[6] = m.Float64Histogram("flavortrend.ingest.freshness", metric.WithUnit("s"),
		metric.WithDescription("Time from a change's commit in PostgreSQL to its row's insert into ClickHouse, per row, by table."),
		metric.WithExplicitBucketBoundaries(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600))
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("ingest metrics: %w", err)
		}
	}
	in.outcomes = map[outcomeKey]metric.AddOption{}
	return &in, nil
}

// report adds counts to flavortrend.ingest.records and zeroes them. Called with Ingester.mu held.
func (in *instruments) report(ctx context.Context, counts outcomeCounts) {
	for k, n := range counts {
		if n == 0 {
			continue
		}
		opt, ok := in.outcomes[k]
		if !ok {
			opt = metric.WithAttributes(attribute.String("table", k.table), attribute.String("outcome", k.outcome))
			in.outcomes[k] = opt
		}
		in.records.Add(ctx, n, opt)
		counts[k] = 0
	}
}

// tableAttrs is the attribute set of a table's measurements.
func tableAttrs(name string) metric.MeasurementOption {
	return metric.WithAttributeSet(attribute.NewSet(attribute.String("table", name)))
}

// batchTrace collects what the span of a batch names: the partitions of its records and the
// distinct trace contexts they carry, the first maxLinks as links, the rest counted.
type batchTrace struct {
	parts   []partition
	links   []trace.Link
	linked  map[string]struct{} // traceparent values already linked
	dropped int                 // trace contexts seen after the links were full (per record)
}

var traceContext propagation.TraceContext

// from notes the partition of a record.
func (b *batchTrace) from(topic string, part int32) {
	p := partition{topic, part}
	if !slices.Contains(b.parts, p) {
		b.parts = append(b.parts, p)
	}
}

// link links the W3C traceparent tp unless it is empty, invalid or linked already.
func (b *batchTrace) link(tp string) {
	if tp == "" {
		return
	}
	if _, ok := b.linked[tp]; ok {
		return
	}
	if len(b.links) >= maxLinks {
		b.dropped++
		return
	}
	sc := trace.SpanContextFromContext(traceContext.Extract(context.Background(), propagation.MapCarrier{debezium.TraceParentHeader: tp}))
	if !sc.IsValid() {
		return
	}
	if b.linked == nil {
		b.linked = map[string]struct{}{}
	}
	b.linked[tp] = struct{}{}
	b.links = append(b.links, trace.Link{SpanContext: sc})
}

// linkBytes is link for a value still in a record: it copies it only to link it.
func (b *batchTrace) linkBytes(tp []byte) {
	if len(tp) == 0 {
		return
	}
	if _, ok := b.linked[string(tp)]; ok {
		return
	}
	if len(b.links) >= maxLinks {
		b.dropped++
		return
	}
	b.link(string(tp))
}

// linkJSON links the traceparent in a JSON string value (a trace_parent column).
func (b *batchTrace) linkJSON(raw []byte) {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		b.linkBytes(raw[1 : len(raw)-1])
	}
}

// linkHeader links the traceparent header of a record.
func (b *batchTrace) linkHeader(r *kgo.Record) {
	for i := range r.Headers {
		if r.Headers[i].Key == debezium.TraceParentHeader {
			b.linkBytes(r.Headers[i].Value)
		}
	}
}

// attrs returns the span attributes of the partitions and of the dropped links.
func (b *batchTrace) attrs() []attribute.KeyValue {
	parts := make([]string, len(b.parts))
	for i, p := range b.parts {
		parts[i] = fmt.Sprintf("%s/%d", p.topic, p.part)
	}
	slices.Sort(parts)
	return []attribute.KeyValue{attribute.StringSlice("partitions", parts), attribute.Int("links.dropped", b.dropped)}
}

func (b *batchTrace) reset() {
	b.parts, b.links, b.dropped = b.parts[:0], b.links[:0], 0
	clear(b.linked)
}
