package api_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/flavortrend/flavortrend/api"
	"github.com/flavortrend/flavortrend/internal/telemetry"
)

// TestRequestTelemetry: a request gets a span named after its route with the route and the
// operation as attributes, a duration measurement, and an access-log line without its
// token.
func TestRequestTelemetry(t *testing.T) {
	s := newServer(t)
	spans := tracetest.NewSpanRecorder()
	metrics := sdkmetric.NewManualReader()
	var logs bytes.Buffer
	cfg := api.Config{Timeout: 10 * time.Second, MaxBody: 4096, ReadTimeout: 15 * time.Second, WriteTimeout: 20 * time.Second, IdleTimeout: time.Minute, Tokens: []string{"olfa=" + opToken}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	h, _ := api.Handler(cfg, &api.Deps{PG: s.pg, CH: s.ch, CHDatabase: s.chDB, Now: func() time.Time { return now },
		Log:       slog.New(slog.NewTextHandler(&logs, nil)),
		Telemetry: telemetry.Providers{Tracers: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)), Meters: sdkmetric.NewMeterProvider(sdkmetric.WithReader(metrics))}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/restaurants/5/resume", nil)
	req.Header.Set("Authorization", "Bearer "+opToken)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("resume: %d", res.StatusCode)
	}

	ended := spans.Ended()
	if len(ended) != 1 || ended[0].Name() != "POST /v1/restaurants/{id}/resume" {
		t.Fatalf("spans %v, want one named POST /v1/restaurants/{id}/resume", ended)
	}
	attrs := map[string]string{}
	for _, a := range ended[0].Attributes() {
		attrs[string(a.Key)] = a.Value.Emit()
	}
	if attrs["http.route"] != "/v1/restaurants/{id}/resume" || attrs["api.operation"] != "resume-restaurant" || attrs["http.response.status_code"] != "200" {
		t.Errorf("span attributes %v", attrs)
	}
	var rm metricdata.ResourceMetrics
	if err := metrics.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if h, ok := m.Data.(metricdata.Histogram[float64]); ok && m.Name == "http.server.request.duration" && len(h.DataPoints) == 1 && h.DataPoints[0].Count == 1 {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no http.server.request.duration measurement of the request: %+v", rm.ScopeMetrics)
	}
	line := logs.String()
	if !strings.Contains(line, "path=/v1/restaurants/5/resume") || !strings.Contains(line, "status=200") || strings.Contains(line, opToken) {
		t.Errorf("access log %q: want the path and status, never the token", line)
	}
}
