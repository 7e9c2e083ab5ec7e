package source

import (
	"context"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/tracing"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/flavortrend/flavortrend/plugin/pkg/query"
)

// queryDuration is the latency of each query, by type and outcome (ok, error). Grafana
// collects the plugin's metrics from the default Prometheus registry (CollectMetrics) and
// serves them at /api/plugins/<id>/metrics; docs/telemetry.md.
var queryDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "flavortrend_plugin_query_duration_seconds",
	Help:    "Duration of one query of a panel, from its JSON to its frames, by query type and outcome (ok, error).",
	Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
}, []string{"query_type", "outcome"})

func init() { prometheus.MustRegister(queryDuration) }

// startQuery starts the span of one query, a child of the request's span that the SDK
// starts (and exports when Grafana configures tracing for plugins); end it with endQuery.
func startQuery(ctx context.Context, t query.Type) (context.Context, trace.Span, time.Time) {
	ctx, sp := tracing.DefaultTracer().Start(ctx, "plugin.query", trace.WithAttributes(attribute.String("query_type", string(t))))
	return ctx, sp, time.Now()
}

// endQuery ends a query's span and records its duration.
func endQuery(sp trace.Span, t query.Type, start time.Time, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
		sp.RecordError(err)
		sp.SetStatus(codes.Error, err.Error())
	}
	queryDuration.WithLabelValues(string(t), outcome).Observe(time.Since(start).Seconds())
	sp.End()
}
