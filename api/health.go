package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// Check is one dependency's state.
type Check struct {
	Name  string `json:"name" enum:"postgresql,clickhouse,kafka" doc:"The dependency."`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty" enum:"unreachable,timeout" doc:"What failed, when it did: unreachable, or timeout (no answer within 2 s); the cause is in the API's log."`
	Ms    int64  `json:"ms" doc:"How long the check took, milliseconds."`
}

// Health is the state of the process and its dependencies.
type Health struct {
	Status string  `json:"status" enum:"ok,unavailable"`
	Checks []Check `json:"checks,omitempty"`
}

// HealthOutput answers the health checks.
type HealthOutput struct {
	Body Health
}

func (r registrar) health() {
	huma.Register(r.api, r.op(huma.Operation{OperationID: "healthz", Method: http.MethodGet, Path: "/healthz",
		Summary: "Liveness", Description: "200 while the process serves requests.", Tags: []string{"Health"}}),
		func(context.Context, *struct{}) (*HealthOutput, error) {
			out := &HealthOutput{}
			out.Body.Status = "ok"
			return out, nil
		})
	huma.Register(r.api, r.op(huma.Operation{OperationID: "readyz", Method: http.MethodGet, Path: "/readyz",
		Summary:     "Readiness",
		Description: "Checks PostgreSQL, ClickHouse and Kafka, each within 2 s; 503 naming the failing dependency when any fails (the cause is logged, not shown).",
		Tags:        []string{"Health"}, Errors: []int{http.StatusServiceUnavailable}}),
		func(ctx context.Context, _ *struct{}) (*HealthOutput, error) {
			checks := []Check{
				r.check(ctx, "postgresql", func(ctx context.Context) error { return r.d.PG.Ping(ctx) }),
				r.check(ctx, "clickhouse", func(ctx context.Context) error { return r.d.CH.Ping(ctx) }),
				r.check(ctx, "kafka", func(ctx context.Context) error { return r.d.Kafka.Ping(ctx) }),
			}
			out := &HealthOutput{}
			out.Body.Status, out.Body.Checks = "ok", checks
			for _, c := range checks {
				if !c.OK {
					out.Body.Status = "unavailable"
					return nil, &unavailable{out.Body}
				}
			}
			return out, nil
		})
}

func (r registrar) check(ctx context.Context, name string, f func(context.Context) error) Check {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start := time.Now()
	err := f(ctx)
	c := Check{Name: name, OK: err == nil, Ms: time.Since(start).Milliseconds()}
	if err != nil {
		// The driver's error names addresses and settings: it goes to the log only.
		r.d.Log.WarnContext(ctx, "readiness check failed", "dependency", name, "err", err)
		c.Error = "unreachable"
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			c.Error = "timeout"
		}
	}
	return c
}

// unavailable is the 503 of a failed readiness check, with the checks in its body.
type unavailable struct {
	Health
}

func (u *unavailable) Error() string  { return "not ready" }
func (u *unavailable) GetStatus() int { return http.StatusServiceUnavailable }
