package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/flavortrend/flavortrend/internal/telemetry"
)

// TestLogHandlerAddsIDs: a line logged with a span's context carries its trace and span ids,
// through WithAttrs and WithGroup too; a line without one carries none.
func TestLogHandlerAddsIDs(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(telemetry.LogHandler(slog.NewJSONHandler(&buf, nil)))
	tp := sdktrace.NewTracerProvider()
	defer tp.Shutdown(context.Background()) //nolint:errcheck // nothing exported
	ctx, span := tp.Tracer("test").Start(context.Background(), "work")
	defer span.End()
	sc := span.SpanContext()

	lines := []struct {
		log  func()
		want bool
	}{
		{func() { log.InfoContext(ctx, "in span", "k", 1) }, true},
		{func() { log.With("stage", "ingest").WarnContext(ctx, "with attrs") }, true},
		{func() { log.InfoContext(context.Background(), "no span") }, false},
		{func() { log.Info("no context") }, false},
	}
	for _, l := range lines {
		buf.Reset()
		l.log()
		var got map[string]any
		if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatalf("%v: %s", err, buf.Bytes())
		}
		if !l.want {
			if _, ok := got["trace_id"]; ok {
				t.Errorf("%s: trace_id without a span: %s", got["msg"], buf.Bytes())
			}
			continue
		}
		if got["trace_id"] != sc.TraceID().String() || got["span_id"] != sc.SpanID().String() {
			t.Errorf("%s: ids %v/%v, want %s/%s", got["msg"], got["trace_id"], got["span_id"], sc.TraceID(), sc.SpanID())
		}
	}

	buf.Reset()
	log.WithGroup("batch").InfoContext(ctx, "grouped", "rows", 3)
	var grouped struct {
		Batch map[string]any `json:"batch"`
	}
	if err := json.Unmarshal(buf.Bytes(), &grouped); err != nil {
		t.Fatal(err)
	}
	if grouped.Batch["trace_id"] != sc.TraceID().String() || grouped.Batch["rows"] != 3.0 {
		t.Errorf("grouped line = %s", buf.Bytes())
	}
}
