package telemetry

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/flavortrend/flavortrend/internal/config"
)

// settings is what the standard OTEL_* variables say
// (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/), for
// the subset docs/telemetry.md lists.
type settings struct {
	service  string               // OTEL_SERVICE_NAME
	resource []attribute.KeyValue // OTEL_RESOURCE_ATTRIBUTES
	sampler  sdktrace.Sampler     // OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG
	interval time.Duration        // OTEL_METRIC_EXPORT_INTERVAL
	traces   *target              // nil: traces are not exported
	metrics  *target              // nil: metrics are not exported over OTLP
}

// target is one signal's OTLP destination.
type target struct {
	url     string // full endpoint URL, with the signal's path for HTTP
	grpc    bool   // protocol grpc, else http/protobuf
	headers map[string]string
	timeout time.Duration
	gzip    bool
}

// readSettings reads the OTEL_* variables through env (nil: none set).
func readSettings(env config.Env) (settings, error) {
	get := func(name string) string {
		if env == nil {
			return ""
		}
		v, _ := env(name)
		return strings.TrimSpace(v)
	}
	s := settings{service: get("OTEL_SERVICE_NAME"), sampler: sdktrace.ParentBased(sdktrace.AlwaysSample()), interval: time.Minute}
	var err error
	if s.resource, err = parseResource(get("OTEL_RESOURCE_ATTRIBUTES")); err != nil {
		return settings{}, err
	}
	if s.sampler, err = parseSampler(get("OTEL_TRACES_SAMPLER"), get("OTEL_TRACES_SAMPLER_ARG")); err != nil {
		return settings{}, err
	}
	if v := get("OTEL_METRIC_EXPORT_INTERVAL"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms <= 0 {
			return settings{}, fmt.Errorf("OTEL_METRIC_EXPORT_INTERVAL=%q: want milliseconds", v)
		}
		s.interval = time.Duration(ms) * time.Millisecond
	}
	if strings.EqualFold(get("OTEL_SDK_DISABLED"), "true") {
		return s, nil
	}
	if s.traces, err = readTarget(get, "TRACES", "/v1/traces"); err != nil {
		return settings{}, err
	}
	if s.metrics, err = readTarget(get, "METRICS", "/v1/metrics"); err != nil {
		return settings{}, err
	}
	return s, nil
}

// readTarget reads one signal's exporter settings: the per-signal variable
// (OTEL_EXPORTER_OTLP_TRACES_…) over the general one (OTEL_EXPORTER_OTLP_…). Nil when
// OTEL_<SIGNAL>_EXPORTER is "none" or no endpoint is set.
func readTarget(get func(string) string, signal, path string) (*target, error) {
	either := func(name string) string {
		if v := get("OTEL_EXPORTER_OTLP_" + signal + "_" + name); v != "" {
			return v
		}
		return get("OTEL_EXPORTER_OTLP_" + name)
	}
	switch v := get("OTEL_" + signal + "_EXPORTER"); v {
	case "", "otlp":
	case "none":
		return nil, nil
	default:
		return nil, fmt.Errorf("OTEL_%s_EXPORTER=%q: want otlp or none", signal, v)
	}
	endpoint := get("OTEL_EXPORTER_OTLP_" + signal + "_ENDPOINT")
	perSignal := endpoint != ""
	if !perSignal {
		endpoint = get("OTEL_EXPORTER_OTLP_ENDPOINT")
	}
	if endpoint == "" {
		return nil, nil
	}
	t := &target{timeout: 10 * time.Second}
	switch v := either("PROTOCOL"); v {
	case "", "http/protobuf":
	case "grpc":
		t.grpc = true
	default:
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%q: want http/protobuf or grpc", v)
	}
	if !strings.Contains(endpoint, "://") { // host:port, as gRPC endpoints are often written
		scheme := "https://"
		if strings.EqualFold(either("INSECURE"), "true") {
			scheme = "http://"
		}
		endpoint = scheme + endpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("OTLP %s endpoint %q: want http(s)://host:port[/path]", strings.ToLower(signal), endpoint)
	}
	if !t.grpc && !perSignal {
		u.Path = strings.TrimSuffix(u.Path, "/") + path
	}
	t.url = u.String()
	if t.headers, err = parseHeaders(get("OTEL_EXPORTER_OTLP_HEADERS")); err != nil {
		return nil, err
	}
	own, err := parseHeaders(get("OTEL_EXPORTER_OTLP_" + signal + "_HEADERS"))
	if err != nil {
		return nil, err
	}
	for k, v := range own {
		t.headers[k] = v
	}
	if v := either("TIMEOUT"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms <= 0 {
			return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_TIMEOUT=%q: want milliseconds", v)
		}
		t.timeout = time.Duration(ms) * time.Millisecond
	}
	switch v := either("COMPRESSION"); v {
	case "", "none":
	case "gzip":
		t.gzip = true
	default:
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_COMPRESSION=%q: want gzip or none", v)
	}
	return t, nil
}

// parseHeaders parses "k1=v1,k2=v2" with percent-encoded values (the W3C baggage format the
// OTLP variables use).
func parseHeaders(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("OTLP header %q: want key=value", kv)
		}
		dv, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("OTLP header %q: %w", k, err)
		}
		out[k] = dv
	}
	return out, nil
}

// parseResource parses OTEL_RESOURCE_ATTRIBUTES, the same format as the headers.
func parseResource(s string) ([]attribute.KeyValue, error) {
	kvs, err := parseHeaders(s)
	if err != nil {
		return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	out := make([]attribute.KeyValue, 0, len(kvs))
	for k, v := range kvs {
		out = append(out, attribute.String(k, v))
	}
	return out, nil
}

// parseSampler returns the sampler OTEL_TRACES_SAMPLER names; by default every trace is
// sampled unless its parent was not.
func parseSampler(name, arg string) (sdktrace.Sampler, error) {
	name = strings.ToLower(name)
	ratio := 1.0
	if arg != "" && strings.HasSuffix(name, "traceidratio") {
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || r < 0 || r > 1 {
			return nil, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG=%q: want a ratio from 0 to 1", arg)
		}
		ratio = r
	}
	switch name {
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(ratio), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "parentbased_traceidratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio)), nil
	}
	return nil, fmt.Errorf("OTEL_TRACES_SAMPLER=%q: want always_on, always_off, traceidratio or parentbased_…", name)
}
