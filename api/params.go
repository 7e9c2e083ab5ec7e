package api

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5"
)

// MaxSpan is the longest time window a read endpoint accepts.
const MaxSpan = 31 * 24 * time.Hour

// WindowParams select a time window: the last `window` (default 1h), or from/to.
type WindowParams struct {
	Window string    `query:"window" default:"1h" pattern:"^[1-9][0-9]{0,4}[mhd]$" doc:"The window ending now: minutes (m), hours (h) or days (d), e.g. 15m, 6h, 7d; at most 31 days. Ignored when from is given."`
	From   time.Time `query:"from" doc:"Start of the window (RFC 3339, inclusive), instead of window; at most 31 days before to."`
	To     time.Time `query:"to" doc:"End of the window (RFC 3339, exclusive), with from; default now."`
}

// Resolve checks the window (Huma calls it before the handler; an error is a 422 naming the
// parameter). Every combination is held to MaxSpan: from alone spans from to now.
func (w *WindowParams) Resolve(ctx huma.Context) []error {
	if w.From.IsZero() && !w.To.IsZero() {
		return []error{&huma.ErrorDetail{Location: "query.from", Message: "required with to"}}
	}
	if !w.From.IsZero() {
		to := w.To
		if to.IsZero() {
			to = clock(ctx.Context())
		}
		switch {
		case !to.After(w.From) && w.To.IsZero():
			return []error{&huma.ErrorDetail{Location: "query.from", Message: "must be before now", Value: w.From}}
		case !to.After(w.From):
			return []error{&huma.ErrorDetail{Location: "query.to", Message: "must be after from", Value: w.To}}
		case to.Sub(w.From) > MaxSpan:
			return []error{&huma.ErrorDetail{Location: "query.from", Message: "the window is longer than 31 days", Value: w.From}}
		}
	}
	if d, err := ParseSpan(w.Window); err != nil || d > MaxSpan {
		return []error{&huma.ErrorDetail{Location: "query.window", Message: "at most 31 days, e.g. 15m, 6h, 7d", Value: w.Window}}
	}
	return nil
}

// clockKey carries the API's clock (Deps.now) in a request's context, for the checks that
// run before the handler.
type clockKey struct{}

// withClock is the middleware that puts now in every request's context.
func withClock(now func() time.Time) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		next(huma.WithValue(ctx, clockKey{}, now))
	}
}

// clock is the time now by the request's clock (the wall clock outside Handler).
func clock(ctx context.Context) time.Time {
	if now, ok := ctx.Value(clockKey{}).(func() time.Time); ok {
		return now()
	}
	return time.Now().UTC()
}

// bounds are the window's [from, to) at now.
func (w *WindowParams) bounds(now time.Time) (from, to time.Time) {
	if !w.From.IsZero() {
		to = w.To
		if to.IsZero() {
			to = now
		}
		return w.From.UTC(), to.UTC()
	}
	d, _ := ParseSpan(w.Window)
	return now.Add(-d), now
}

// ParseSpan reads a span as the parameters write it: 15m, 6h, 7d.
func ParseSpan(s string) (time.Duration, error) {
	if len(s) < 2 {
		return 0, errors.New("empty")
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n <= 0 {
		return 0, errors.New("not a positive number")
	}
	unit := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[s[len(s)-1]]
	if unit == 0 {
		return 0, errors.New("unit must be m, h or d")
	}
	return time.Duration(n) * unit, nil
}

// AgeParams bound a list of open orders by their age.
type AgeParams struct {
	MaxAge string `query:"max_age" default:"6h" pattern:"^[1-9][0-9]{0,4}[mhd]$" doc:"Only orders placed within this span before now: minutes (m), hours (h) or days (d), e.g. 6h, 24h, 7d; at most 31 days. An order open for longer is stuck rather than live: it shows as an at-risk SLA violation at its deadline."`
}

// Resolve checks max_age (a 422 naming the parameter).
func (a *AgeParams) Resolve(huma.Context) []error {
	if d, err := ParseSpan(a.MaxAge); err != nil || d > MaxSpan {
		return []error{&huma.ErrorDetail{Location: "query.max_age", Message: "at most 31 days, e.g. 6h, 24h, 7d", Value: a.MaxAge}}
	}
	return nil
}

// since is the oldest placement max_age admits at now.
func (a *AgeParams) since(now time.Time) time.Time {
	d, _ := ParseSpan(a.MaxAge)
	return now.Add(-d)
}

// CityParam names an optional city by id or by name.
type CityParam struct {
	City string `query:"city" maxLength:"64" doc:"A city by id (1-24) or by name (e.g. Sfax, case-insensitive); all cities when absent."`
}

// LimitParam bounds a list.
type LimitParam struct {
	Limit int `query:"limit" default:"100" minimum:"1" maximum:"1000" doc:"Most rows to return."`
}

// cityID resolves a city parameter: 0 for none, else the city's id; an unknown city is a
// 422 naming the parameter.
func (d *Deps) cityID(ctx context.Context, city string) (int32, error) {
	city = strings.TrimSpace(city)
	if city == "" {
		return 0, nil
	}
	var id int32
	err := d.PG.QueryRow(ctx, `SELECT id FROM cities WHERE id::text = $1 OR lower(name) = lower($1)`, city).Scan(&id)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, huma.Error422UnprocessableEntity("validation failed",
			&huma.ErrorDetail{Location: "query.city", Message: "no such city", Value: city})
	case err != nil:
		return 0, fmt.Errorf("resolve city: %w", err)
	}
	return id, nil
}
