package telemetry

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The exporters get endpoint, headers, timeout and compression explicitly: the values of the
// variables main passed in win over the process environment the exporters would read.

func traceExporter(ctx context.Context, t target) (sdktrace.SpanExporter, error) {
	var (
		exp sdktrace.SpanExporter
		err error
	)
	if t.grpc {
		opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpointURL(t.url), otlptracegrpc.WithHeaders(t.headers),
			otlptracegrpc.WithTimeout(t.timeout)}
		if t.gzip {
			opts = append(opts, otlptracegrpc.WithCompressor("gzip"))
		}
		exp, err = otlptracegrpc.New(ctx, opts...)
	} else {
		opts := []otlptracehttp.Option{otlptracehttp.WithEndpointURL(t.url), otlptracehttp.WithHeaders(t.headers),
			otlptracehttp.WithTimeout(t.timeout),
			otlptracehttp.WithCompression(otlptracehttp.NoCompression)}
		if t.gzip {
			opts = append(opts, otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
		}
		exp, err = otlptracehttp.New(ctx, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("otlp trace exporter %s: %w", t.url, err)
	}
	return exp, nil
}

func metricExporter(ctx context.Context, t target) (sdkmetric.Exporter, error) {
	var (
		exp sdkmetric.Exporter
		err error
	)
	if t.grpc {
		opts := []otlpmetricgrpc.Option{otlpmetricgrpc.WithEndpointURL(t.url), otlpmetricgrpc.WithHeaders(t.headers),
			otlpmetricgrpc.WithTimeout(t.timeout)}
		if t.gzip {
			opts = append(opts, otlpmetricgrpc.WithCompressor("gzip"))
		}
		exp, err = otlpmetricgrpc.New(ctx, opts...)
	} else {
		opts := []otlpmetrichttp.Option{otlpmetrichttp.WithEndpointURL(t.url), otlpmetrichttp.WithHeaders(t.headers),
			otlpmetrichttp.WithTimeout(t.timeout),
			otlpmetrichttp.WithCompression(otlpmetrichttp.NoCompression)}
		if t.gzip {
			opts = append(opts, otlpmetrichttp.WithCompression(otlpmetrichttp.GzipCompression))
		}
		exp, err = otlpmetrichttp.New(ctx, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("otlp metric exporter %s: %w", t.url, err)
	}
	return exp, nil
}
