package telemetry_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/flavortrend/flavortrend/internal/telemetry"
)

// TestPrometheusEndpoint: a counter recorded through the providers is served at /metrics
// under its Prometheus name, with its attributes as labels and the service as a target
// label; after Shutdown the endpoint is gone.
func TestPrometheusEndpoint(t *testing.T) {
	ctx := context.Background()
	tel, err := telemetry.Setup(ctx, telemetry.Config{Service: "flavortrend-test", MetricsAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := tel.Meter("test").Int64Counter("flavortrend.test.records", metric.WithUnit("{record}"))
	if err != nil {
		t.Fatal(err)
	}
	c.Add(ctx, 3, metric.WithAttributes(attribute.String("table", "orders")))
	c.Add(ctx, 4, metric.WithAttributes(attribute.String("table", "orders")))
	url := "http://" + tel.MetricsAddr() + "/metrics"

	body := get(t, url)
	var line string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "flavortrend_test_records_total{") {
			line = l
		}
	}
	if line == "" || !strings.Contains(line, `table="orders"`) || !strings.HasSuffix(line, " 7") {
		t.Errorf("flavortrend_test_records_total = %q, want table=orders value 7; body:\n%s", line, body)
	}
	if !strings.Contains(body, `target_info{`) || !strings.Contains(body, `service_name="flavortrend-test"`) {
		t.Errorf("no target_info with the service name:\n%s", body)
	}
	if !strings.Contains(body, "go_goroutines ") {
		t.Errorf("no Go runtime metrics")
	}

	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get(url); err == nil {
		resp.Body.Close()
		t.Errorf("endpoint still answers after Shutdown: %s", resp.Status)
	}
}

// TestNoEndpointNoExport: without a metrics address or an OTLP endpoint nothing listens and
// nothing is exported, but spans still get ids for the logs.
func TestNoEndpointNoExport(t *testing.T) {
	ctx := context.Background()
	tel, err := telemetry.Setup(ctx, telemetry.Config{Service: "flavortrend-test"})
	if err != nil {
		t.Fatal(err)
	}
	if addr := tel.MetricsAddr(); addr != "" {
		t.Errorf("metrics address %q, want none", addr)
	}
	_, span := tel.Tracer("test").Start(ctx, "work")
	span.End()
	if !span.SpanContext().IsValid() {
		t.Error("span without ids")
	}
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, b)
	}
	return string(b)
}
