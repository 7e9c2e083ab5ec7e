package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/flavortrend/flavortrend/internal/config"
	"github.com/flavortrend/flavortrend/internal/telemetry"
)

// telemetryFlags are the telemetry settings of a long-running command; OTLP export is set by
// the standard OTEL_* variables (docs/telemetry.md).
type telemetryFlags struct {
	metricsAddr string
	pprofAddr   string
}

func (t *telemetryFlags) bind(fs *config.Flags) {
	fs.String(&t.metricsAddr, "metrics-addr", "FT_METRICS_ADDR", "",
		"serve Prometheus metrics at http://<addr>/metrics, e.g. 127.0.0.1:9464 (default: none; OTLP export follows OTEL_EXPORTER_OTLP_ENDPOINT)")
	fs.String(&t.pprofAddr, "pprof-addr", "FT_PPROF_ADDR", "",
		"serve Go runtime profiles at http://<addr>/debug/pprof/, e.g. 127.0.0.1:6060 (default: none; keep it on loopback)")
}

// start sets up the telemetry of service from the flags and env's OTEL_* variables, and
// returns it with a logger that stamps trace ids on lines logged with a span's context.
// Call stopTelemetry last.
func (t *telemetryFlags) start(ctx context.Context, env config.Env, service string) (*telemetry.Telemetry, *slog.Logger, error) {
	tel, err := telemetry.Setup(ctx, telemetry.Config{Service: service, MetricsAddr: t.metricsAddr, Env: env})
	if err != nil {
		return nil, nil, err
	}
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { slog.Warn("telemetry", "err", err) }))
	if addr := tel.MetricsAddr(); addr != "" {
		slog.Info("metrics endpoint", "url", "http://"+addr+"/metrics")
	}
	if t.pprofAddr != "" {
		if err := servePprof(t.pprofAddr); err != nil {
			tel.Shutdown(ctx) //nolint:errcheck // the start failed; nothing was exported yet
			return nil, nil, err
		}
	}
	return tel, slog.New(telemetry.LogHandler(slog.Default().Handler())), nil
}

// servePprof serves net/http/pprof's handlers on addr until the process exits.
func servePprof(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("pprof-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with the process
	slog.Info("pprof endpoint", "url", "http://"+ln.Addr().String()+"/debug/pprof/")
	return nil
}

// stopTelemetry exports what is buffered, for at most 10 s.
func stopTelemetry(tel *telemetry.Telemetry) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		slog.Warn("telemetry", "err", err)
	}
}
