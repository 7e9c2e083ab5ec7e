package telemetry

import (
	"maps"
	"strings"
	"testing"
	"time"
)

// TestReadSettings: the OTEL_* variables become the exporters' targets; per-signal
// variables win over the general ones; export is off without an endpoint.
func TestReadSettings(t *testing.T) {
	tests := []struct {
		name             string
		env              map[string]string
		traces, metrics  *target
		service, sampler string
		interval         time.Duration
		err              string
	}{
		{name: "nothing set", env: nil, sampler: "ParentBased{root:AlwaysOnSampler", interval: time.Minute},
		{name: "http base endpoint gets the signal paths",
			env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/", "OTEL_SERVICE_NAME": "ft",
				"OTEL_EXPORTER_OTLP_HEADERS": "api-key=a%20b, team=data", "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
				"OTEL_EXPORTER_OTLP_TIMEOUT": "2500", "OTEL_METRIC_EXPORT_INTERVAL": "5000"},
			traces:   &target{url: "http://collector:4318/v1/traces", headers: map[string]string{"api-key": "a b", "team": "data"}, timeout: 2500 * time.Millisecond, gzip: true},
			metrics:  &target{url: "http://collector:4318/v1/metrics", headers: map[string]string{"api-key": "a b", "team": "data"}, timeout: 2500 * time.Millisecond, gzip: true},
			service:  "ft",
			sampler:  "ParentBased{root:AlwaysOnSampler",
			interval: 5 * time.Second},
		{name: "per-signal endpoint as is, metrics none",
			env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://traces.example:443/custom", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
				"OTEL_METRICS_EXPORTER": "none", "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "team=ops", "OTEL_EXPORTER_OTLP_HEADERS": "team=data,x=1"},
			traces:  &target{url: "https://traces.example:443/custom", headers: map[string]string{"team": "ops", "x": "1"}, timeout: 10 * time.Second},
			sampler: "ParentBased{root:AlwaysOnSampler", interval: time.Minute},
		{name: "grpc host:port insecure",
			env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_INSECURE": "true",
				"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.25"},
			traces:  &target{url: "http://collector:4317", grpc: true, headers: map[string]string{}, timeout: 10 * time.Second},
			metrics: &target{url: "http://collector:4317", grpc: true, headers: map[string]string{}, timeout: 10 * time.Second},
			sampler: "TraceIDRatioBased{0.25}", interval: time.Minute},
		{name: "sdk disabled", env: map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"},
			sampler: "ParentBased{root:AlwaysOnSampler", interval: time.Minute},
		{name: "bad protocol", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, err: "OTEL_EXPORTER_OTLP_PROTOCOL"},
		{name: "bad exporter", env: map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, err: "OTEL_TRACES_EXPORTER"},
		{name: "bad scheme", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://c:4318"}, err: "endpoint"},
		{name: "bad header", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_HEADERS": "novalue"}, err: "key=value"},
		{name: "bad sampler", env: map[string]string{"OTEL_TRACES_SAMPLER": "sometimes"}, err: "OTEL_TRACES_SAMPLER"},
		{name: "bad ratio", env: map[string]string{"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"}, err: "OTEL_TRACES_SAMPLER_ARG"},
		{name: "bad interval", env: map[string]string{"OTEL_METRIC_EXPORT_INTERVAL": "5s"}, err: "OTEL_METRIC_EXPORT_INTERVAL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var env func(string) (string, bool)
			if tt.env != nil {
				env = func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			}
			s, err := readSettings(env)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one naming %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkTarget(t, "traces", s.traces, tt.traces)
			checkTarget(t, "metrics", s.metrics, tt.metrics)
			if s.service != tt.service || s.interval != tt.interval || !strings.HasPrefix(s.sampler.Description(), tt.sampler) {
				t.Errorf("service %q interval %s sampler %s, want %q %s %s", s.service, s.interval, s.sampler.Description(), tt.service, tt.interval, tt.sampler)
			}
		})
	}
}

func checkTarget(t *testing.T, signal string, got, want *target) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s: target %+v, want %+v", signal, got, want)
	case got.url != want.url || got.grpc != want.grpc || got.timeout != want.timeout || got.gzip != want.gzip || !maps.Equal(got.headers, want.headers):
		t.Errorf("%s: target %+v, want %+v", signal, *got, *want)
	}
}
