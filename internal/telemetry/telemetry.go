// Package telemetry sets up OpenTelemetry for a Flavor Trend process: a tracer and a meter
// provider, OTLP export configured by the standard OTEL_* variables (off unless an endpoint
// is set), a Prometheus endpoint on an address of the caller's choosing, and a log/slog
// handler that stamps each line with the trace and span of its context.
//
// Main owns the environment: it passes its variables in (Config.Env), so nothing here reads
// the process environment. Span and metric names are listed in docs/telemetry.md.
package telemetry

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/flavortrend/flavortrend/internal/config"
)

// Config says where a process's telemetry goes.
type Config struct {
	// Service is the service.name resource attribute unless OTEL_SERVICE_NAME is set,
	// e.g. "flavortrend-ingest".
	Service string
	// MetricsAddr is where to serve the metrics to Prometheus (GET /metrics), e.g.
	// "127.0.0.1:9464"; "" serves none.
	MetricsAddr string
	// Env looks the OTEL_* variables up (main passes os.LookupEnv); nil means none is set,
	// so nothing is exported over OTLP.
	Env config.Env
}

// Providers are what a stage instruments itself with; a nil provider records nothing.
type Providers struct {
	Tracers trace.TracerProvider
	Meters  metric.MeterProvider
}

// Tracer returns the named tracer, a no-op one when Tracers is nil.
func (p Providers) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	if p.Tracers == nil {
		return tracenoop.NewTracerProvider().Tracer(name, opts...)
	}
	return p.Tracers.Tracer(name, opts...)
}

// Meter returns the named meter, a no-op one when Meters is nil.
func (p Providers) Meter(name string, opts ...metric.MeterOption) metric.Meter {
	if p.Meters == nil {
		return metricnoop.NewMeterProvider().Meter(name, opts...)
	}
	return p.Meters.Meter(name, opts...)
}

// Telemetry is the set-up telemetry of one process. Spans always get ids, so log lines
// carry them even when no trace is exported.
type Telemetry struct {
	Providers
	exports bool // spans are exported (an OTLP trace endpoint is configured)
	tp      *sdktrace.TracerProvider
	mp      *sdkmetric.MeterProvider
	metrics *metricsServer
}

// Setup builds the providers and starts the metrics endpoint; Shutdown undoes it.
func Setup(ctx context.Context, cfg Config) (*Telemetry, error) {
	s, err := readSettings(cfg.Env)
	if err != nil {
		return nil, err
	}
	name := cfg.Service
	if s.service != "" {
		name = s.service
	}
	res, err := resource.New(ctx, resource.WithTelemetrySDK(),
		resource.WithAttributes(s.resource...),
		resource.WithAttributes(semconv.ServiceName(name)))
	if err != nil {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}
	t := &Telemetry{}
	var readers []sdkmetric.Option
	if cfg.MetricsAddr != "" {
		srv, reader, err := serveMetrics(cfg.MetricsAddr)
		if err != nil {
			return nil, err
		}
		t.metrics = srv
		readers = append(readers, sdkmetric.WithReader(reader))
	}
	if s.metrics != nil {
		exp, err := metricExporter(ctx, *s.metrics)
		if err != nil {
			return nil, errors.Join(err, t.Shutdown(ctx))
		}
		readers = append(readers, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(s.interval))))
	}
	// Without an exporter no span is recorded (NeverSample): spans still get ids, for the log
	// lines, at a fraction of the cost — the enricher starts spans per record. Trace contexts
	// passed on are then marked not sampled, so a process that does export does not record
	// the rest of a trace whose start is nowhere.
	topts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res), sdktrace.WithSampler(sdktrace.NeverSample())}
	if s.traces != nil {
		exp, err := traceExporter(ctx, *s.traces)
		if err != nil {
			return nil, errors.Join(err, t.Shutdown(ctx))
		}
		topts = append(topts, sdktrace.WithBatcher(exp), sdktrace.WithSampler(s.sampler))
		t.exports = true
	}
	t.tp = sdktrace.NewTracerProvider(topts...)
	t.Tracers = t.tp
	if len(readers) > 0 {
		t.mp = sdkmetric.NewMeterProvider(append(readers, sdkmetric.WithResource(res))...)
		t.Meters = t.mp
	}
	return t, nil
}

// ExportsTraces reports whether spans are exported. A stage that would start spans per
// record leaves them out when not (Providers.Tracers nil): nothing would record them.
func (t *Telemetry) ExportsTraces() bool { return t.exports }

// MetricsAddr returns the address the metrics endpoint listens on, "" when there is none.
func (t *Telemetry) MetricsAddr() string {
	if t.metrics == nil {
		return ""
	}
	return t.metrics.addr
}

// Shutdown exports what is buffered and stops the metrics endpoint; call it last, after the
// process has finished its work.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	if t.tp != nil {
		errs = append(errs, t.tp.Shutdown(ctx))
	}
	if t.mp != nil {
		errs = append(errs, t.mp.Shutdown(ctx))
	}
	if t.metrics != nil {
		errs = append(errs, t.metrics.shutdown(ctx))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("telemetry shutdown: %w", err)
	}
	return nil
}
