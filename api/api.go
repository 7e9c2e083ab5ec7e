// Package api is the REST API of Flavor Trend (`flavortrend api`), built with Huma: the read
// endpoints of SPEC §8 answer from ClickHouse with parameterised queries, the write endpoints
// change the control plane in PostgreSQL (scenario flags the simulator obeys, restaurant
// pauses, alert acknowledgements, recommendation decisions, model promotions), each behind a
// bearer token and recorded in operator_actions with its actor and result.
//
// Handler builds the server: Register's operations on a ServeMux, the OpenAPI 3.1 document at
// /openapi.json (checked in as openapi.json and compared by the tests), the docs UI at
// /docs, problem+json errors naming the field at fault, request size limits and timeouts,
// CORS, a span and metrics per request (otelhttp) and an access log.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/cors"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/flavortrend/flavortrend/internal/telemetry"
)

func init() {
	// An unexpected error is logged, not shown: its message can name tables, hosts or
	// queries. The answer is a plain 500 with no details.
	newError := huma.NewError
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		if status >= http.StatusInternalServerError {
			for _, err := range errs {
				slog.Error("api: unexpected error", "status", status, "err", err)
			}
			errs = nil
		}
		return newError(status, msg, errs...)
	}
}

// Version is the API's version in the OpenAPI document.
const Version = "1.0.0"

// Deps are what the operations use.
type Deps struct {
	PG         *pgxpool.Pool // control plane: flags, pauses, operator actions
	CH         driver.Conn   // reads
	CHDatabase string        // database of the ClickHouse tables
	Kafka      *kgo.Client   // readiness only
	Log        *slog.Logger
	Telemetry  telemetry.Providers
	Now        func() time.Time // the wall clock; tests fix it
}

func (d *Deps) now() time.Time {
	if d.Now == nil {
		return time.Now().UTC()
	}
	return d.Now().UTC()
}

// table is a ClickHouse table of the deployment's database.
func (d *Deps) table(name string) string { return d.CHDatabase + "." + name }

// Handler is the API server: its operations, documentation and middleware.
func Handler(cfg Config, d *Deps) (http.Handler, huma.API) {
	mux := http.NewServeMux()
	api := humago.New(mux, document())
	api.UseMiddleware(withClock(d.now), nameSpan, authenticate(api, cfg.tokens))
	Register(api, d, cfg.MaxBody)
	var h http.Handler = mux
	h = http.TimeoutHandler(h, cfg.Timeout, `{"title":"Service Unavailable","status":503,"detail":"the request took longer than the server allows"}`)
	h = withDeadline(h, cfg.Timeout)
	if len(cfg.CORSOrigins) > 0 {
		h = cors.New(cors.Options{AllowedOrigins: cfg.CORSOrigins, AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodDelete},
			AllowedHeaders: []string{"Authorization", "Content-Type"}, MaxAge: 600}).Handler(h)
	}
	h = accessLog(d.Log, h)
	opts := []otelhttp.Option{otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method })}
	if d.Telemetry.Tracers != nil {
		opts = append(opts, otelhttp.WithTracerProvider(d.Telemetry.Tracers))
	}
	if d.Telemetry.Meters != nil {
		opts = append(opts, otelhttp.WithMeterProvider(d.Telemetry.Meters))
	}
	h = otelhttp.NewHandler(h, "flavortrend-api", opts...)
	return h, api
}

// document is the OpenAPI document's frame: title, version, security scheme.
func document() huma.Config {
	c := huma.DefaultConfig("Flavor Trend API", Version)
	c.Info.Description = "Live KPIs, SLA, pressure, restaurants, couriers, revenue and routes of the Flavor Trend " +
		"food-delivery analytics backend, read from ClickHouse; scenarios and operator actions written to PostgreSQL. " +
		"Write operations need a bearer token; every write is recorded in operator_actions."
	c.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		bearer: {Type: "http", Scheme: "bearer", Description: "An operator token from FT_API_TOKENS."},
	}
	return c
}

// nameSpan names the request's span after its route, e.g. "GET /v1/restaurants/{id}/trend",
// once the operation is known (the span starts before routing).
func nameSpan(ctx huma.Context, next func(huma.Context)) {
	op := ctx.Operation()
	span := trace.SpanFromContext(ctx.Context())
	span.SetName(op.Method + " " + op.Path)
	span.SetAttributes(attribute.String("http.route", op.Path), attribute.String("api.operation", op.OperationID))
	next(ctx)
}

// withDeadline gives every request's context the server's timeout, so that its queries are
// cancelled with it.
func withDeadline(next http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// accessLog logs one line per request: method, route, status, duration (never the
// Authorization header or the body).
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.InfoContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"ms", time.Since(start).Milliseconds())
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Register adds every operation to api. maxBody bounds request bodies.
func Register(api huma.API, d *Deps, maxBody int64) {
	r := registrar{api: api, d: d, maxBody: maxBody}
	r.health()
	r.opsReads()
	r.bizReads()
	r.scenarios()
	r.estimate()
	r.restaurantWrites()
	r.alerts()
	r.recommendations()
	r.couriers()
	r.models()
}

// registrar carries what every group of operations registers with.
type registrar struct {
	api     huma.API
	d       *Deps
	maxBody int64
}

// op fills the defaults of an operation.
func (r registrar) op(op huma.Operation) huma.Operation {
	op.MaxBodyBytes = r.maxBody
	return op
}
