package telemetry_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/flavortrend/flavortrend/internal/telemetry"
)

// TestOTLPExport: with OTEL_EXPORTER_OTLP_ENDPOINT set (passed in, not read from the
// process), Shutdown sends the buffered spans and metrics over OTLP/HTTP to <endpoint>/v1/…,
// with the headers and the service name the variables give.
func TestOTLPExport(t *testing.T) {
	var (
		mu      sync.Mutex
		spans   []string
		metrics []string
		service string
		header  string
	)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		mu.Lock()
		defer mu.Unlock()
		header = r.Header.Get("X-Team")
		switch r.URL.Path {
		case "/otlp/v1/traces":
			var req coltracepb.ExportTraceServiceRequest
			if err := proto.Unmarshal(body, &req); err != nil {
				t.Error(err)
			}
			for _, rs := range req.ResourceSpans {
				for _, a := range rs.Resource.Attributes {
					if a.Key == "service.name" {
						service = a.Value.GetStringValue()
					}
				}
				for _, ss := range rs.ScopeSpans {
					for _, s := range ss.Spans {
						spans = append(spans, s.Name)
					}
				}
			}
		case "/otlp/v1/metrics":
			var req colmetricpb.ExportMetricsServiceRequest
			if err := proto.Unmarshal(body, &req); err != nil {
				t.Error(err)
			}
			for _, rm := range req.ResourceMetrics {
				for _, sm := range rm.ScopeMetrics {
					for _, m := range sm.Metrics {
						metrics = append(metrics, m.Name)
					}
				}
			}
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		}
	}))
	defer collector.Close()

	env := map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL + "/otlp",
		"OTEL_EXPORTER_OTLP_HEADERS":  "x-team=data",
		"OTEL_SERVICE_NAME":           "flavortrend-otlp-test",
	}
	ctx := context.Background()
	tel, err := telemetry.Setup(ctx, telemetry.Config{Service: "unused", Env: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}})
	if err != nil {
		t.Fatal(err)
	}
	_, span := tel.Tracer("test").Start(ctx, "ingest.batch")
	span.End()
	c, err := tel.Meter("test").Int64Counter("flavortrend.test.rows")
	if err != nil {
		t.Fatal(err)
	}
	c.Add(ctx, 1)
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(spans) != 1 || spans[0] != "ingest.batch" || service != "flavortrend-otlp-test" || header != "data" {
		t.Errorf("collector got spans %v of service %q with X-Team %q, want [ingest.batch] of flavortrend-otlp-test with data", spans, service, header)
	}
	if len(metrics) != 1 || metrics[0] != "flavortrend.test.rows" {
		t.Errorf("collector got metrics %v, want [flavortrend.test.rows]", metrics)
	}
}
