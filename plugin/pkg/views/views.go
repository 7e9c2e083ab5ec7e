// Package views answers the data source's query types (plugin/pkg/query) with data frames.
// Each view is read through the REST API's own handler, in process (api.Handler): the same
// SQL, validation and numbers as /v1/…, without a network hop. A view names the API path and
// parameters it reads and how its JSON answer becomes frames (plugin/pkg/frames).
package views

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/flavortrend/flavortrend/plugin/pkg/query"
)

// param is a query-model option a view passes to its API read.
type param int

const (
	window   param = 1 << iota // window, or from/to of the panel's time range
	city                       // city (absent for all cities)
	limit                      // limit
	kind                       // kind
	status                     // status (recommendations); active=true (scenarios, status "active")
	weeks                      // weeks
	target                     // target
	maxAge                     // max_age
	bucket                     // bucket (heatmap)
	needCity                   // the read takes exactly one city
)

// view is how one query type is read.
type view struct {
	method string // GET by default
	path   string // {id} is the query's entityId
	params param
	frames func(t query.Type, body []byte) (data.Frames, error)
}

// Reader reads views through an API handler.
type Reader struct {
	API http.Handler
}

// Error is a query the API refused (a 4xx): its message is meant for the panel.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Message }

// Read answers one query over the time range tr.
func (r Reader) Read(ctx context.Context, q query.Model, tr backend.TimeRange) (data.Frames, error) {
	v, ok := catalogue[q.QueryType]
	if !ok {
		return nil, &Error{Status: http.StatusBadRequest, Message: fmt.Sprintf("unknown query type %q", q.QueryType)}
	}
	body, err := r.get(ctx, v, q, tr)
	if err != nil {
		return nil, err
	}
	fs, err := v.frames(q.QueryType, body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q.QueryType, err)
	}
	return fs, nil
}

// Supported says whether the query type is read through the API (the others are answered by
// the data source itself: cities, and the streams' first frames).
func Supported(t query.Type) bool {
	_, ok := catalogue[t]
	return ok
}

// get calls the view's API operation and returns its 200 body.
func (r Reader) get(ctx context.Context, v view, q query.Model, tr backend.TimeRange) ([]byte, error) {
	path := v.path
	if strings.Contains(path, "{id}") {
		id, err := strconv.ParseInt(strings.TrimSpace(q.EntityID), 10, 64)
		if err != nil || id < 1 {
			return nil, &Error{Status: http.StatusBadRequest, Message: fmt.Sprintf("%s needs an id (entityId), got %q", q.QueryType, q.EntityID)}
		}
		path = strings.ReplaceAll(path, "{id}", strconv.FormatInt(id, 10))
	}
	vals, err := v.values(q, tr)
	if err != nil {
		return nil, err
	}
	method, reqBody := v.method, []byte(nil)
	if method == "" {
		method = http.MethodGet
	}
	if method == http.MethodPost {
		if reqBody, err = estimateBody(q); err != nil {
			return nil, err
		}
	} else if len(vals) > 0 {
		path += "?" + vals.Encode()
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(reqBody)).WithContext(ctx)
	if reqBody != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	r.API.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return nil, problem(rec.Code, rec.Body.Bytes())
	}
	return rec.Body.Bytes(), nil
}

// values are the API parameters of a query.
func (v view) values(q query.Model, tr backend.TimeRange) (url.Values, error) {
	vals := url.Values{}
	set := func(p param, key, val string) {
		if v.params&p != 0 && val != "" {
			vals.Set(key, val)
		}
	}
	if v.params&window != 0 {
		if q.Window != "" {
			vals.Set("window", q.Window)
		} else if !tr.From.IsZero() && !tr.To.IsZero() {
			vals.Set("from", tr.From.UTC().Format(time.RFC3339))
			vals.Set("to", tr.To.UTC().Format(time.RFC3339))
		}
	}
	c := strings.TrimSpace(q.City)
	if strings.EqualFold(c, "all") || c == "$__all" {
		c = ""
	}
	if v.params&needCity != 0 && c == "" {
		return nil, &Error{Status: http.StatusBadRequest, Message: fmt.Sprintf("%s needs one city", q.QueryType)}
	}
	set(city|needCity, "city", c)
	if q.Limit > 0 {
		set(limit, "limit", strconv.Itoa(q.Limit))
	}
	set(kind, "kind", q.Kind)
	if v.params&status != 0 && q.QueryType == query.Scenarios {
		if q.Status == "active" {
			vals.Set("active", "true")
		}
	} else {
		set(status, "status", q.Status)
	}
	if q.Weeks > 0 {
		set(weeks, "weeks", strconv.Itoa(q.Weeks))
	}
	if q.Target > 0 {
		set(target, "target", strconv.FormatFloat(q.Target, 'f', -1, 64))
	}
	set(maxAge, "max_age", q.MaxAge)
	set(bucket, "bucket", q.Bucket)
	return vals, nil
}

// estimateBody is the what-if request of a scenario_estimate query: the kind's flag as the
// Scenarios dashboard starts it (rain; promo ×1.5; half the couriers offline).
func estimateBody(q query.Model) ([]byte, error) {
	b := map[string]any{"city": q.City}
	switch q.ScenarioKind {
	case "rain":
		b["rain"] = true
	case "promo":
		b["promo_factor"] = 1.5
	case "courier_outage":
		b["outage_share"] = 0.5
	case "":
	default:
		return nil, &Error{Status: http.StatusBadRequest, Message: fmt.Sprintf("scenarioKind %q: want rain, promo or courier_outage", q.ScenarioKind)}
	}
	return json.Marshal(b)
}

// problem turns the API's problem+json into an Error naming the fields at fault.
func problem(code int, body []byte) error {
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Errors []struct {
			Location string `json:"location"`
			Message  string `json:"message"`
		} `json:"errors"`
	}
	msg := http.StatusText(code)
	if json.Unmarshal(body, &p) == nil {
		msg = strings.TrimSpace(p.Title + ": " + p.Detail)
		for _, e := range p.Errors {
			msg += fmt.Sprintf("; %s %s", e.Location, e.Message)
		}
	}
	if code >= 500 {
		return fmt.Errorf("api %d: %s", code, msg)
	}
	return &Error{Status: code, Message: msg}
}
