package ingest

import (
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/attribute"
)

// TestTelemetryLinkCap: a batch links each distinct valid trace context once, from headers,
// JSON column values and strings alike, up to maxLinks; the contexts past the cap are
// counted, invalid ones ignored, and reset empties it for the next batch.
func TestTelemetryLinkCap(t *testing.T) {
	tp := func(i int) string { return fmt.Sprintf("00-%032x-%016x-01", i+1, i+1) }
	var b batchTrace
	b.from("ft.public.orders", 1)
	b.from("ft.public.orders", 0)
	b.from("ft.public.orders", 1)
	b.link(tp(0))
	b.linkJSON([]byte(`"` + tp(0) + `"`)) // the same context again
	b.linkHeader(&kgo.Record{Headers: []kgo.RecordHeader{{Key: "traceparent", Value: []byte(tp(1))}}})
	for _, bad := range []string{"", "00-00000000000000000000000000000000-0000000000000000-01", "not a traceparent"} {
		b.link(bad)
	}
	b.linkJSON([]byte("null"))
	if len(b.links) != 2 || b.dropped != 0 {
		t.Fatalf("links %d dropped %d, want 2 and 0", len(b.links), b.dropped)
	}
	if got := b.links[1].SpanContext.TraceID().String(); got != fmt.Sprintf("%032x", 2) {
		t.Errorf("second link trace id %s", got)
	}
	for i := 2; i < maxLinks+10; i++ {
		b.link(tp(i))
	}
	b.link(tp(5))                           // linked already: not counted
	b.linkJSON([]byte(`"` + tp(500) + `"`)) // past the cap
	if len(b.links) != maxLinks || b.dropped != 11 {
		t.Errorf("links %d dropped %d, want %d and 11", len(b.links), b.dropped, maxLinks)
	}
	attrs := attribute.NewSet(b.attrs()...)
	if v, _ := attrs.Value("partitions"); fmt.Sprint(v.AsStringSlice()) != "[ft.public.orders/0 ft.public.orders/1]" {
		t.Errorf("partitions = %v", v.AsStringSlice())
	}
	if v, _ := attrs.Value("links.dropped"); v.AsInt64() != 11 {
		t.Errorf("links.dropped = %d", v.AsInt64())
	}
	b.reset()
	b.link(tp(0))
	if len(b.links) != 1 || b.dropped != 0 || len(b.parts) != 0 {
		t.Errorf("after reset: links %d dropped %d parts %d", len(b.links), b.dropped, len(b.parts))
	}
}
